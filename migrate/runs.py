"""The ``.seqcheck/`` folder of a project: one numbered run per migration.

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
(:mod:`migrate.run_records`) before use, and every access goes through
:mod:`migrate.project_files` (``.seqcheck`` or ``runs`` being a link is refused).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.errors import SeqcheckError
from conformance.jsonio import dump_bytes
from conformance.layout import SEQUENCES_DIR
from migrate import journal, project_files
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.model import Options, Plan
from migrate.run_records import (
    MANIFEST_FORMAT,
    RecordKind,
    bad_record,
    check_journal,
    check_manifest,
    check_rollback,
    parse_record,
)
from migrate.temps import is_temp_name

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
        return RunStatus.DONE if self.journal_doc["state"] == journal.DONE \
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

    def progress(self) -> journal.Progress:
        """The journal: how many steps are durable (a setup run has none)."""
        if self.journal_doc is None:
            return journal.Progress(0, len(self.steps), False)
        return journal.Progress.from_dict(self.journal_doc)

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
        check_journal(run.journal_doc, manifest, run.folder / journal.JOURNAL)
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
        progress = journal.Progress(0, len(plan.steps), False, list(inherited))
        journal.write(root, run.rel, progress)
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

