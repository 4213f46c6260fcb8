"""Running the conformance suite in a fresh pytest process and reading its outcomes.

The suite runs in a child process so that the user's pytest configuration, plugins and
conftest files cannot change what is tested, and so a misbehaving implementation
cannot take the certifier down with it. The child's working folder is the caller's,
so relative paths in an adapter command mean what the user meant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.certify.model import Report, build_report
from conformance.suite import CASES_DIR
from conformance.suite.state import Target

_OUTPUT_TAIL = 4000


class SuiteRunError(Exception):
    """The suite itself could not run (bad selection, harness crash): no certificate."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of one suite process: raw results, pytest exit status and output."""

    raw: dict[str, Any]
    exit_status: int
    output: str
    duration_seconds: float


def suite_command(
    target: Target, results: Path, ini: Path, *, depth: str, extra_args: Sequence[str] = ()
) -> list[str]:
    """The argv of the pytest process that runs the suite against ``target``."""
    argv = [
        sys.executable, "-m", "pytest",
        "-p", "conformance.suite.plugin",
        "-p", "no:cacheprovider",
        "-c", str(ini), "--rootdir", str(ini.parent), "--confcutdir", str(CASES_DIR),
        "--import-mode=importlib", "-q", "-rN", "--color=no", "--tb=short",
        "--seqcheck-depth", depth, "--seqcheck-results", str(results),
    ]
    if target.adapter is not None:
        argv += ["--seqcheck-adapter", target.adapter]
    else:
        argv += ["--seqcheck-impl", str(target.impl)]
    return [*argv, *extra_args, str(CASES_DIR)]


def run_suite(
    target: Target, *, depth: str = "quick", extra_args: Sequence[str] = (),
    stream: bool = False, env: dict[str, str] | None = None, cwd: str | Path | None = None,
) -> SuiteRun:
    """Run the suite against ``target`` in a child pytest process.

    ``extra_args`` go to pytest (e.g. ``["-k", "security"]``); ``stream`` shows the
    child's output live instead of capturing it; ``cwd`` is the folder relative adapter
    paths are resolved from (default: the current one). Raises :class:`SuiteRunError` when
    pytest produced no complete results (bad arguments, a crash of the harness).
    """
    child_env = dict(os.environ if env is None else env)
    # Only the suite's plugin: the user's auto-loaded plugins must not alter the run.
    child_env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    child_env.pop("PYTEST_ADDOPTS", None)
    with tempfile.TemporaryDirectory(prefix="seqcheck-certify-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        results = Path(tmp) / "results.json"
        argv = suite_command(target, results, ini, depth=depth, extra_args=extra_args)
        started = time.monotonic()
        proc = subprocess.run(
            argv, env=child_env, cwd=cwd, stdout=None if stream else subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, check=False,
        )
        duration = time.monotonic() - started
        output = proc.stdout or ""
        raw = _read_results(results, proc.returncode, output)
    return SuiteRun(raw, proc.returncode, output, duration)


def _read_results(path: Path, status: int, output: str) -> dict[str, Any]:
    tail = output[-_OUTPUT_TAIL:]
    if not path.exists():
        raise SuiteRunError(
            f"the suite did not run (pytest exit status {status}); its output says why.", tail
        )
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SuiteRunError(f"the suite's results could not be read: {exc}.", tail) from exc
    if raw.get("finished") is not True:
        raise SuiteRunError("the suite's results are truncated (no 'finished' marker).", tail)
    if not raw.get("tests"):
        raise SuiteRunError(
            "the suite selected no tests (check -k / selection arguments).", tail
        )
    return raw


def certify(
    target: Target, *, depth: str = "quick", extra_args: Sequence[str] = (),
    stream: bool = False, env: dict[str, str] | None = None, cwd: str | Path | None = None,
) -> Report:
    """Run the suite against ``target`` and return the certificate (see :func:`run_suite`)."""
    run = run_suite(
        target, depth=depth, extra_args=extra_args, stream=stream, env=env, cwd=cwd
    )
    return build_report(run.raw, duration_seconds=run.duration_seconds)


__all__ = ["SuiteRun", "SuiteRunError", "certify", "run_suite", "suite_command"]
