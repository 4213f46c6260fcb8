// Single defect: the correct example service (which takes no cross-process lock) declaring
// concurrent-writers anyway, as a service does that trusts Node's single thread to
// serialise writers: separate processes race their read-modify-write cycles.
import { ProjectService as Correct } from '../../../../examples/node-service/ProjectService.mjs';

export class ProjectService extends Correct {
  static seqcheckCapabilities = ['legacy-fallback', 'save-shot', 'concurrent-writers'];
}

export default ProjectService;
