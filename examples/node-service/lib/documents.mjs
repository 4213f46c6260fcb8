// Loading sequence files and project.json strictly, plus the rules a schema cannot say
// (the same checks as conformance/documents.py): schema-valid, each shot's sequencePlanId /
// sequence_id equal to the enclosing sequence id, shot ids unique within the file.

import fs from 'node:fs';
import { ErrorCode, ServiceError, jsonPointer } from './errors.mjs';
import { parseBytes, isPlainObject } from './strictJson.mjs';

/** Fields by which a shot names its sequence. */
export const MEMBERSHIP_FIELDS = ['sequencePlanId', 'sequence_id'];
/** The arrays of project.json that may hold legacy shots, in routing order. */
export const LEGACY_ARRAYS = ['shots', 'storyboard'];

/** Read and strictly parse `file`. ENOENT is rethrown as is (callers map it to their code). */
export function readJson(file) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err.code === 'ENOENT') throw err;
    if (err.code === 'EISDIR') {
      throw new ServiceError(ErrorCode.CORRUPT_FILE, 'expected a JSON file, found a directory.', { file });
    }
    throw new ServiceError(ErrorCode.IO_ERROR, `could not read the file: ${err.message}. Check its permissions.`, { file });
  }
  return parseBytes(bytes, file);
}

/** A ServiceError with `code` for the first violation of schema `name`, or null. */
export function schemaError(schemas, code, name, doc, file, what) {
  const err = schemas.firstError(name, doc);
  if (err === null) return null;
  return new ServiceError(code, `expected ${what} to match ${name}.schema.json, but ${err.message}.`, { file, pointer: err.pointer });
}

/** Rule violations of a schema-valid sequence document: [[pointer, message], ...]. */
export function membershipProblems(doc) {
  const problems = [];
  const seen = new Map();
  (doc.shots ?? []).forEach((shot, index) => {
    if (!isPlainObject(shot)) return;
    for (const field of MEMBERSHIP_FIELDS) {
      if (Object.prototype.hasOwnProperty.call(shot, field) && shot[field] !== doc.id) {
        problems.push([
          jsonPointer(['shots', index, field]),
          `expected ${field} ${JSON.stringify(doc.id)} (the id of the enclosing sequence), found ` +
            `${JSON.stringify(shot[field])}. A shot belongs to the sequence whose file holds it; ` +
            "move it with 'seqcheck migrate' or fix the field.",
        ]);
      }
    }
    if (typeof shot.id === 'string') {
      if (seen.has(shot.id)) {
        problems.push([
          jsonPointer(['shots', index, 'id']),
          `expected unique shot ids, found ${JSON.stringify(shot.id)} again (first at /shots/${seen.get(shot.id)}). ` +
            'Give one of them a new id.',
        ]);
      } else {
        seen.set(shot.id, index);
      }
    }
  });
  return problems;
}

/** Return `doc` if it is a valid sequence document, else throw CORRUPT_FILE. */
export function checkSequenceDoc(schemas, doc, file) {
  if (!isPlainObject(doc)) {
    throw new ServiceError(ErrorCode.CORRUPT_FILE, `expected a JSON object, found ${Array.isArray(doc) ? 'an array' : typeof doc}.`, { file, pointer: '' });
  }
  if (!Object.prototype.hasOwnProperty.call(doc, 'id')) {
    throw new ServiceError(
      ErrorCode.CORRUPT_FILE,
      "expected a sequence 'id', found none. Files made by the app's New Project dialog lack it; " +
        "run 'seqcheck migrate --repair' to split them properly.",
      { file, pointer: '' },
    );
  }
  const err = schemaError(schemas, ErrorCode.CORRUPT_FILE, 'sequence', doc, file, 'the file');
  if (err !== null) throw err;
  const problems = membershipProblems(doc);
  if (problems.length > 0) throw new ServiceError(ErrorCode.CORRUPT_FILE, problems[0][1], { file, pointer: problems[0][0] });
  return doc;
}

/** Read `file` and check it is a valid sequence document (else CORRUPT_FILE). */
export function loadSequenceFile(schemas, file) {
  return checkSequenceDoc(schemas, readJson(file), file);
}

/** Read `file` (project.json) and check it against the project schema (else CORRUPT_FILE). */
export function loadProjectFile(schemas, file) {
  const doc = readJson(file);
  if (!isPlainObject(doc)) {
    throw new ServiceError(ErrorCode.CORRUPT_FILE, 'expected project.json to hold a JSON object.', { file, pointer: '' });
  }
  const err = schemaError(schemas, ErrorCode.CORRUPT_FILE, 'project', doc, file, 'project.json');
  if (err !== null) throw err;
  return doc;
}

/** The sequence a shot names (sequencePlanId first, then sequence_id), or null. */
export function shotSequenceId(shot) {
  for (const field of MEMBERSHIP_FIELDS) {
    if (typeof shot[field] === 'string') return shot[field];
  }
  return null;
}
