#!/usr/bin/env node
// seqcheck adapter protocol v1 over stdio for any JavaScript module shaped like StoryCore's
// ProjectService. Node 20 standard library only; see README.md beside this file.
//
//   node adapter.mjs --module PATH --export NAME [--name N] [--version V]
//                    [--capabilities a,b] [--ipc-envelope] [--lossless-json]
//                    [--error-codes JSON|FILE]
//
// One JSON request per stdin line, exactly one JSON response line per request on stdout.
// Everything the service prints goes to stderr, so it can never corrupt the protocol.

import fs from 'node:fs';
import { Console } from 'node:console';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const PROTOCOL_VERSION = 1;
// conformance.errors.ErrorCode: codes a service may throw, passed through unchanged.
const ERROR_CODES = new Set([
  'PROJECT_NOT_FOUND', 'SEQUENCE_NOT_FOUND', 'SHOT_NOT_FOUND', 'INVALID_ID', 'INVALID_UPDATE',
  'CORRUPT_FILE', 'SCHEMA_VIOLATION', 'DUPLICATE_SEQUENCE_ID', 'IO_ERROR', 'LOCK_TIMEOUT',
  'UNSUPPORTED', 'INTERNAL_ERROR',
]);
// Node fs error codes that are an I/O failure in the spec's sense (disk full, denied, read-only).
const IO_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EACCES', 'EROFS', 'EPERM']);
// conformance.requirements.Capability.
const CAPABILITIES = new Set(['legacy-fallback', 'save-shot', 'concurrent-writers']);
// Protocol op -> service method and the request args passed to it, in order.
const OPS = {
  update_shot: { method: 'updateShotInSequence', args: ['project', 'sequence_id', 'shot_id', 'updates'] },
  get_shots: { method: 'getShotsFromSequence', args: ['project', 'sequence_id'] },
  get_all_sequences: { method: 'getAllSequences', args: ['project'] },
  update_legacy_shot: { method: 'updateShot', args: ['project', 'shot_id', 'updates'] },
  save_shot: { method: 'saveShot', args: ['project', 'shot_id', 'updates'] },
};
// Result keys an IPC envelope {success: true, ...} may carry the value under (--ipc-envelope).
const ENVELOPE_KEYS = ['data', 'shot', 'shots', 'sequences', 'result'];
// Lossless-JSON conventions a service may use (examples/node-service does): an object carrying
// its exact number text, and an object carrying its key order where JS would reorder keys.
const RAW_NUMBER = Symbol.for('seqcheck.rawNumber');
const KEY_ORDER = Symbol.for('seqcheck.keyOrder');
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const USAGE = `usage: node adapter.mjs --module PATH --export NAME [--name N] [--version V]
                        [--capabilities a,b] [--ipc-envelope] [--lossless-json]
                        [--error-codes JSON|FILE]

  --module PATH        the JS module (ESM or CommonJS), relative to the current directory
  --export NAME        the export to drive: a class (instantiated with no arguments), an
                       object (used as is) or a function returning one; 'default' for the
                       default export
  --name N             name reported by hello (default: package.json name + export name)
  --version V          version reported by hello (default: the nearest package.json version)
  --capabilities a,b   capabilities to declare (legacy-fallback, save-shot, concurrent-writers);
                       overrides the module's seqcheckCapabilities and the method-based default
  --ipc-envelope       unwrap {success, data|shot|shots|sequences, error} return values
  --lossless-json      hand the service request numbers a JS number cannot carry (integers
                       beyond 2^53, floats such as 1.0) as raw-number objects and keep key
                       order (also on when the module declares seqcheckLosslessJson = true)
  --error-codes M      map the service's own errors to spec codes: a JSON object (inline, or
                       the path of a file holding one) whose keys name an error by its code
                       ("NOT_FOUND"), its class ("FileSystemError") or both
                       ("FileSystemError:NOT_FOUND"), optionally for one operation only
                       ("get_shots/NOT_FOUND"), and whose values are spec error codes, or
                       objects mapping message patterns (regular expressions) to spec codes;
                       the most specific key wins; hello reports that a mapping is in use`;

// -- stdout belongs to the protocol ------------------------------------------------------------
const protocolWrite = process.stdout.write.bind(process.stdout);
const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const method of ['log', 'info', 'debug', 'warn', 'error', 'dir', 'dirxml', 'table', 'trace', 'group', 'groupCollapsed', 'groupEnd', 'count', 'countReset', 'time', 'timeEnd', 'timeLog', 'assert']) {
  console[method] = toStderr[method].bind(toStderr);
}
process.stdout.write = (chunk, encoding, callback) => process.stderr.write(chunk, encoding, callback);
process.stdout.on('error', () => process.exit(1)); // the harness went away

function fatal(message, exitCode) {
  process.stderr.write(`seqcheck node adapter: ${message}\n`);
  process.exit(exitCode);
}

// -- command line ------------------------------------------------------------------------------
function parseArgs(argv) {
  const opts = { ipcEnvelope: false, losslessJson: false };
  const valued = { '--module': 'module', '--export': 'export', '--name': 'name', '--version': 'version', '--capabilities': 'capabilities', '--error-codes': 'errorCodes' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stderr.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (arg === '--ipc-envelope' || arg === '--lossless-json') {
      opts[arg === '--ipc-envelope' ? 'ipcEnvelope' : 'losslessJson'] = true;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = valued[flag];
    if (key === undefined) fatal(`unknown option ${JSON.stringify(arg)}\n${USAGE}`, 2);
    const value = inline ?? argv[++i];
    if (value === undefined) fatal(`option ${flag} needs a value\n${USAGE}`, 2);
    opts[key] = value;
  }
  if (!opts.module || !opts.export) fatal(`--module and --export are required\n${USAGE}`, 2);
  if (opts.capabilities !== undefined) {
    opts.capabilities = opts.capabilities.split(',').map((c) => c.trim()).filter((c) => c !== '');
    const unknown = opts.capabilities.filter((c) => !CAPABILITIES.has(c));
    if (unknown.length > 0) fatal(`unknown capability ${unknown.join(', ')}; known: ${[...CAPABILITIES].join(', ')}`, 2);
  }
  if (opts.errorCodes !== undefined) opts.errorMapping = loadErrorMapping(opts.errorCodes);
  return opts;
}

// -- the service's own error codes -------------------------------------------------------------
const MAPPING_KEY = /^(?:([a-z_]+)\/)?([^/:]+)(?::([^/:]+))?$/;

/** The --error-codes mapping: {source, entries: Map(key -> spec code)}; exits 2 if invalid. */
function loadErrorMapping(value) {
  const inline = value.trim().startsWith('{');
  let text = value;
  const source = inline ? 'inline' : path.resolve(process.cwd(), value);
  if (!inline) {
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (err) {
      fatal(`--error-codes: cannot read ${JSON.stringify(source)}: ${err.message}; expected a JSON object or a file holding one`, 2);
    }
  }
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    fatal(`--error-codes: ${inline ? 'the value' : JSON.stringify(source)} is not valid JSON: ${err.message}`, 2);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    fatal(`--error-codes: expected a JSON object mapping the service's codes to spec codes, found ${JSON.stringify(parsed)}`, 2);
  }
  const entries = new Map();
  for (const [key, code] of Object.entries(parsed)) {
    const m = MAPPING_KEY.exec(key);
    if (m === null || (m[1] !== undefined && !Object.prototype.hasOwnProperty.call(OPS, m[1]))) {
      fatal(`--error-codes: key ${JSON.stringify(key)} is not CODE, Class, Class:CODE or op/... with op one of ${Object.keys(OPS).join(', ')}`, 2);
    }
    const expected = `expected one of ${[...ERROR_CODES].join(', ')} or an object mapping message patterns (regular expressions) to them`;
    if (code !== null && typeof code === 'object' && !Array.isArray(code)) {
      // By message: the first pattern that matches the error's message decides.
      const rules = [];
      for (const [pattern, target] of Object.entries(code)) {
        let regex;
        try {
          regex = new RegExp(pattern);
        } catch (err) {
          fatal(`--error-codes: ${JSON.stringify(key)}: ${JSON.stringify(pattern)} is not a regular expression: ${err.message}`, 2);
        }
        if (typeof target !== 'string' || !ERROR_CODES.has(target)) {
          fatal(`--error-codes: ${JSON.stringify(key)}: ${JSON.stringify(pattern)} maps to ${JSON.stringify(target)}, ${expected}`, 2);
        }
        rules.push([regex, target]);
      }
      entries.set(key, rules);
      continue;
    }
    if (typeof code !== 'string' || !ERROR_CODES.has(code)) {
      fatal(`--error-codes: ${JSON.stringify(key)} maps to ${JSON.stringify(code)}, ${expected}`, 2);
    }
    entries.set(key, code);
  }
  return { source, entries };
}

/** The spec code the mapping gives an error of class `name` with code `code` and message
 * `message` in `op`, or null. */
function mappedCode(mapping, op, name, code, message) {
  if (!mapping) return null;
  const c = code === undefined || code === null ? undefined : String(code);
  const keys = [];
  for (const scope of [`${op}/`, '']) {
    if (name && c !== undefined) keys.push(`${scope}${name}:${c}`);
    if (c !== undefined) keys.push(`${scope}${c}`);
    if (name) keys.push(`${scope}${name}`);
  }
  for (const key of keys) {
    const target = mapping.entries.get(key);
    if (typeof target === 'string') return { key, code: target };
    if (Array.isArray(target)) {
      const rule = target.find(([regex]) => regex.test(typeof message === 'string' ? message : ''));
      if (rule !== undefined) return { key, code: rule[1] };
    }
  }
  return null;
}

function errorClass(err) {
  if (err === null || typeof err !== 'object') return undefined;
  if (typeof err.name === 'string' && err.name !== 'Error') return err.name;
  const ctor = err.constructor && err.constructor.name;
  return ctor && ctor !== 'Object' ? ctor : (typeof err.name === 'string' ? err.name : undefined);
}

// -- loading the service -----------------------------------------------------------------------
// Import errors after which require() may still succeed: extension-less paths, folders with
// an index.js, extensions import() does not know but a registered require hook does.
const RETRY_WITH_REQUIRE = new Set(['ERR_MODULE_NOT_FOUND', 'ERR_UNSUPPORTED_DIR_IMPORT', 'ERR_UNKNOWN_FILE_EXTENSION']);

async function loadModule(file) {
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    if (!RETRY_WITH_REQUIRE.has(err && err.code)) throw err;
    const require = createRequire(path.join(process.cwd(), 'noop.js'));
    try {
      const exported = require(file);
      return { ...exported, default: exported };
    } catch (requireErr) {
      throw new Error(`import() failed: ${err.message}\nrequire() failed too: ${requireErr.message}`);
    }
  }
}

function isClass(fn) {
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return true;
  // ES5-compiled classes: a function whose prototype has methods besides the constructor.
  return fn.prototype !== undefined && Object.getOwnPropertyNames(fn.prototype).length > 1;
}

async function makeService(namespace, exportName, modulePath) {
  let exported = namespace[exportName];
  if (exported === undefined && namespace.default && typeof namespace.default === 'object') {
    exported = namespace.default[exportName]; // CommonJS exports seen through import()
  }
  if (exported === undefined) {
    const names = Object.keys(namespace).concat(namespace.default && typeof namespace.default === 'object' ? Object.keys(namespace.default) : []);
    throw new Error(`module ${modulePath} has no export ${JSON.stringify(exportName)} (it exports: ${[...new Set(names)].join(', ') || 'nothing'})`);
  }
  if (typeof exported === 'function') {
    const service = isClass(exported) ? new exported() : await exported();
    if (service === null || typeof service !== 'object') {
      throw new Error(`export ${exportName} returned ${service === null ? 'null' : typeof service}, expected a service object`);
    }
    return { service, owner: exported };
  }
  if (exported !== null && typeof exported === 'object') return { service: exported, owner: null };
  throw new Error(`export ${exportName} is a ${typeof exported}; expected a class, an object or a function returning an object`);
}

// A module-level setting: the first one found on the instance, the exported class or
// factory, the instance's class, then the module itself.
function declaration(name, service, owner, namespace) {
  const sources = [service[name], owner?.[name], service.constructor?.[name], namespace[name]];
  return sources.find((c) => c !== undefined && c !== null);
}

function declaredCapabilities(service, owner, namespace) {
  const declared = declaration('seqcheckCapabilities', service, owner, namespace);
  if (declared === undefined) return null;
  if (typeof declared === 'string' || typeof declared[Symbol.iterator] !== 'function') {
    throw new Error('seqcheckCapabilities must be an array of capability names');
  }
  const list = [...declared].map(String);
  const unknown = list.filter((c) => !CAPABILITIES.has(c));
  if (unknown.length > 0) throw new Error(`seqcheckCapabilities names unknown capability ${unknown.join(', ')}; known: ${[...CAPABILITIES].join(', ')}`);
  return list;
}

function nearestPackageJson(file) {
  let start = path.dirname(file);
  try {
    if (fs.statSync(file).isDirectory()) start = file; // a package folder holds its own package.json
  } catch {
    // resolved by require() with an added extension; its folder is the place to look
  }
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        return JSON.parse(fs.readFileSync(candidate, 'utf8'));
      } catch {
        return null;
      }
    }
    if (path.dirname(dir) === dir) return null;
  }
}

// -- lossless request parsing (opt-in) ---------------------------------------------------------
// JSON.parse rounds integers beyond 2^53, turns 1.0 into 1 and moves integer-like keys
// ("0", "10") to the front of objects. That is exactly what a JS service gets from real
// callers, so it stays the default; a service that can store exact values opts in and
// receives such numbers as RawNumber objects and reordered objects with their KEY_ORDER.

/** A request number a JS number cannot carry, kept as its JSON text. */
class RawNumber {
  constructor(text) {
    Object.defineProperty(this, RAW_NUMBER, { value: text });
    Object.freeze(this);
  }

  valueOf() {
    return Number(this[RAW_NUMBER]);
  }

  toString() {
    return this[RAW_NUMBER];
  }

  toJSON() {
    return Number(this[RAW_NUMBER]);
  }
}

const NUMBER_TOKEN = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

function parseLossless(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const expect = (c) => {
    ws();
    if (text[i] !== c) fail(`expected '${c}'`);
    i++;
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)); // JSON.parse does the escapes
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') return i++, arr;
      for (;;) {
        arr.push(value());
        ws();
        if (text[i++] === ']') return arr;
        if (text[i - 1] !== ',') fail("expected ',' or ']'");
      }
    }
    if (c === '{') {
      i++;
      const obj = {};
      const keys = [];
      ws();
      if (text[i] === '}') return i++, obj;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name');
        const key = string();
        expect(':');
        Object.defineProperty(obj, key, { value: value(), writable: true, enumerable: true, configurable: true });
        keys.push(key);
        ws();
        if (text[i++] === '}') break;
        if (text[i - 1] !== ',') fail("expected ',' or '}'");
      }
      if (keys.some((k) => ARRAY_INDEX.test(k)) && Object.keys(obj).some((k, n) => k !== keys[n])) {
        Object.defineProperty(obj, KEY_ORDER, { value: keys, writable: true, configurable: true });
      }
      return obj;
    }
    NUMBER_TOKEN.lastIndex = i;
    const m = NUMBER_TOKEN.exec(text);
    if (m !== null) {
      i = NUMBER_TOKEN.lastIndex;
      const n = Number(m[0]);
      const isFloat = m[1] !== undefined || m[2] !== undefined;
      return (isFloat ? Number.isInteger(n) : !Number.isSafeInteger(n)) ? new RawNumber(m[0]) : n;
    }
    for (const [word, val] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return val;
      }
    }
    return fail('unexpected character');
  };
  const result = value();
  ws();
  if (i !== text.length) fail('unexpected data after the JSON value');
  return result;
}

// -- encoding responses ------------------------------------------------------------------------
function asciiString(text) {
  // ASCII-only lines, like the Python side: framing never depends on the reader's decoder.
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function orderedKeys(obj) {
  const own = Object.keys(obj);
  const order = obj[KEY_ORDER];
  if (!Array.isArray(order)) return own;
  const present = new Set(own);
  const out = order.filter((k) => present.has(k));
  const seen = new Set(out);
  return out.concat(own.filter((k) => !seen.has(k)));
}

function encode(value, key, out, stack) {
  if (value !== null && typeof value === 'object' && typeof value[RAW_NUMBER] === 'string') {
    if (!NUMBER_TEXT.test(value[RAW_NUMBER])) throw new TypeError(`raw number text ${JSON.stringify(value[RAW_NUMBER])} is not a JSON number`);
    out.push(value[RAW_NUMBER]);
    return;
  }
  if (value !== null && (typeof value === 'object' || typeof value === 'bigint') && typeof value.toJSON === 'function') value = value.toJSON(key);
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') return void out.push('null');
  switch (typeof value) {
    case 'boolean':
      return void out.push(String(value));
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`the non-finite number ${value} has no JSON form`);
      return void out.push(JSON.stringify(value));
    case 'string':
      return void out.push(asciiString(value));
    case 'bigint':
      throw new TypeError('a BigInt has no JSON form');
    default:
      break;
  }
  if (stack.includes(value)) throw new TypeError('the value is circular');
  stack.push(value);
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, n) => {
      if (n > 0) out.push(',');
      encode(item, String(n), out, stack);
    });
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    for (const k of orderedKeys(value)) {
      const v = value[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out.push(first ? '' : ',', asciiString(k), ':');
      first = false;
      encode(v, k, out, stack);
    }
    out.push('}');
  }
  stack.pop();
}

function encodeLine(message) {
  const out = [];
  encode(message, '', out, []);
  return `${out.join('')}\n`;
}

// -- mapping results and errors ----------------------------------------------------------------
function where(err) {
  const frame = typeof err.stack === 'string' ? err.stack.split('\n').find((l) => /^\s+at /.test(l)) : undefined;
  const m = frame && /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?$/.exec(frame.trim());
  return m ? ` (at ${path.basename(m[1])}:${m[2]})` : '';
}

function protocolError(err, op, mapping) {
  if (err !== null && typeof err === 'object') {
    const mapped = mappedCode(mapping, op, errorClass(err), err.code, err.message);
    if (mapped !== null) {
      const text = typeof err.message === 'string' && err.message ? err.message : String(err.code ?? mapped.key);
      const out = { code: mapped.code, message: text };
      const file = [err.file, err.path, err.filePath].find((f) => typeof f === 'string');
      if (file !== undefined) out.file = file;
      if (typeof err.pointer === 'string') out.pointer = err.pointer;
      return out;
    }
    if (typeof err.code === 'string' && ERROR_CODES.has(err.code)) {
      const out = { code: err.code, message: typeof err.message === 'string' && err.message ? err.message : err.code };
      if (typeof err.file === 'string') out.file = err.file;
      if (typeof err.pointer === 'string') out.pointer = err.pointer;
      return out;
    }
    if (typeof err.code === 'string' && IO_ERRNOS.has(err.code)) {
      const out = { code: 'IO_ERROR', message: `${err.code}: ${err.message}` };
      if (typeof err.path === 'string') out.file = err.path;
      return out;
    }
    if (err instanceof Error) {
      process.stderr.write(`seqcheck node adapter: the service threw an error without a spec code:\n${err.stack}\n`);
      const code = err.code !== undefined ? ` [code ${String(err.code)}]` : '';
      return { code: 'INTERNAL_ERROR', message: `${err.name}: ${err.message}${code}${where(err)}` };
    }
  }
  let text;
  try {
    text = typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    text = String(err);
  }
  return { code: 'INTERNAL_ERROR', message: `the service threw a non-Error value: ${text}` };
}

/** The error of an IPC envelope {success: false, error}, already in protocol form. */
class EnvelopeError extends Error {}

function unwrapEnvelope(result, op, mapping) {
  if (result === null || typeof result !== 'object' || typeof result.success !== 'boolean') return result;
  if (result.success) {
    const key = ENVELOPE_KEYS.find((k) => Object.prototype.hasOwnProperty.call(result, k));
    return key === undefined ? null : result[key];
  }
  const error = result.error;
  const isObject = error !== null && typeof error === 'object';
  const code = isObject && error.code !== undefined ? error.code : result.code;
  const text = isObject ? String(error.message ?? JSON.stringify(error)) : String(error ?? 'no error given');
  const mapped = mappedCode(mapping, op, isObject ? errorClass(error) : undefined, code, text);
  if (mapped !== null || (typeof code === 'string' && ERROR_CODES.has(code))) {
    const out = { code: mapped !== null ? mapped.code : code, message: text };
    if (isObject && typeof error.file === 'string') out.file = error.file;
    if (isObject && typeof error.pointer === 'string') out.pointer = error.pointer;
    throw Object.assign(new EnvelopeError(text), out);
  }
  const suffix = code !== undefined ? ` [code ${String(code)}]` : '';
  const message = `the IPC call failed without a spec error code: ${text}${suffix}`;
  throw Object.assign(new EnvelopeError(message), { code: 'INTERNAL_ERROR', message });
}

// -- serving -----------------------------------------------------------------------------------
function requestProblem(request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return 'a request must be a JSON object';
  if (!Number.isInteger(request.id) || request.id < 0) return "'id' must be a non-negative integer";
  if (typeof request.op !== 'string' || request.op === '') return "'op' must be a non-empty string";
  if (request.args === null || typeof request.args !== 'object' || Array.isArray(request.args)) return "'args' must be a JSON object";
  const spec = OPS[request.op];
  const missing = spec ? spec.args.filter((a) => !Object.prototype.hasOwnProperty.call(request.args, a)) : [];
  if (missing.length > 0) return `${request.op} needs args ${missing.join(', ')}`;
  return null;
}

function makeHandler(service, hello, opts) {
  return async function handle(request) {
    const problem = requestProblem(request);
    const id = request !== null && Number.isInteger(request?.id) && request.id >= 0 ? request.id : null;
    if (problem !== null) return { id, ok: false, error: { code: 'INTERNAL_ERROR', message: `malformed request: ${problem}` } };
    if (request.op === 'hello') return { id, ok: true, result: hello };
    if (request.op === 'shutdown') return { id, ok: true, result: null };
    const spec = OPS[request.op];
    if (spec === undefined) {
      return { id, ok: false, error: { code: 'UNSUPPORTED', message: `operation ${JSON.stringify(request.op)} is not supported: protocol v1 has no such operation.` } };
    }
    if (typeof service[spec.method] !== 'function') {
      const owner = service.constructor && service.constructor !== Object ? service.constructor.name : 'the service';
      return { id, ok: false, error: { code: 'UNSUPPORTED', message: `operation ${JSON.stringify(request.op)} is not supported: ${owner} has no method ${spec.method}.` } };
    }
    try {
      let result = await service[spec.method](...spec.args.map((a) => request.args[a]));
      if (opts.ipcEnvelope) result = unwrapEnvelope(result, request.op, opts.errorMapping);
      return { id, ok: true, result: result === undefined ? null : result };
    } catch (err) {
      return { id, ok: false, error: err instanceof EnvelopeError ? protocolError(err) : protocolError(err, request.op, opts.errorMapping) };
    }
  };
}

function send(message) {
  let line;
  try {
    line = encodeLine(message);
  } catch (err) {
    line = encodeLine({ id: message.id, ok: false, error: { code: 'INTERNAL_ERROR', message: `the service returned a value with no JSON form: ${err.message}` } });
  }
  return new Promise((resolve) => protocolWrite(line, () => resolve()));
}

// The lines of stdin, one at a time, queued straight from 'data' events. Not readline's
// async iterator: under heavy load a restarted adapter once sat idle with its first
// request consumed from the pipe and never answered; an explicit queue leaves no
// hand-off between a 'line' event and the loop's next pull where a line can be lost.
async function* stdinLines() {
  const queue = [];
  let pending = '';
  let ended = false;
  let wake = null;
  const notify = () => {
    if (wake) {
      const resolve = wake;
      wake = null;
      resolve();
    }
  };
  process.stdin.setEncoding('utf8'); // multi-byte characters split across chunks stay whole
  process.stdin.on('data', (chunk) => {
    pending += chunk;
    let at;
    while ((at = pending.indexOf('\n')) >= 0) {
      queue.push(pending.slice(0, at).replace(/\r$/, ''));
      pending = pending.slice(at + 1);
    }
    notify();
  });
  const finish = () => {
    if (pending !== '') queue.push(pending);
    pending = '';
    ended = true;
    notify();
  };
  process.stdin.on('end', finish);
  process.stdin.on('error', finish);
  for (;;) {
    if (queue.length > 0) {
      yield queue.shift();
    } else if (ended) {
      return;
    } else {
      await new Promise((resolve) => { wake = resolve; });
    }
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const modulePath = path.resolve(process.cwd(), opts.module);
  let namespace;
  let made;
  let capabilities;
  try {
    namespace = await loadModule(modulePath);
    made = await makeService(namespace, opts.export, modulePath);
    capabilities = opts.capabilities ?? declaredCapabilities(made.service, made.owner, namespace);
  } catch (err) {
    fatal(`could not load ${opts.export} from ${modulePath}:\n${err && err.stack ? err.stack : String(err)}`, 1);
  }
  const { service } = made;
  const lossless = opts.losslessJson || declaration('seqcheckLosslessJson', service, made.owner, namespace) === true;
  const parseRequest = lossless ? parseLossless : JSON.parse;
  if (capabilities === null) {
    capabilities = [];
    if (typeof service.updateShot === 'function') capabilities.push('legacy-fallback');
    if (typeof service.saveShot === 'function') capabilities.push('save-shot');
  }
  const pkg = nearestPackageJson(modulePath);
  const hello = {
    name: opts.name ?? (pkg && typeof pkg.name === 'string' ? `${pkg.name}:${opts.export}` : opts.export),
    version: opts.version ?? (pkg && typeof pkg.version === 'string' ? pkg.version : 'unknown'),
    protocol: PROTOCOL_VERSION,
    capabilities: [...new Set(capabilities)],
  };
  if (opts.errorMapping) {
    // Recorded in the certificate: spec codes came through a translation the team wrote.
    hello.error_mapping = { source: opts.errorMapping.source, entries: opts.errorMapping.entries.size };
  }
  const handle = makeHandler(service, hello, opts);
  for await (const line of stdinLines()) {
    if (line.trim() === '') continue;
    let request;
    try {
      request = parseRequest(line);
    } catch (err) {
      await send({ id: null, ok: false, error: { code: 'INTERNAL_ERROR', message: `malformed request: not valid JSON (${err.message})` } });
      continue;
    }
    await send(await handle(request));
    if (request.op === 'shutdown' && requestProblem(request) === null) process.exit(0);
  }
  process.exit(0); // stdin closed: the harness is done
}

main();
