"""``seqcheck validate``: a thin click layer over :mod:`conformance.validate`."""

from __future__ import annotations

import json
import sys
from concurrent.futures import BrokenExecutor  # not .process's BrokenProcessPool: ~50 ms
from pathlib import Path

import click

from conformance.cli.terminal import ProgressLine, color_option, use_color
from conformance.errors import SeqcheckError, os_failure_hint
from conformance.exit_codes import ExitCode
from conformance.limits import MAX_FINDINGS_PER_FILE
from conformance.validate import (
    Severity,
    ValidationReport,
    default_jobs,
    project_roots_for_changed,
    resolve_projects,
    validate_projects,
)
from conformance.validate.codes import matching_codes
from conformance.validate.reporters import REPORTERS, RenderOptions, render
from conformance.validate.reporters.text import summary

#: More projects than this on a TTY get a progress line on stderr.
_PROGRESS_MIN_PROJECTS = 1

_EPILOG = """\b
Examples:
  seqcheck validate                                  the project in the current folder
  seqcheck validate path/to/project                  one project
  seqcheck validate path/to/project/project.json     the same: a file means its project
  seqcheck validate -r ~/StoryCoreProjects -j 4      all projects under a folder, 4 processes
  seqcheck validate -r projects -f sarif -o seqcheck.sarif
  seqcheck validate . -f json --fail-on warning
  seqcheck validate . --select SC3 --ignore SC305    codes, prefixes or names
  seqcheck explain SC305                             what a finding means, how to fix it

\b
Exit status: 0 no finding at or above --fail-on, 1 findings,
2 usage error or a path that is not a project, 3 internal or I/O error."""


def _codes(patterns: tuple[str, ...], option: str) -> set[str] | None:
    """Expand ``--select``/``--ignore`` values (repeatable, comma-separated; exact
    codes, prefixes such as SC3, or names such as duplicate-key)."""
    if not patterns:
        return None
    out: set[str] = set()
    for value in patterns:
        for pattern in filter(None, (p.strip() for p in value.split(","))):
            found = matching_codes(pattern)
            if not found:
                raise click.BadParameter(
                    f"expected a finding code (SC105), a prefix (SC3) or a name "
                    f"(duplicate-key), found {json.dumps(pattern)}, which matches none. "
                    "'seqcheck explain SC' lists every code.",
                    param_hint=option,
                )
            out.update(found)
    return out


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def _check_paths(paths: tuple[Path, ...]) -> None:
    if any(str(p) == "-" for p in paths):
        raise click.UsageError(
            "expected project folders or files inside projects, found '-': seqcheck "
            "validate does not read standard input, because a project is a folder of "
            "files. Pass the project folder (or a file in it) instead."
        )


@click.command("validate", epilog=_EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-r", "--recursive", is_flag=True,
              help="Validate every folder under PATHS that holds a project.json.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Validate on N processes (default: the number of CPU cores). The "
                   "output and exit status are those of a serial run.")
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text",
              show_default=True, help="Output format.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="error",
              show_default=True, help="Exit 1 when a finding of this severity or worse remains.")
@click.option("--select", multiple=True, metavar="CODE",
              help="Report only these codes (exact, prefix like SC3, or name); repeatable.")
@click.option("--ignore", multiple=True, metavar="CODE",
              help="Do not report these codes (same forms as --select); repeatable.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output (the summary "
                   "line then goes to standard error).")
@color_option
@click.option("-q", "--quiet", is_flag=True, help="No progress line and no summary line.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show every schema violation, not only the best match per location.")
@click.option("--changed-files", is_flag=True,
              help="PATHS are changed files (as pre-commit passes them): validate the "
                   "whole projects that hold them.")
def validate(
    paths: tuple[Path, ...],
    recursive: bool,
    jobs: int | None,
    fmt: str,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    output: Path | None,
    color_mode: str,
    quiet: bool,
    verbose: bool,
    changed_files: bool,
) -> None:
    """Check project folders (default: the current folder) against the spec.

    Each PATH is a project folder, a file inside one (its whole project is
    checked), or with -r a folder to search for projects.
    """
    selected = _codes(select, "--select")
    ignored = _codes(ignore, "--ignore")
    if not changed_files:
        _check_paths(paths)
    try:
        if changed_files:
            projects = project_roots_for_changed(paths)
        else:
            projects = resolve_projects(paths or (Path(),), recursive=recursive)
    except SeqcheckError as exc:
        click.echo(f"seqcheck validate: {exc.message}", err=True)
        sys.exit(ExitCode.USAGE)

    workers = jobs if jobs is not None else default_jobs()
    cap = None if verbose else MAX_FINDINGS_PER_FILE
    show_progress = not quiet and len(projects) > _PROGRESS_MIN_PROJECTS and _stderr_is_tty()
    try:
        if show_progress:
            with ProgressLine(sys.stderr, len(projects), "Validating") as line:
                reports = validate_projects(
                    projects, jobs=workers, progress=lambda done, total, p: line.advance(),
                    max_findings_per_file=cap,
                )
        else:
            reports = validate_projects(projects, jobs=workers, max_findings_per_file=cap)
    except BrokenExecutor:
        click.echo(
            f"seqcheck validate: a worker process died while validating (-j {workers}): "
            "killed by a signal or out of memory. Nothing was reported. Run again with "
            "-j 1 to validate in one process, or with fewer jobs.",
            err=True,
        )
        sys.exit(ExitCode.ERROR)

    reports = [r.filtered(selected, ignored) for r in reports]
    threshold = Severity(fail_on)
    options = RenderOptions(
        verbose=verbose,
        quiet=quiet,
        color=use_color(color_mode, sys.stdout if output is None else None),
        fail_on=threshold,
    )
    text = render(fmt, reports, options)
    if output is None:
        click.echo(text, nl=False, color=options.color)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(
                f"seqcheck validate: could not write the report to "
                f"{json.dumps(str(output))}: {os_failure_hint(exc)}.",
                err=True,
            )
            sys.exit(ExitCode.ERROR)
        if not quiet:
            click.echo(f"{summary(reports)} Report written to {output}.", err=True)
    sys.exit(ExitCode.FAILED if _failing(reports, threshold) else ExitCode.OK)


def _failing(reports: list[ValidationReport], threshold: Severity) -> bool:
    return any(r.at_or_above(threshold) for r in reports)
