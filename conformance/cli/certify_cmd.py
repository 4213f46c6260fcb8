"""``seqcheck certify``: run the conformance suite and print the certificate."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import click

from conformance.exit_codes import ExitCode

# Literal copies of library defaults so --help does not import the library (start-up
# time); test_certify_cli checks they agree.
DEFAULT_DEADLINE = 1200.0
GRACE = 120.0
START_TIMEOUT = 4.0


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
              help="Certify a Python implementation: MODULE:FACTORY or path/to/store.py:FACTORY "
              "(a module importable from the current folder). factory(project_dir) returns an "
              "object with the reference store's methods; optional attributes of the factory "
              "declare what hello says: name, version, and capabilities (a list of "
              "'legacy-fallback', 'save-shot', 'concurrent-writers').")
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
@click.option("--timeout", "timeout", type=click.FloatRange(min=1), default=DEFAULT_DEADLINE,
              show_default=True, metavar="SECONDS",
              help="Deadline of the whole run. No test starts after it; a test still running "
              f"{GRACE:g} s later is stopped with its adapter. A timed-out run is reported as "
              "such (exit status 4) and never certified.")
@click.option("--start-timeout", type=click.FloatRange(min=0.1), default=START_TIMEOUT,
              show_default=True, metavar="SECONDS",
              help="How long the implementation may take to answer hello when certify first "
              "starts it (one retry if it stays silent).")
@click.option("-v", "--verbose", is_flag=True,
              help="Show the suite's pytest output live, one line per test.")
def certify(
    use_reference: bool, impl: str | None, adapter: str | None, depth: str,
    report_path: Path | None, junit_path: Path | None, markdown_path: Path | None,
    keyword: str | None, timeout: float, start_timeout: float, verbose: bool,
) -> None:
    """Run the conformance suite against an implementation and print a certificate.

    Before the suite starts, the implementation is started once and must answer hello:
    an adapter that cannot run, exits, stays silent or answers a malformed hello, and an
    --impl that is not MODULE:FACTORY, does not import or whose factory raises, are
    usage errors (a few lines, exit status 2).

    Exit status: 0 when every MUST requirement that applies passed (SHOULD failures are
    warnings), 1 when some did not or the adapter broke during the run, 2 on bad usage
    or an implementation that does not start, 3 when the suite could not run at all,
    4 when the run passed its --timeout deadline (timed out; not certified).

    A Python --impl declares what hello says with attributes of its factory (a
    function or class): capabilities (any of legacy-fallback, save-shot,
    concurrent-writers; none by default, and requirements of undeclared ones are
    "not claimed"), name and version:

    \b
        def make_store(project_dir): return MyStore(project_dir)
        make_store.capabilities = ["legacy-fallback", "save-shot"]
        make_store.name, make_store.version = "mystore", "2.1.0"

    On a terminal a live line shows the requirement group, the test and the counts
    so far; -v shows the suite's own output instead (the table is printed once).

    \b
    seqcheck certify --reference
    seqcheck certify --impl mypkg.store:make_store --report cert.json
    seqcheck certify --adapter "node conformance/adapters/node/adapter.mjs \\
        --module dist/ProjectService.js --export ProjectService" --markdown summary.md
    """
    from conformance.certify import SuiteRunError, Target, Verdict
    from conformance.certify import certify as run_certify
    from conformance.certify.render_junit import render_junit
    from conformance.certify.render_markdown import render_markdown
    from conformance.certify.render_text import render_table
    from conformance.protocol.preflight import StartProblem, preflight

    chosen = [name for name, given in (("--reference", use_reference), ("--impl", impl),
                                        ("--adapter", adapter)) if given]
    if len(chosen) != 1:
        raise click.UsageError(
            "choose exactly one implementation: --reference, --impl MODULE:FACTORY or "
            f"--adapter CMD (got {', '.join(chosen) or 'none'})."
        )
    target = Target(impl="reference" if use_reference else impl, adapter=adapter)
    option = "--adapter" if adapter is not None else "--impl"
    try:
        greeting = preflight(impl=target.impl if adapter is None else None, adapter=adapter,
                             start_timeout=start_timeout)
    except StartProblem as problem:
        hint = (f"\nIf it needs more than {start_timeout:g} s to start, raise --start-timeout."
                if problem.stalled else "")
        click.echo(f"seqcheck certify: the implementation given by {option} "
                   f"{json.dumps(target.spec)} did not start.\n{problem}{hint}", err=True)
        sys.exit(ExitCode.USAGE)
    stalls = f" (after {greeting.start_stalls} silent start(s))" if greeting.start_stalls else ""
    click.echo(f"seqcheck certify: running the conformance suite ({depth}) against "
               f"{target.spec}: {greeting.info.name} {greeting.info.version}{stalls} ...",
               err=True)
    extra = ["-k", keyword] if keyword else []
    live = _LiveLine() if not verbose and sys.stderr.isatty() else None
    # SIGTERM (a CI job cancelled) unwinds like Ctrl-C: the suite process is stopped and
    # the temporary folder removed, instead of dying with both left behind.
    previous = _on_sigterm(_terminated)
    try:
        report = run_certify(target, depth=depth, extra_args=extra, stream=verbose,
                             deadline_seconds=timeout,
                             on_progress=live.show if live is not None else None)
    except SuiteRunError as exc:
        click.echo(f"seqcheck certify: {exc}\n{exc.output}", err=True)
        sys.exit(ExitCode.ERROR)
    finally:
        _on_sigterm(previous)
        if live is not None:
            live.clear()
    click.echo(render_table(report, color=sys.stdout.isatty()))
    if report_path is not None:
        _write(report_path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if junit_path is not None:
        _write(junit_path, render_junit(report))
    if markdown_path is not None:
        _write(markdown_path, render_markdown(report))
    if report.verdict is Verdict.TIMED_OUT:
        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(ExitCode.OK if report.certified else ExitCode.FAILED)


def _on_sigterm(handler: Any) -> Any:
    """Install ``handler`` for SIGTERM (main thread only); return the previous one."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding application's worker)
        return handler


def _terminated(signum: int, frame: Any) -> None:
    click.echo("seqcheck certify: terminated; the run was stopped.", err=True)
    sys.exit(ExitCode.INTERRUPTED)


class _LiveLine:
    """One line on the terminal, rewritten in place: group, test and counts so far."""

    def __init__(self) -> None:
        self._shown = False

    def show(self, tally: Any) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        text = tally.line()
        text = text if len(text) <= width else text[: width - 3] + "..."
        sys.stderr.write("\r" + text + "\x1b[K")
        sys.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
