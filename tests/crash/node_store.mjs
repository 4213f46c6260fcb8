// A minimal protocol v1 adapter with its own store, for the crash tools' tests:
//   node node_store.mjs atomic|inplace
// Multi-threaded on purpose: async fs calls keep libuv's thread pool busy while the
// update runs synchronously on the main thread, as in a real Node service.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import crypto from 'node:crypto';

const mode = process.argv[2] ?? 'atomic';

function locate(project, sequenceId) {
  const folder = path.join(project, 'sequences');
  for (const name of fs.readdirSync(folder).sort()) {
    if (!/^sequence_\d{3,}\.json$/.test(name)) continue;
    const file = path.join(folder, name);
    if (JSON.parse(fs.readFileSync(file, 'utf8')).id === sequenceId) return file;
  }
  throw Object.assign(new Error(`no sequence ${sequenceId}`), { seqcheck: 'SEQUENCE_NOT_FOUND' });
}

function writeAtomic(target, data) {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (error) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    try { fs.unlinkSync(tmp); } catch { /* never created */ }
    throw error;
  }
  const dir = fs.openSync(path.dirname(target), 'r');
  fs.fsyncSync(dir);
  fs.closeSync(dir);
}

function updateShot({ project, sequence_id: sequenceId, shot_id: shotId, updates }) {
  const file = locate(project, sequenceId);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const index = doc.shots.findIndex((s) => s.id === shotId);
  if (index < 0) throw Object.assign(new Error(`no shot ${shotId}`), { seqcheck: 'SHOT_NOT_FOUND' });
  doc.shots[index] = { ...doc.shots[index], ...updates };
  doc.metadata = { ...(doc.metadata ?? {}), modified_at: new Date().toISOString() };
  const data = JSON.stringify(doc, null, 2) + '\n';
  if (mode === 'inplace') fs.writeFileSync(file, data);
  else writeAtomic(file, data);
  return doc.shots[index];
}

const busy = setInterval(() => { fs.promises.stat('/').catch(() => {}); }, 1);
const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { id, op, args } = JSON.parse(line);
  try {
    if (op === 'hello') send({ id, ok: true, result: { name: `node-${mode}`, version: '1', protocol: 1, capabilities: [] } });
    else if (op === 'update_shot') send({ id, ok: true, result: updateShot(args) });
    else if (op === 'shutdown') { send({ id, ok: true, result: null }); break; }
    else send({ id, ok: false, error: { code: 'UNSUPPORTED', message: op } });
  } catch (error) {
    const code = error.seqcheck ?? (['ENOSPC', 'EIO', 'EACCES', 'EROFS'].includes(error.code) ? 'IO_ERROR' : 'INTERNAL_ERROR');
    send({ id, ok: false, error: { code, message: String(error.message) } });
  }
}
clearInterval(busy);
