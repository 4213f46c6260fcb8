"""Applying a plan: back up, then write step by step under the journal; resume after a crash.

Order of durability (conformance/spec/migration.md, "Safety"):

1. under project.json's lock, plan from the files as they are;
2. copy every input into ``.seqcheck/runs/N/backup`` and write the manifest (hashes,
   the steps and their result hashes) and a journal at 0 - all fsynced;
3. for each step: under the file's lock, check the file still holds its original (or
   already its result), write the result atomically, then advance the journal.

A write that fails cleanly (disk full, permission denied, a file edited meanwhile)
is undone at once (:mod:`migrate.undo`): the project is back in its old layout and
the run is discarded. A process killed part-way cannot undo; the next invocation
finds a journal not ``done`` and resumes: it plans again from the backup (same
bytes, same options, the run's recorded time), checks the plan reproduces the
manifest's result hashes, and continues after the last journalled step. Every step
writes fixed bytes, so redoing one is harmless.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from conformance.atomic import LOCK_TIMEOUT_SECONDS, atomic_write_bytes, file_lock, fsync_dir
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import read_file_bytes_or_none
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR
from migrate import journal, runs
from migrate.clock import migration_time
from migrate.errors import MigrateCode, MigrateError, interrupted
from migrate.model import ApplyResult, FileChange, Options, Plan
from migrate.planner import make_plan
from migrate.snapshot import project_root, read_snapshot
from migrate.temps import remove_stale_temps
from migrate.undo import undo_steps
from migrate.verify import verify

#: Longest time the journal may lag behind the steps already durable on disk.
JOURNAL_INTERVAL = 0.2

#: Called after each durable step with (completed, total).
StepCallback = Callable[[int, int], None]


def conflict_error(plan: Plan) -> MigrateError:
    """The stop-before-writing error for a plan with unresolved conflicts."""
    stopped = [c for c in plan.conflicts if c.resolution == "stop"]
    listed = "; ".join(f"{c.message} (project.json at {c.legacy_pointer})" for c in stopped[:5])
    more = f"; and {len(stopped) - 5} more" if len(stopped) > 5 else ""
    first = stopped[0]
    return MigrateError(
        MigrateCode.CONFLICT, ErrorCode.INVALID_UPDATE,
        f"{len(stopped)} conflict(s): {listed}{more}. Nothing was changed. Choose the "
        "winner with --on-conflict keep-sequence or --on-conflict keep-legacy (preview "
        "with --dry-run).",
        file=plan.project / first.sequence_file,
        pointer=first.sequence_pointer,
    )


def _write_step(root: Path, step: FileChange, lock_timeout: float) -> None:
    path = root / step.path
    # project.json's lock is held for the whole migration. An existing sequence file is
    # locked per step so a concurrent writer's read-modify-write cannot interleave with
    # ours. A file this step creates needs no lock: writers never create sequence files
    # (SEQ-ID-2) and migrators are serialised by project.json's lock (it also spares
    # sequences/ a thousand lock sidecars in a big migration).
    if step.data is None:
        _remove_step(path, step)
        return
    lock = (contextlib.nullcontext() if step.path == PROJECT_FILE or step.original is None
            else file_lock(path, lock_timeout))
    with lock:
        current = read_file_bytes_or_none(path)
        if current == step.data:
            return  # already written before an interruption
        if current != step.original:
            raise MigrateError(
                MigrateCode.EDITED_SINCE, ErrorCode.INVALID_UPDATE,
                "another program changed the file while the migration was running (it "
                "holds neither its original content nor the migrated one); it was left as "
                "it is. Check it with 'seqcheck validate', then migrate again.",
                file=path,
            )
        atomic_write_bytes(path, step.data)


def _remove_step(path: Path, step: FileChange) -> None:
    """Remove a file ``--repair`` replaced (a SequenceService file whose content an
    earlier step wrote under the canonical name). No sidecar lock: conforming writers
    never write such a file (it is not a sequence_NNN.json name, or a duplicate id
    every store refuses), migrators are serialised by project.json's lock, and a lock
    file would outlive the file it guards as a stray."""
    current = read_file_bytes_or_none(path)
    if current is None:
        return  # already removed before an interruption
    if current != step.original:
        raise MigrateError(
            MigrateCode.EDITED_SINCE, ErrorCode.INVALID_UPDATE,
            "another program changed the file while the migration was running; it was "
            "left as it is. Check it with 'seqcheck validate', then migrate again.",
            file=path,
        )
    try:
        path.unlink()
        fsync_dir(path.parent)
    except OSError as exc:
        raise SeqcheckError(
            ErrorCode.IO_ERROR, f"could not remove the file: {exc.strerror or exc}; it is "
            "unchanged.", file=path,
        ) from exc


def _execute(root: Path, run: runs.Run, plan: Plan, start: int, lock_timeout: float,
             on_step: StepCallback | None) -> int:
    total = len(plan.steps)
    done = start
    last_journal = time.monotonic()
    try:
        if run.created_dirs:
            runs.make_dirs(root / SEQUENCES_DIR)
        for step in plan.steps[start:]:
            _write_step(root, step, lock_timeout)
            done += 1
            # The step is durable (atomic_write_bytes fsyncs file and folder) before
            # the journal says so. The journal is group-committed: rewritten at most
            # every JOURNAL_INTERVAL seconds (and after the last step), so it may lag
            # behind the disk but never run ahead of it; a resume redoes the lagging
            # steps, which finds their bytes already in place.
            now = time.monotonic()
            if done == total or now - last_journal >= JOURNAL_INTERVAL:
                journal.write(run.folder, done, total, done=done == total)
                last_journal = now
            if on_step is not None:
                on_step(done, total)
        if start == total:
            journal.write(run.folder, done, total, done=True)
    except SeqcheckError as exc:
        if done == total:  # every file is in place; only the journal lags
            raise interrupted(exc, done, total, "migration") from exc
        raise _undone_or_interrupted(root, run, plan, exc, done, lock_timeout) from exc
    return done - start


def _undone_or_interrupted(root: Path, run: runs.Run, plan: Plan, cause: SeqcheckError,
                           done: int, lock_timeout: float) -> SeqcheckError:
    """Put the project back in its old layout after a clean failure, and say so; when
    that is impossible too, the error says how to resume."""
    total = len(plan.steps)
    try:
        undo_steps(root, plan.steps[:done], lock_timeout)
        runs.discard_run(run)
    except SeqcheckError:
        return interrupted(cause, done, total, "migration")
    message = (
        f"{cause.message} The migration stopped at step {done + 1} of {total}; the "
        f"{done} file(s) it had written were restored, so the project is unchanged. Fix "
        "the cause and run the same command again."
    )
    if isinstance(cause, MigrateError):
        return MigrateError(cause.migrate_code, cause.code, message, file=cause.file,
                            pointer=cause.pointer)
    return SeqcheckError(cause.code, message, file=cause.file, pointer=cause.pointer)


def _start(root: Path, plan: Plan, raw_inputs: dict[str, bytes],
           had_sequences_dir: bool) -> runs.Run:
    try:
        return runs.start_run(root, plan, raw_inputs, had_sequences_dir)
    except SeqcheckError as exc:
        raise SeqcheckError(
            exc.code,
            f"could not back up the originals into .seqcheck/ before migrating: "
            f"{exc.message} Nothing was written to the project files, so the project is "
            "unchanged.",
            file=exc.file,
            pointer=exc.pointer,
        ) from exc


def _resume(root: Path, run: runs.Run, options: Options, lock_timeout: float,
            on_step: StepCallback | None) -> ApplyResult:
    if run.options != options:
        raise MigrateError(
            MigrateCode.OPTIONS_MISMATCH, ErrorCode.INVALID_UPDATE,
            f"an interrupted migration (run {run.number}) was started with options "
            f"{run.options.to_dict()}, not {options.to_dict()}. Run the same command "
            "again to finish it, or --rollback to undo it.",
            file=run.folder,
        )
    snap = read_snapshot(run.backup)
    for rel in run.manifest["inputs"]:
        run.backup_bytes(rel)  # checks each backup against its recorded hash
    if set(snap.raw_files()) != set(run.manifest["inputs"]):
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            "the backup folder does not hold exactly the files its manifest lists. "
            "Inspect .seqcheck/; the project was not touched by this attempt.",
            file=run.backup,
        )
    plan = make_plan(snap, root, options, run.migrated_at)
    planned = [(s.path, runs.sha256(s.data) if s.data is not None else None)
               for s in plan.steps]
    recorded = [(s["path"], s["result_sha256"]) for s in run.steps]
    if planned != recorded:
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            "re-planning the interrupted migration from its backup does not reproduce "
            "the recorded steps (was it started by another seqcheck version?). Use the "
            "same version, or --rollback to undo it.",
            file=run.folder / runs.MANIFEST,
        )
    remove_stale_temps(root, {PROJECT_FILE}, [s.path for s in plan.steps], [run.folder],
                       lock_timeout)
    progress = run.progress()
    written = _execute(root, run, plan, progress.completed, lock_timeout, on_step)
    return ApplyResult(root, "migrated", plan, resumed=True, steps_written=written,
                       run_dir=run.folder)


def apply(
    project: str | os.PathLike[str],
    options: Options | None = None,
    *,
    now: str | None = None,
    verify_after: bool = True,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    on_step: StepCallback | None = None,
) -> ApplyResult:
    """Migrate ``project`` (or finish its interrupted migration); return what happened.

    ``now`` fixes the migration time (default: ``$SEQCHECK_MIGRATE_NOW`` or the
    clock). With ``verify_after`` the result carries :func:`migrate.verify`'s report.
    Raises :class:`~conformance.errors.SeqcheckError` /
    :class:`~migrate.errors.MigrateError` before any write for bad input, conflicts
    (``MIGRATE_CONFLICT``), a born-broken project without ``repair``, a newer record.
    A write that fails part-way is undone and its error raised (the project is
    unchanged); if the undo fails too, ``MIGRATE_INCOMPLETE`` (with
    ``completed``/``total``) is raised and the same call resumes the migration.
    """
    options = options or Options()
    root = project_root(project)
    with file_lock(root / PROJECT_FILE, lock_timeout):
        run = runs.latest_run(root)
        if run is not None and not run.progress().done:
            result = _resume(root, run, options, lock_timeout, on_step)
        else:
            result = _fresh(root, options, migration_time(now), lock_timeout, on_step)
    if verify_after:
        result.verification = verify(root)
    return result


def _fresh(root: Path, options: Options, now: str, lock_timeout: float,
           on_step: StepCallback | None) -> ApplyResult:
    # A function of its own so the parsed snapshot is freed before verification.
    snap = read_snapshot(root)
    plan = make_plan(snap, root, options, now)
    if plan.blocked:
        raise conflict_error(plan)
    if not plan.has_work:
        return ApplyResult(root, plan.state, plan)
    run = _start(root, plan, snap.raw_files(), snap.had_sequences_dir)
    written = _execute(root, run, plan, 0, lock_timeout, on_step)
    return ApplyResult(root, "migrated", plan, steps_written=written, run_dir=run.folder)
