"""Running one migrate operation over many projects, with a summary table.

Continue-on-error by default: a failing project becomes a ``failed`` row with its
reason and the next project runs; ``fail_fast`` stops at the first failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.errors import ErrorCode, SeqcheckError
from conformance.exit_codes import ExitCode
from conformance.layout import PROJECT_FILE
from conformance.validate.discovery import find_projects
from migrate import project_files
from migrate.errors import exit_code_for

MIGRATED = "migrated"
ALREADY_MIGRATED = "already migrated"
NOTHING_TO_DO = "nothing to do"
FAILED = "failed"


@dataclass(frozen=True)
class BatchRow:
    """One project's outcome: a status from this module, a detail and its exit code."""

    project: Path
    status: str
    detail: str
    exit_code: int
    #: The error object (``SeqcheckError.to_dict()``) of a failed project.
    error: dict[str, Any] | None = None


#: One project's operation; raises SeqcheckError on failure.
Operation = Callable[[Path], BatchRow]


def discover(paths: Iterable[str | os.PathLike[str]], *, recursive: bool) -> list[Path]:
    """The project folders to process: the paths themselves, or every folder holding
    project.json below them with ``recursive`` (hidden folders skipped)."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if recursive and path.is_dir() and not project_files.exists(path, PROJECT_FILE):
            found = find_projects(path)
            if not found:
                raise SeqcheckError(
                    ErrorCode.PROJECT_NOT_FOUND,
                    f"expected at least one folder holding {PROJECT_FILE} under it, found "
                    "none.",
                    file=path,
                )
            out.extend(p for p in found if p not in out)
        elif recursive and path.is_dir():
            out.extend(p for p in find_projects(path) if p not in out)
        elif path not in out:
            out.append(path)
    return out


def run_one(operation: Operation, project: Path) -> BatchRow:
    """``operation(project)`` as a row; a failure becomes a ``failed`` row."""
    try:
        return operation(project)
    except SeqcheckError as exc:
        return BatchRow(project, FAILED, str(exc), int(exit_code_for(exc)), exc.to_dict())
    except OSError as exc:
        return BatchRow(project, FAILED, f"IO_ERROR: {exc}", int(ExitCode.ERROR),
                        {"code": "IO_ERROR", "message": str(exc)})


def run_batch(
    projects: list[Path],
    operation: Operation,
    *,
    fail_fast: bool = False,
    progress: Callable[[Path], None] | None = None,
    jobs: int = 1,
) -> list[BatchRow]:
    """Apply ``operation`` to each project; return one row per project run, in the
    order of ``projects``.

    With ``jobs`` > 1 the projects run in that many worker processes (each project in
    one process, so a project's own locks and journal work as in a serial run); the
    rows, and so the output and exit status, are those of a serial run. ``fail_fast``
    needs the serial order (a worker may already have changed a later project), so it
    is refused with ``jobs`` > 1. ``operation`` must be picklable.
    """
    if jobs > 1 and fail_fast:
        raise ValueError("fail_fast needs jobs=1: parallel workers run ahead")
    if jobs > 1 and len(projects) > 1:
        return _run_parallel(projects, operation, jobs, progress)
    rows = []
    for project in projects:
        row = run_one(operation, project)
        rows.append(row)
        if progress is not None:
            progress(project)
        if fail_fast and row.exit_code != ExitCode.OK:
            break
    return rows


def _run_parallel(projects: list[Path], operation: Operation, jobs: int,
                  progress: Callable[[Path], None] | None) -> list[BatchRow]:
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(projects)))
    try:
        futures = [pool.submit(run_one, operation, project) for project in projects]
        rows = []
        for project, future in zip(projects, futures, strict=True):
            rows.append(future.result())
            if progress is not None:
                progress(project)
    except BaseException:
        # Ctrl-C or a crashed worker: start nothing more; the projects already running
        # finish or stop as a killed serial run would (the same command resumes them).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return rows


def batch_exit_code(rows: list[BatchRow]) -> int:
    """The process exit code for a batch: the worst row's (4 > 3 > 2 > 1 > 0)."""
    return max((row.exit_code for row in rows), default=int(ExitCode.OK))


def summary_table(rows: list[BatchRow]) -> str:
    """A plain-text table: project, status, detail; then the count per status."""
    width = max((len(str(r.project)) for r in rows), default=7)
    width = max(width, len("project"))
    lines = [f"{'project':<{width}}  {'status':<16}  detail"]
    lines += [f"{r.project!s:<{width}}  {r.status:<16}  {r.detail}" for r in rows]
    counts = {s: sum(1 for r in rows if r.status == s)
              for s in (MIGRATED, ALREADY_MIGRATED, NOTHING_TO_DO, FAILED)}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()))
    return "\n".join(lines)
