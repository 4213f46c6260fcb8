// A correct JavaScript ProjectService for StoryCore sequence files: the app's three
// sequence methods plus its legacy project.json path, implementing seqcheck's spec
// (conformance/SPEC.md) the way conformance/reference/store.py does. Node 20 stdlib only.
//
// Every failure is a ServiceError whose `code` is a spec error code, and a failed call
// changes no file. Writes go through lib/atomicWrite.mjs (temp + fsync + rename + folder
// fsync). What it does NOT do: serialise writers of separate processes (Node has no
// flock; see README.md), so it does not claim the concurrent-writers capability.

import fs from 'node:fs';
import path from 'node:path';
import { atomicWriteBytes } from './lib/atomicWrite.mjs';
import {
  LEGACY_ARRAYS, MEMBERSHIP_FIELDS, loadProjectFile, loadSequenceFile, membershipProblems,
  schemaError, shotSequenceId,
} from './lib/documents.mjs';
import { ErrorCode, ServiceError, jsonPointer } from './lib/errors.mjs';
import { checkId } from './lib/ids.mjs';
import { SchemaSet } from './lib/schema.mjs';
import { SequenceIndex } from './lib/sequenceIndex.mjs';
import {
  cloneJson, compareCodePoints, compareJsonNumbers, dumpBytes, findUnwritable, isPlainObject, orderedKeys, setKeyOrder,
} from './lib/strictJson.mjs';

export { ErrorCode, ServiceError };

const PROJECT_FILE = 'project.json';
const SEQUENCES_DIR = 'sequences';

function describeType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function checkUpdates(updates) {
  if (!isPlainObject(updates)) {
    throw new ServiceError(ErrorCode.INVALID_UPDATE, `expected updates to be a JSON object, found ${describeType(updates)}.`);
  }
  const problem = findUnwritable(updates);
  if (problem !== null) {
    throw new ServiceError(ErrorCode.INVALID_UPDATE, `expected updates made of JSON values, found ${problem[1]} at ${problem[0] || '/'} in the updates.`);
  }
  return updates;
}

export class ProjectService {
  /** The optional capabilities this service declares to seqcheck (read by the Node adapter). */
  static seqcheckCapabilities = ['legacy-fallback', 'save-shot'];

  /**
   * Ask the seqcheck Node adapter for exact request values: numbers a JS number cannot
   * carry (integers beyond 2^53, floats such as 1.0) as raw-number objects, and key order
   * where JS would reorder keys. This service writes both back exactly (SEQ-ENC-2).
   */
  static seqcheckLosslessJson = true;

  /**
   * @param {{schemaDir?: string, clock?: () => string}} [options] schemaDir: seqcheck's
   *   schemas/ folder (default: the one in this repository); clock: ISO 8601 UTC "now".
   */
  constructor(options = {}) {
    this.schemas = new SchemaSet(options.schemaDir);
    this.clock = options.clock ?? (() => new Date().toISOString());
    this.indexes = new Map();
  }

  // -- hooks (one job each, so a variant can change exactly one behaviour) -------------------
  /** Persist `bytes` as `file`: atomically and durably. */
  writeFile(file, bytes) {
    atomicWriteBytes(file, bytes);
  }

  /** The file of sequence `sequenceId` (SEQUENCE_NOT_FOUND / DUPLICATE_SEQUENCE_ID / CORRUPT_FILE). */
  locate(index, sequenceId) {
    return index.locate(sequenceId);
  }

  /**
   * Run the read-modify-write `fn` of `file` holding that file's lock; return its result.
   * Here: no cross-process lock (Node has no flock). Within one process two updates never
   * interleave, since `fn` does all its file work synchronously. LockingProjectService
   * takes the spec's flock on the sidecar instead.
   */
  withLock(file, fn) {
    return fn();
  }

  /** Two files carry one sequence id: DUPLICATE_SEQUENCE_ID, never first-wins. */
  duplicateFound(sequenceId, firstName, name, file) {
    throw new ServiceError(
      ErrorCode.DUPLICATE_SEQUENCE_ID,
      `expected one file with sequence id ${JSON.stringify(sequenceId)}, found two: ${firstName} and ${name}. Merge or renumber them.`,
      { file, pointer: '/id' },
    );
  }

  /** Reject unsafe ids before any file is touched. */
  checkIds(ids) {
    for (const [kind, value] of ids) checkId(kind, value);
  }

  // -- helpers ---------------------------------------------------------------------------------
  project(projectPath) {
    const project = path.resolve(String(projectPath));
    let st = null;
    try {
      st = fs.statSync(project);
    } catch (err) {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') {
        throw new ServiceError(ErrorCode.IO_ERROR, `could not inspect the project folder: ${err.message}.`, { file: project });
      }
    }
    if (st === null || !st.isDirectory()) {
      throw new ServiceError(
        ErrorCode.PROJECT_NOT_FOUND,
        `expected a project folder, found ${st === null ? 'nothing' : 'a file'}. Pass the folder that holds project.json.`,
        { file: project },
      );
    }
    return project;
  }

  index(project) {
    const folder = path.join(project, SEQUENCES_DIR);
    let index = this.indexes.get(folder);
    if (index === undefined) {
      index = new SequenceIndex(folder);
      this.indexes.set(folder, index);
    }
    return index;
  }

  /** Strictly load `file`; null when it vanished or now holds another id. */
  loadAt(index, sequenceId, file) {
    let doc = null;
    try {
      doc = loadSequenceFile(this.schemas, file);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    if (doc === null || doc.id !== sequenceId) {
      index.forget(path.basename(file)); // rewritten or removed since indexed
      return null;
    }
    return doc;
  }

  moved(index, sequenceId) {
    return new ServiceError(
      ErrorCode.SEQUENCE_NOT_FOUND,
      `sequence ${JSON.stringify(sequenceId)} kept moving between files while being looked up; another program is renaming sequence files. Retry.`,
      { file: index.folder },
    );
  }

  loadLocated(index, sequenceId) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const file = this.locate(index, sequenceId);
      const doc = this.loadAt(index, sequenceId, file);
      if (doc !== null) return [file, doc];
    }
    throw this.moved(index, sequenceId);
  }

  static findShot(doc, shotId, file, where) {
    const index = doc.shots.findIndex((shot) => isPlainObject(shot) && shot.id === shotId);
    if (index >= 0) return index;
    throw new ServiceError(
      ErrorCode.SHOT_NOT_FOUND,
      `expected a shot with id ${JSON.stringify(shotId)} in ${where}, found none among ${doc.shots.length} shot(s).`,
      { file, pointer: '/shots' },
    );
  }

  /** `{...shot, ...updates}` as Python's dict merge does it: key order kept, new keys last. */
  static merge(shot, updates, pointer, file, sequenceId) {
    if (Object.prototype.hasOwnProperty.call(updates, 'id') && updates.id !== shot.id) {
      throw new ServiceError(
        ErrorCode.INVALID_UPDATE,
        `expected updates to leave the shot id ${JSON.stringify(shot.id)} alone, found id ${JSON.stringify(updates.id)}. Shot ids are immutable.`,
        { file, pointer: `${pointer}/id` },
      );
    }
    for (const field of MEMBERSHIP_FIELDS) {
      if (!Object.prototype.hasOwnProperty.call(updates, field)) continue;
      const current = Object.prototype.hasOwnProperty.call(shot, field) ? shot[field] : sequenceId;
      if (updates[field] !== current) {
        throw new ServiceError(
          ErrorCode.INVALID_UPDATE,
          `expected ${field} to stay ${JSON.stringify(current)}, found ${JSON.stringify(updates[field])}. Moving a shot ` +
            "to another sequence is not an update; use 'seqcheck migrate' or edit both files.",
          { file, pointer: `${pointer}/${field}` },
        );
      }
    }
    // defineProperty throughout: a "__proto__" key is data here, never the prototype.
    const put = (obj, key, value) => Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
    const keys = orderedKeys(shot);
    const merged = {};
    for (const key of keys) put(merged, key, shot[key]);
    for (const key of orderedKeys(updates)) {
      if (!Object.prototype.hasOwnProperty.call(merged, key)) keys.push(key);
      put(merged, key, cloneJson(updates[key]));
    }
    return setKeyOrder(merged, keys);
  }

  touchMetadata(doc) {
    const now = this.clock();
    if (!isPlainObject(doc.metadata)) {
      doc.metadata = { modified_at: now };
      return;
    }
    doc.metadata.modified_at = now;
    if (Object.prototype.hasOwnProperty.call(doc.metadata, 'updated_at')) doc.metadata.updated_at = now;
  }

  // -- sequence files --------------------------------------------------------------------------
  /** Shallow-merge `updates` into a shot of a sequence file and return the shot as stored. */
  async updateShotInSequence(projectPath, sequenceId, shotId, updates) {
    this.checkIds([['sequence id', sequenceId], ['shot id', shotId]]);
    checkUpdates(updates);
    const index = this.index(this.project(projectPath));
    for (let attempt = 0; attempt < 3; attempt++) {
      const file = this.locate(index, sequenceId);
      const shot = await this.withLock(file, () => {
        const doc = this.loadAt(index, sequenceId, file); // (re-)read under the lock
        return doc === null ? null : this.updateLoaded(file, doc, sequenceId, shotId, updates);
      });
      if (shot !== null) return shot;
    }
    throw this.moved(index, sequenceId);
  }

  /** The read-modify-write of updateShotInSequence on a freshly loaded `doc`. */
  updateLoaded(file, doc, sequenceId, shotId, updates) {
    const at = ProjectService.findShot(doc, shotId, file, `sequence ${JSON.stringify(sequenceId)}`);
    const shot = ProjectService.merge(doc.shots[at], updates, jsonPointer(['shots', at]), file, sequenceId);
    doc.shots[at] = shot;
    this.touchMetadata(doc);
    const err = schemaError(this.schemas, ErrorCode.SCHEMA_VIOLATION, 'sequence', doc, file, 'the updated sequence');
    if (err !== null) throw err;
    for (const [pointer, message] of membershipProblems(doc)) {
      throw new ServiceError(ErrorCode.SCHEMA_VIOLATION, message, { file, pointer });
    }
    this.writeFile(file, dumpBytes(doc));
    return cloneJson(shot);
  }

  /** The shots of sequence `sequenceId` in file order (SEQUENCE_NOT_FOUND when there is none). */
  async getShotsFromSequence(projectPath, sequenceId) {
    this.checkIds([['sequence id', sequenceId]]);
    const index = this.index(this.project(projectPath));
    return this.loadLocated(index, sequenceId)[1].shots;
  }

  /** Every sequence, sorted by order (missing last) then id; no sequences/ folder means []. */
  async getAllSequences(projectPath) {
    const index = this.index(this.project(projectPath));
    index.refresh();
    index.raiseEscapes(); // SEQ-ID-5: a link out of the project fails the call before any read
    const seen = new Map();
    const sequences = [];
    for (const name of index.names()) {
      const file = path.join(index.folder, name);
      let doc;
      try {
        doc = loadSequenceFile(this.schemas, file);
      } catch (err) {
        if (err.code === 'ENOENT') continue; // removed since the listing
        throw err;
      }
      if (seen.has(doc.id)) {
        this.duplicateFound(doc.id, seen.get(doc.id), name, file);
        continue;
      }
      seen.set(doc.id, name);
      sequences.push(doc);
    }
    const hasOrder = (d) => Object.prototype.hasOwnProperty.call(d, 'order');
    return sequences.sort((a, b) => {
      if (hasOrder(a) !== hasOrder(b)) return hasOrder(a) ? -1 : 1;
      const byOrder = hasOrder(a) ? compareJsonNumbers(a.order, b.order) : 0;
      return byOrder !== 0 ? byOrder : compareCodePoints(a.id, b.id);
    });
  }

  // -- legacy project.json -----------------------------------------------------------------------
  projectJson(projectPath) {
    const file = path.join(this.project(projectPath), PROJECT_FILE);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw new ServiceError(ErrorCode.PROJECT_NOT_FOUND, 'expected project.json at the project root, found none.', { file });
    }
    return file;
  }

  /** The legacy path: shallow-merge into every copy of the shot in project.json; return the first. */
  async updateShot(projectPath, shotId, updates) {
    this.checkIds([['shot id', shotId]]);
    checkUpdates(updates);
    const file = this.projectJson(projectPath);
    return this.withLock(file, () => this.updateLegacyLoaded(file, shotId, updates));
  }

  /** The read-modify-write of updateShot, reading project.json afresh. */
  updateLegacyLoaded(file, shotId, updates) {
    let doc;
    try {
      doc = loadProjectFile(this.schemas, file);
    } catch (err) {
      if (err.code === 'ENOENT') throw new ServiceError(ErrorCode.PROJECT_NOT_FOUND, 'project.json disappeared.', { file });
      throw err;
    }
    let result = null;
    for (const array of LEGACY_ARRAYS) {
      const shots = doc[array];
      if (!Array.isArray(shots)) continue;
      shots.forEach((shot, i) => {
        if (!isPlainObject(shot) || shot.id !== shotId) return;
        shots[i] = ProjectService.merge(shot, updates, jsonPointer([array, i]), file, shotSequenceId(shot));
        result ??= shots[i];
      });
    }
    if (result === null) {
      throw new ServiceError(
        ErrorCode.SHOT_NOT_FOUND,
        `expected a shot with id ${JSON.stringify(shotId)} in project.json 'shots' or 'storyboard', found none.`,
        { file },
      );
    }
    const err = schemaError(this.schemas, ErrorCode.SCHEMA_VIOLATION, 'project', doc, file, 'the updated project.json');
    if (err !== null) throw err;
    this.writeFile(file, dumpBytes(doc));
    return cloneJson(result);
  }

  /**
   * The editor's save path without its silent fallback: a shot held by a sequence file is
   * updated there; a shot only in project.json is updated there when it names no sequence;
   * when it names one whose file is missing, corrupt or lacks it, that is the error and
   * nothing is written.
   */
  async saveShot(projectPath, shotId, updates) {
    this.checkIds([['shot id', shotId]]);
    checkUpdates(updates);
    const project = this.project(projectPath);
    const index = this.index(project);
    const holders = index.sequencesHolding(shotId);
    if (holders.length > 1) {
      throw new ServiceError(
        ErrorCode.CORRUPT_FILE,
        `expected shot id ${JSON.stringify(shotId)} to be unique in the project, found it in sequences ${holders.map((h) => JSON.stringify(h)).join(', ')}. Run 'seqcheck validate'.`,
        { file: index.folder },
      );
    }
    if (holders.length === 1) return this.updateShotInSequence(project, holders[0], shotId, updates);
    return this.saveLegacyShot(project, index, shotId, updates);
  }

  /** saveShot for a shot that no sequence file holds. */
  async saveLegacyShot(project, index, shotId, updates) {
    const file = path.join(project, PROJECT_FILE);
    if (fs.existsSync(file)) {
      let doc;
      try {
        doc = loadProjectFile(this.schemas, file);
      } catch (err) {
        if (err.code !== 'ENOENT') throw err;
        doc = {};
      }
      for (const array of LEGACY_ARRAYS) {
        for (const shot of Array.isArray(doc[array]) ? doc[array] : []) {
          if (!isPlainObject(shot) || shot.id !== shotId) continue;
          const named = shotSequenceId(shot);
          if (named === null) return this.updateShot(project, shotId, updates);
          checkId('sequence id', named);
          // Route to the sequence the shot names; a missing file or a file without the
          // shot is the caller's error, never a silent fallback.
          const seqFile = this.locate(index, named);
          throw new ServiceError(
            ErrorCode.SHOT_NOT_FOUND,
            `expected shot ${JSON.stringify(shotId)} in the file of sequence ${JSON.stringify(named)}, which the shot names, ` +
              "found it only in project.json (nothing was written). Run 'seqcheck migrate' to move legacy shots into their sequence files.",
            { file: seqFile, pointer: '/shots' },
          );
        }
      }
    }
    throw new ServiceError(
      ErrorCode.SHOT_NOT_FOUND,
      `expected shot ${JSON.stringify(shotId)} in a sequence file or in project.json, found it in neither.`,
      { file: project },
    );
  }
}

export default ProjectService;
