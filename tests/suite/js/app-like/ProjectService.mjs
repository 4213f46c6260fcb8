// A faithful reproduction of StoryCore's electron/ProjectService.ts sequence persistence as
// ../../../../../shared/storycore-notes.md describes it ("What the app's persistence code
// does today"), in plain JavaScript. It is DELIBERATELY WRONG: the conformance suite must
// fail it on many requirements. Do not copy it; examples/node-service is the correct one.

import fs from 'node:fs';
import path from 'node:path';

function sequencesDir(projectPath) {
  return path.join(path.resolve(projectPath), 'sequences');
}

function jsonFiles(dir) {
  // Every *.json, stray backups and copies included.
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
}

export class ProjectService {
  // Lists every *.json, parses each until one has the id (no index), shallow-merges,
  // sets metadata.updated_at and rewrites the file in place with a plain synchronous
  // write: no temp file, no fsync, no lock. Ids are never checked. Returns nothing.
  async updateShotInSequence(projectPath, sequenceId, shotId, updates) {
    const dir = sequencesDir(projectPath);
    for (const file of jsonFiles(dir)) {
      const filePath = path.join(dir, file);
      let sequence;
      try {
        sequence = JSON.parse(fs.readFileSync(filePath, 'utf-8'));
      } catch (error) {
        console.warn(`Failed to read sequence file ${file}:`, error.message);
        continue;
      }
      if (sequence.id !== sequenceId) continue;
      const shotIndex = sequence.shots.findIndex((s) => s.id === shotId);
      if (shotIndex === -1) throw new Error(`Shot ${shotId} not found in sequence ${sequenceId}`);
      sequence.shots[shotIndex] = { ...sequence.shots[shotIndex], ...updates };
      sequence.metadata = { ...sequence.metadata, updated_at: new Date().toISOString() };
      fs.writeFileSync(filePath, JSON.stringify(sequence, null, 2));
      return;
    }
    throw new Error(`Sequence ${sequenceId} not found`);
  }

  // [] when the folder or the sequence is missing, and [] on any error.
  async getShotsFromSequence(projectPath, sequenceId) {
    try {
      const dir = sequencesDir(projectPath);
      if (!fs.existsSync(dir)) return [];
      for (const file of jsonFiles(dir)) {
        let sequence;
        try {
          sequence = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8'));
        } catch (error) {
          console.warn(`Failed to read sequence file ${file}:`, error.message);
          continue;
        }
        if (sequence.id === sequenceId) return sequence.shots || [];
      }
      return [];
    } catch (error) {
      console.error('Failed to get shots from sequence:', error.message);
      return [];
    }
  }

  // Parses every *.json (stray backups included), skips corrupt ones silently,
  // sorts by order with a missing order counting as 0.
  async getAllSequences(projectPath) {
    try {
      const dir = sequencesDir(projectPath);
      if (!fs.existsSync(dir)) return [];
      const sequences = [];
      for (const file of jsonFiles(dir)) {
        try {
          sequences.push(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8')));
        } catch {
          // skipped silently
        }
      }
      return sequences.sort((a, b) => (a.order || 0) - (b.order || 0));
    } catch (error) {
      console.error('Failed to get sequences:', error.message);
      return [];
    }
  }

  // The legacy path: project.json read (BOM stripped, as the app does for project.json),
  // shots converted into `storyboard` in memory when only `shots` exists, the shot merged,
  // and the whole file rewritten in place without a temp file.
  async updateShot(projectPath, shotId, updates) {
    const file = path.join(path.resolve(projectPath), 'project.json');
    let text = fs.readFileSync(file, 'utf-8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const project = JSON.parse(text);
    if (!Array.isArray(project.storyboard)) {
      project.storyboard = Array.isArray(project.shots) ? project.shots.map((shot) => ({ ...shot })) : [];
    }
    const index = project.storyboard.findIndex((s) => s.id === shotId);
    if (index === -1) throw new Error(`Shot ${shotId} not found`);
    project.storyboard[index] = { ...project.storyboard[index], ...updates };
    project.modified_at = new Date().toISOString();
    fs.writeFileSync(file, JSON.stringify(project, null, 2));
  }

  // The editor's save path: a shot with sequencePlanId goes to the sequence API and, if
  // that fails for any reason, silently falls back to project.json; other shots always
  // go to project.json.
  async saveShot(projectPath, shotId, updates) {
    let sequencePlanId;
    for (const sequence of await this.getAllSequences(projectPath)) {
      const shot = (sequence.shots || []).find((s) => s.id === shotId);
      if (shot) {
        sequencePlanId = shot.sequencePlanId;
        break;
      }
    }
    if (sequencePlanId === undefined) {
      try {
        const project = JSON.parse(fs.readFileSync(path.join(path.resolve(projectPath), 'project.json'), 'utf-8').replace(/^\uFEFF/, ''));
        const shot = [...(project.shots || []), ...(project.storyboard || [])].find((s) => s.id === shotId);
        sequencePlanId = shot ? shot.sequencePlanId : undefined;
      } catch {
        sequencePlanId = undefined;
      }
    }
    if (sequencePlanId) {
      try {
        return await this.updateShotInSequence(projectPath, sequencePlanId, shotId, updates);
      } catch (error) {
        console.warn('Sequence update failed, falling back to project.json:', error.message);
      }
    }
    return this.updateShot(projectPath, shotId, updates);
  }
}

export default ProjectService;
