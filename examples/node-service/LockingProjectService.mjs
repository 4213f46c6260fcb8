// ProjectService plus the spec's cross-process lock, so it can claim concurrent-writers:
// each read-modify-write runs holding flock on the file's sidecar `.<name>.lock`, taken
// through util-linux flock(1) (lib/flockLock.mjs), and re-reads the file under the lock.
// Linux (and anywhere util-linux's flock(1) exists); the constructor says so if it is missing.

import { ProjectService } from './ProjectService.mjs';
import { lockPathFor, requireFlockCommand, withFlock } from './lib/flockLock.mjs';

export class LockingProjectService extends ProjectService {
  static seqcheckCapabilities = ['legacy-fallback', 'save-shot', 'concurrent-writers'];

  /**
   * @param {{schemaDir?: string, clock?: () => string, lockTimeoutSeconds?: number}} [options]
   *   lockTimeoutSeconds: how long to wait for another writer's lock (default 10, as the spec).
   */
  constructor(options = {}) {
    super(options);
    requireFlockCommand();
    this.lockTimeoutSeconds = options.lockTimeoutSeconds ?? 10;
  }

  withLock(file, fn) {
    return withFlock(lockPathFor(file), this.lockTimeoutSeconds, fn);
  }
}

export default LockingProjectService;
