// Single defect: the correct example service, but saveShot silently falls back to the
// legacy project.json update whenever the sequence route fails (missing or corrupt
// sequence file, shot missing from it), as the app's editor store does.
import { ProjectService as Correct } from '../../../../examples/node-service/ProjectService.mjs';

export class ProjectService extends Correct {
  async saveShot(projectPath, shotId, updates) {
    try {
      return await super.saveShot(projectPath, shotId, updates);
    } catch (error) {
      console.warn(`save via the sequence file failed (${error.code}); falling back to project.json`);
      return this.updateShot(projectPath, shotId, updates);
    }
  }
}

export default ProjectService;
