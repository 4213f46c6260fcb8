// Identifier safety, the same rule as conformance/ids.py: an id may become part of a
// file name or be compared with one, so anything that could escape the folder is refused
// before any file is touched.

import { ErrorCode, ServiceError } from './errors.mjs';

const DRIVE = /^[A-Za-z]:/;

/** Why `value` is not a safe identifier, or null when it is. */
export function idProblem(value) {
  if (typeof value !== 'string') {
    return `expected a string, found ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
  }
  if (value === '') return 'expected a non-empty string, found an empty one';
  if (value.includes('/') || value.includes('\\')) return "contains a path separator ('/' or '\\')";
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (value.includes('..')) return "contains '..'";
  if (value.startsWith('.')) return 'starts with a dot';
  if (DRIVE.test(value)) return "starts with a drive prefix such as 'C:'";
  return null;
}

/** Return `value` if it is a safe identifier, else throw INVALID_ID naming `kind`. */
export function checkId(kind, value) {
  const problem = idProblem(value);
  if (problem !== null) {
    throw new ServiceError(
      ErrorCode.INVALID_ID,
      `${kind} ${JSON.stringify(String(value))} is not a valid identifier: ${problem}. ` +
        "Ids must be non-empty strings without '/', '\\', NUL, '..', a leading dot or a drive prefix.",
    );
  }
  return value;
}
