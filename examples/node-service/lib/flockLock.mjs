// The spec's cross-process lock (SEQ-LOCK-2) from Node.js without native code: flock(2)
// on the sidecar `.<name>.lock`, taken by util-linux flock(1) in a child process.
//
// Node's standard library has no flock, and lock files made with `wx` neither interoperate
// with seqcheck's (Python) writers nor release themselves when a process dies. flock(1)
// takes a real flock on the sidecar (the same lock conformance/atomic.py file_lock takes)
// and then runs `sh -c 'echo locked; exec cat'`: the child says when it holds the lock and
// keeps it until its stdin closes. Closing stdin, or this process dying (the pipe closes
// with it), ends `cat`, and the lock goes with the child's file descriptor.

import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ErrorCode, ServiceError, ioError } from './errors.mjs';

// flock(1) exit status when --wait runs out (distinct from its other failures).
const TIMED_OUT = 75;

/** The sidecar lock file of `target`: `.<name>.lock` beside it, never unlinked. */
export function lockPathFor(target) {
  return path.join(path.dirname(target), `.${path.basename(target)}.lock`);
}

/** Throw unless util-linux flock(1) is on PATH (a clear start-up error, not a failed update). */
export function requireFlockCommand() {
  const probe = spawnSync('flock', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `LockingProjectService needs the flock(1) command (util-linux) on PATH to take the spec's lock; ` +
        `running it failed: ${probe.error ? probe.error.message : probe.stderr.trim()}. ` +
        'Install util-linux, or use ProjectService (which claims no concurrent-writers).',
    );
  }
}

/**
 * Run `fn` (synchronous) holding flock(LOCK_EX) on `lockFile`; return its result.
 * LOCK_TIMEOUT when the lock is not obtained within `timeoutSeconds`, IO_ERROR when the
 * lock file cannot be opened. The lock is released before this returns.
 */
export async function withFlock(lockFile, timeoutSeconds, fn) {
  const holder = spawn(
    'flock',
    ['--exclusive', '--wait', String(timeoutSeconds), '--conflict-exit-code', String(TIMED_OUT), lockFile,
      'sh', '-c', 'echo locked; exec cat'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  holder.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => holder.on('close', (code, signal) => resolve({ code, signal })));
  const acquired = await new Promise((resolve, reject) => {
    let out = '';
    holder.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('locked\n')) resolve(true);
    });
    holder.on('error', (err) => reject(ioError('start flock(1) to take the lock', lockFile, err)));
    exited.then(() => resolve(false));
  });
  if (!acquired) {
    const { code, signal } = await exited;
    if (code === TIMED_OUT) {
      throw new ServiceError(
        ErrorCode.LOCK_TIMEOUT,
        `expected to lock the file within ${timeoutSeconds} s, but another writer held it the whole time. ` +
          'Retry; if it persists, find the process holding the lock (fuser on the lock file).',
        { file: lockFile },
      );
    }
    throw new ServiceError(
      ErrorCode.IO_ERROR,
      `could not take the lock: flock(1) ${signal ? `was killed by ${signal}` : `exited with status ${code}`}` +
        `${stderr.trim() ? `: ${stderr.trim()}` : ''}. Check the permissions of the folder. The original file is unchanged.`,
      { file: lockFile },
    );
  }
  try {
    return fn();
  } finally {
    holder.stdin.end(); // cat exits, the child's descriptor closes, the lock is released
    await exited;
  }
}
