// Single defect: the correct example service, but ids are never checked, so "../x",
// "a/b", NUL or "C:\\x" are looked up like any other id instead of failing INVALID_ID.
import { ProjectService as Correct } from '../../../../examples/node-service/ProjectService.mjs';

export class ProjectService extends Correct {
  checkIds() {
    // no id checks
  }
}

export default ProjectService;
