"""Undoing the latest migration: originals restored byte for byte, created files removed.

Refuses (``MIGRATE_EDITED_SINCE``) when a file the migration wrote holds neither its
original nor its migrated bytes - someone edited it afterwards and rolling back would
lose that edit - unless ``force``. ``force`` only ever overwrites files the run's
validated manifest lists; it never widens what may be touched. Works on finished and
interrupted runs alike, and is itself resumable: every file already restored matches
its original hash and is skipped by the next attempt. project.json is restored first,
so from the first rollback write on, every shot is in project.json again.

A refused rollback creates nothing (its checks run before any lock is taken). A
finished one is proven, not assumed: every file is read back and compared with its
original hash; one that differs is ``MIGRATE_NOT_RESTORED`` naming it, and the run is
kept. Then the temp files and lock sidecars the run left are removed, and the run
folder gets its audit record ``rollback.json`` (schemas/migration-run-rollback.schema.json).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePosixPath

from conformance import __version__
from conformance.atomic import LOCK_TIMEOUT_SECONDS
from conformance.clock import utc_now_iso
from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import PROJECT_FILE
from migrate import project_files, runs
from migrate.errors import (
    MigrateCode,
    MigrateError,
    interrupted,
    not_restored,
    quote,
    unexpected,
)
from migrate.model import RollbackResult
from migrate.project_files import remove_created_sidecars, remove_stale_temps, sidecar_of
from migrate.snapshot import project_root


def _hash_or_none(root: Path, rel: str) -> str | None:
    current = project_files.read(root, rel)
    return runs.sha256(current) if current is not None else None


def _edited(root: Path, run: runs.Run) -> list[str]:
    edited = []
    for step in run.steps:
        digest = _hash_or_none(root, step["path"])
        if digest not in (step["original_sha256"], step["result_sha256"]):
            edited.append(step["path"])
    return edited


def _latest(root: Path) -> runs.Run:
    run = runs.latest_run(root)
    if run is None:
        raise MigrateError(
            MigrateCode.NOTHING_TO_ROLL_BACK, ErrorCode.INVALID_UPDATE,
            "expected a migration to roll back in .seqcheck/runs, found none. "
            "Nothing was changed.",
            file=root,
        )
    return run


def _refuse_edits(root: Path, run: runs.Run, force: bool) -> list[str]:
    edited = _edited(root, run)
    if edited and not force:
        raise MigrateError(
            MigrateCode.EDITED_SINCE, ErrorCode.INVALID_UPDATE,
            f"{len(edited)} file(s) changed after the migration: "
            f"{', '.join(quote(p) for p in edited)}. Rolling back would lose those edits; "
            "nothing was changed. Use --force to restore the originals anyway.",
            file=root / edited[0],
        )
    return edited


def rollback(
    project: str | os.PathLike[str],
    *,
    force: bool = False,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
) -> RollbackResult:
    """Restore the files of ``project``'s latest migration run and mark it rolled back.

    Raises ``MIGRATE_NOTHING_TO_ROLL_BACK``, ``MIGRATE_EDITED_SINCE`` (without
    ``force``), ``MIGRATE_BAD_RECORD`` for damaged or foreign records or a damaged
    backup (checked before any write), ``MIGRATE_NOT_RESTORED`` when a file does not
    hold its original afterwards, or ``MIGRATE_INCOMPLETE`` when a write failed
    part-way (the same command resumes).
    """
    root = project_root(project)
    # Read-only first: a refusal leaves nothing behind, not even a lock sidecar.
    first = _latest(root)
    _refuse_edits(root, first, force)
    first.check_backup()
    ours = [] if project_files.exists(root, sidecar_of(PROJECT_FILE)) \
        else [sidecar_of(PROJECT_FILE)]
    with project_files.lock(root, PROJECT_FILE, lock_timeout):
        run = _latest(root)
        edited = _refuse_edits(root, run, force)
        # Read (and hash-check) every backup before the first write.
        run.check_backup()
        originals = {s["path"]: run.backup_bytes(s["path"])
                     for s in run.steps if s["original_sha256"] is not None}
        result = RollbackResult(root, [], [], list(edited), run=run.number)
        ordered = sorted(run.steps, key=lambda s: s["path"] != PROJECT_FILE)
        done = 0
        try:
            result.removed_temps = remove_stale_temps(
                root, {PROJECT_FILE}, [s["path"] for s in run.steps], [run.rel], lock_timeout)
            for step in ordered:
                _restore(root, step["path"], originals.get(step["path"]), lock_timeout,
                         result, ours)
                done += 1
            not_back = [s["path"] for s in run.steps
                        if _hash_or_none(root, s["path"]) != s["original_sha256"]]
            if not_back:
                raise not_restored(not_back, run.number, "rollback", root=root)
            for rel in run.created_dirs:
                _remove_created_dir(root, rel, lock_timeout, result)
            progress = run.progress()
            sidecars = [*progress.sidecars, *ours,
                        *(sidecar_of(p) for p in result.removed)]
            result.removed_sidecars += remove_created_sidecars(
                root, dict.fromkeys(sidecars), lock_timeout, held={PROJECT_FILE})
            runs.write_rollback_record(run, {
                "format": 1,
                "tool_version": __version__,
                "rolled_back_at": utc_now_iso(),
                "forced": force,
                "restored": result.restored,
                "removed": result.removed,
                "forced_over": result.forced_over,
                "removed_sidecars": sorted(set(result.removed_sidecars)),
            })
        except MigrateError as exc:
            if exc.migrate_code is MigrateCode.NOT_RESTORED:
                raise
            raise interrupted(exc, done, len(ordered), "rollback") from exc
        except SeqcheckError as exc:
            raise interrupted(exc, done, len(ordered), "rollback") from exc
        except Exception as exc:
            raise interrupted(unexpected(exc, "rollback"), done, len(ordered),
                              "rollback") from exc
    return result


def _restore(root: Path, rel: str, original: bytes | None, lock_timeout: float,
             result: RollbackResult, ours: list[str]) -> None:
    # A created file was written without a lock; lock it only if a writer has made
    # its sidecar since, so the rollback never adds one.
    unlocked = rel == PROJECT_FILE or (
        original is None and not project_files.exists(root, sidecar_of(rel)))
    if not unlocked and not project_files.exists(root, sidecar_of(rel)):
        ours.append(sidecar_of(rel))  # the rollback creates it: it removes it too
    lock = (contextlib.nullcontext() if unlocked
            else project_files.lock(root, rel, lock_timeout))
    with lock:
        current = project_files.read(root, rel)
        if original is None:
            if current is not None:
                project_files.remove(root, rel)
                result.removed.append(rel)
        elif current != original:
            project_files.write(root, rel, original)
            result.restored.append(rel)


def _remove_created_dir(root: Path, rel: str, lock_timeout: float,
                        result: RollbackResult) -> None:
    """Remove a folder the run created once nothing but sidecars of removed files is
    left in it (anything else is someone's, and keeps the folder)."""
    names = project_files.list_names(root, rel)
    if names is None:
        return
    removable = {PurePosixPath(sidecar_of(p)).name for p in result.removed}
    if any(n not in removable for n in names):
        return
    result.removed_sidecars += remove_created_sidecars(
        root, [f"{rel}/{n}" for n in names], lock_timeout, held=set())
    project_files.remove_empty_dir(root, rel)

