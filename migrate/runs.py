"""The ``.seqcheck/`` folder of a project: one numbered run per migration.

Layout (conformance/spec/migration.md, "The .seqcheck folder")::

    .seqcheck/runs/0001/backup/project.json            originals, byte for byte
    .seqcheck/runs/0001/backup/sequences/sequence_001.json
    .seqcheck/runs/0001/manifest.json                  hashes, options, steps
    .seqcheck/runs/0001/journal.json                   progress (see journal.py)

A run folder without a manifest is a setup that was interrupted before the first
project write; it is discarded and reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.atomic import atomic_write_bytes, fsync_dir
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes, parse_bytes
from conformance.layout import SEQUENCES_DIR
from migrate import journal
from migrate.errors import MigrateCode, MigrateError
from migrate.model import Options, Plan

SEQCHECK_DIR = ".seqcheck"
RUNS_DIR = "runs"
MANIFEST = "manifest.json"
BACKUP_DIR = "backup"
#: Version of the manifest's shape.
MANIFEST_FORMAT = 1


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def runs_dir(project: Path) -> Path:
    """``PROJECT/.seqcheck/runs``."""
    return project / SEQCHECK_DIR / RUNS_DIR


def make_dirs(path: Path) -> list[Path]:
    """Create ``path`` and missing parents durably; return the folders created."""
    missing = []
    cursor = path
    while not cursor.exists():
        missing.append(cursor)
        cursor = cursor.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
            fsync_dir(folder.parent)
        except OSError as exc:
            raise SeqcheckError(
                ErrorCode.IO_ERROR,
                f"could not create the folder: {exc.strerror or exc}.",
                file=folder,
            ) from exc
    return missing


@dataclass
class Run:
    """One migration's records."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def number(self) -> int:
        return int(self.folder.name)

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
    def backup(self) -> Path:
        return self.folder / BACKUP_DIR

    @property
    def created_dirs(self) -> list[str]:
        return list(self.manifest.get("created_dirs", []))

    def progress(self) -> journal.Progress:
        """The journal: how many steps are durable."""
        return journal.read(self.folder, len(self.steps))

    def backup_bytes(self, rel: str) -> bytes:
        """The original bytes of ``rel``, checked against the manifest hash."""
        path = self.backup / rel
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _bad(f"cannot read the backup: {exc.strerror or exc}", path) from exc
        expected = self.manifest["inputs"].get(rel, {}).get("sha256")
        if sha256(data) != expected:
            raise _bad("the backup does not match the hash in the manifest", path)
        return data


def _bad(what: str, file: Path) -> MigrateError:
    return MigrateError(
        MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
        f"the migration records are damaged: {what}. The project files were not touched; "
        "inspect .seqcheck/ (the originals are in its backup/ folders).",
        file=file,
    )


def _load_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _bad(f"cannot read the manifest: {exc.strerror or exc}", path) from exc
    try:
        doc = parse_bytes(raw, file=path)
    except SeqcheckError as exc:
        raise _bad(exc.message, path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("format"), int):
        raise _bad("the manifest is not an object with an integer 'format'", path)
    if doc["format"] > MANIFEST_FORMAT:
        raise MigrateError(
            MigrateCode.NEWER_VERSION, ErrorCode.CORRUPT_FILE,
            f"this run was recorded by seqcheck {doc.get('tool_version')!r} in manifest "
            f"format {doc['format']}, newer than this seqcheck {__version__} understands "
            f"({MANIFEST_FORMAT}). Upgrade seqcheck; nothing was changed.",
            file=path,
        )
    for key in ("options", "migrated_at", "steps", "inputs"):
        if key not in doc:
            raise _bad(f"the manifest lacks {key!r}", path)
    return doc


def _numbered(project: Path) -> list[Path]:
    try:
        entries = list(os.scandir(runs_dir(project)))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SeqcheckError(
            ErrorCode.IO_ERROR, f"could not list the runs: {exc.strerror or exc}.",
            file=runs_dir(project),
        ) from exc
    return sorted(Path(e.path) for e in entries if e.name.isdigit() and e.is_dir())


def latest_run(project: Path) -> Run | None:
    """The newest run with a manifest, or ``None``."""
    for folder in reversed(_numbered(project)):
        manifest = _load_manifest(folder)
        if manifest is not None:
            return Run(folder, manifest)
    return None


def start_run(project: Path, plan: Plan, raw_inputs: dict[str, bytes],
              had_sequences_dir: bool) -> Run:
    """Back up every input durably, then write the manifest and an empty journal.

    Nothing in the project itself is written here; the first project write happens
    only after this returns, so the originals are always safe first.
    """
    folders = _numbered(project)
    # A trailing folder without a manifest is an interrupted setup: reuse its number.
    if folders and _load_manifest(folders[-1]) is None:
        shutil.rmtree(folders[-1])
        folders.pop()
    number = int(folders[-1].name) + 1 if folders else 1
    folder = runs_dir(project) / f"{number:04d}"
    try:
        return _write_run(folder, number, plan, raw_inputs, had_sequences_dir)
    except BaseException:
        # No project file was written yet: drop the half-made run (frees the space a
        # full disk needs) so the next attempt starts clean.
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _write_run(folder: Path, number: int, plan: Plan, raw_inputs: dict[str, bytes],
               had_sequences_dir: bool) -> Run:
    make_dirs(folder / BACKUP_DIR)
    for rel, raw in raw_inputs.items():
        target = folder / BACKUP_DIR / rel
        make_dirs(target.parent)
        atomic_write_bytes(target, raw)
    manifest = {
        "format": MANIFEST_FORMAT,
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
                "result_sha256": sha256(s.data) if s.data is not None else None,
            }
            for s in plan.steps
        ],
        "created_dirs": [] if had_sequences_dir else [SEQUENCES_DIR],
        "counts": plan.counts(),
    }
    atomic_write_bytes(folder / MANIFEST, dump_bytes(manifest))
    journal.write(folder, 0, len(plan.steps), done=False)
    return Run(folder, manifest)


def discard_run(run: Run) -> None:
    """Delete a rolled-back run's folder (and ``.seqcheck/`` when nothing is left)."""
    try:
        shutil.rmtree(run.folder)
        fsync_dir(run.folder.parent)
    except OSError as exc:
        raise SeqcheckError(
            ErrorCode.IO_ERROR,
            f"restored the project but could not remove the run records: "
            f"{exc.strerror or exc}. Delete the folder by hand.",
            file=run.folder,
        ) from exc
    # Empty runs/ and .seqcheck/ folders are harmless; remove them when possible.
    with contextlib.suppress(OSError):
        for folder in (run.folder.parent, run.folder.parent.parent):
            if any(folder.iterdir()):
                break
            folder.rmdir()
            fsync_dir(folder.parent)
