"""Listing and pruning a project's migration runs (``seqcheck migrate --history/--prune``).

The history lists every numbered folder in ``.seqcheck/runs``: a run with its
validated records (number, time, status, files touched), a damaged one with the
reason (its records failed validation), or a folder that is not seqcheck's (no
manifest). Pruning deletes finished runs only - done, rolled back, or a setup that
never touched the project - never one in progress (it is needed to resume or roll
back), never a damaged or foreign folder (nothing proves it is ours), and only
through :func:`migrate.project_files.delete_folder` (links never followed, the
manifest required). Pruning a done run means it can no longer be rolled back;
``keep`` keeps the newest finished runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from conformance.atomic import LOCK_TIMEOUT_SECONDS
from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import PROJECT_FILE
from migrate import project_files, runs
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.run_records import sidecar_of
from migrate.sidecars import remove_created_sidecars
from migrate.snapshot import project_root


class EntryStatus(str, Enum):
    """What a folder in ``.seqcheck/runs`` is."""

    SETUP = runs.RunStatus.SETUP.value
    IN_PROGRESS = runs.RunStatus.IN_PROGRESS.value
    DONE = runs.RunStatus.DONE.value
    ROLLED_BACK = runs.RunStatus.ROLLED_BACK.value
    #: Its records failed validation (see ``problem``).
    DAMAGED = "damaged"
    #: A numbered folder without a manifest: not seqcheck's, left alone.
    FOREIGN = "not-seqcheck"

    def __str__(self) -> str:
        return self.value


#: Statuses a prune may delete.
FINISHED = (EntryStatus.SETUP, EntryStatus.DONE, EntryStatus.ROLLED_BACK)


@dataclass(frozen=True)
class HistoryEntry:
    """One folder of ``.seqcheck/runs``."""

    number: int
    status: EntryStatus
    migrated_at: str | None = None
    rolled_back_at: str | None = None
    tool_version: str | None = None
    files: tuple[str, ...] = ()
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (schemas/migration-output.schema.json, ``history``)."""
        return {"run": self.number, "status": self.status.value,
                "migrated_at": self.migrated_at, "rolled_back_at": self.rolled_back_at,
                "tool_version": self.tool_version, "files": list(self.files),
                "problem": self.problem}


def _entry(root: Path, number: int) -> HistoryEntry:
    try:
        run = runs.load_run(root, number)
    except MigrateError as exc:
        return HistoryEntry(number, EntryStatus.DAMAGED, problem=str(exc))
    if run is None:
        return HistoryEntry(number, EntryStatus.FOREIGN,
                            problem="no manifest.json: not a seqcheck run; left alone")
    return HistoryEntry(
        number, EntryStatus(run.status.value), run.migrated_at,
        run.rollback_doc["rolled_back_at"] if run.rollback_doc is not None else None,
        run.manifest["tool_version"], tuple(s["path"] for s in run.steps))


def history(project: str | os.PathLike[str]) -> list[HistoryEntry]:
    """Every folder of ``project``'s ``.seqcheck/runs``, oldest first; never writes."""
    root = project_root(project)
    return [_entry(root, n) for n in runs.run_numbers(root)]


@dataclass
class PruneResult:
    """What :func:`prune` deleted and kept (run numbers)."""

    project: Path
    deleted: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)


def _refuse(root: Path, message: str) -> MigrateError:
    return MigrateError(MigrateCode.NOT_PRUNABLE, ErrorCode.INVALID_UPDATE,
                        f"{message} Nothing was deleted.", file=root / runs.RUNS_REL)


def _choose(root: Path, entries: list[HistoryEntry], keep: int | None,
            numbers: Iterable[int] | None) -> list[int]:
    finished = [e.number for e in entries if e.status in FINISHED]
    if numbers is None:
        if keep is None or keep < 0:
            raise _refuse(root, f"expected a keep count of 0 or more, found {quote(keep)}.")
        return finished[: max(len(finished) - keep, 0)]
    by_number = {e.number: e for e in entries}
    chosen = sorted(set(numbers))
    for number in chosen:
        entry = by_number.get(number)
        if entry is None:
            raise _refuse(root, f"expected run {number} in .seqcheck/runs, found none "
                          f"(runs: {quote(sorted(by_number))}).")
        if entry.status not in FINISHED:
            raise _refuse(root, f"run {number} is {entry.status}: only finished runs (done, "
                          "rolled back, interrupted setup) are pruned; an in-progress run "
                          "is needed to resume or roll back, and a damaged or foreign "
                          "folder is not provably seqcheck's.")
    return chosen


def prune(project: str | os.PathLike[str], *, keep: int | None = None,
          numbers: Iterable[int] | None = None,
          lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> PruneResult:
    """Delete finished runs of ``project``: all but the newest ``keep``, or exactly the
    runs ``numbers``. Raises ``MIGRATE_NOT_PRUNABLE`` (nothing deleted) for an unknown,
    in-progress, damaged or foreign run named in ``numbers``. With nothing to delete,
    nothing is touched (not even a lock sidecar)."""
    root = project_root(project)
    numbers = None if numbers is None else list(numbers)
    if not _choose(root, history(root), keep, numbers):
        return PruneResult(root, [], [e.number for e in history(root)])
    result = PruneResult(root)
    ours = [] if project_files.exists(root, sidecar_of(PROJECT_FILE)) \
        else [sidecar_of(PROJECT_FILE)]
    # Under project.json's lock, as every migrate: no run is created meanwhile.
    with project_files.lock(root, PROJECT_FILE, lock_timeout):
        entries = history(root)
        for number in _choose(root, entries, keep, numbers):
            run = runs.load_run(root, number)
            if run is None:  # pragma: no cover - checked by _choose under the lock
                continue
            try:
                runs.delete_run(root, run)
            except SeqcheckError as exc:
                raise SeqcheckError(exc.code, f"{exc.message} Deleted before it: runs "
                                    f"{quote(result.deleted)}.", file=exc.file) from exc
            result.deleted.append(number)
        result.kept = [e.number for e in entries if e.number not in result.deleted]
        runs.discard_seqcheck_dir(root)
        # Pruning leaves only less: the sidecar its own lock created goes too.
        remove_created_sidecars(root, ours, lock_timeout, held={PROJECT_FILE})
    return result
