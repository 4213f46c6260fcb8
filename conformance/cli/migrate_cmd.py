"""``seqcheck migrate``: a thin click layer over the :mod:`migrate` library."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from conformance.cli.exit_codes import ExitCode
from conformance.errors import SeqcheckError
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
from migrate.errors import quote
from migrate.exit_status import exit_code_for
from migrate.model import ALREADY_MIGRATED as STATE_ALREADY
from migrate.model import NOTHING_TO_DO as STATE_NOTHING
from migrate.model import ON_CONFLICT_CHOICES
from migrate.render import apply_text, counts_sentence, plan_text, rollback_text, verify_text

Emit = Callable[[str], None]


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


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
    """One project's operation for the chosen mode; prints details when ``verbose``."""

    def __init__(self, mode: str, options: Options, fmt: str, force: bool, verify_after: bool,
                 emit: Emit, verbose: bool, bar: bool) -> None:
        self.mode, self.options, self.fmt = mode, options, fmt
        self.force, self.verify_after = force, verify_after
        self.emit, self.verbose, self.bar = emit, verbose, bar

    def show(self, text: str, doc: dict[str, Any]) -> None:
        if self.verbose:
            self.emit(_json(doc) if self.fmt == "json" else text)

    def __call__(self, project: Path) -> BatchRow:
        operations: dict[str, Callable[[Path], BatchRow]] = {
            "dry_run": self.dry_run, "apply": self.apply, "verify": self.verify,
            "rollback": self.rollback,
        }
        return operations[self.mode](project)

    def dry_run(self, project: Path) -> BatchRow:
        p = plan(project, self.options)
        self.show(plan_text(p) + "\nDry run: nothing was changed.", p.to_dict())
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
        doc = {"project": str(project), "state": result.state, "resumed": result.resumed,
               "steps_written": result.steps_written, "counts": result.plan.counts(),
               "run_dir": str(result.run_dir) if result.run_dir else None,
               "verification": report.to_dict() if report is not None else None}
        text = apply_text(result)
        if report is not None and result.state not in (STATE_ALREADY, STATE_NOTHING):
            text += "\n" + verify_text(report)
        self.show(text, doc)
        if report is not None and not report.ok and result.state not in (STATE_ALREADY,
                                                                          STATE_NOTHING):
            return BatchRow(project, FAILED, f"verification failed: {report.problems[0].message}",
                            int(ExitCode.FAILED))
        status = {STATE_ALREADY: ALREADY_MIGRATED, STATE_NOTHING: NOTHING_TO_DO}.get(
            result.state, MIGRATED)
        return BatchRow(project, status, counts_sentence(result.plan.counts())
                        if status == MIGRATED else "", int(ExitCode.OK))

    def verify(self, project: Path) -> BatchRow:
        report = verify(project)
        self.show(verify_text(report), report.to_dict())
        if report.ok:
            return BatchRow(project, "verified", f"{report.checked_shots} shot(s)",
                            int(ExitCode.OK))
        return BatchRow(project, FAILED, report.problems[0].message, int(ExitCode.FAILED))

    def rollback(self, project: Path) -> BatchRow:
        result = rollback(project, force=self.force)
        self.show(rollback_text(result), {"project": str(project), "restored": result.restored,
                                          "removed": result.removed,
                                          "forced_over": result.forced_over})
        return BatchRow(project, "rolled back", f"{len(result.restored)} restored, "
                        f"{len(result.removed)} removed", int(ExitCode.OK))


def _check_usage(dry_run: bool, do_verify: bool, do_rollback: bool, force: bool,
                 orphans: str | None) -> str:
    modes = [name for name, on in (("--dry-run", dry_run), ("--verify", do_verify),
                                   ("--rollback", do_rollback)) if on]
    if len(modes) > 1:
        raise click.UsageError(f"{' and '.join(modes)} cannot be combined; choose one.")
    if force and not do_rollback:
        raise click.UsageError("--force only applies to --rollback.")
    if orphans is not None and (problem := id_problem(orphans)) is not None:
        raise click.BadParameter(f"{quote(orphans)} is not a valid sequence id: {problem}.",
                                 param_hint="--orphans")
    return {"--dry-run": "dry_run", "--verify": "verify", "--rollback": "rollback"}.get(
        modes[0] if modes else "", "apply")


@click.command("migrate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format (json: schemas/migration-plan.schema.json "
              "for --dry-run).")
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
@click.option("--verify", "do_verify", is_flag=True,
              help="Only verify a migrated project (every shot once, unchanged, valid).")
@click.option("--no-verify", is_flag=True, help="Skip the verification after applying.")
@click.option("--rollback", "do_rollback", is_flag=True,
              help="Restore the originals of the latest migration byte for byte.")
@click.option("--force", is_flag=True,
              help="With --rollback: restore even files edited after the migration.")
@click.option("-r", "--recursive", is_flag=True,
              help="Process every folder under PATHS that holds a project.json.")
@click.option("--fail-fast", is_flag=True,
              help="Stop at the first project that fails (default: go on, report all).")
def migrate(paths: tuple[Path, ...], dry_run: bool, fmt: str, orphans: str | None,
            repair: bool, on_conflict: str, do_verify: bool, no_verify: bool,
            do_rollback: bool, force: bool, recursive: bool, fail_fast: bool) -> None:
    """Move legacy project.json shots into sequences/sequence_NNN.json files.

    \b
    seqcheck migrate PROJECT --dry-run      show the plan, change nothing
    seqcheck migrate PROJECT                migrate (backup, journal, verify)
    seqcheck migrate PROJECT --verify       check a migrated project
    seqcheck migrate PROJECT --rollback     restore the originals
    seqcheck migrate -r FOLDER              every project under FOLDER

    An interrupted migration is finished by running the same command again.
    Exit codes: 0 migrated / nothing to do, 1 conflicts or verification failures,
    2 usage, 3 I/O or internal error, 4 interrupted (run the same command to resume).
    """
    mode = _check_usage(dry_run, do_verify, do_rollback, force, orphans)
    options = Options(orphans=orphans, repair=repair, on_conflict=on_conflict)
    try:
        projects = discover(paths, recursive=recursive)
    except SeqcheckError as exc:
        click.echo(f"seqcheck migrate: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    single = len(projects) == 1
    tty = sys.stderr.isatty()
    runner = _Runner(mode, options, fmt, force, not no_verify, click.echo, single,
                     bar=single and tty and fmt == "text")
    try:
        if single:
            try:
                rows = [runner(projects[0])]
            except SeqcheckError as exc:
                click.echo(f"seqcheck migrate: {exc}", err=True)
                sys.exit(exit_code_for(exc))
            sys.exit(rows[0].exit_code)
        if tty:
            with click.progressbar(length=len(projects), label="projects",
                                   file=sys.stderr) as bar:
                rows = run_batch(projects, runner, fail_fast=fail_fast,
                                 progress=lambda _p: bar.update(1))
        else:
            rows = run_batch(projects, runner, fail_fast=fail_fast)
    except KeyboardInterrupt:
        click.echo("seqcheck migrate: interrupted; run the same command to resume.", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    if fmt == "json":
        click.echo(_json([{"project": str(r.project), "status": r.status, "detail": r.detail,
                           "exit_code": r.exit_code} for r in rows]))
    else:
        click.echo(summary_table(rows))
        if len(rows) < len(projects):
            click.echo(f"--fail-fast: stopped after {len(rows)} of {len(projects)} projects.")
    sys.exit(batch_exit_code(rows))
