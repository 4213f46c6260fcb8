// Single defect: the correct example service, but when two sequence files carry the same
// id the first file (by name) wins everywhere instead of DUPLICATE_SEQUENCE_ID: lookups
// use it and getAllSequences silently drops the later ones.
import path from 'node:path';
import { ProjectService as Correct } from '../../../../examples/node-service/ProjectService.mjs';

export class ProjectService extends Correct {
  locate(index, sequenceId) {
    index.refresh();
    const names = index.namesFor(sequenceId);
    if (names.length <= 1) return super.locate(index, sequenceId); // unchanged unless duplicated
    index.raiseProblems();
    return path.join(index.folder, names[0]);
  }

  duplicateFound() {
    // the later file is skipped silently
  }
}

export default ProjectService;
