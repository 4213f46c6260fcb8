"""Inject an I/O error into an update (ENOSPC on write, EIO on fsync, ...).

The spec (SEQ-ATOMIC-3) wants a loud IO_ERROR, the original file intact and no temp
file left behind. ``when="first"`` (the default) fails only the first call of the
syscall's family on a file of the project, after the target's folder is first
touched: the temp file's write or fsync. Failing every call would also fail the
adapter's own writes to stdout, and it could not report the error at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.crash.killpoints import Target, baseline_runner, target_of
from conformance.crash.scenario import UpdateScenario
from conformance.crash.state import State, classify, leftovers
from conformance.crash.strace import Syscall, is_under
from conformance.crash.write_protocol import FSYNC_CALLS, WRITE_CALLS, describe

#: ``syscall`` names standing for a family with ``when="first"``.
FAMILIES: dict[str, frozenset[str]] = {
    "write": WRITE_CALLS,
    "fsync": FSYNC_CALLS,
    "fdatasync": FSYNC_CALLS,
}


@dataclass
class FaultOutcome:
    """What the update did when the error was injected."""

    #: The update_shot response (``{}`` when the adapter wrote none, e.g. it crashed).
    response: dict[str, Any]
    state: State
    temps_left: list[str]
    #: The call that received the error ("" when none did).
    injected: str = ""
    exit_code: int | None = None
    stderr_tail: str = ""
    #: Why nothing could be injected (the update failed anyway, or made no such call).
    error: str | None = None
    #: Whether the error hit the intended call (see conformance.crash.killpoints).
    exact: bool = True

    @property
    def error_code(self) -> str | None:
        """The error code of a failed update, ``None`` if it succeeded or said nothing."""
        error = self.response.get("error")
        return error.get("code") if isinstance(error, dict) else None


def inject_fault(
    argv: Sequence[str],
    make_project: Callable[[Path], None],
    target_rel: str,
    sequence_id: Any,
    shot_id: Any,
    updates: Any,
    *,
    syscall: str,
    errno_name: str,
    when: int | str = "first",
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> FaultOutcome:
    """Run the update with ``syscall`` failing with ``errno_name`` and report the result.

    ``when``: ``"first"`` (see the module docstring; ``syscall`` may name a family:
    ``write`` covers pwrite64/writev, ``fsync`` covers fdatasync), or any strace
    ``when=`` expression (``3``, ``2+``, ``1..5``) applied to ``syscall`` as named, in
    every thread.
    """
    scenario = UpdateScenario(
        tuple(argv), make_project, target_rel, sequence_id, shot_id, updates,
        timeout=timeout, cwd=cwd, env=env,
    )
    with baseline_runner("seqcheck-fault-", scenario) as (runner, base, error):
        if base is None:
            return FaultOutcome({}, "old", [], error=error)
        if when == "first":
            folder = (base.project / target_rel).parent
            index = _first_call(base.calls, FAMILIES.get(syscall, frozenset({syscall})),
                                base.project, folder)
            if index is None:
                return FaultOutcome(
                    {},
                    "old",
                    [],
                    error=f"the update made no {syscall} call on a project file to inject "
                    f"{errno_name} into",
                )
            injected = runner.aimed(
                target_of(base.calls, index, base.project), f"error={errno_name}"
            )
        else:
            # A raw strace expression: no single intended call, so no re-aiming.
            raw = Target(syscall, 0, "", 0, main_thread=False)
            injected = runner.aimed_raw(raw, f"error={errno_name}", str(when))
        hit = injected.hit
        return FaultOutcome(
            response=injected.run.response or {},
            state=classify(injected.target, injected.before, base.after),
            temps_left=leftovers(injected.target.parent, injected.names, injected.target),
            injected=describe(hit, injected.project) if hit is not None else "",
            exit_code=injected.run.exit_code,
            stderr_tail=injected.run.stderr_tail,
            exact=injected.exact,
        )


def _first_call(
    calls: list[Syscall], family: frozenset[str], project: Path, folder: Path
) -> int | None:
    """Index of the first call of ``family`` on a project file, once ``folder`` (the
    target's) has been touched."""
    folder_s, root = str(folder), str(project)
    touched = False
    for i, call in enumerate(calls):
        touched = touched or any(is_under(p, folder_s) for p in call.paths)
        if touched and call.name in family and any(is_under(p, root) for p in call.paths):
            return i
    return None
