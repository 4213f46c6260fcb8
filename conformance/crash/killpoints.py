"""Deterministic kill points: kill an update at every syscall that can change the disk.

1. Record one uninterrupted update under strace (``-f -y``) in a fresh project.
2. Keep the calls from the first touch of the target's folder up to the write of the
   update's response, that touch the project, plus the response write and the call
   after it (success already reported). Only calls on project files can change what
   is on disk, so killing just before each of them reaches every on-disk state the
   update can leave behind.
3. Rerun the update once per point in a fresh project with
   ``-e inject=NAME:signal=KILL:when=N`` (the process dies on entry to the N-th
   ``NAME`` call of a thread, before the call runs), then classify the target.

Aiming in multi-threaded runtimes: strace counts ``when=`` per thread, and in Node a
worker thread can reach its N-th ``write`` first. So a point made by the started
process's main thread is injected with only that thread traced (no ``-f``). The main
thread's own count can still drift by a call or two between runs (event-loop wake-ups
are timing-dependent), so every run's trace is checked for the call actually hit;
when it is not the intended one the ordinal is corrected from that trace and the run
repeated (up to :data:`RETRIES` times). ``KillOutcome.exact`` says whether it landed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.crash.runner import UPDATE_ID, UpdateRun, run_update
from conformance.crash.scenario import UpdateScenario
from conformance.crash.state import State, Workspace, classify, leftovers, listing, read_document
from conformance.crash.strace import Syscall, is_under, read_trace, strace_prefix, unquote
from conformance.crash.write_protocol import (
    FSYNC_CALLS,
    OPEN_CALLS,
    RENAME_CALLS,
    TRUNCATE_CALLS,
    WRITE_CALLS,
    describe,
)

#: Calls that change file content or names: sampled first when ``max_points`` limits a sweep.
_RANK0 = (
    WRITE_CALLS
    | FSYNC_CALLS
    | RENAME_CALLS
    | TRUNCATE_CALLS
    | frozenset(
        {
            "unlink",
            "unlinkat",
            "link",
            "linkat",
            "copy_file_range",
            "sendfile",
        }
    )
)
#: Calls that may matter for durability or leftovers: sampled next.
_RANK1 = frozenset({"close", "fchmod", "chmod", "fchmodat", "mkdir", "mkdirat", "flock"})
_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")
_RESPONSE_RE = re.compile(r'^\s*\{\s*"id"\s*:\s*' + str(UPDATE_ID) + r"\s*[,}]")
_RANDOM_PART = re.compile(r"[0-9a-f]{6,}|pipe:\[\d+\]|\d{4,}")
#: Re-aimed runs allowed per point when a run hit another call than intended.
RETRIES = 4


@dataclass(frozen=True)
class Target:
    """A call to inject into, recognisable in any run: the ``occurrence``-th call with
    ``signature`` (name + project-relative paths, random parts masked)."""

    name: str
    ordinal: int
    signature: str
    occurrence: int
    #: Made by the started process's main thread: inject with only that thread traced.
    main_thread: bool


@dataclass(frozen=True)
class KillPoint:
    """One place to kill the update."""

    target: Target
    description: str
    #: Sampling priority when ``max_points`` limits a sweep: 0 = changes file content
    #: or names (write, fsync, rename, truncate, unlink, open for writing, the
    #: response), 1 = other calls that may matter (close, chmod, mkdir), 2 = reads.
    rank: int


@dataclass
class KillOutcome:
    """What one killed run left behind."""

    point: int
    syscall: str
    success_reported: bool
    state: State
    temps_left: list[str]
    #: The call the kill actually hit ("" if the process was not killed at all).
    hit: str = ""
    #: Whether the hit call is the intended one.
    exact: bool = True
    exit_code: int | None = None


@dataclass
class SweepResult:
    """All runs of a sweep (or of random kill trials)."""

    outcomes: list[KillOutcome]
    #: Kill points found (before ``max_points`` sampling) or trials requested.
    points_total: int
    #: "strace" (deterministic kill points) or "random" (SIGKILL at random delays).
    method: str = "strace"
    #: Why the sweep could not run (e.g. the uninterrupted update failed); else None.
    error: str | None = None
    elapsed: float = 0.0

    @property
    def bad(self) -> list[KillOutcome]:
        """Runs violating atomicity: torn or missing, or not new after success was reported."""
        return [
            o
            for o in self.outcomes
            if o.state in ("torn", "missing") or (o.success_reported and o.state != "new")
        ]


def signature(call: Syscall, project: Path) -> str:
    """``name:paths`` relative to ``project``, random parts (temp names, inodes) masked."""
    rel = sorted(
        {
            os.path.relpath(p, project) if is_under(p, str(project)) else "<outside>"
            for p in call.paths
        }
    )
    text = f"{call.name}:{','.join(rel)}"
    if call.name in WRITE_CALLS and rel == ["<outside>"] and len(call.args) > 1:
        # Writes to pipes: the first bytes tell a protocol response from a log line.
        text += ":" + (unquote(call.args[1]) or "")[:8]
    return _RANDOM_PART.sub("*", text)


def _candidates(calls: list[Syscall], main_thread: bool) -> list[Syscall]:
    # Occurrences are counted in the thread that makes the call when that is the main
    # thread (runs injecting into it trace nothing else); across all threads otherwise.
    return [c for c in calls if c.tid == calls[0].tid] if main_thread and calls else calls


def target_of(calls: list[Syscall], index: int, project: Path) -> Target:
    """The :class:`Target` for ``calls[index]`` of a recorded trace."""
    call = calls[index]
    main_thread = call.tid == calls[0].tid
    key = signature(call, project)
    occurrence = sum(
        1 for c in _candidates(calls[: index + 1], main_thread) if signature(c, project) == key
    )
    return Target(
        name=call.name,
        ordinal=call.ordinal,
        signature=key,
        occurrence=occurrence,
        main_thread=main_thread,
    )


def find_target(calls: list[Syscall], target: Target, project: Path) -> Syscall | None:
    """The call in ``calls`` (another run's trace) that corresponds to ``target``."""
    count = 0
    for call in _candidates(calls, target.main_thread):
        if signature(call, project) == target.signature:
            count += 1
            if count == target.occurrence:
                return call
    return None


def _is_response_write(call: Syscall) -> bool:
    if call.name not in WRITE_CALLS or len(call.args) < 2:
        return False
    path = call.fd_path(0) or ""
    data = unquote(call.args[1]) or ""
    return path.startswith("pipe:") and _RESPONSE_RE.match(data) is not None


def select_kill_points(calls: list[Syscall], project: Path, folder: Path) -> list[KillPoint]:
    """Kill points of a recorded update, in trace order (see the module docstring)."""
    root, folder_s = str(project), str(folder)
    start = next(
        (i for i, c in enumerate(calls) if any(is_under(p, folder_s) for p in c.paths)), None
    )
    if start is None:
        return []
    response = next((i for i in range(start, len(calls)) if _is_response_write(calls[i])), None)
    stop = (
        response
        if response is not None
        else max(i for i, c in enumerate(calls) if any(is_under(p, root) for p in c.paths)) + 1
    )
    chosen = [i for i in range(start, stop) if any(is_under(p, root) for p in calls[i].paths)]
    if response is not None:
        chosen.append(response)
        after = next(
            (i for i in range(response + 1, len(calls)) if calls[i].tid == calls[response].tid),
            None,
        )
        if after is not None:
            chosen.append(after)
    points: list[KillPoint] = []
    for i in chosen:
        call = calls[i]
        label = describe(call, project, result=False)
        if i == response:
            label += " [the update's response]"
        opens_for_writing = call.name in OPEN_CALLS and any(
            flag in arg for arg in call.args for flag in _WRITE_FLAGS
        )
        rank = (
            0
            if (call.name in _RANK0 or opens_for_writing or i == response)
            else (1 if call.name in _RANK1 else 2)
        )
        points.append(
            KillPoint(
                target=target_of(calls, i, project),
                description=f"{label} (#{call.ordinal} {call.name})",
                rank=rank,
            )
        )
    return points


def sample_points(points: list[KillPoint], max_points: int | None) -> list[int]:
    """Indexes of the points to run, in trace order: all of them, or ``max_points``
    chosen by rank (content-changing calls first), spread evenly within a rank."""
    if max_points is None or max_points >= len(points):
        return list(range(len(points)))
    picked: list[int] = []
    for rank in (0, 1, 2):
        room = max_points - len(picked)
        tier = [i for i, p in enumerate(points) if p.rank == rank]
        if room <= 0 or not tier:
            continue
        if len(tier) <= room:
            picked += tier
        else:
            step = len(tier) / room
            picked += [tier[int(k * step)] for k in range(room)]
    return sorted(picked)


@dataclass
class Baseline:
    """The uninterrupted, recorded run every injected run is compared with."""

    calls: list[Syscall]
    run: UpdateRun
    after: Any
    project: Path


@dataclass
class InjectedRun:
    """One run with a kill or an error injected: its fresh project, the target's prior
    state, and the outcome."""

    project: Path
    target: Path
    before: Any
    names: set[str]
    run: UpdateRun
    calls: list[Syscall]
    hit: Syscall | None
    exact: bool


class Runner:
    """Shared machinery of the strace-based tools: workspace, baseline, aimed runs."""

    def __init__(self, scenario: UpdateScenario, root: Path) -> None:
        self.scenario = scenario
        self.workspace = Workspace(root, scenario.make_project, scenario.target_rel)
        self._count = 0

    def _run(
        self, extra: Sequence[str], follow: bool
    ) -> tuple[Path, Path, Any, set[str], UpdateRun, list[Syscall]]:
        self._count += 1
        project, target = self.workspace.fresh(f"run{self._count}")
        before = read_document(target)
        names = listing(target.parent)
        trace_file = project.parent / "trace.txt"
        scenario = self.scenario
        run = run_update(
            list(scenario.argv),
            project,
            *scenario.request,
            prefix=strace_prefix(trace_file, *extra, follow=follow),
            timeout=scenario.timeout,
            cwd=scenario.cwd,
            env=scenario.env,
        )
        cwd = str(Path(scenario.cwd or ".").resolve())
        return project, target, before, names, run, read_trace(trace_file, cwd=cwd)

    def baseline(self) -> tuple[Baseline | None, str | None]:
        """Record one uninterrupted update; ``(None, why)`` if it did not succeed."""
        project, target, _, _, run, calls = self._run((), True)
        if not run.success_reported:
            why = (
                json.dumps(run.response.get("error"), ensure_ascii=False)
                if run.response
                else f"no response (exit {run.exit_code})"
            )
            return None, f"the uninterrupted update did not succeed: {why}\n{run.stderr_tail}"
        return Baseline(calls, run, read_document(target), project), None

    def aimed(self, target: Target, action: str) -> InjectedRun:
        """Run with ``action`` (``signal=KILL``, ``error=ENOSPC``) injected into ``target``,
        re-aiming from each run's own trace until it lands (or retries run out)."""
        ordinal = target.ordinal
        injected: InjectedRun | None = None
        for _attempt in range(RETRIES + 1):
            project, path, before, names, run, calls = self._run(
                ("-e", f"inject={target.name}:{action}:when={ordinal}"),
                follow=not target.main_thread,
            )
            hit = _hit(calls, target.name, ordinal, action)
            intended = find_target(calls, target, project)
            exact = hit is not None and intended is hit
            injected = InjectedRun(project, path, before, names, run, calls, hit, exact)
            if exact:
                break
            if intended is not None and intended.ordinal != ordinal:
                ordinal = intended.ordinal  # it ran unharmed under another count: aim there
            elif hit is not None and intended is None:
                ordinal += 1  # the injection came first: the intended call is later
            else:
                break  # nothing to correct from (e.g. the call did not happen at all)
        assert injected is not None
        return injected

    def aimed_raw(self, target: Target, action: str, when: str) -> InjectedRun:
        """One run with ``action`` injected per a raw strace ``when=`` expression."""
        project, path, before, names, run, calls = self._run(
            ("-e", f"inject={target.name}:{action}:when={when}"), follow=True
        )
        marked = [c for c in calls if (c.killed if action.startswith("signal=") else c.injected)]
        hit = marked[0] if marked else None
        return InjectedRun(project, path, before, names, run, calls, hit, True)


def _hit(calls: list[Syscall], name: str, ordinal: int, action: str) -> Syscall | None:
    """The call the injection hit. For a kill, every thread dies with the process and
    several calls end "killed"; the injected one has the aimed name and ordinal."""
    if action.startswith("signal="):
        marked = [c for c in calls if c.killed]
    else:
        marked = [c for c in calls if c.injected]
    exact = [c for c in marked if c.name == name and c.ordinal == ordinal]
    best = exact or marked
    return best[0] if best else None


@contextlib.contextmanager
def baseline_runner(
    prefix: str, scenario: UpdateScenario
) -> Iterator[tuple[Runner, Baseline | None, str | None]]:
    """A :class:`Runner` in a fresh temp workspace, with its uninterrupted baseline run
    (``(runner, None, why)`` when the baseline did not succeed); the workspace is
    removed on exit. Every strace tool starts this way."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        runner = Runner(scenario, Path(tmp))
        base, error = runner.baseline()
        yield runner, base, error


def kill_point_sweep(
    argv: Sequence[str],
    make_project: Callable[[Path], None],
    target_rel: str,
    sequence_id: Any,
    shot_id: Any,
    updates: Any,
    *,
    max_points: int | None = None,
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> SweepResult:
    """Kill the update at each kill point (at most ``max_points``) and report each state.

    ``make_project(folder)`` writes a fresh project into ``folder`` (called once per
    run); ``target_rel`` is the file the update must replace, relative to it.
    """
    scenario = UpdateScenario(
        tuple(argv), make_project, target_rel, sequence_id, shot_id, updates,
        timeout=timeout, cwd=cwd, env=env,
    )
    return sweep(scenario, max_points=max_points)


def sweep(scenario: UpdateScenario, *, max_points: int | None = None) -> SweepResult:
    """:func:`kill_point_sweep` of a :class:`UpdateScenario`."""
    began = time.monotonic()
    with baseline_runner("seqcheck-kill-", scenario) as (runner, base, error):
        if base is None:
            return SweepResult([], 0, error=error, elapsed=time.monotonic() - began)
        folder = (base.project / scenario.target_rel).parent
        points = select_kill_points(base.calls, base.project, folder)
        outcomes = [
            _killed_at(runner, base, index, points[index])
            for index in sample_points(points, max_points)
        ]
        return SweepResult(outcomes, len(points), elapsed=time.monotonic() - began)


def _killed_at(runner: Runner, base: Baseline, index: int, point: KillPoint) -> KillOutcome:
    injected = runner.aimed(point.target, "signal=KILL")
    return KillOutcome(
        point=index,
        syscall=point.description,
        success_reported=injected.run.success_reported,
        state=classify(injected.target, injected.before, base.after),
        temps_left=leftovers(injected.target.parent, injected.names, injected.target),
        hit=describe(injected.hit, injected.project) if injected.hit is not None else "",
        exact=injected.exact,
        exit_code=injected.run.exit_code,
    )
