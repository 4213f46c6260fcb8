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

from conformance.crash.killpoints import Target, baseline_runner, is_under, target_of
from conformance.crash.state import State, classify, leftovers
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
    with baseline_runner(
        "seqcheck-fault-", argv, make_project, target_rel, (sequence_id, shot_id, updates),
        timeout, cwd, env,
    ) as (runner, base, error):
        if base is None:
            return FaultOutcome({}, "old", [], error=error)
        if when == "first":
            family = FAMILIES.get(syscall, frozenset({syscall}))
            folder = str((base.project / target_rel).parent)
            touched = False
            index = None
            for i, call in enumerate(base.calls):
                touched = touched or any(is_under(p, folder) for p in call.paths)
                if (
                    touched
                    and call.name in family
                    and any(is_under(p, str(base.project)) for p in call.paths)
                ):
                    index = i
                    break
            if index is None:
                return FaultOutcome(
                    {},
                    "old",
                    [],
                    error=f"the update made no {syscall} call on a project file to inject "
                    f"{errno_name} into",
                )
            shot = runner.aimed(target_of(base.calls, index, base.project), f"error={errno_name}")
            hit, exact = shot.hit, shot.exact
        else:
            # A raw strace expression: no single intended call, so no re-aiming.
            raw = Target(syscall, 0, "", 0, main_thread=False)
            shot = runner.aimed_raw(raw, f"error={errno_name}", str(when))
            hit, exact = shot.hit, True
        return FaultOutcome(
            response=shot.run.response or {},
            state=classify(shot.target, shot.before, base.after),
            temps_left=leftovers(shot.target.parent, shot.names, shot.target),
            injected=describe(hit, shot.project) if hit is not None else "",
            exit_code=shot.run.exit_code,
            stderr_tail=shot.run.stderr_tail,
            exact=exact,
        )
