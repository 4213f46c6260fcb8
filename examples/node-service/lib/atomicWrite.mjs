// The spec's write protocol (SEQ-ATOMIC-1..3), the same steps as conformance/atomic.py:
// temp file beside the target (O_EXCL, never the target itself), write, fsync, rename
// over the target, fsync the folder. The target is never opened for writing, so it is
// never truncated; on any failure the temp file is removed and the target is untouched.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, ServiceError, ioError } from './errors.mjs';

const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
// Windows refuses to replace a file another program holds open; that usually clears fast.
const REPLACE_RETRIES = 8;
const REPLACE_FIRST_DELAY_MS = 10;

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A fresh temp name beside `target`; the leading dot hides it from readers. */
export function tempPathFor(target) {
  return path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
}

function replaceWithRetry(src, dst) {
  let delay = REPLACE_FIRST_DELAY_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.renameSync(src, dst);
      return;
    } catch (err) {
      const retryable = process.platform === 'win32' && ['EPERM', 'EACCES', 'EBUSY'].includes(err.code);
      if (!retryable || attempt === REPLACE_RETRIES) throw err;
      sleepSync(delay);
      delay *= 2;
    }
  }
}

/** Make a rename inside `folder` durable (a no-op on Windows, where folders cannot be opened). */
export function fsyncDir(folder) {
  if (process.platform === 'win32') return;
  const fd = fs.openSync(folder, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The permission bits of an existing `target` (null when there is none); refuse a read-only one. */
function checkWritable(target) {
  let st;
  try {
    st = fs.statSync(target);
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw ioError('inspect the file', target, err);
  }
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch (err) {
    throw ioError('replace the file', target, err);
  }
  return st.mode & 0o7777;
}

/** Replace `target` with `data` atomically and durably, or throw IO_ERROR leaving it as it was. */
export function atomicWriteBytes(target, data) {
  const mode = checkWritable(target);
  const tmp = tempPathFor(target);
  let fd;
  try {
    fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644);
  } catch (err) {
    throw ioError('create a temp file beside the target', target, err);
  }
  try {
    try {
      if (mode !== null && process.platform !== 'win32') fs.fchmodSync(fd, mode);
      let offset = 0;
      while (offset < data.length) offset += fs.writeSync(fd, data, offset, data.length - offset);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    replaceWithRetry(tmp, target);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone, or the folder itself failed; the target is untouched either way
    }
    throw ioError('write the file', target, err);
  }
  try {
    fsyncDir(path.dirname(target));
  } catch (err) {
    // The new content is in place; only its durability is in doubt. Say so.
    throw new ServiceError(
      ErrorCode.IO_ERROR,
      `wrote the file but could not flush its folder to disk: ${err.message}. ` +
        'The change may be lost if the machine crashes now.',
      { file: target },
    );
  }
}
