"""``seqcheck validate``: a thin click layer over :mod:`conformance.validate`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from conformance.cli.exit_codes import ExitCode
from conformance.errors import SeqcheckError
from conformance.validate import (
    Severity,
    ValidationReport,
    project_roots_for_changed,
    resolve_projects,
    validate_projects,
)
from conformance.validate.codes import matching_codes
from conformance.validate.reporters import REPORTERS, RenderOptions, render

#: More projects than this on a TTY get a progress bar on stderr.
_PROGRESS_MIN_PROJECTS = 1


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
                    f"{pattern!r} matches no finding code; see conformance/spec/findings.md.",
                    param_hint=option,
                )
            out.update(found)
    return out


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def _use_colour(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-r", "--recursive", is_flag=True,
              help="Validate every folder under PATHS that holds a project.json.")
@click.option("-f", "--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text",
              show_default=True, help="Output format.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="error",
              show_default=True, help="Exit 1 when a finding of this severity or worse remains.")
@click.option("--select", multiple=True, metavar="CODE",
              help="Report only these codes (exact, prefix like SC3, or name); repeatable.")
@click.option("--ignore", multiple=True, metavar="CODE",
              help="Do not report these codes (same forms as --select); repeatable.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
@click.option("-v", "--verbose", is_flag=True,
              help="Show every schema violation, not only the best match per location.")
@click.option("--changed-files", is_flag=True,
              help="PATHS are changed files (as pre-commit passes them): validate the "
                   "whole projects that hold them.")
def validate(
    paths: tuple[Path, ...],
    recursive: bool,
    fmt: str,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    output: Path | None,
    quiet: bool,
    verbose: bool,
    changed_files: bool,
) -> None:
    """Check project folders (default: the current folder) against the spec.

    \b
    Exit status: 0 no finding at or above --fail-on, 1 findings,
    2 usage error or a path that is not a project, 3 internal or I/O error.
    """
    selected = _codes(select, "--select")
    ignored = _codes(ignore, "--ignore")
    try:
        if changed_files:
            projects = project_roots_for_changed(paths)
        else:
            projects = resolve_projects(paths or (Path(),), recursive=recursive)
    except SeqcheckError as exc:
        click.echo(f"seqcheck validate: {exc.message}", err=True)
        sys.exit(ExitCode.USAGE)

    show_progress = not quiet and len(projects) > _PROGRESS_MIN_PROJECTS and _stderr_is_tty()
    if show_progress:
        with click.progressbar(length=len(projects), label="Validating", file=sys.stderr) as bar:
            reports = validate_projects(projects, progress=lambda done, total, p: bar.update(1))
    else:
        reports = validate_projects(projects)

    reports = [r.filtered(selected, ignored) for r in reports]
    threshold = Severity(fail_on)
    options = RenderOptions(
        verbose=verbose, quiet=quiet, color=_use_colour(output), fail_on=threshold
    )
    text = render(fmt, reports, options)
    if output is None:
        click.echo(text, nl=False, color=options.color)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(
                f"seqcheck validate: could not write {output}: {exc.strerror or exc}.", err=True
            )
            sys.exit(ExitCode.ERROR)
    sys.exit(ExitCode.FAILED if _failing(reports, threshold) else ExitCode.OK)


def _failing(reports: list[ValidationReport], threshold: Severity) -> bool:
    return any(r.at_or_above(threshold) for r in reports)
