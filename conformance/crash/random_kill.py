"""Random SIGKILL trials: the fallback where ptrace (strace) is unavailable.

Each trial starts the adapter, waits for its hello, sends one update and kills the
process group after a random delay within the duration of an uninterrupted update.
This catches a non-atomic single write only now and then (1-10% of trials), so a
certificate built on it says the assurance was reduced.
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from conformance.crash.killpoints import KillOutcome, SweepResult
from conformance.crash.runner import UPDATE_ID, refuse_if_broken, update_input
from conformance.crash.scenario import UpdateScenario
from conformance.crash.state import Workspace, classify, leftovers, listing, read_document
from conformance.limits import MAX_RESPONSE_BYTES
from conformance.protocol import messages, process
from conformance.protocol.limits import REAP_SECONDS


def _read_line(proc: subprocess.Popen[bytes], deadline: float) -> bytes | None:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 65536)
        if not chunk or len(buffer) > MAX_RESPONSE_BYTES:
            return None
        buffer += chunk
    return buffer


class _Trial:
    def __init__(self, scenario: UpdateScenario) -> None:
        refuse_if_broken(scenario.argv)
        self.proc = process.spawn(
            scenario.argv, stderr=subprocess.DEVNULL, cwd=scenario.cwd, env=scenario.env
        )
        self.timeout = scenario.timeout

    def hello(self, data: bytes) -> bool:
        assert self.proc.stdin is not None
        hello, update, _ = data.splitlines(keepends=True)
        self.proc.stdin.write(hello)
        self.proc.stdin.flush()
        if _read_line(self.proc, time.monotonic() + self.timeout) is None:
            return False
        self._update = update
        return True

    def update(self) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(self._update)
        self.proc.stdin.flush()
        return time.monotonic()

    def kill(self) -> bytes:
        """SIGKILL the group; what it had written to stdout (bounded, never hangs)."""
        process.signal_group(self.proc, signal.SIGKILL)
        got = process.collect(
            self.proc, b"", timeout=REAP_SECONDS, stdout_limit=3 * (MAX_RESPONSE_BYTES + 1),
            stderr_limit=0,
        )
        return got.stdout


def _reported(out: bytes) -> bool:
    for line in out.splitlines():
        with contextlib.suppress(messages.MessageError):
            message = messages.decode(line)
            if isinstance(message, dict) and message.get("id") == UPDATE_ID:
                return message.get("ok") is True
    return False


def random_kill_trials(
    argv: Sequence[str],
    make_project: Callable[[Path], None],
    target_rel: str,
    sequence_id: Any,
    shot_id: Any,
    updates: Any,
    *,
    trials: int,
    seed: int | None = None,
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> SweepResult:
    """Kill the update at ``trials`` random instants; report each outcome (method "random")."""
    scenario = UpdateScenario(
        tuple(argv), make_project, target_rel, sequence_id, shot_id, updates,
        timeout=timeout, cwd=cwd, env=env,
    )
    return random_trials(scenario, trials=trials, seed=seed)


def random_trials(
    scenario: UpdateScenario, *, trials: int, seed: int | None = None
) -> SweepResult:
    """:func:`random_kill_trials` of a :class:`UpdateScenario`."""
    began = time.monotonic()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="seqcheck-random-") as tmp:
        workspace = Workspace(Path(tmp), scenario.make_project, scenario.target_rel)
        # Time an uninterrupted update: the window the random delays are drawn from.
        project, target = workspace.fresh("baseline")
        trial = _Trial(scenario)
        if not trial.hello(update_input(project, *scenario.request)):
            trial.kill()
            return SweepResult(
                [], trials, method="random", error="the adapter did not answer hello"
            )
        sent = trial.update()
        line = _read_line(trial.proc, sent + scenario.timeout)
        duration = time.monotonic() - sent
        out = trial.kill()
        if line is None or not _reported(line + out):
            return SweepResult(
                [], trials, method="random", error="the uninterrupted update did not succeed"
            )
        after = read_document(target)
        outcomes: list[KillOutcome] = []
        for index in range(trials):
            project, target = workspace.fresh(f"trial{index}")
            before, names = read_document(target), listing(target.parent)
            trial = _Trial(scenario)
            if not trial.hello(update_input(project, *scenario.request)):
                trial.kill()
                continue
            delay = rng.uniform(0.0, duration * 1.2)
            trial.update()
            time.sleep(delay)
            out = trial.kill()
            outcomes.append(
                KillOutcome(
                    point=index,
                    syscall=f"SIGKILL after {delay * 1000:.2f} ms",
                    success_reported=_reported(out),
                    state=classify(target, before, after),
                    temps_left=leftovers(target.parent, names, target),
                    hit="",
                    exact=False,
                    exit_code=trial.proc.returncode,
                )
            )
        return SweepResult(outcomes, trials, method="random", elapsed=time.monotonic() - began)
