"""The ``.seqcheck/`` folder of a project: one numbered run per migration; its time,
journal, history and pruning.

Layout (conformance/spec/migration.md, "The .seqcheck folder")::

    .seqcheck/runs/0001/manifest.json                  written first: hashes, options, steps
    .seqcheck/runs/0001/backup/project.json            originals, byte for byte
    .seqcheck/runs/0001/backup/sequences/sequence_001.json
    .seqcheck/runs/0001/journal.json                   written once the backup is complete
    .seqcheck/runs/0001/rollback.json                  audit record, once rolled back

The manifest marks a folder as seqcheck's own: only folders carrying one are ever
deleted. A run with a manifest but no journal is a setup interrupted before the first
project write; the next migration deletes it. A numbered folder without a manifest is
not seqcheck's; it is left alone and its number skipped. Every record is validated
(:mod:`migrate.records`) before use, and every access goes through
:mod:`migrate.project_files` (``.seqcheck`` or ``runs`` being a link is refused).

The migration timestamp (:func:`migration_time`) is injectable so that two runs can be
compared byte for byte.

The time goes into the migration record and the sequence files' metadata. A resumed
migration reuses the time its run recorded, so resuming never changes it; tests and
reproducible pipelines set :data:`NOW_ENV` (or pass ``now=``) to fix it up front.

The journal of a run (:func:`write_journal`): how many steps are durable on disk, and
the sidecars it created.

Protocol: step k's file is written atomically (fsynced, renamed, folder fsynced)
*before* the journal is rewritten, also atomically, to say ``completed = k``. So the
journal never claims a step the disk lacks. It is group-committed (rewritten at most
every ``apply.JOURNAL_INTERVAL`` seconds and after the last step), so it may lag
behind the disk; a resume redoes the lagging steps, and redoing a step finds its bytes
already in place (every step is idempotent). ``state`` becomes ``done`` after the last
step. The journal is first written once every backup is in place: a run folder
without one never touched the project. ``sidecars`` lists the lock sidecars the run
created, recorded *before* they are created (schemas/migration-run-journal.schema.json).

Listing and pruning a project's migration runs (:func:`history`, :func:`prune`;
``seqcheck migrate --history/--prune``).

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

import contextlib
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.atomic import LOCK_TIMEOUT_SECONDS
from conformance.clock import utc_now_iso
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR
from migrate import project_files
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.model import Options, Plan
from migrate.project_files import is_temp_name, remove_created_sidecars, sidecar_of
from migrate.records import (
    MANIFEST_FORMAT,
    RecordKind,
    bad_record,
    check_journal,
    check_manifest,
    check_rollback,
    parse_record,
)
from migrate.snapshot import project_root

#: Environment variable holding a fixed ISO 8601 UTC time, e.g. 2026-01-20T10:00:00.000Z.
NOW_ENV = "SEQCHECK_MIGRATE_NOW"


def check_timestamp(value: str) -> str:
    """Return ``value`` if it is an ISO 8601 date-time with a zone, else INVALID_UPDATE."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value:
        raise SeqcheckError(
            ErrorCode.INVALID_UPDATE,
            f"expected the migration time as an ISO 8601 date-time with a zone (like "
            f"2026-01-20T10:00:00.000Z), found {quote(value)}. Fix {NOW_ENV} or the now= "
            "argument.",
        )
    return value


def migration_time(now: str | None = None, env: Mapping[str, str] = os.environ) -> str:
    """``now`` if given, else ``$SEQCHECK_MIGRATE_NOW`` if set, else the current UTC time."""
    if now is not None:
        return check_timestamp(now)
    fixed = env.get(NOW_ENV)
    if fixed:
        return check_timestamp(fixed)
    return utc_now_iso()


JOURNAL = RecordKind.JOURNAL.file_name
JOURNAL_FORMAT = 1
IN_PROGRESS = "in-progress"
DONE = "done"


@dataclass
class Progress:
    """``completed`` of ``total`` steps are durable; ``done`` once all are;
    ``sidecars``: the lock sidecars (project-relative) this run created."""

    completed: int
    total: int
    done: bool
    sidecars: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Progress:
        """From a validated journal document."""
        return cls(doc["completed"], doc["total"], doc["state"] == DONE, list(doc["sidecars"]))

    def to_dict(self) -> dict[str, Any]:
        """The journal document."""
        return {"format": JOURNAL_FORMAT, "state": DONE if self.done else IN_PROGRESS,
                "completed": self.completed, "total": self.total,
                "sidecars": sorted(set(self.sidecars))}


def write_journal(root: Path, run_rel: str, progress: Progress) -> None:
    """Record ``progress`` durably in run folder ``run_rel`` of project ``root``."""
    project_files.write(root, f"{run_rel}/{JOURNAL}", dump_bytes(progress.to_dict()))


SEQCHECK_DIR = ".seqcheck"
RUNS_REL = f"{SEQCHECK_DIR}/runs"
MANIFEST = RecordKind.MANIFEST.file_name
ROLLBACK = RecordKind.ROLLBACK.file_name
BACKUP_DIR = "backup"
_RUN_NAME = re.compile(r"^[0-9]{4,8}\Z")

class RunStatus(str, Enum):
    """Where a run stands (``seqcheck migrate --history``)."""

    #: Manifest written, backup not complete: never touched the project.
    SETUP = "setup-interrupted"
    #: Writing the project (or killed while doing so): resume or roll back.
    IN_PROGRESS = "in-progress"
    #: Every step written.
    DONE = "done"
    #: Undone by ``--rollback`` (its audit record says what it restored).
    ROLLED_BACK = "rolled-back"

    def __str__(self) -> str:
        return self.value


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_or_none(data: bytes | None) -> str | None:
    """Hex SHA-256 of ``data``; ``None`` for no data (a file that is absent)."""
    return sha256(data) if data is not None else None


def runs_dir(project: Path) -> Path:
    """``PROJECT/.seqcheck/runs``."""
    return project / RUNS_REL


@dataclass
class Run:
    """One migration's records, validated."""

    root: Path
    number: int
    manifest: dict[str, Any]
    journal_doc: dict[str, Any] | None
    rollback_doc: dict[str, Any] | None = None

    @property
    def rel(self) -> str:
        """The run folder, project-relative."""
        return f"{RUNS_REL}/{self.number:04d}"

    @property
    def folder(self) -> Path:
        return self.root / self.rel

    @property
    def status(self) -> RunStatus:
        if self.rollback_doc is not None:
            return RunStatus.ROLLED_BACK
        if self.journal_doc is None:
            return RunStatus.SETUP
        return RunStatus.DONE if self.journal_doc["state"] == DONE \
            else RunStatus.IN_PROGRESS

    @property
    def options(self) -> Options:
        return Options.from_dict(self.manifest["options"])

    @property
    def migrated_at(self) -> str:
        return str(self.manifest["migrated_at"])

    @property
    def steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = self.manifest["steps"]
        return steps

    @property
    def backup_rel(self) -> str:
        return f"{self.rel}/{BACKUP_DIR}"

    @property
    def backup(self) -> Path:
        return self.root / self.backup_rel

    @property
    def created_dirs(self) -> list[str]:
        return list(self.manifest["created_dirs"])

    def progress(self) -> Progress:
        """The journal: how many steps are durable (a setup run has none)."""
        if self.journal_doc is None:
            return Progress(0, len(self.steps), False)
        return Progress.from_dict(self.journal_doc)

    def backup_bytes(self, rel: str) -> bytes:
        """The original bytes of ``rel``, checked against the manifest hash."""
        try:
            data = project_files.read(self.root, f"{self.backup_rel}/{rel}")
        except MigrateError:
            raise
        except SeqcheckError as exc:  # a link out, a FIFO, an unreadable file
            raise bad_record(f"the backup of {quote(rel)} cannot be used: "
                             f"{exc.message.rstrip('.')}", exc.file or self.backup / rel
                             ) from None
        if data is None:
            raise bad_record(f"the backup of {quote(rel)} is missing", self.backup / rel)
        if sha256(data) != self.manifest["inputs"][rel]["sha256"]:
            raise bad_record(f"the backup of {quote(rel)} does not match the hash in the "
                             "manifest", self.backup / rel)
        return data

    def check_backup(self) -> None:
        """Every backed-up input present, hash-checked, and nothing else in backup/."""
        for rel in self.manifest["inputs"]:
            self.backup_bytes(rel)
        listed = _backup_files(self.root, self.backup_rel)
        extra = sorted(set(listed) - set(self.manifest["inputs"]))
        if extra:
            raise bad_record(f"the backup folder holds files its manifest does not list: "
                             f"{quote(extra)}", self.backup)


def _backup_files(root: Path, backup_rel: str) -> list[str]:
    out = []
    for name in project_files.list_names(root, backup_rel) or []:
        rel = f"{backup_rel}/{name}"
        if project_files.is_dir(root, rel):
            out += [f"{name}/{sub}" for sub in _backup_files(root, rel)]
        else:
            out.append(name)
    return out


def _load(root: Path, number: int, kind: RecordKind) -> dict[str, Any] | None:
    rel = f"{RUNS_REL}/{number:04d}/{kind.file_name}"
    try:
        raw = project_files.read(root, rel)
    except SeqcheckError as exc:
        if isinstance(exc, MigrateError):
            raise
        raise bad_record(exc.message.rstrip("."), exc.file or root / rel) from None
    if raw is None:
        return None
    return parse_record(kind, raw, root / rel)


def load_run(root: Path, number: int) -> Run | None:
    """Run ``number`` with every record validated; ``None`` without a manifest."""
    manifest = _load(root, number, RecordKind.MANIFEST)
    if manifest is None:
        return None
    check_manifest(manifest, number, root / RUNS_REL / f"{number:04d}" / MANIFEST)
    run = Run(root, number, manifest, _load(root, number, RecordKind.JOURNAL))
    if run.journal_doc is not None:
        check_journal(run.journal_doc, manifest, run.folder / JOURNAL)
    run.rollback_doc = _load(root, number, RecordKind.ROLLBACK)
    if run.rollback_doc is not None:
        check_rollback(run.rollback_doc, manifest, run.folder / ROLLBACK)
        if run.journal_doc is None:
            raise bad_record("a rollback record in a run that never started",
                             run.folder / ROLLBACK)
    return run


def _check_not_links(root: Path) -> None:
    for rel in (SEQCHECK_DIR, RUNS_REL):
        try:
            if not project_files.require_real_folder(root, rel):
                return
        except MigrateError:
            raise
        except SeqcheckError as exc:
            raise MigrateError(MigrateCode.BAD_RECORD, exc.code, exc.message,
                               file=exc.file, pointer=exc.pointer) from None


def run_numbers(root: Path) -> list[int]:
    """The numbers of the folders in ``.seqcheck/runs`` (with a manifest or not)."""
    _check_not_links(root)
    names = project_files.list_names(root, RUNS_REL) or []
    return sorted(int(n) for n in names if _RUN_NAME.match(n)
                  and project_files.is_dir(root, f"{RUNS_REL}/{n}"))


def all_runs(root: Path) -> list[Run]:
    """Every run with a manifest, oldest first, records validated."""
    return [run for n in run_numbers(root) if (run := load_run(root, n)) is not None]


def latest_run(root: Path) -> Run | None:
    """The newest run that changed the project and is not rolled back, or ``None``.

    Runs whose setup was interrupted never touched the project and are skipped;
    rolled-back runs are skipped so a second rollback undoes the run before.
    """
    for number in reversed(run_numbers(root)):
        run = load_run(root, number)
        if run is not None and run.status in (RunStatus.IN_PROGRESS, RunStatus.DONE):
            return run
    return None


def delete_run(root: Path, run: Run) -> None:
    """Delete ``run``'s folder (it carries our manifest); links are never followed."""
    project_files.delete_folder(root, run.rel, MANIFEST)


def start_run(root: Path, plan: Plan, raw_inputs: dict[str, bytes],
              had_sequences_dir: bool, sidecars: list[str]) -> Run:
    """Write the manifest, back up every input durably, then write the journal at 0.

    Nothing in the project itself is written here; the first project write happens
    only after this returns, so the originals are always safe first. ``sidecars``:
    the lock sidecars this run already created (recorded in the journal).
    """
    inherited = list(sidecars)
    for number in run_numbers(root):
        old = load_run(root, number)
        if old is None:
            _reuse_if_only_temps(root, f"{RUNS_REL}/{number:04d}")
        elif old.status is RunStatus.SETUP:  # never touched the project
            # Its attempt may have created sidecars; this run owns them now.
            inherited += [s for s in old.manifest["sidecars"] if s not in inherited]
            delete_run(root, old)
    numbers = run_numbers(root)
    number = numbers[-1] + 1 if numbers else 1
    if number > 99_999_999:
        raise bad_record("no run number left", runs_dir(root))
    run = Run(root, number,
              _manifest(number, plan, raw_inputs, had_sequences_dir, inherited), None)
    created: list[str] = []
    try:
        created = project_files.make_dirs(root, run.rel)
        # The manifest first: from here on the folder is recognisably ours.
        project_files.write(root, f"{run.rel}/{MANIFEST}", dump_bytes(run.manifest))
        for rel, raw in raw_inputs.items():
            parent = Path(rel).parent.as_posix()
            project_files.make_dirs(root, run.backup_rel if parent == "."
                                    else f"{run.backup_rel}/{parent}")
            project_files.write(root, f"{run.backup_rel}/{rel}", raw)
        progress = Progress(0, len(plan.steps), False, list(inherited))
        write_journal(root, run.rel, progress)
        run.journal_doc = progress.to_dict()
    except BaseException:
        # No project file was written yet: drop the half-made run (frees the space a
        # full disk needs) so the next attempt starts clean.
        with contextlib.suppress(SeqcheckError):
            if project_files.exists(root, f"{run.rel}/{MANIFEST}"):
                delete_run(root, run)
            else:
                _reuse_if_only_temps(root, run.rel)
            for rel in reversed(created[:-1]):
                project_files.remove_empty_dir(root, rel)
        raise
    return run


def _reuse_if_only_temps(root: Path, rel: str) -> None:
    """A numbered folder holding nothing but stale temps of our atomic write was killed
    before its manifest was in place: remove the temps and the then empty folder.
    Anything else in it means it is not ours; it is left alone (its number skipped)."""
    names = project_files.list_names(root, rel) or []
    if all(is_temp_name(n) and not project_files.is_dir(root, f"{rel}/{n}") for n in names):
        for name in names:
            project_files.remove(root, f"{rel}/{name}")
        project_files.remove_empty_dir(root, rel)


def _manifest(number: int, plan: Plan, raw_inputs: dict[str, bytes],
              had_sequences_dir: bool, sidecars: list[str]) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "tool": "seqcheck",
        "tool_version": __version__,
        "run": number,
        "migrated_at": plan.migrated_at,
        "options": plan.options.to_dict(),
        "state_before": plan.state,
        "inputs": {rel: {"sha256": sha256(raw), "size": len(raw)}
                   for rel, raw in raw_inputs.items()},
        "steps": [
            {
                "path": s.path,
                "action": s.action,
                "original_sha256": sha256(s.original) if s.original is not None else None,
                "result_sha256": sha256_or_none(s.data),
            }
            for s in plan.steps
        ],
        "created_dirs": [] if had_sequences_dir else [SEQUENCES_DIR],
        "sidecars": sorted(set(sidecars)),
        "counts": plan.counts(),
    }


def write_rollback_record(run: Run, doc: dict[str, Any]) -> None:
    """Mark ``run`` rolled back with its audit record (atomically)."""
    project_files.write(run.root, f"{run.rel}/{ROLLBACK}", dump_bytes(doc))
    run.rollback_doc = doc


def discard_seqcheck_dir(root: Path) -> None:
    """Remove ``.seqcheck/runs`` and ``.seqcheck/`` when they are empty (best effort:
    an empty folder left behind, e.g. in a read-only project folder, is harmless)."""
    for rel in (RUNS_REL, SEQCHECK_DIR):
        try:
            if not project_files.remove_empty_dir(root, rel):
                return
        except SeqcheckError:
            return


class EntryStatus(str, Enum):
    """What a folder in ``.seqcheck/runs`` is."""

    SETUP = RunStatus.SETUP.value
    IN_PROGRESS = RunStatus.IN_PROGRESS.value
    DONE = RunStatus.DONE.value
    ROLLED_BACK = RunStatus.ROLLED_BACK.value
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
        run = load_run(root, number)
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
    return [_entry(root, n) for n in run_numbers(root)]


@dataclass
class PruneResult:
    """What :func:`prune` deleted and kept (run numbers)."""

    project: Path
    deleted: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)


def _refuse(root: Path, message: str) -> MigrateError:
    return MigrateError(MigrateCode.NOT_PRUNABLE, ErrorCode.INVALID_UPDATE,
                        f"{message} Nothing was deleted.", file=root / RUNS_REL)


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
            run = load_run(root, number)
            if run is None:  # pragma: no cover - checked by _choose under the lock
                continue
            try:
                delete_run(root, run)
            except SeqcheckError as exc:
                raise SeqcheckError(exc.code, f"{exc.message} Deleted before it: runs "
                                    f"{quote(result.deleted)}.", file=exc.file) from exc
            result.deleted.append(number)
        result.kept = [e.number for e in entries if e.number not in result.deleted]
        discard_seqcheck_dir(root)
        # Pruning leaves only less: the sidecar its own lock created goes too.
        remove_created_sidecars(root, ours, lock_timeout, held={PROJECT_FILE})
    return result
