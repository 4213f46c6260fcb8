// A small JSON Schema validator for seqcheck's own schemas (schemas/*.schema.json).
//
// No npm dependencies, so this implements exactly the keywords seqcheck's schemas use
// and refuses to load a schema that uses any other: a schema change then fails loudly
// here instead of being silently half-checked. The schemas themselves are read from
// seqcheck's schemas/ folder (the one place they are defined), not copied.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonPointer } from './errors.mjs';
import { isIntegral, isJsonNumber, isPlainObject, jsonEqual, numberValue } from './strictJson.mjs';

/** seqcheck's schemas/ folder, relative to this file in the seqcheck repository. */
export const DEFAULT_SCHEMA_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

const ANNOTATIONS = new Set(['$schema', '$id', '$defs', 'title', 'description', 'examples', 'default']);
const ASSERTIONS = new Set([
  'type', 'required', 'properties', 'additionalProperties', 'items', 'enum', 'minimum',
  'exclusiveMinimum', 'minLength', 'pattern', 'format', '$ref',
]);
// RFC 3339 date-time (what the Python side checks with rfc3339-validator).
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

function isDateTime(value) {
  const m = DATE_TIME.exec(value);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isJsonNumber(value)) return isIntegral(value) ? 'integer' : 'number';
  if (isPlainObject(value)) return 'object';
  return typeof value;
}

function hasType(value, type) {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

function checkKeywords(node, where) {
  if (typeof node === 'boolean') return;
  for (const key of Object.keys(node)) {
    if (!ANNOTATIONS.has(key) && !ASSERTIONS.has(key)) {
      throw new Error(`schema keyword '${key}' at ${where} is not implemented by examples/node-service/lib/schema.mjs`);
    }
  }
  if (node.format !== undefined && node.format !== 'date-time') {
    throw new Error(`schema format '${node.format}' at ${where} is not implemented`);
  }
  for (const [name, sub] of Object.entries(node.properties ?? {})) checkKeywords(sub, `${where}/properties/${name}`);
  for (const [name, sub] of Object.entries(node.$defs ?? {})) checkKeywords(sub, `${where}/$defs/${name}`);
  if (node.items !== undefined) checkKeywords(node.items, `${where}/items`);
  if (typeof node.additionalProperties === 'object') checkKeywords(node.additionalProperties, `${where}/additionalProperties`);
}

/** seqcheck's schemas, loaded from `dir`, validating documents by schema name. */
export class SchemaSet {
  /** Load the persisted-format schemas (and what they reference) from `dir` now, failing loudly. */
  constructor(dir = DEFAULT_SCHEMA_DIR) {
    this.dir = dir;
    this.byFile = new Map();
    this.patterns = new Map();
    for (const name of ['shot', 'sequence', 'project']) this.load(`${name}.schema.json`);
  }

  load(file) {
    let schema = this.byFile.get(file);
    if (schema === undefined) {
      schema = JSON.parse(fs.readFileSync(path.join(this.dir, file), 'utf8'));
      checkKeywords(schema, file);
      this.byFile.set(file, schema);
    }
    return schema;
  }

  /** The first violation of schema `name` in `doc`: {pointer, message}, or null. */
  firstError(name, doc) {
    const root = this.load(`${name}.schema.json`);
    // `at` is the path from the document root, pushed and popped as check() descends
    // (copied into a pointer only when a violation is found).
    return this.check(root, root, doc, []);
  }

  resolve(ref, root) {
    const [file, fragment = ''] = ref.split('#');
    let node = file === '' ? root : this.load(file);
    const docRoot = node;
    for (const part of fragment.split('/').slice(1)) node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return [node, docRoot];
  }

  regex(pattern) {
    let re = this.patterns.get(pattern);
    if (re === undefined) {
      re = new RegExp(pattern, 'u');
      this.patterns.set(pattern, re);
    }
    return re;
  }

  check(node, root, value, at) {
    const fail = (message) => ({ pointer: jsonPointer(at), message });
    if (node === true || node === undefined) return null;
    if (node === false) return fail('no value is allowed here');
    if (node.$ref !== undefined) {
      const [target, targetRoot] = this.resolve(node.$ref, root);
      const err = this.check(target, targetRoot, value, at);
      if (err !== null) return err;
    }
    if (node.type !== undefined) {
      const types = Array.isArray(node.type) ? node.type : [node.type];
      if (!types.some((t) => hasType(value, t))) {
        return fail(`expected ${types.join(' or ')}, found ${typeOf(value)}`);
      }
    }
    if (node.enum !== undefined && !node.enum.some((v) => jsonEqual(v, value))) {
      return fail(`expected one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}, found ${JSON.stringify(value)}`);
    }
    if (isJsonNumber(value)) {
      const n = numberValue(value);
      if (node.minimum !== undefined && !(n >= node.minimum)) return fail(`expected a number >= ${node.minimum}, found ${value}`);
      if (node.exclusiveMinimum !== undefined && !(n > node.exclusiveMinimum)) {
        return fail(`expected a number > ${node.exclusiveMinimum}, found ${value}`);
      }
    }
    if (typeof value === 'string') {
      // minLength counts code points; only a short string needs counting.
      if (node.minLength !== undefined && value.length < 2 * node.minLength && [...value].length < node.minLength) {
        return fail(`expected at least ${node.minLength} character(s), found ${JSON.stringify(value)}`);
      }
      if (node.pattern !== undefined && !this.regex(node.pattern).test(value)) {
        return fail(`expected a string matching ${node.pattern}, found ${JSON.stringify(value)}`);
      }
      if (node.format === 'date-time' && !isDateTime(value)) {
        return fail(`expected an RFC 3339 date-time, found ${JSON.stringify(value)}`);
      }
    }
    if (Array.isArray(value) && node.items !== undefined) {
      for (let n = 0; n < value.length; n++) {
        at.push(n);
        const err = this.check(node.items, root, value[n], at);
        at.pop();
        if (err !== null) return err;
      }
    }
    if (isPlainObject(value)) {
      for (const key of node.required ?? []) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) return fail(`expected a '${key}' property, found none`);
      }
      const props = node.properties ?? {};
      for (const key of Object.keys(value)) {
        const sub = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : node.additionalProperties;
        at.push(key);
        const err = this.check(sub, root, value[key], at);
        at.pop();
        if (err !== null) return err;
      }
    }
    return null;
  }
}
