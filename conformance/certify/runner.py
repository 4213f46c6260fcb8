"""Running the conformance suite in a fresh pytest process and reading its outcomes.

The suite runs in a child process so that the user's pytest configuration, plugins and
conftest files cannot change what is tested, and so a misbehaving implementation
cannot take the certifier down with it. The child's working folder is the caller's,
so relative paths in an adapter command mean what the user meant.

The whole run has a deadline. The child starts no test after it (see
:mod:`conformance.certify.progress`) and ends normally; if a test in flight keeps it
past the deadline plus :data:`DEADLINE_GRACE_SECONDS`, it is stopped (and its adapters
with it) and the certificate is issued from the progress events it had written. Either
way the certificate's header says so (``header["deadline"]``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance import requirements
from conformance.certify.model import Report, Verdict, build_report
from conformance.protocol import process
from conformance.suite import CASES_DIR, SUITE_VERSION
from conformance.suite.results import RAW_FORMAT
from conformance.suite.state import Target

_OUTPUT_TAIL = 4000
#: Default whole-run deadline of ``seqcheck certify`` (seconds): a quick run takes
#: 30-60 s and a full one a few minutes; 20 minutes fits a CI job's step with room.
DEFAULT_DEADLINE_SECONDS = 1200.0
#: How long a test in flight at the deadline may take to finish before the run is
#: stopped: three unanswered 30 s requests declare an adapter broken, plus margin.
DEADLINE_GRACE_SECONDS = 120.0
_POLL_SECONDS = 0.2


class SuiteRunError(Exception):
    """The suite itself could not run (bad selection, harness crash): no certificate."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass
class Tally:
    """What the progress events said so far (for the live line and a stopped run)."""

    total: int = 0
    done: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    current: str = ""
    group: str = ""
    requirements: list[str] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    header: dict[str, Any] | None = None
    #: ``{"not_run": N, "next": nodeid}`` once the child saw the deadline pass.
    deadline: dict[str, Any] | None = None

    def apply(self, event: dict[str, Any]) -> None:
        """Fold one progress event in."""
        kind = event.get("event")
        if kind == "collected":
            self.total = int(event.get("total", 0))
        elif kind == "start":
            self.current = str(event.get("nodeid", ""))
            self.group = str(event.get("group", ""))
            self.requirements = [str(r) for r in event.get("requirements") or []]
        elif kind == "done":
            self.done += 1
            record = event.get("record")
            if isinstance(record, dict):
                self.records[str(event.get("nodeid"))] = record
                outcome = str(record.get("outcome", "?"))
                self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        elif kind == "header" and isinstance(event.get("header"), dict):
            self.header = event["header"]
        elif kind == "deadline":
            self.deadline = {"not_run": event.get("not_run"), "next": event.get("next")}

    def line(self) -> str:
        """The live progress line: group, test, counts so far."""
        counts = ", ".join(f"{n} {o}" for o, n in sorted(self.outcomes.items()))
        if not self.current:
            return f"[{self.done}/{self.total}] starting the suite"
        test = self.current.split("::")[-1]
        ids = f" {' '.join(self.requirements)}" if self.requirements else ""
        return f"[{self.done}/{self.total}] {self.group}{ids}: {test}" + (
            f"  ({counts})" if counts else ""
        )


class _EventTail:
    """Reads the complete lines appended to the progress file since the last call."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with self._path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        events = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
        return events


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of one suite process: raw results, pytest exit status and output."""

    raw: dict[str, Any]
    exit_status: int | None
    output: str
    duration_seconds: float
    #: ``None`` when the run finished in time; else what the deadline cut off
    #: (``seconds``, ``not_run``, ``next``, ``stopped``: the child had to be stopped).
    deadline: dict[str, Any] | None = None


def suite_command(
    target: Target, results: Path, ini: Path, *, depth: str, extra_args: Sequence[str] = (),
    progress: Path | None = None, deadline_seconds: float | None = None, verbose: bool = False,
) -> list[str]:
    """The argv of the pytest process that runs the suite against ``target``.

    ``verbose`` lists each test as it ends (its output is shown live); else ``-q``.
    """
    argv = [
        sys.executable, "-m", "pytest",
        "-p", "conformance.suite.plugin",
        "-p", "conformance.certify.progress",
        "-p", "no:cacheprovider",
        "-c", str(ini), "--rootdir", str(ini.parent), "--confcutdir", str(CASES_DIR),
        "--import-mode=importlib", "-v" if verbose else "-q", "-rN", "--color=no", "--tb=short",
        "--seqcheck-depth", depth, "--seqcheck-results", str(results),
    ]
    if progress is not None:
        argv += ["--seqcheck-progress", str(progress)]
    if deadline_seconds is not None:
        argv += ["--seqcheck-deadline", f"{deadline_seconds:g}"]
    if target.adapter is not None:
        argv += ["--seqcheck-adapter", target.adapter]
    else:
        argv += ["--seqcheck-impl", str(target.impl)]
    return [*argv, *extra_args, str(CASES_DIR)]


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(path.stat().st_size - _OUTPUT_TAIL, 0))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def run_suite(
    target: Target, *, depth: str = "quick", extra_args: Sequence[str] = (),
    stream: bool = False, env: dict[str, str] | None = None, cwd: str | Path | None = None,
    deadline_seconds: float | None = DEFAULT_DEADLINE_SECONDS,
    on_progress: Callable[[Tally], None] | None = None,
) -> SuiteRun:
    """Run the suite against ``target`` in a child pytest process.

    ``extra_args`` go to pytest (e.g. ``["-k", "security"]``); ``stream`` shows the
    child's output live instead of capturing it; ``cwd`` is the folder relative adapter
    paths are resolved from (default: the current one); ``deadline_seconds`` bounds the
    whole run (``None``: no bound); ``on_progress`` is called with the tally whenever a
    progress event arrives. Raises :class:`SuiteRunError` when pytest produced no
    complete results (bad arguments, a crash of the harness).
    """
    child_env = dict(os.environ if env is None else env)
    # Only the suite's plugin: the user's auto-loaded plugins must not alter the run.
    child_env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    child_env.pop("PYTEST_ADDOPTS", None)
    with tempfile.TemporaryDirectory(prefix="seqcheck-certify-") as tmp:
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        results = Path(tmp) / "results.json"
        events = Path(tmp) / "progress.jsonl"
        log = Path(tmp) / "output.txt"
        argv = suite_command(
            target, results, ini, depth=depth, extra_args=extra_args, progress=events,
            deadline_seconds=deadline_seconds, verbose=stream,
        )
        tally = Tally()
        tail = _EventTail(events)
        started = time.monotonic()
        with log.open("wb") as out:
            # The child is killed with us (PDEATHSIG), and its adapters with it.
            child = process.spawn(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if stream else out,
                stderr=subprocess.STDOUT, cwd=cwd, env=child_env,
            )
            relay = _Relay(child.stdout) if stream and child.stdout is not None else None
            try:
                status, stopped = _watch(
                    child, tail, tally, started, deadline_seconds, on_progress
                )
            except BaseException:  # Ctrl-C, SIGTERM: the suite and its adapters go too
                process.stop(child)
                raise
            if relay is not None:
                relay.join()
        duration = time.monotonic() - started
        output = "" if stream else _tail(log)
        deadline = None
        if stopped or tally.deadline is not None:
            deadline = {
                "seconds": deadline_seconds,
                "not_run": (tally.deadline or {}).get("not_run"),
                "next": (tally.deadline or {}).get("next") or tally.current,
                "stopped": stopped,
            }
        if stopped:
            raw = _raw_from_events(tally, target, depth)
        else:
            raw = _read_results(results, status, output, allow_empty=deadline is not None)
    return SuiteRun(raw, status, output, duration, deadline)


#: The section the suite plugin ends its own output with: the requirement table, which
#: ``seqcheck certify`` prints itself (once) from the certificate.
_TABLE_SECTION = b" seqcheck requirements "


class _Relay:
    """Copies the child's output to ours as it comes (``-v``), minus its own table."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._thread = threading.Thread(target=self._run, name="suite-output", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        target = sys.stdout.buffer
        skipping = False
        for line in iter(self._stream.readline, b""):
            if line.startswith(b"=") and line.rstrip().endswith(b"="):
                skipping = _TABLE_SECTION in line
                if skipping:
                    continue
            if not skipping:
                target.write(line)
                target.flush()

    def join(self) -> None:
        """Wait (bounded) for the rest of the output."""
        self._thread.join(5.0)


def _watch(
    child: subprocess.Popen[bytes], tail: _EventTail, tally: Tally, started: float,
    deadline_seconds: float | None, on_progress: Callable[[Tally], None] | None,
) -> tuple[int | None, bool]:
    """Follow the child until it exits or overruns the deadline; (status, stopped)."""
    hard = (
        started + deadline_seconds + DEADLINE_GRACE_SECONDS
        if deadline_seconds is not None else None
    )
    while True:
        status = process.wait_exit(child, _POLL_SECONDS)
        for event in tail.read():
            tally.apply(event)
            if on_progress is not None:
                on_progress(tally)
        if status is not None:
            return status, False
        if hard is not None and time.monotonic() >= hard:
            status = process.stop(child)
            for event in tail.read():
                tally.apply(event)
            return status, True


def _raw_from_events(tally: Tally, target: Target, depth: str) -> dict[str, Any]:
    """Raw results rebuilt from the progress events of a child that had to be stopped."""
    header: dict[str, Any] = dict(tally.header) if tally.header is not None else {
        # Stopped before the suite was even collected: what the parent knows.
        "suite_version": SUITE_VERSION,
        "requirements_known": len(requirements.REQUIREMENTS),
        "implementation": None,
        "implementation_error": None,
        "stderr_tail": "",
        "notes": [],
    }
    header["notes"] = [
        *header.get("notes", []),
        "the run was stopped at its deadline while "
        + (f"{json.dumps(tally.current)} was running" if tally.current else "pytest was starting"),
    ]
    header.setdefault("target", {"kind": target.kind, "spec": target.spec})
    header.setdefault("depth", depth)
    return {
        "format": RAW_FORMAT, **header, "tests": list(tally.records.values()), "finished": True,
    }


def _read_results(
    path: Path, status: int | None, output: str, *, allow_empty: bool = False
) -> dict[str, Any]:
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
    if not raw.get("tests") and not allow_empty:
        raise SuiteRunError(
            "the suite selected no tests (check -k / selection arguments).", tail
        )
    return raw


def deadline_note(deadline: dict[str, Any]) -> str:
    """The certificate note saying what the deadline cut off."""
    left = deadline.get("not_run")
    cut = f"{left} test(s) did not run" if left else "the test in flight was stopped"
    return (
        f"timed out: the run passed its {deadline['seconds']:g} s deadline (--timeout); "
        f"{cut}, starting at {json.dumps(deadline.get('next') or '')}. A timed-out run is "
        "never certified."
    )


def certify(
    target: Target, *, depth: str = "quick", extra_args: Sequence[str] = (),
    stream: bool = False, env: dict[str, str] | None = None, cwd: str | Path | None = None,
    deadline_seconds: float | None = DEFAULT_DEADLINE_SECONDS,
    on_progress: Callable[[Tally], None] | None = None,
) -> Report:
    """Run the suite against ``target`` and return the certificate (see :func:`run_suite`).

    A run cut short by its deadline has ``header["deadline"]`` set (see
    :class:`SuiteRun`) and a note saying so; it is never certified.
    """
    run = run_suite(
        target, depth=depth, extra_args=extra_args, stream=stream, env=env, cwd=cwd,
        deadline_seconds=deadline_seconds, on_progress=on_progress,
    )
    raw = run.raw
    if run.deadline is not None:
        raw = {**raw, "notes": [*raw.get("notes", []), deadline_note(run.deadline)]}
    report = build_report(raw, duration_seconds=run.duration_seconds)
    report.header["deadline"] = run.deadline
    if run.deadline is not None and report.verdict is Verdict.CERTIFIED:
        # Whatever did not run is unproven; the certificate must not say otherwise.
        from dataclasses import replace

        report = replace(report, verdict=Verdict.NOT_CERTIFIED)
    return report


__all__ = [
    "DEADLINE_GRACE_SECONDS",
    "DEFAULT_DEADLINE_SECONDS",
    "SuiteRun",
    "SuiteRunError",
    "Tally",
    "certify",
    "deadline_note",
    "run_suite",
    "suite_command",
]
