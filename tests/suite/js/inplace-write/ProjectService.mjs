// Single defect: the correct example service, but every write rewrites the target in place
// (fs.writeFileSync: open with O_TRUNC, write, no temp file, no fsync, no rename).
import fs from 'node:fs';
import { ProjectService as Correct } from '../../../../examples/node-service/ProjectService.mjs';

export class ProjectService extends Correct {
  writeFile(file, bytes) {
    fs.writeFileSync(file, bytes);
  }
}

export default ProjectService;
