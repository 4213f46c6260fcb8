"""Undoing the latest migration: originals restored byte for byte, created files removed.

Refuses (``MIGRATE_EDITED_SINCE``) when a file the migration wrote holds neither its
original nor its migrated bytes - someone edited it afterwards and rolling back would
lose that edit - unless ``force``. Works on finished and interrupted runs alike, and
is itself resumable: every file already restored matches its original hash and is
skipped by the next attempt. project.json is restored first, so from the first
rollback write on, every shot is in project.json again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from conformance.atomic import LOCK_TIMEOUT_SECONDS, atomic_write_bytes, file_lock, fsync_dir
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import read_file_bytes_or_none
from conformance.layout import PROJECT_FILE
from migrate import runs
from migrate.errors import MigrateCode, MigrateError, interrupted
from migrate.model import RollbackResult
from migrate.snapshot import project_root


def _edited(root: Path, run: runs.Run) -> list[str]:
    edited = []
    for step in run.steps:
        current = read_file_bytes_or_none(root / step["path"])
        digest = runs.sha256(current) if current is not None else None
        if digest not in (step["original_sha256"], step["result_sha256"]):
            edited.append(step["path"])
    return edited


def _remove(path: Path) -> None:
    try:
        path.unlink()
        fsync_dir(path.parent)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SeqcheckError(
            ErrorCode.IO_ERROR, f"could not remove the file: {exc.strerror or exc}.",
            file=path,
        ) from exc


def rollback(
    project: str | os.PathLike[str],
    *,
    force: bool = False,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
) -> RollbackResult:
    """Restore the files of ``project``'s latest migration run and delete the run.

    Raises ``MIGRATE_NOTHING_TO_ROLL_BACK``, ``MIGRATE_EDITED_SINCE`` (without
    ``force``), ``MIGRATE_BAD_RECORD`` for a damaged backup (checked before any
    write), or ``MIGRATE_INCOMPLETE`` when a write failed part-way.
    """
    root = project_root(project)
    with file_lock(root / PROJECT_FILE, lock_timeout):
        run = runs.latest_run(root)
        if run is None:
            raise MigrateError(
                MigrateCode.NOTHING_TO_ROLL_BACK, ErrorCode.INVALID_UPDATE,
                "expected a migration to roll back in .seqcheck/runs, found none. "
                "Nothing was changed.",
                file=root,
            )
        edited = _edited(root, run)
        if edited and not force:
            raise MigrateError(
                MigrateCode.EDITED_SINCE, ErrorCode.INVALID_UPDATE,
                f"{len(edited)} file(s) changed after the migration: {', '.join(edited)}. "
                "Rolling back would lose those edits; nothing was changed. Use --force "
                "to restore the originals anyway.",
                file=root / edited[0],
            )
        # Read (and hash-check) every backup before the first write.
        originals = {
            s["path"]: run.backup_bytes(s["path"])
            for s in run.steps if s["original_sha256"] is not None
        }
        ordered = sorted(run.steps, key=lambda s: s["path"] != PROJECT_FILE)
        result = RollbackResult(root, [], [], [p for p in edited if force])
        done = 0
        try:
            for step in ordered:
                rel = step["path"]
                path = root / rel
                lock = (contextlib.nullcontext() if rel == PROJECT_FILE
                        else file_lock(path, lock_timeout))
                with lock:
                    current = read_file_bytes_or_none(path)
                    if rel not in originals:
                        if current is not None:
                            _remove(path)
                            result.removed.append(rel)
                    elif current != originals[rel]:
                        atomic_write_bytes(path, originals[rel])
                        result.restored.append(rel)
                done += 1
            for rel in run.created_dirs:
                folder = root / rel
                # Only an empty folder is ours to remove; lock sidecars do not count.
                with contextlib.suppress(OSError):
                    for entry in folder.iterdir():
                        if not (entry.name.startswith(".") and entry.name.endswith(".lock")):
                            break
                    else:
                        for entry in folder.iterdir():
                            entry.unlink()
                        folder.rmdir()
                        fsync_dir(root)
            runs.discard_run(run)
        except SeqcheckError as exc:
            raise interrupted(exc, done, len(ordered), "rollback") from exc
    return result
