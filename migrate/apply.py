"""Applying a plan: back up, then write step by step under the journal; resume after a crash;
undo a migration that failed cleanly.

Order of durability (conformance/spec/migration.md, "Safety"):

1. under project.json's lock, plan from the files as they are;
2. copy every input into ``.seqcheck/runs/N/backup`` and write the manifest (hashes,
   the steps and their result hashes) and a journal at 0 - all fsynced;
3. for each step: under the file's lock, check the file still holds its original (or
   already its result), write the result atomically, then advance the journal.

A write that fails cleanly (disk full, permission denied, a file edited meanwhile)
is undone at once (:func:`undo_steps`): the project is back in its old layout and
the run is discarded. A process killed part-way cannot undo; the next invocation
finds a journal not ``done`` and resumes: it plans again from the backup (same
bytes, same options, the run's recorded time), checks the plan reproduces the
manifest's result hashes, and continues after the last journalled step. Every step
writes fixed bytes, so redoing one is harmless.

Undoing (:func:`undo_steps`) puts the project back as before.

A failed write (disk full, permission denied, a file edited meanwhile) raises inside
the migrating process, which can still put the project back in its old layout:
created files are removed first (that frees space), then rewritten files get their
original bytes back. project.json is always the last step, so it is never among the
steps to undo. "Unchanged" is then proven, not assumed: every file is read back and
compared with its original (absent for a created file); the ones that differ are
returned, so the caller says which and keeps the run's backup.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from conformance.atomic import LOCK_TIMEOUT_SECONDS
from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR
from conformance.projectfs import FolderSyncs
from conformance.validate.gc_pause import cyclic_gc_paused
from migrate import project_files, runs
from migrate.errors import (
    MigrateCode,
    MigrateError,
    interrupted,
    not_restored,
    quote,
    unexpected,
)
from migrate.model import (
    ApplyResult,
    ApplyState,
    FileChange,
    OnConflict,
    Options,
    Plan,
    ProblemKind,
    VerifyProblem,
    VerifyReport,
)
from migrate.plan import make_plan
from migrate.project_files import remove_created_sidecars, remove_stale_temps, sidecar_of
from migrate.runs import migration_time
from migrate.snapshot import Snapshot, project_root, read_snapshot
from migrate.verify import VALIDATOR, verify


def undo_steps(root: Path, steps: Sequence[FileChange], lock_timeout: float) -> list[str]:
    """Give every file of ``steps`` its original state; return the paths that do not
    hold it afterwards (e.g. edited by another program after the migration wrote them:
    not ours to overwrite). Raises ``IO_ERROR`` when a write or removal fails."""
    ordered = [s for s in steps if s.original is None] + [
        s for s in steps if s.original is not None]
    for step in ordered:
        unlocked = step.path == PROJECT_FILE or step.original is None or step.data is None
        with contextlib.nullcontext() if unlocked else \
                project_files.lock(root, step.path, lock_timeout):
            current = project_files.read(root, step.path)
            if current != step.data:  # (for a removal step: absent is its result)
                continue
            if step.original is not None:
                project_files.write(root, step.path, step.original)
            else:
                project_files.remove(root, step.path)
    return [s.path for s in steps if project_files.read(root, s.path) != s.original]


#: Longest time the journal may lag behind the steps already durable on disk.
JOURNAL_INTERVAL = 0.2

#: Called after each durable step with (completed, total).
StepCallback = Callable[[int, int], None]


def conflict_error(plan: Plan) -> MigrateError:
    """The stop-before-writing error for a plan with unresolved conflicts."""
    stopped = [c for c in plan.conflicts if c.resolution is OnConflict.STOP]
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


class _Writer:
    """Writes a run's steps, journalling progress and the sidecars it creates."""

    def __init__(self, root: Path, run: runs.Run, plan: Plan, lock_timeout: float) -> None:
        self.root, self.run, self.plan, self.lock_timeout = root, run, plan, lock_timeout
        self.progress = run.progress()
        # The folders the steps written since the last journal commit renamed into:
        # fsynced once per commit (not once per file), always before the commit.
        self.syncs = FolderSyncs()
        # sequences/, opened once for the steps' files in it (set by _execute).
        self.sequences: project_files.Folder | None = None

    def journal(self, completed: int) -> None:
        """Record that the first ``completed`` steps are durable - after making
        them so."""
        self.syncs.flush()
        total = len(self.plan.steps)
        self.progress.completed = completed
        self.progress.done = completed == total
        runs.write_journal(self.root, self.run.rel, self.progress)

    def lock(self, rel: str) -> contextlib.AbstractContextManager[None]:
        """The sidecar lock of ``rel``; a sidecar it creates is journalled first, so
        rollback (and undo) know it is the run's to remove."""
        side = sidecar_of(rel)
        if side not in self.progress.sidecars and not project_files.exists(self.root, side):
            self.progress.sidecars.append(side)
            runs.write_journal(self.root, self.run.rel, self.progress)
        return project_files.lock(self.root, rel, self.lock_timeout)

    def write_step(self, step: FileChange) -> None:
        """Write the step's bytes (or remove the file, for a step without data)."""
        # project.json's lock is held for the whole migration. An existing sequence file
        # is locked per step so a concurrent writer's read-modify-write cannot
        # interleave with ours. A file this step creates needs no lock: writers never
        # create sequence files (SEQ-ID-2) and migrators are serialised by
        # project.json's lock (it also spares sequences/ a thousand lock sidecars). A
        # file a step removes (``--repair`` of SequenceService files) takes none either:
        # conforming writers never write it, and a sidecar would outlive it as a stray.
        unlocked = step.path == PROJECT_FILE or step.original is None or step.data is None
        with contextlib.nullcontext() if unlocked else self.lock(step.path):
            # Compared in chunks: no second copy of a big project.json is read.
            held = project_files.holds(self.root, step.path, (step.data, step.original),
                                       folder=self.sequences)
            if held == 0:
                # Already written (or removed) before an interruption, maybe not
                # durably yet: that run may have been killed before its folder fsync.
                project_files.add_folder_sync(self.root, step.path, self.syncs,
                                              folder=self.sequences)
                return
            if held is None:
                raise MigrateError(
                    MigrateCode.EDITED_SINCE, ErrorCode.INVALID_UPDATE,
                    "another program changed the file while the migration was running (it "
                    "holds neither its original content nor the migrated one); it was left "
                    "as it is. Check it with 'seqcheck validate', then migrate again.",
                    file=self.root / step.path,
                )
            if step.data is None or step.path == PROJECT_FILE:
                # Removing a file, or project.json giving up its moved shots, deletes
                # the only other copy of some shots: every step before must be
                # durable first, names included.
                self.syncs.flush()
            if step.data is None:
                project_files.remove(self.root, step.path)
            else:
                project_files.write(self.root, step.path, step.data,
                                    folder_syncs=self.syncs, folder=self.sequences)


def _execute(writer: _Writer, start: int, on_step: StepCallback | None) -> int:
    root, run, plan = writer.root, writer.run, writer.plan
    total = len(plan.steps)
    done = start
    last_journal = time.monotonic()
    try:
        if run.created_dirs:
            project_files.make_dirs(root, SEQUENCES_DIR)
        with contextlib.ExitStack() as stack:
            if any(s.path.startswith(f"{SEQUENCES_DIR}/") for s in plan.steps[start:]):
                # Opened once: a thousand files are written without a thousand walks.
                writer.sequences = stack.enter_context(
                    project_files.folder(root, SEQUENCES_DIR))
            for step in plan.steps[start:]:
                writer.write_step(step)
                done += 1
                # The step is durable (the atomic write fsyncs the file; the journal
                # commit first fsyncs the folders written into) before the journal
                # says so. The journal is group-committed: rewritten at most every
                # JOURNAL_INTERVAL seconds (and after the last step), so it may lag
                # behind the disk but never run ahead of it; a resume redoes the
                # lagging steps, which finds their bytes already in place.
                now = time.monotonic()
                if done == total or now - last_journal >= JOURNAL_INTERVAL:
                    writer.journal(done)
                    last_journal = now
                if on_step is not None:
                    on_step(done, total)
        if start == total:
            writer.journal(done)
    except Exception as exc:
        cause = exc if isinstance(exc, SeqcheckError) else unexpected(exc, "migration")
        if done == total:  # every file is in place; only the journal lags
            raise interrupted(cause, done, total, "migration") from exc
        raise _undone_or_interrupted(writer, cause, done) from exc
    finally:
        writer.syncs.close()
        writer.sequences = None
    return done - start


def _undone_or_interrupted(writer: _Writer, cause: SeqcheckError,
                           done: int) -> SeqcheckError:
    """Put the project back in its old layout after a clean failure and say so only
    when every file is proven (by hash) as before; otherwise say which files are not,
    keep the run, and say how to go on."""
    root, run, plan = writer.root, writer.run, writer.plan
    total = len(plan.steps)
    try:
        not_back = undo_steps(root, plan.steps[:done], writer.lock_timeout)
    except SeqcheckError:
        return interrupted(cause, done, total, "migration")
    if not_back:
        return not_restored(not_back, run.number, "migration", root=root, cause=cause)
    try:
        remove_created_sidecars(root, writer.progress.sidecars, writer.lock_timeout,
                                held={PROJECT_FILE})
        runs.delete_run(root, run)
        runs.discard_seqcheck_dir(root)
    except SeqcheckError as exc:
        return interrupted(exc, done, total, "migration")
    message = (
        f"{cause.message} The migration stopped at step {done + 1} of {total}; the "
        f"{done} file(s) it had written were restored (checked byte for byte), so the "
        "project is unchanged. Fix the cause and run the same command again."
    )
    if isinstance(cause, MigrateError):
        return MigrateError(cause.migrate_code, cause.code, message, file=cause.file,
                            pointer=cause.pointer)
    return SeqcheckError(cause.code, message, file=cause.file, pointer=cause.pointer)


def _start(root: Path, plan: Plan, raw_inputs: dict[str, bytes],
           had_sequences_dir: bool, sidecars: list[str]) -> runs.Run:
    try:
        return runs.start_run(root, plan, raw_inputs, had_sequences_dir, sidecars)
    except SeqcheckError as exc:
        # Nothing was written to the project: leave nothing behind either.
        remove_created_sidecars(root, sidecars, LOCK_TIMEOUT_SECONDS, held={PROJECT_FILE})
        runs.discard_seqcheck_dir(root)
        if isinstance(exc, MigrateError):
            raise
        raise SeqcheckError(
            exc.code,
            f"could not back up the originals into .seqcheck/ before migrating: "
            f"{exc.message} Nothing was written to the project files, so the project is "
            "unchanged.",
            file=exc.file,
            pointer=exc.pointer,
        ) from exc


def _resume(root: Path, run: runs.Run, options: Options, lock_timeout: float,
            on_step: StepCallback | None, sidecars: list[str]) -> ApplyResult:
    if run.options != options:
        raise MigrateError(
            MigrateCode.OPTIONS_MISMATCH, ErrorCode.INVALID_UPDATE,
            f"an interrupted migration (run {run.number}) was started with options "
            f"{quote(run.options.to_dict())}, not {quote(options.to_dict())}. Run the same "
            "command again to finish it, or --rollback to undo it.",
            file=run.folder,
        )
    run.check_backup()  # every backup present, hash-checked, nothing extra
    snap = read_snapshot(run.backup)
    plan = make_plan(snap, root, options, run.migrated_at)
    planned = [(s.path, runs.sha256_or_none(s.data)) for s in plan.steps]
    recorded = [(s["path"], s["result_sha256"]) for s in run.steps]
    if planned != recorded:
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            "re-planning the interrupted migration from its backup does not reproduce "
            "the recorded steps (was it started by another seqcheck version?). Use the "
            "same version, or --rollback to undo it.",
            file=run.folder / runs.MANIFEST,
        )
    writer = _Writer(root, run, plan, lock_timeout)
    for side in sidecars:
        if side not in writer.progress.sidecars:
            writer.progress.sidecars.append(side)
            writer.journal(writer.progress.completed)
    remove_stale_temps(root, {PROJECT_FILE}, [s.path for s in plan.steps], [run.rel],
                       lock_timeout)
    written = _execute(writer, writer.progress.completed, on_step)
    return ApplyResult(root, ApplyState.MIGRATED, plan, resumed=True, steps_written=written,
                       run_dir=run.folder)


class _Early(NamedTuple):
    names: list[str] | None
    snap: Snapshot
    plan: Plan


def _preflight(root: Path, options: Options, now: str) -> _Early | None:
    """The fresh plan, read-only and without any lock, when no interrupted run exists:
    a refusal or a no-op then leaves nothing behind, not even a lock sidecar. ``None``
    when an interrupted run is to be resumed (decided again under the lock)."""
    run = runs.latest_run(root)
    if run is not None and not run.progress().done:
        return None
    return _planned(root, options, now)


def _visible_names(root: Path) -> list[str] | None:
    """The names in sequences/ that are not hidden (locks and temps are)."""
    listed = project_files.list_names(root, SEQUENCES_DIR)
    return None if listed is None else [n for n in listed if not n.startswith(".")]


def _unchanged_since(root: Path, early: _Early) -> bool:
    """Whether sequences/ lists the same names and the input files hold exactly the
    bytes the plan was made from: then the plan made before taking the lock is still
    the plan (reading is cheap; parsing and planning again are not)."""
    if _visible_names(root) != early.names:
        return False
    return all(project_files.holds(root, rel, (raw,)) == 0
               for rel, raw in early.snap.raw_files().items())


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
    clock). With ``verify_after`` the result carries :func:`migrate.verify`'s report. The
    result's plan keeps each step's size, not its bytes (:meth:`Plan.release_bytes`).
    Raises :class:`~conformance.errors.SeqcheckError` /
    :class:`~migrate.errors.MigrateError` before any write for bad input, conflicts
    (``MIGRATE_CONFLICT``), a born-broken project without ``repair``, a newer record,
    damaged or foreign records (``MIGRATE_BAD_RECORD``). A refused or no-op migration
    creates nothing at all. A write that fails part-way is undone and its error
    raised (the project is unchanged, checked by hash); a file that could not be
    restored is ``MIGRATE_NOT_RESTORED`` naming it (the run is kept); if the undo fails
    too, ``MIGRATE_INCOMPLETE`` (with ``completed``/``total``) and the same call
    resumes the migration.
    """
    # Millions of parsed JSON containers, none in a cycle: collections only re-scan them.
    with cyclic_gc_paused():
        return _apply(project_root(project), options or Options(), now, verify_after,
                      lock_timeout, on_step)


def _apply(root: Path, options: Options, now: str | None, verify_after: bool,
           lock_timeout: float, on_step: StepCallback | None) -> ApplyResult:
    when = migration_time(now)
    early = _preflight(root, options, when)
    if early is not None and not early.plan.has_work:
        result = ApplyResult(root, ApplyState.unchanged(early.plan.state), early.plan)
    else:
        ours = [] if project_files.exists(root, sidecar_of(PROJECT_FILE)) \
            else [sidecar_of(PROJECT_FILE)]
        with project_files.lock(root, PROJECT_FILE, lock_timeout):
            run = runs.latest_run(root)
            if run is not None and not run.progress().done:
                result = _resume(root, run, options, lock_timeout, on_step, ours)
            else:
                if early is None or not _unchanged_since(root, early):
                    early = _planned(root, options, when)
                result = _fresh(root, early.snap, early.plan, lock_timeout, on_step, ours)
    # Free the snapshot and the steps' bytes (on disk now, originals in the backup)
    # before verification reads the project again.
    early = None
    result.plan.release_bytes()
    if verify_after:
        result.verification = _verify_after(root, result)
    return result


def _verify_after(root: Path, result: ApplyResult) -> VerifyReport:
    """The verification of what was just written. It runs after the migration: a
    failure inside it must not read as "project unchanged" (exit 3), so it becomes a
    problem of the report (exit 1, the migration itself stands and is recorded)."""
    try:
        return verify(root)
    except Exception as exc:  # reported, with its type, as a problem of the report
        report = VerifyReport(root, 0, VALIDATOR)
        done = "the migration was applied and recorded" if result.state is ApplyState.MIGRATED \
            else "nothing was changed"
        report.problems.append(VerifyProblem(
            ProblemKind.UNREADABLE,
            f"the verification could not run ({type(exc).__name__}: {exc}); "
            f"{done}. Run 'seqcheck migrate PROJECT --verify' once the cause is fixed, or "
            "--rollback.", getattr(exc, "file", None), getattr(exc, "pointer", None)))
        return report


def _planned(root: Path, options: Options, now: str) -> _Early:
    names = _visible_names(root)
    snap = read_snapshot(root)
    plan = make_plan(snap, root, options, now)
    if plan.blocked:
        raise conflict_error(plan)
    return _Early(names, snap, plan)


def _fresh(root: Path, snap: Snapshot, plan: Plan, lock_timeout: float,
           on_step: StepCallback | None, sidecars: list[str]) -> ApplyResult:
    if not plan.has_work:
        return ApplyResult(root, ApplyState.unchanged(plan.state), plan)
    # Record up front the sidecars the steps' locks will create (one journal write,
    # not one per step); one missing then is created by a step only if absent now.
    sidecars = sidecars + [
        side for s in plan.steps
        if s.original is not None and s.data is not None and s.path != PROJECT_FILE
        and not project_files.exists(root, side := sidecar_of(s.path))]
    run = _start(root, plan, snap.raw_files(), snap.had_sequences_dir, sidecars)
    written = _execute(_Writer(root, run, plan, lock_timeout), 0, on_step)
    return ApplyResult(root, ApplyState.MIGRATED, plan, steps_written=written, run_dir=run.folder)
