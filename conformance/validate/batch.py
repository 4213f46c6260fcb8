"""Validating many projects, serially or on a process pool, with one result.

A parallel run returns the same reports in the same order as a serial one, and
fails the same way: when projects raise, the error of the first of them in input
order is raised, as a serial run would have raised it. Projects are independent
(each report reads only its own folder), so processes need no coordination.
"""

from __future__ import annotations

import itertools
import math
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import schema_registry
from conformance.errors import SeqcheckError
from conformance.limits import MAX_FINDINGS_PER_FILE
from conformance.validate.discovery import resolve_projects
from conformance.validate.engine import validate_project
from conformance.validate.report import ValidationReport

#: Tasks per worker process in a parallel batch.
_CHUNKS_PER_WORKER = 4

#: ``progress(done, total, project)`` called after each project of a batch.
Progress = Callable[[int, int, Path], None]


def default_jobs() -> int:
    """The number of CPU cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def _ignore_sigint() -> None:
    # Ctrl-C goes to the whole process group; the parent alone reports and exits,
    # instead of every worker printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass(frozen=True)
class _Failed:
    """A SeqcheckError crossing the process boundary as data: its constructor's
    keyword-only arguments make the exception itself unpicklable, and an error that
    cannot be unpickled breaks the whole pool instead of failing one project."""

    error: dict[str, Any]


def _validate_in_worker(project: Path, limit: int | None) -> ValidationReport | _Failed:
    try:
        return validate_project(project, max_findings_per_file=limit)
    except SeqcheckError as exc:
        return _Failed(exc.to_dict())


def _unwrap(result: ValidationReport | _Failed) -> ValidationReport:
    if isinstance(result, _Failed):
        raise SeqcheckError.from_dict(result.error)
    return result


def _warm_caches() -> None:
    """Compile the schema validators once, here, before the workers fork: each worker
    would otherwise compile its own (about 0.3 s of CPU each, measured with
    bench_batch.py as a 37% CPU overhead of -j 2 over -j 1)."""
    for name in (schema_registry.PROJECT, schema_registry.SEQUENCE, schema_registry.SHOT):
        schema_registry.fast_validator(name)
        schema_registry.detailed_validator(name)


def validate_many(
    projects: Sequence[Path],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    max_findings_per_file: int | None = MAX_FINDINGS_PER_FILE,
) -> list[ValidationReport]:
    """One report per project folder of ``projects``, in order, using up to ``jobs``
    processes (1: this process only): several projects go one per process; a single
    project shares its sequence files out when it is big enough (see
    :func:`conformance.validate.engine.validate_project`). ``progress`` is called in
    this process, in input order, as results arrive. ``max_findings_per_file``: see
    :func:`conformance.validate.engine.validate_project` (``None`` lists every finding)."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    total = len(projects)
    if jobs == 1 or total <= 1:
        reports = []
        for done, project in enumerate(projects, 1):
            # One project: its files may be checked on the jobs (engine._checked_files).
            reports.append(
                validate_project(project, max_findings_per_file=max_findings_per_file, jobs=jobs)
            )
            if progress is not None:
                progress(done, total, project)
        return reports
    # Imported here: multiprocessing costs ~50 ms of start-up that a one-process
    # run (every single-project `seqcheck validate`) never needs.
    from concurrent.futures import ProcessPoolExecutor

    _warm_caches()
    workers = min(jobs, total)
    # A few chunks per worker: one task per project cost ~10% more CPU in IPC (bench_batch),
    # while one chunk per worker would leave a worker idle behind a slow chunk.
    chunk = max(1, math.ceil(total / (workers * _CHUNKS_PER_WORKER)))
    reports = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint) as pool:
        try:
            # map yields in input order, so the first failure met is the one a serial
            # run would have raised.
            results = pool.map(
                _validate_in_worker, projects, itertools.repeat(max_findings_per_file),
                chunksize=chunk,
            )
            for done, result in enumerate(results, 1):
                reports.append(_unwrap(result))
                if progress is not None:
                    progress(done, total, projects[done - 1])
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return reports


def validate_projects(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    recursive: bool = False,
    jobs: int = 1,
    progress: Progress | None = None,
    max_findings_per_file: int | None = MAX_FINDINGS_PER_FILE,
) -> list[ValidationReport]:
    """Validate many projects: one :class:`ValidationReport` per project, in order.

    Each path is a project folder, a file inside one (its project is validated),
    or, with ``recursive``, a folder searched for projects. Every path is resolved
    first, so a path that is not a project raises ``PROJECT_NOT_FOUND`` before any
    work is done. ``jobs`` > 1 validates on that many processes with the same
    result; ``progress(done, total, project)`` is called after each project.
    """
    if isinstance(paths, (str, os.PathLike)):  # one path, not an iterable of characters
        paths = [paths]
    projects = resolve_projects(paths, recursive=recursive)
    return validate_many(
        projects, jobs=jobs, progress=progress, max_findings_per_file=max_findings_per_file
    )
