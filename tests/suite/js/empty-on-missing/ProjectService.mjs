// Single defect: the correct example service, but getShotsFromSequence answers [] when
// the sequence (or the whole sequences/ folder) does not exist, instead of SEQUENCE_NOT_FOUND.
import { ProjectService as Correct } from '../../../../examples/node-service/ProjectService.mjs';

export class ProjectService extends Correct {
  async getShotsFromSequence(projectPath, sequenceId) {
    try {
      return await super.getShotsFromSequence(projectPath, sequenceId);
    } catch (error) {
      if (error.code === 'SEQUENCE_NOT_FOUND') return [];
      throw error;
    }
  }
}

export default ProjectService;
