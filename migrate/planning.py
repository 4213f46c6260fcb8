"""``migrate.plan``: what a migration of a project would do, read-only."""

from __future__ import annotations

import os

from migrate import runs
from migrate.clock import migration_time
from migrate.errors import quote
from migrate.model import Options, Plan
from migrate.planner import make_plan
from migrate.snapshot import project_root, read_snapshot


def plan(project: str | os.PathLike[str], options: Options | None = None, *,
         now: str | None = None) -> Plan:
    """The plan for migrating ``project`` with ``options``; nothing on disk changes.

    When an interrupted migration exists, the plan is the one the same command would
    resume (re-planned from the run's backup, with the run's time), with a note saying
    how far it got. A born-broken project is planned as if ``repair`` were given, so
    the split shows; without ``repair`` such a plan is :attr:`~Plan.blocked`.
    """
    options = options or Options()
    root = project_root(project)
    run = runs.latest_run(root)
    if run is not None:
        progress = run.progress()
        if not progress.done:
            result = make_plan(read_snapshot(run.backup), root, options, run.migrated_at,
                               preview=True)
            result.notes.append(
                f"an interrupted migration (run {run.number}) completed {progress.completed} "
                f"of {progress.total} steps; applying resumes it with its recorded options "
                f"{quote(run.options.to_dict())}"
            )
            return result
    result = make_plan(read_snapshot(root), root, options, migration_time(now), preview=True)
    if result.needs_repair:
        result.notes.append("this project needs --repair: without it the migration stops "
                            "and changes nothing")
    return result
