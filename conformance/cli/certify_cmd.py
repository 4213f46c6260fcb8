"""``seqcheck certify``: run the conformance suite and print the certificate."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from conformance.cli.exit_codes import ExitCode


def _write(path: Path, text: str) -> None:
    # The GitHub step summary is shared by the job's steps: append to it, replace others.
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    mode = "a" if summary and Path(summary).resolve() == path.resolve() else "w"
    with path.open(mode, encoding="utf-8") as f:
        f.write(text)


_EPILOG = """\b
Examples:
  seqcheck certify --reference --depth full             every kill point, longer runs
  seqcheck certify --adapter "python -m conformance.adapters.reference" --report cert.json
  seqcheck certify --impl path/to/store.py:MyStore --junit cert.xml
  seqcheck certify --reference -k crash                 a partial run (never certified)
  seqcheck certify --adapter CMD --markdown "$GITHUB_STEP_SUMMARY"   certificate in a CI summary
  seqcheck explain SEQ-ATOMIC-1                         what a requirement asks, and why"""


@click.command("certify", epilog=_EPILOG)
@click.option("--reference", "use_reference", is_flag=True,
              help="Certify seqcheck's own reference store (in process).")
@click.option("--impl", metavar="MODULE:FACTORY",
              help="Certify a Python implementation: factory(project_dir) returns an object "
              "with the reference store's methods.")
@click.option("--adapter", metavar="CMD",
              help="Certify any implementation through adapter protocol v1: the command that "
              "starts its stdio adapter (quoted like a shell command).")
@click.option("--depth", type=click.Choice(["quick", "full"]), default="quick", show_default=True,
              help="full: every kill point, 3x100 concurrent cycles on 1 MB, longer state machine.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON certificate (schemas/certification-report.schema.json).")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write JUnit XML (one test case per requirement).")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write markdown, e.g. to \"$GITHUB_STEP_SUMMARY\" (appended to there).")
@click.option("-k", "keyword", metavar="EXPR",
              help="Only run suite tests matching EXPR (pytest -k); a partial run is never "
              "certified.")
@click.option("-v", "--verbose", is_flag=True, help="Show the suite's pytest output live.")
def certify(
    use_reference: bool, impl: str | None, adapter: str | None, depth: str,
    report_path: Path | None, junit_path: Path | None, markdown_path: Path | None,
    keyword: str | None, verbose: bool,
) -> None:
    """Run the conformance suite against an implementation and print a certificate.

    Exit status: 0 when every MUST requirement that applies passed (SHOULD failures are
    warnings), 1 when some did not or the adapter is broken, 2 on bad usage, 3 when the
    suite could not run at all.

    \b
    seqcheck certify --reference
    seqcheck certify --impl mypkg.store:make_store --report cert.json
    seqcheck certify --adapter "node conformance/adapters/node/adapter.mjs \\
        --module dist/ProjectService.js --export ProjectService" --markdown summary.md
    """
    from conformance.certify import SuiteRunError, Target
    from conformance.certify import certify as run_certify
    from conformance.certify.render_junit import render_junit
    from conformance.certify.render_markdown import render_markdown
    from conformance.certify.render_text import render_table

    chosen = [name for name, given in (("--reference", use_reference), ("--impl", impl),
                                        ("--adapter", adapter)) if given]
    if len(chosen) != 1:
        raise click.UsageError(
            "choose exactly one implementation: --reference, --impl MODULE:FACTORY or "
            f"--adapter CMD (got {', '.join(chosen) or 'none'})."
        )
    target = Target(impl="reference" if use_reference else impl, adapter=adapter)
    extra = ["-k", keyword] if keyword else []
    click.echo(f"seqcheck certify: running the conformance suite ({depth}) against "
               f"{target.spec} ...", err=True)
    try:
        report = run_certify(target, depth=depth, extra_args=extra, stream=verbose)
    except SuiteRunError as exc:
        click.echo(f"seqcheck certify: {exc}\n{exc.output}", err=True)
        sys.exit(ExitCode.ERROR)
    click.echo(render_table(report, color=sys.stdout.isatty()))
    if report_path is not None:
        _write(report_path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if junit_path is not None:
        _write(junit_path, render_junit(report))
    if markdown_path is not None:
        _write(markdown_path, render_markdown(report))
    sys.exit(ExitCode.OK if report.certified else ExitCode.FAILED)
