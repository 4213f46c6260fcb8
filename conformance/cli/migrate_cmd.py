"""``seqcheck migrate``: a thin click layer over the :mod:`migrate` library.

With ``--format json`` exactly one JSON document goes to stdout whatever happens
(schemas/migration-output.schema.json): the plan for a single-project dry run, else
a document whose ``kind`` says what it is - errors, refusals and usage errors
included. Human messages for errors also go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, NoReturn

import click

from conformance.errors import SeqcheckError
from conformance.exit_codes import ExitCode
from conformance.ids import id_problem
from migrate import Options, apply, plan, rollback, verify
from migrate.batch import (
    ALREADY_MIGRATED,
    FAILED,
    MIGRATED,
    NOTHING_TO_DO,
    BatchRow,
    batch_exit_code,
    discover,
    run_batch,
    summary_table,
)
from migrate.errors import exit_code_for, quote
from migrate.model import ALREADY_MIGRATED as STATE_ALREADY
from migrate.model import NOTHING_TO_DO as STATE_NOTHING
from migrate.model import ON_CONFLICT_CHOICES, ON_DUPLICATE_CHOICES
from migrate.render import (
    apply_text,
    counts_sentence,
    history_text,
    plan_text,
    prune_text,
    rollback_text,
    verify_text,
)
from migrate.runs import history, prune

#: ``$id`` of schemas/migration-output.schema.json.
OUTPUT_SCHEMA_ID = "https://schemas.seqcheck.dev/v1/migration-output.schema.json"

Emit = Callable[[str], None]


class Mode(str, Enum):
    """What ``seqcheck migrate`` does to each project."""

    DRY_RUN = "dry-run"
    APPLY = "apply"
    VERIFY = "verify"
    ROLLBACK = "rollback"
    HISTORY = "history"
    PRUNE = "prune"


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _envelope(kind: str, exit_code: int, **fields: Any) -> dict[str, Any]:
    return {"$schema": OUTPUT_SCHEMA_ID, "kind": kind, "exit_code": int(exit_code), **fields}


def error_document(error: dict[str, Any], exit_code: int, project: Path | None,
                   mode: Mode | None) -> dict[str, Any]:
    """The ``kind: error`` document of schemas/migration-output.schema.json."""
    return _envelope("error", exit_code, project=str(project) if project else None,
                     operation=mode.value if mode else None, error=error)


@contextmanager
def _step_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar over apply's steps on a TTY (stderr); ``None`` otherwise."""
    if not enabled:
        yield None
        return
    bar: Any = None

    def on_step(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="writing", file=sys.stderr)
            bar.__enter__()
            bar.update(done - 1)
        bar.update(1)

    try:
        yield on_step
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


class _Runner:
    """One project's operation for the chosen mode; records its text and JSON forms."""

    def __init__(self, mode: Mode, options: Options, *, force: bool, verify_after: bool,
                 bar: bool, keep: int | None, run_ids: tuple[int, ...]) -> None:
        self.mode, self.options = mode, options
        self.force, self.verify_after, self.bar = force, verify_after, bar
        self.keep, self.run_ids = keep, run_ids
        self.text = ""
        self.doc: dict[str, Any] = {}

    def __call__(self, project: Path) -> BatchRow:
        operations: dict[Mode, Callable[[Path], BatchRow]] = {
            Mode.DRY_RUN: self.dry_run, Mode.APPLY: self.apply, Mode.VERIFY: self.verify,
            Mode.ROLLBACK: self.rollback, Mode.HISTORY: self.history, Mode.PRUNE: self.prune,
        }
        return operations[self.mode](project)

    def dry_run(self, project: Path) -> BatchRow:
        p = plan(project, self.options)
        self.text, self.doc = plan_text(p) + "\nDry run: nothing was changed.", p.to_dict()
        if p.needs_repair:
            return BatchRow(project, FAILED, "born broken: needs --repair",
                            int(ExitCode.FAILED))
        if p.blocked:
            return BatchRow(project, FAILED, f"{len(p.conflicts)} conflict(s) would stop it",
                            int(ExitCode.FAILED))
        status = {STATE_ALREADY: ALREADY_MIGRATED, STATE_NOTHING: NOTHING_TO_DO}.get(
            p.state, "would migrate")
        return BatchRow(project, status, counts_sentence(p.counts()), int(ExitCode.OK))

    def apply(self, project: Path) -> BatchRow:
        with _step_bar(self.bar) as on_step:
            result = apply(project, self.options, verify_after=self.verify_after,
                           on_step=on_step)
        report = result.verification
        changed = result.state not in (STATE_ALREADY, STATE_NOTHING)
        self.text = apply_text(result)
        if report is not None and changed:
            self.text += "\n" + verify_text(report)
        if report is not None and not report.ok and changed:
            row = BatchRow(project, FAILED, f"verification failed: {report.problems[0].message}",
                           int(ExitCode.FAILED))
        else:
            status = {STATE_ALREADY: ALREADY_MIGRATED, STATE_NOTHING: NOTHING_TO_DO}.get(
                result.state, MIGRATED)
            row = BatchRow(project, status, counts_sentence(result.plan.counts())
                           if status == MIGRATED else "", int(ExitCode.OK))
        self.doc = _envelope(
            "apply", row.exit_code, project=str(project), state=result.state,
            resumed=result.resumed, steps_written=result.steps_written,
            counts=result.plan.counts(),
            run_dir=str(result.run_dir) if result.run_dir else None,
            verification=report.to_dict() if report is not None else None)
        return row

    def verify(self, project: Path) -> BatchRow:
        report = verify(project)
        if report.ok:
            row = BatchRow(project, "verified", f"{report.checked_shots} shot(s)",
                           int(ExitCode.OK))
        else:
            row = BatchRow(project, FAILED, report.problems[0].message, int(ExitCode.FAILED))
        self.text = verify_text(report)
        self.doc = _envelope("verify", row.exit_code, project=str(project),
                             report=report.to_dict())
        return row

    def rollback(self, project: Path) -> BatchRow:
        result = rollback(project, force=self.force)
        self.text = rollback_text(result)
        self.doc = _envelope(
            "rollback", ExitCode.OK, project=str(project), run=result.run,
            restored=result.restored, removed=result.removed,
            forced_over=result.forced_over, removed_sidecars=result.removed_sidecars,
            removed_temps=result.removed_temps)
        return BatchRow(project, "rolled back", f"{len(result.restored)} restored, "
                        f"{len(result.removed)} removed", int(ExitCode.OK))

    def history(self, project: Path) -> BatchRow:
        entries = history(project)
        self.text = history_text(project, entries)
        self.doc = _envelope("history", ExitCode.OK, project=str(project),
                             runs=[e.to_dict() for e in entries])
        return BatchRow(project, "listed", f"{len(entries)} run(s)", int(ExitCode.OK))

    def prune(self, project: Path) -> BatchRow:
        result = prune(project, keep=self.keep, numbers=self.run_ids or None)
        self.text = prune_text(result)
        self.doc = _envelope("prune", ExitCode.OK, project=str(project),
                             deleted=result.deleted, kept=result.kept)
        return BatchRow(project, "pruned", f"{len(result.deleted)} run(s) deleted",
                        int(ExitCode.OK))


def _check_usage(flags: dict[str, bool], force: bool, orphans: str | None,
                 keep: int | None, run_ids: tuple[int, ...]) -> Mode:
    modes = [name for name, on in flags.items() if on]
    if len(modes) > 1:
        raise click.UsageError(f"{' and '.join(modes)} cannot be combined; choose one.")
    mode = Mode(modes[0][2:]) if modes else Mode.APPLY
    if force and mode is not Mode.ROLLBACK:
        raise click.UsageError("--force only applies to --rollback.")
    if mode is Mode.PRUNE and (keep is None) == (not run_ids):
        raise click.UsageError("--prune needs exactly one of --keep N (keep the N newest "
                               "finished runs) or --run N (repeatable: these runs).")
    if mode is not Mode.PRUNE and (keep is not None or run_ids):
        raise click.UsageError("--keep and --run only apply to --prune.")
    if orphans is not None and (problem := id_problem(orphans)) is not None:
        raise click.BadParameter(f"{quote(orphans)} is not a valid sequence id: {problem}.",
                                 param_hint="--orphans")
    return mode


def _wants_json(args: Sequence[str]) -> bool:
    args = list(args)
    for i, arg in enumerate(args):
        if arg in ("-f", "--format") and i + 1 < len(args) and args[i + 1] == "json":
            return True
        if arg in ("--format=json", "-fjson"):
            return True
    return False


def _usage_document(message: str) -> str:
    return _json(error_document({"code": "USAGE", "message": message}, ExitCode.USAGE,
                                None, None))


class _MigrateCommand(click.Command):
    """Usage errors found while parsing still print one JSON document with -f json."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        wants_json = _wants_json(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if not wants_json:
                raise
            click.echo(_usage_document(exc.format_message()))
            click.echo(f"seqcheck migrate: {exc.format_message()}", err=True)
            ctx.exit(int(ExitCode.USAGE))


_EPILOG = """\b
Examples:
  seqcheck migrate examples/legacy-project --dry-run          the plan; nothing changes
  seqcheck migrate examples/legacy-project --dry-run -f json  the plan as JSON
  cp -r examples/legacy-project legacy && seqcheck migrate legacy
  seqcheck migrate legacy --verify                            prove nothing was lost
  seqcheck migrate legacy --rollback                          originals back, byte for byte
  seqcheck migrate legacy --history                           the runs in .seqcheck/runs
  seqcheck migrate legacy --prune --keep 1                    drop all but the newest run
  seqcheck migrate dialog --repair                            split a New Project dialog file
  seqcheck migrate -r ~/StoryCoreProjects --fail-fast         a batch, with a summary table
  seqcheck migrate -r -j 4 ~/StoryCoreProjects                four projects at a time
  seqcheck validate legacy                                    check the result"""


@click.command("migrate", cls=_MigrateCommand, epilog=_EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format: json prints exactly one document "
              "(schemas/migration-output.schema.json; the plan for --dry-run).")
@click.option("--orphans", metavar="SEQUENCE_ID",
              help="Move shots that name no sequence into this sequence (default: they stay "
              "in project.json).")
@click.option("--repair", is_flag=True,
              help="Split a sequence file made by the New Project dialog (no id) into one "
              "file per intended sequence.")
@click.option("--on-conflict", type=click.Choice(ON_CONFLICT_CHOICES), default="stop",
              show_default=True,
              help="When a sequence file holds a shot id with different content: stop before "
              "writing, or let the sequence file's or project.json's version win.")
@click.option("--on-duplicate", type=click.Choice(ON_DUPLICATE_CHOICES), default="stop",
              show_default=True,
              help="With --repair, when files written by the app's SequenceService share a "
              "sequence id with different content: stop before writing, keep the newest "
              "file's fields, or keep the canonical sequence file's (shots only the others "
              "hold are appended either way).")
@click.option("--verify", "do_verify", is_flag=True,
              help="Only verify a migrated project (every shot once, unchanged, valid).")
@click.option("--no-verify", is_flag=True, help="Skip the verification after applying.")
@click.option("--rollback", "do_rollback", is_flag=True,
              help="Restore the originals of the latest migration byte for byte.")
@click.option("--force", is_flag=True,
              help="With --rollback: restore even files edited after the migration.")
@click.option("--history", "do_history", is_flag=True,
              help="List the migration runs in .seqcheck/runs (number, date, status, files).")
@click.option("--prune", "do_prune", is_flag=True,
              help="Delete finished runs from .seqcheck/runs (with --keep or --run).")
@click.option("--keep", type=click.IntRange(min=0), metavar="N",
              help="With --prune: keep the N newest finished runs.")
@click.option("--run", "run_ids", type=click.IntRange(min=1), multiple=True, metavar="N",
              help="With --prune: delete run N (repeatable).")
@click.option("-r", "--recursive", is_flag=True,
              help="Process every folder under PATHS that holds a project.json.")
@click.option("--fail-fast", is_flag=True,
              help="Stop at the first project that fails (default: go on, report all).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              metavar="N", help="Run up to N projects at once, in separate processes "
              "(output and exit status as a serial run).")
def migrate(paths: tuple[Path, ...], dry_run: bool, fmt: str, orphans: str | None,
            repair: bool, on_conflict: str, on_duplicate: str, do_verify: bool,
            no_verify: bool,
            do_rollback: bool, force: bool, do_history: bool, do_prune: bool,
            keep: int | None, run_ids: tuple[int, ...], recursive: bool,
            fail_fast: bool, jobs: int) -> None:
    """Move legacy project.json shots into sequences/sequence_NNN.json files.

    \b
    seqcheck migrate PROJECT --dry-run      show the plan, change nothing
    seqcheck migrate PROJECT                migrate (backup, journal, verify)
    seqcheck migrate PROJECT --verify       check a migrated project
    seqcheck migrate PROJECT --rollback     restore the originals
    seqcheck migrate PROJECT --history      list the runs in .seqcheck/runs
    seqcheck migrate PROJECT --prune --keep 1   delete all but the newest finished run
    seqcheck migrate -r FOLDER              every project under FOLDER
    seqcheck migrate -r -j 4 FOLDER         the same, four projects at a time

    An interrupted migration is finished by running the same command again.
    Exit codes: 0 migrated / nothing to do, 1 conflicts, bad input, refusals or
    verification failures, 2 usage, 3 I/O error or damaged records (project
    unchanged), 4 interrupted or part-way (run the same command to resume).
    """
    as_json = fmt == "json"
    flags = {"--dry-run": dry_run, "--verify": do_verify, "--rollback": do_rollback,
             "--history": do_history, "--prune": do_prune}
    mode = _mode_or_usage_exit(flags, force, orphans, keep, run_ids,
                               parallel_fail_fast=jobs > 1 and fail_fast, as_json=as_json)
    options = Options(orphans=orphans, repair=repair, on_conflict=on_conflict,
                      on_duplicate=on_duplicate)
    try:
        projects = discover(paths, recursive=recursive)
    except SeqcheckError as exc:
        _fail(exc, paths[0] if len(paths) == 1 else None, mode, as_json)
    single = len(projects) == 1
    tty = sys.stderr.isatty()
    runner = _Runner(mode, options, force=force, verify_after=not no_verify,
                     bar=single and tty and not as_json, keep=keep, run_ids=run_ids)
    rows = _run(runner, projects, mode, as_json=as_json, tty=tty, fail_fast=fail_fast,
                jobs=jobs)
    _report_batch(rows, projects, mode, as_json)


def _mode_or_usage_exit(flags: dict[str, bool], force: bool, orphans: str | None,
                        keep: int | None, run_ids: tuple[int, ...], *,
                        parallel_fail_fast: bool, as_json: bool) -> Mode:
    """The mode the flags choose; a usage error is raised (text) or, with -f json,
    printed as one document before exit 2."""
    try:
        mode = _check_usage(flags, force, orphans, keep, run_ids)
        if parallel_fail_fast:
            raise click.UsageError("--fail-fast needs the serial order; it cannot be "
                                   "combined with -j/--jobs above 1.")
    except click.UsageError as exc:
        if not as_json:
            raise
        click.echo(_usage_document(exc.format_message()))
        click.echo(f"seqcheck migrate: {exc.format_message()}", err=True)
        sys.exit(ExitCode.USAGE)
    return mode


def _fail(exc: SeqcheckError, project: Path | None, mode: Mode, as_json: bool) -> NoReturn:
    code = exit_code_for(exc)
    if as_json:
        click.echo(_json(error_document(exc.to_dict(), code, project, mode)))
    click.echo(f"seqcheck migrate: {exc}", err=True)
    sys.exit(code)


def _run(runner: _Runner, projects: list[Path], mode: Mode, *, as_json: bool, tty: bool,
         fail_fast: bool, jobs: int) -> list[BatchRow]:
    """Run every project; a single project prints its own result and exits here."""
    single = len(projects) == 1
    try:
        if single:
            _run_single(runner, projects[0], mode, as_json)
        if tty:
            with click.progressbar(length=len(projects), label="projects",
                                   file=sys.stderr) as bar:
                return run_batch(projects, runner, fail_fast=fail_fast,
                                 progress=lambda _p: bar.update(1), jobs=jobs)
        return run_batch(projects, runner, fail_fast=fail_fast, jobs=jobs)
    except (SystemExit, click.exceptions.Exit):
        raise
    except Exception as exc:
        # A bug in seqcheck: the group reports it on stderr (exit 3); JSON readers still
        # get their one document.
        if as_json:
            click.echo(_json(error_document(
                {"code": "INTERNAL_ERROR", "message": f"{type(exc).__name__}: {exc}"},
                ExitCode.ERROR, projects[0] if single else None, mode)))
        raise
    except KeyboardInterrupt:
        message = "interrupted; run the same command to resume."
        if as_json:
            click.echo(_json(error_document({"code": "INTERRUPTED", "message": message},
                                            ExitCode.INTERRUPTED, None, mode)))
        click.echo(f"seqcheck migrate: {message}", err=True)
        sys.exit(ExitCode.INTERRUPTED)


def _run_single(runner: _Runner, project: Path, mode: Mode, as_json: bool) -> NoReturn:
    try:
        row = runner(project)
    except SeqcheckError as exc:
        _fail(exc, project, mode, as_json)
    click.echo(_json(runner.doc) if as_json else runner.text)
    sys.exit(row.exit_code)


def _report_batch(rows: list[BatchRow], projects: list[Path], mode: Mode,
                  as_json: bool) -> NoReturn:
    code = batch_exit_code(rows)
    if as_json:
        click.echo(_json(_envelope(
            "batch", code, operation=mode.value, stopped_early=len(rows) < len(projects),
            projects=[{"project": str(r.project), "status": r.status, "detail": r.detail,
                       "exit_code": r.exit_code, "error": r.error} for r in rows])))
    else:
        click.echo(summary_table(rows))
        if len(rows) < len(projects):
            click.echo(f"--fail-fast: stopped after {len(rows)} of {len(projects)} projects.")
    sys.exit(code)


__all__ = ["OUTPUT_SCHEMA_ID", "Mode", "error_document", "migrate"]
