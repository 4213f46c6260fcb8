// Finding a sequence file by the id inside it without parsing every file on each call
// (SEQ-SCALE-1), as conformance/reference/index.py does: remember each file's identity
// (inode, size, mtime) with the id and shot ids read from it; a lookup lists the folder,
// stats each file and re-reads only files that changed. The located file is re-read
// strictly by the service before any write, so a stale entry costs a rescan, never a
// wrong write.

import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, ServiceError } from './errors.mjs';
import { idProblem } from './ids.mjs';
import { parseBytes } from './strictJson.mjs';

/** A sequence file name: sequence_ + at least three digits + .json (spec SEQ-LAYOUT-1). */
export const SEQUENCE_FILE_RE = /^sequence_(\d{3,})\.json$/;

// The reference index uses (inode, size, mtime); ctime is added because tools that copy
// files keep their mtime (cp -p, shutil.copy2) and a freed inode is soon reused, so a
// restored copy could otherwise look unchanged. Nothing can set ctime back.
function signature(st) {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true }); // also drops one leading BOM

/** The first value JSON.parse let through that a strict reader refuses, or null. */
function unreadableValue(doc) {
  const stack = [doc];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'number' && !Number.isFinite(item)) return 'a number too large for a double';
    if (typeof item === 'string' && !item.isWellFormed()) return 'a string with an unpaired surrogate';
    if (item !== null && typeof item === 'object') {
      for (const key of Object.keys(item)) {
        if (!key.isWellFormed()) return 'a key with an unpaired surrogate';
        stack.push(item[key]);
      }
    }
  }
  return null;
}

// A quick look for the id (the strict parse happens before the file is used). It refuses
// what the reference index's parser refuses (bad UTF-8, lone surrogates, infinities), so
// both agree on which files can be identified; duplicate keys are left to the strict parse.
// When it refuses, the strict parser is asked for the precise message and location.
function quickParse(bytes, file) {
  let doc;
  try {
    doc = JSON.parse(utf8.decode(bytes));
    if (unreadableValue(doc) === null) return { doc };
  } catch {
    // fall through to the strict parser
  }
  try {
    return { doc: parseBytes(bytes, file) };
  } catch (err) {
    return { problem: `it cannot be read: ${err.message.replace(/\.$/, '')}`, pointer: err.pointer ?? '' };
  }
}

function readEntry(file, sig) {
  const entry = (sequenceId, shotIds, problem, problemCode = ErrorCode.CORRUPT_FILE) => ({ sig, sequenceId, shotIds, problem, problemCode });
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err.code === 'EISDIR') return entry(null, new Set(), 'it is a folder, not a file');
    return entry(null, new Set(), `could not read it: ${err.message}`, ErrorCode.IO_ERROR);
  }
  const parsed = quickParse(bytes, file);
  if (parsed.problem !== undefined) return { ...entry(null, new Set(), parsed.problem), pointer: parsed.pointer };
  const doc = parsed.doc;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return entry(null, new Set(), 'it does not hold a JSON object');
  if (doc.id === undefined || doc.id === null) {
    return entry(null, new Set(), "it has no sequence 'id' (run 'seqcheck migrate --repair' on projects made by the app's New Project dialog)");
  }
  const problem = idProblem(doc.id);
  if (problem !== null) return entry(null, new Set(), `its 'id' is not a valid identifier: ${problem}`);
  const shots = Array.isArray(doc.shots) ? doc.shots : [];
  const shotIds = new Set(shots.filter((s) => s && typeof s === 'object' && typeof s.id === 'string').map((s) => s.id));
  return entry(doc.id, shotIds, null);
}

/** Whether `p` is a symbolic link resolving outside `project` (SEQ-ID-5: never followed). */
function linksOut(project, p) {
  try {
    if (!fs.lstatSync(p).isSymbolicLink()) return false;
    const root = fs.realpathSync(project);
    const real = fs.realpathSync(p);
    return real !== root && !real.startsWith(root + path.sep);
  } catch {
    return false; // missing or dangling: reading it fails on its own
  }
}

const LINK_OUT =
  'it is a symbolic link to a file outside the project, and nothing outside the project ' +
  'folder is ever read. Replace the link with a copy of the file';

/** Sequence id -> file name for one sequences/ folder, kept fresh by stat. */
export class SequenceIndex {
  constructor(folder) {
    this.folder = folder;
    this.entries = new Map();
  }

  /** Bring the index up to date with the folder (re-read changed files only). */
  refresh(force = false) {
    if (force) this.entries.clear();
    const project = path.dirname(this.folder);
    if (linksOut(project, this.folder)) {
      throw new ServiceError(
        ErrorCode.CORRUPT_FILE,
        "expected 'sequences' to be a folder inside the project, found a link to a folder outside " +
          'it; nothing outside the project is ever read. Replace the link with the folder itself.',
        { file: this.folder },
      );
    }
    let names;
    try {
      names = fs.readdirSync(this.folder);
    } catch (err) {
      if (err.code === 'ENOENT') {
        this.entries.clear();
        return;
      }
      if (err.code === 'ENOTDIR') {
        throw new ServiceError(ErrorCode.CORRUPT_FILE, "expected 'sequences' to be a folder, found a file.", { file: this.folder });
      }
      throw new ServiceError(ErrorCode.IO_ERROR, `could not list the sequences folder: ${err.message}.`, { file: this.folder });
    }
    const fresh = new Map();
    for (const name of names) {
      if (!SEQUENCE_FILE_RE.test(name)) continue;
      const file = path.join(this.folder, name);
      if (linksOut(project, file)) {
        fresh.set(name, { sig: null, sequenceId: null, shotIds: new Set(), problem: LINK_OUT,
          problemCode: ErrorCode.CORRUPT_FILE, escapes: true });
        continue;
      }
      let st;
      try {
        st = fs.statSync(file, { bigint: true });
      } catch (err) {
        if (err.code === 'ENOENT') continue; // removed between listing and stat
        throw new ServiceError(
          ErrorCode.IO_ERROR,
          `could not inspect the sequence file: ${err.message}. Check its permissions and those of the sequences folder.`,
          { file },
        );
      }
      const sig = signature(st);
      const old = this.entries.get(name);
      fresh.set(name, old !== undefined && old.sig === sig ? old : readEntry(file, sig));
    }
    this.entries = fresh;
  }

  raiseProblems() {
    for (const name of this.names()) {
      const entry = this.entries.get(name);
      if (entry.problem !== null) {
        throw new ServiceError(
          entry.problemCode,
          `expected every sequence file to name its sequence, but ${entry.problem}. Until it is fixed no ` +
            'sequence can be looked up safely (it could be a duplicate of any of them).',
          { file: path.join(this.folder, name), pointer: entry.pointer ?? '' },
        );
      }
    }
  }

  /** CORRUPT_FILE for the first sequence file linking out of the project (before any read). */
  raiseEscapes() {
    for (const name of this.names()) {
      if (this.entries.get(name).escapes) {
        throw new ServiceError(ErrorCode.CORRUPT_FILE, `expected a sequence file, but ${LINK_OUT}.`, {
          file: path.join(this.folder, name),
        });
      }
    }
  }

  /** Sequence file names seen by the last refresh, sorted. */
  names() {
    return [...this.entries.keys()].sort();
  }

  namesFor(sequenceId) {
    return this.names().filter((n) => this.entries.get(n).sequenceId === sequenceId);
  }

  /** The file holding `sequenceId`; SEQUENCE_NOT_FOUND, DUPLICATE_SEQUENCE_ID or CORRUPT_FILE otherwise. */
  locate(sequenceId) {
    this.refresh();
    let names = this.namesFor(sequenceId);
    if (names.length === 0) {
      // Stat signatures can miss an in-place rewrite within one timestamp tick; make sure.
      this.refresh(true);
      names = this.namesFor(sequenceId);
    }
    this.raiseProblems();
    if (names.length > 1) {
      throw new ServiceError(
        ErrorCode.DUPLICATE_SEQUENCE_ID,
        `expected one file with sequence id ${JSON.stringify(sequenceId)}, found ${names.length}: ${names.join(', ')}. ` +
          'Merge or renumber them; never guess which one is meant.',
        { file: path.join(this.folder, names[1]), pointer: '/id' },
      );
    }
    if (names.length === 0) {
      throw new ServiceError(
        ErrorCode.SEQUENCE_NOT_FOUND,
        `expected a file in sequences/ whose id is ${JSON.stringify(sequenceId)}, found none among ${this.entries.size} sequence file(s).`,
        { file: this.folder },
      );
    }
    return path.join(this.folder, names[0]);
  }

  /** Sequence ids of the files that hold a shot with `shotId`. */
  sequencesHolding(shotId) {
    this.refresh();
    this.raiseProblems();
    return [...this.entries.values()].filter((e) => e.sequenceId !== null && e.shotIds.has(shotId)).map((e) => e.sequenceId).sort();
  }

  /** Drop `name` so the next lookup re-reads it. */
  forget(name) {
    this.entries.delete(name);
  }
}
