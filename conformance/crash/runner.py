"""Run one update in a fresh adapter process: hello, update_shot, shutdown over stdin.

The three requests are written at once and stdin is closed, so the adapter's reads
are the same in every run (which keeps strace's per-thread syscall counts stable).
Whatever the adapter wrote to stdout before it died is in the pipe: an ``ok: true``
for the update there means success was reported before the crash.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.protocol import broken, messages, process
from conformance.protocol.faults import AdapterFault, FaultKind
from conformance.protocol.limits import EXIT_GRACE_SECONDS, MAX_RESPONSE_BYTES, STDERR_TAIL_BYTES

#: Request id of the update in every run.
UPDATE_ID = 2
#: Request id of the shutdown that ends every run.
SHUTDOWN_ID = 3


@dataclass
class UpdateRun:
    """What one run of hello + update_shot + shutdown produced."""

    #: The update_shot response, or ``None`` when none was written before the process ended.
    response: dict[str, Any] | None
    exit_code: int | None
    stderr_tail: str
    timed_out: bool

    @property
    def success_reported(self) -> bool:
        """Whether ``ok: true`` for the update reached stdout."""
        return self.response is not None and self.response.get("ok") is True


def update_input(project: Path, sequence_id: Any, shot_id: Any, updates: Any) -> bytes:
    """The three request lines of one run."""
    args = {
        "project": str(project),
        "sequence_id": sequence_id,
        "shot_id": shot_id,
        "updates": updates,
    }
    return b"".join(
        (
            messages.encode(messages.request(1, "hello", {"protocol": messages.PROTOCOL_VERSION})),
            messages.encode(messages.request(UPDATE_ID, "update_shot", args)),
            messages.encode(messages.request(SHUTDOWN_ID, "shutdown", {})),
        )
    )


def _answer(out: bytes, request_id: int) -> dict[str, Any] | None:
    """The response to ``request_id`` among the complete lines of ``out``, if any."""
    for line in out.split(b"\n")[:-1]:
        try:
            message = messages.decode(line)
        except messages.MessageError:
            continue
        if isinstance(message, dict) and message.get("id") == request_id and "ok" in message:
            return message
    return None


def refuse_if_broken(argv: Sequence[str]) -> None:
    """Raise AdapterFault ``broken`` if the adapter run as ``argv`` was declared broken."""
    why = broken.reason(argv)
    if why is not None:
        raise AdapterFault(
            FaultKind.BROKEN, f"the run was not started: the adapter was declared broken ({why})"
        )


def run_update(
    argv: Sequence[str],
    project: Path,
    sequence_id: Any,
    shot_id: Any,
    updates: Any,
    *,
    prefix: Sequence[str] = (),
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> UpdateRun:
    """Run ``prefix + argv`` once with the three requests on stdin; never raises on
    adapter misbehaviour (a hang is stopped after ``timeout`` s and reported).

    Bounded like the stdio transport: at most three response lines of stdout and the
    stderr tail are kept, and no wait outlasts ``timeout`` (plus the bounded reap), even
    when a grandchild that left the process group holds the pipes. A run that times out
    without an answer to the update counts as unanswered for the command
    (:mod:`conformance.protocol.broken`); once the command is declared broken this raises
    AdapterFault ``broken`` at once instead of waiting out another timeout.
    """
    refuse_if_broken(argv)
    proc = process.spawn([*prefix, *argv], cwd=cwd, env=env)
    got = process.collect(
        proc,
        update_input(project, sequence_id, shot_id, updates),
        timeout=timeout,
        stdout_limit=3 * (MAX_RESPONSE_BYTES + 1),
        stderr_limit=STDERR_TAIL_BYTES,
        finished=lambda out: _answer(out, SHUTDOWN_ID) is not None,
        exit_grace=EXIT_GRACE_SECONDS,
    )
    response = _answer(got.stdout, UPDATE_ID)
    if got.timed_out and response is None:
        broken.unanswered(argv, f"update_shot: no answer within {timeout:g} s")
    elif response is not None:
        broken.answered(argv)
    return UpdateRun(
        response=response,
        exit_code=got.exit_code,
        stderr_tail=got.stderr_tail.decode("utf-8", "replace"),
        timed_out=got.timed_out,
    )
