// Strict, lossless JSON reading and the canonical byte form the spec requires of writers.
//
// Why not JSON.parse / JSON.stringify? Four ways they silently change data on a rewrite:
//  * duplicate keys: JSON.parse keeps the last one (spec: CORRUPT_FILE, readers disagree);
//  * integers beyond 2^53 (ComfyUI seeds go to 2^64) lose digits, and 1.0 is written back
//    as 1 (a float becomes an integer for every non-JS reader);
//  * integer-like keys ("0", "10") are moved to the front of every object, breaking the
//    spec's "key order preserved" rule;
//  * "\ud800" escapes yield lone surrogates that cannot be written as UTF-8.
// This parser rejects the first and last, and keeps the others exactly: numbers that a JS
// number cannot carry become LosslessNumber (their source text), and objects whose key
// order JS would change carry that order under the KEY_ORDER symbol. `dumpBytes` and the
// seqcheck Node adapter's response encoder honour both (the symbols are registered with
// Symbol.for, so they are shared without importing this file).

import { ErrorCode, ServiceError, jsonPointer } from './errors.mjs';

/** Symbol under which a LosslessNumber keeps its JSON source text. */
export const RAW_NUMBER = Symbol.for('seqcheck.rawNumber');
/** Symbol under which an object keeps its key order when JS would reorder its keys. */
export const KEY_ORDER = Symbol.for('seqcheck.keyOrder');

/** A JSON number a JS number cannot carry exactly (big integer, integral float like 1.0). */
export class LosslessNumber {
  constructor(lexeme) {
    Object.defineProperty(this, RAW_NUMBER, { value: lexeme, enumerable: false });
    Object.freeze(this);
  }

  valueOf() {
    return Number(this[RAW_NUMBER]);
  }

  toString() {
    return this[RAW_NUMBER];
  }

  /** Plain JSON.stringify sees the nearest JS number (lossy; dumpBytes is exact). */
  toJSON() {
    return Number(this[RAW_NUMBER]);
  }
}

/**
 * True for a number carried as its JSON text: a LosslessNumber, or any object holding the
 * text under RAW_NUMBER (the seqcheck Node adapter hands such objects to services that
 * declare `seqcheckLosslessJson`, for request numbers a JS number cannot carry).
 */
export function isRawNumber(value) {
  return value !== null && typeof value === 'object' && typeof value[RAW_NUMBER] === 'string';
}

/** The JS number nearest to a JSON number (exact for plain numbers). */
export function numberValue(value) {
  return typeof value === 'number' ? value : Number(value[RAW_NUMBER]);
}

/** Order two JSON numbers; integers compare exactly, whatever their size. */
export function compareJsonNumbers(a, b) {
  const exact = (v) => {
    if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
    return /[.eE]/.test(v[RAW_NUMBER]) ? null : BigInt(v[RAW_NUMBER]);
  };
  const [x, y] = [exact(a), exact(b)];
  const [p, q] = x !== null && y !== null ? [x, y] : [numberValue(a), numberValue(b)];
  return p < q ? -1 : p > q ? 1 : 0;
}

/** True for a number, a LosslessNumber or another raw number. */
export function isJsonNumber(value) {
  return typeof value === 'number' || isRawNumber(value);
}

/** True when a JSON number is integral (as JSON Schema's "integer" decides: 1.0 counts). */
export function isIntegral(value) {
  return Number.isInteger(numberValue(value)) || (isRawNumber(value) && !/[.eE]/.test(value[RAW_NUMBER]));
}

/** True for a JSON object (not an array, not null, not a LosslessNumber). */
export function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;
// Python's int() refuses longer digit strings; a file a Python reader refuses is corrupt here too.
const MAX_INT_DIGITS = 4300;
const MAX_DEPTH = 2000;
const decoder = new TextDecoder('utf-8', { fatal: true }); // also drops one leading BOM

function corrupt(file, message, pointer = '') {
  return new ServiceError(ErrorCode.CORRUPT_FILE, message, { file, pointer });
}

class Parser {
  constructor(text, file) {
    this.s = text;
    this.i = 0;
    this.file = file;
    this.depth = 0;
    // Keys and indexes from the root to the value being parsed, for error pointers only.
    this.path = [];
  }

  fail(what) {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const column = this.i - before.lastIndexOf('\n');
    return corrupt(
      this.file,
      `expected valid JSON, found a syntax error at line ${line} column ${column}: ${what}. ` +
        'Restore the file from a backup or fix it by hand.',
    );
  }

  ws() {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  document() {
    const value = this.value();
    this.ws();
    if (this.i < this.s.length) throw this.fail('extra data after the JSON value');
    return value;
  }

  value() {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (this.s.startsWith('true', this.i)) return (this.i += 4), true;
    if (this.s.startsWith('false', this.i)) return (this.i += 5), false;
    if (this.s.startsWith('null', this.i)) return (this.i += 4), null;
    if (c === undefined) throw this.fail('unexpected end of the file');
    if (this.s.startsWith('NaN', this.i) || this.s.startsWith('Infinity', this.i)) {
      throw corrupt(this.file, `expected standard JSON, found ${this.s.startsWith('NaN', this.i) ? 'NaN' : 'Infinity'}.`);
    }
    throw this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  enter() {
    if (++this.depth > MAX_DEPTH) {
      throw corrupt(this.file, 'expected JSON nested to a sane depth, found nesting too deep to read.');
    }
  }

  object() {
    this.enter();
    this.i++;
    const obj = {};
    const keys = [];
    let reorders = false;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      this.depth--;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw this.fail('expected a double-quoted property name');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') throw this.fail("expected ':' after a property name");
      this.i++;
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        throw corrupt(
          this.file,
          `expected unique keys in every object, found key ${JSON.stringify(key)} twice. ` +
            'Remove one of the two entries (readers disagree on which one wins).',
          jsonPointer(this.path),
        );
      }
      this.path.push(key);
      const val = this.value();
      this.path.pop();
      // defineProperty: a "__proto__" key must stay data, not replace the prototype.
      Object.defineProperty(obj, key, { value: val, writable: true, enumerable: true, configurable: true });
      keys.push(key);
      if (ARRAY_INDEX.test(key)) reorders = true;
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') break;
      if (c !== ',') {
        this.i--;
        throw this.fail("expected ',' or '}' after an object member");
      }
    }
    if (reorders) {
      const natural = Object.keys(obj);
      if (natural.some((k, n) => k !== keys[n])) {
        Object.defineProperty(obj, KEY_ORDER, { value: keys, enumerable: false, writable: true, configurable: true });
      }
    }
    this.depth--;
    return obj;
  }

  array() {
    this.enter();
    this.i++;
    const arr = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      this.depth--;
      return arr;
    }
    for (;;) {
      this.path.push(arr.length);
      arr.push(this.value());
      this.path.pop();
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') break;
      if (c !== ',') {
        this.i--;
        throw this.fail("expected ',' or ']' after an array item");
      }
    }
    this.depth--;
    return arr;
  }

  string() {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(j);
      if (Number.isNaN(c)) {
        this.i = start;
        throw this.fail('unterminated string');
      }
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        j += 2;
        continue;
      }
      if (c < 0x20) {
        this.i = j;
        throw this.fail('control character in a string (escape it)');
      }
      j++;
    }
    this.i = j + 1;
    if (!escaped) return s.slice(start + 1, j);
    let text;
    try {
      text = JSON.parse(s.slice(start, j + 1));
    } catch {
      this.i = start;
      throw this.fail('invalid escape in a string');
    }
    if (!text.isWellFormed()) {
      throw corrupt(this.file, 'expected JSON representable in UTF-8, found a string with an unpaired surrogate.', jsonPointer(this.path));
    }
    return text;
  }

  number() {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (m === null) throw this.fail('invalid number');
    const lexeme = m[0];
    this.i = NUMBER.lastIndex;
    const value = Number(lexeme);
    const isFloat = m[1] !== undefined || m[2] !== undefined;
    if (isFloat) {
      if (!Number.isFinite(value)) {
        throw corrupt(this.file, `expected JSON representable in UTF-8, found a non-finite number (${lexeme}).`, jsonPointer(this.path));
      }
      // 1.0 / 1e3 / -0.0 are floats for other readers; JS would write them back as ints.
      return Number.isInteger(value) ? new LosslessNumber(lexeme) : value;
    }
    if (lexeme.replace('-', '').length > MAX_INT_DIGITS) {
      throw corrupt(this.file, `expected standard JSON, found an integer of more than ${MAX_INT_DIGITS} digits.`, jsonPointer(this.path));
    }
    return Number.isSafeInteger(value) ? value : new LosslessNumber(lexeme);
  }
}

/** Parse UTF-8 bytes (a leading BOM is fine) strictly; CORRUPT_FILE names `file`. */
export function parseBytes(bytes, file) {
  let text;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw corrupt(file, 'expected UTF-8 text, found an invalid byte sequence. Re-save the file as UTF-8.');
  }
  return parseText(text, file);
}

/** Parse a JSON text strictly (see the module comment). */
export function parseText(text, file) {
  try {
    return new Parser(text, file).document();
  } catch (err) {
    if (err instanceof RangeError) {
      throw corrupt(file, 'expected JSON nested to a sane depth, found nesting too deep to read.');
    }
    throw err;
  }
}

/** An object's keys in stored order (KEY_ORDER first, then keys added since). */
export function orderedKeys(obj) {
  const own = Object.keys(obj);
  const order = obj[KEY_ORDER];
  if (!Array.isArray(order)) return own;
  const present = new Set(own);
  const out = order.filter((k) => present.has(k));
  if (out.length === own.length) return out;
  const seen = new Set(out);
  for (const k of own) if (!seen.has(k)) out.push(k);
  return out;
}

/** Keep an explicit key order on `obj` when JS's own order would differ from `keys`. */
export function setKeyOrder(obj, keys) {
  const natural = Object.keys(obj);
  if (natural.length === keys.length && natural.every((k, n) => k === keys[n])) {
    delete obj[KEY_ORDER];
    return obj;
  }
  Object.defineProperty(obj, KEY_ORDER, { value: [...keys], enumerable: false, writable: true, configurable: true });
  return obj;
}

/**
 * A float as Python's repr() writes it (same shortest digits as JS, other layout: 1e-05
 * not 0.00001, 1e+16 not 10000000000000000, 100000.0 not 100000, -0.0 not 0), so the
 * bytes match what seqcheck's own writer (conformance/jsonio.dump_bytes) produces.
 */
export function pythonFloatText(value) {
  const magnitude = Math.abs(value);
  // Where both languages write plain decimals, they write the same digits.
  if (magnitude >= 1e-4 && magnitude < 1e16 && !Number.isInteger(value)) return String(value);
  const [mantissa, exp] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (e < -4 || e >= 16) {
    const mant = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const point = e + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function write(value, indent, out) {
  if (value === null) return void out.push('null');
  switch (typeof value) {
    case 'boolean':
      return void out.push(value ? 'true' : 'false');
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot write the non-finite number ${value} as JSON`);
      return void out.push(Number.isInteger(value) ? JSON.stringify(value) : pythonFloatText(value));
    case 'string':
      return void out.push(JSON.stringify(value));
    case 'object':
      break;
    default:
      throw new TypeError(`cannot write a ${typeof value} as JSON`);
  }
  if (isRawNumber(value)) {
    // Integers as written; integral floats (1.0, 1E5, -0.0) as Python writes them.
    const text = value[RAW_NUMBER];
    return void out.push(/[.eE]/.test(text) ? pythonFloatText(Number(text)) : text);
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return void out.push('[]');
    out.push('[');
    value.forEach((item, n) => {
      out.push(n === 0 ? '\n' : ',\n', inner);
      write(item, inner, out);
    });
    return void out.push('\n', indent, ']');
  }
  const keys = orderedKeys(value);
  if (keys.length === 0) return void out.push('{}');
  out.push('{');
  keys.forEach((key, n) => {
    out.push(n === 0 ? '\n' : ',\n', inner, JSON.stringify(key), ': ');
    write(value[key], inner, out);
  });
  out.push('\n', indent, '}');
}

/** The canonical text of `doc`: 2-space indent, non-ASCII as is, trailing newline. */
export function dumpText(doc) {
  const out = [];
  write(doc, '', out);
  out.push('\n');
  return out.join('');
}

/** The canonical bytes of `doc` (UTF-8 without BOM). */
export function dumpBytes(doc) {
  return Buffer.from(dumpText(doc), 'utf8');
}

/** A deep copy that keeps key orders; LosslessNumbers are immutable and shared. */
export function cloneJson(value) {
  if (value === null || typeof value !== 'object' || isRawNumber(value)) return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  const out = {};
  for (const key of Object.keys(value)) {
    Object.defineProperty(out, key, { value: cloneJson(value[key]), writable: true, enumerable: true, configurable: true });
  }
  if (Array.isArray(value[KEY_ORDER])) setKeyOrder(out, value[KEY_ORDER]);
  return out;
}

function describe(value) {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return `a non-finite number (${value})`;
  if (typeof value === 'object') return `a ${value.constructor ? value.constructor.name : 'prototype-less'} object`;
  return `a value of type ${typeof value}`;
}

/** The first value with no JSON form: [pointer, description], or null when all is JSON. */
export function findUnwritable(value) {
  const stack = [[value, []]];
  while (stack.length > 0) {
    const [item, where] = stack.pop();
    if (item === null || typeof item === 'boolean') continue;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return [jsonPointer(where), describe(item)];
      continue;
    }
    if (typeof item === 'string') {
      if (!item.isWellFormed()) return [jsonPointer(where), 'a string with an unpaired surrogate'];
      continue;
    }
    if (isRawNumber(item)) {
      if (!NUMBER_TEXT.test(item[RAW_NUMBER])) return [jsonPointer(where), 'a raw number whose text is not a JSON number'];
      continue;
    }
    if (Array.isArray(item)) {
      item.forEach((sub, n) => stack.push([sub, [...where, n]]));
      continue;
    }
    if (!isPlainObject(item)) return [jsonPointer(where), describe(item)];
    for (const key of Object.keys(item)) {
      if (!key.isWellFormed()) return [jsonPointer(where), 'an object key with an unpaired surrogate'];
      stack.push([item[key], [...where, key]]);
    }
  }
  return null;
}

/** Compare strings by code point, as Python does (JS `<` compares UTF-16 units). */
export function compareCodePoints(a, b) {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done === q.done ? 0 : p.done ? -1 : 1;
    const d = p.value.codePointAt(0) - q.value.codePointAt(0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

/** JSON value equality (numbers by value, objects regardless of key order). */
export function jsonEqual(a, b) {
  if (isJsonNumber(a) && isJsonNumber(b)) return numberValue(a) === numberValue(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((v, n) => jsonEqual(v, b[n]));
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
}
