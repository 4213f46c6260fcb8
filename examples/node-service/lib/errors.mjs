// The error type of the example service: every failure carries a seqcheck spec code.
//
// The seqcheck Node adapter maps `err.code` straight onto the protocol's error code,
// and passes `err.file` / `err.pointer` through, so a TypeScript service only has to
// throw errors shaped like this one (see conformance/adapters/node/README.md).

/** The spec's error codes (conformance/errors.py ErrorCode, minus the protocol-only ones). */
export const ErrorCode = Object.freeze({
  PROJECT_NOT_FOUND: 'PROJECT_NOT_FOUND',
  SEQUENCE_NOT_FOUND: 'SEQUENCE_NOT_FOUND',
  SHOT_NOT_FOUND: 'SHOT_NOT_FOUND',
  INVALID_ID: 'INVALID_ID',
  INVALID_UPDATE: 'INVALID_UPDATE',
  CORRUPT_FILE: 'CORRUPT_FILE',
  SCHEMA_VIOLATION: 'SCHEMA_VIOLATION',
  DUPLICATE_SEQUENCE_ID: 'DUPLICATE_SEQUENCE_ID',
  IO_ERROR: 'IO_ERROR',
  LOCK_TIMEOUT: 'LOCK_TIMEOUT',
});

/** A failure with a stable `code`, the file concerned and an RFC 6901 `pointer` into it. */
export class ServiceError extends Error {
  /**
   * @param {string} code one of ErrorCode
   * @param {string} message what was expected, what was found, what to do
   * @param {{file?: string, pointer?: string}} [where]
   */
  constructor(code, message, where = {}) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    if (where.file !== undefined) this.file = String(where.file);
    if (where.pointer !== undefined) this.pointer = where.pointer;
  }
}

/** RFC 6901 pointer from path parts: ['shots', 3, 'id'] -> '/shots/3/id'. */
export function jsonPointer(parts) {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** An IO_ERROR for a failed fs call, with a hint for the usual causes. */
export function ioError(action, file, err) {
  const hints = {
    ENOSPC: 'the disk is full; free some space and try again',
    EDQUOT: 'the disk quota is exhausted; free some space and try again',
    EACCES: 'permission denied; check the permissions of the file and its folder',
    EPERM: 'permission denied; check the permissions of the file and its folder',
    EROFS: 'the file system is read-only',
  };
  const hint = hints[err && err.code] || (err && err.message) || String(err);
  const out = new ServiceError(
    ErrorCode.IO_ERROR,
    `could not ${action}: ${hint}. The original file is unchanged.`,
    { file },
  );
  out.cause = err;
  return out;
}
