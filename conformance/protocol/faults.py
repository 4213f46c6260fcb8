"""AdapterFault: the implementation misbehaved at the protocol level.

Distinct from :class:`conformance.errors.SeqcheckError`, which is a *valid* error
answer. A fault means the adapter crashed, hung, answered something that is not a
protocol message, answered the wrong request, could not start, or broke the protocol's
rules; the suite reports it as an error of the test in progress, never as a crash of
the harness.
"""

from __future__ import annotations

import json

from conformance.text_enum import TextEnum


class FaultKind(TextEnum):
    """What kind of protocol misbehaviour a fault is (compares equal to its value)."""


    CRASH = "crash"
    TIMEOUT = "timeout"
    MALFORMED = "malformed"
    WRONG_ID = "wrong-id"
    START_FAILED = "start-failed"
    PROTOCOL = "protocol"
    BROKEN = "broken"


#: Every fault kind, with what it means (also documented in the protocol spec).
FAULT_KINDS: dict[FaultKind, str] = {
    FaultKind.CRASH: "the adapter process died (or closed its stdout) before answering",
    FaultKind.TIMEOUT: "no complete response line within the per-request timeout; the "
    "process was stopped",
    FaultKind.MALFORMED: "a response line that is not JSON, does not match the protocol "
    "schema, or is longer than the response line bound (\"too large\")",
    FaultKind.WRONG_ID: "a response whose id is not the id of the request in flight",
    FaultKind.START_FAILED: "the adapter could not be run, or died or hung before "
    "answering hello",
    FaultKind.PROTOCOL: "a protocol rule was broken (hello refused, wrong protocol "
    "version, no clean exit after shutdown)",
    FaultKind.BROKEN: "the adapter left several requests in a row unanswered and was "
    "declared broken; the call was not sent",
}


class AdapterFault(Exception):
    """The implementation misbehaved at the protocol level (see :data:`FAULT_KINDS`).

    ``stderr_tail`` holds the last bytes the adapter wrote to stderr (at most
    ``limits.STDERR_TAIL_BYTES``) and ``exit_code`` its exit status when it is known
    to have exited (negative: killed by that signal).
    """

    def __init__(
        self,
        kind: FaultKind | str,
        detail: str,
        *,
        stderr_tail: str = "",
        exit_code: int | None = None,
    ) -> None:
        try:
            self.kind = FaultKind(kind)
        except ValueError:
            raise ValueError(
                f"unknown AdapterFault kind {json.dumps(kind)}; expected one of "
                f"{json.dumps([k.value for k in FaultKind])}"
            ) from None
        self.detail = detail
        self.stderr_tail = stderr_tail
        self.exit_code = exit_code
        #: For ``start-failed``: the adapter was silent (hello timed out) rather than
        #: dead, so a fresh start may succeed.
        self.stalled = False
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"adapter {self.kind}: {self.detail}"
        if self.exit_code is not None:
            text += f" (exit code {self.exit_code})"
        if self.stderr_tail:
            text += "\n--- adapter stderr (tail) ---\n" + self.stderr_tail.rstrip("\n")
        return text
