"""Turning one pytest test phase into a suite outcome with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.suite.checks import Inconclusive, RequirementFailure, RequirementFailures
from conformance.suite.results import NOT_CLAIMED_PREFIX, FailureNote, Outcome


def _adapter_fault_type() -> type[BaseException] | None:
    try:
        from conformance.protocol import AdapterFault
    except ImportError:  # the protocol package is part of seqcheck; guard anyway
        return None
    fault: type[BaseException] = AdapterFault
    return fault


def _describe_fault(exc: BaseException) -> str:
    kind = getattr(exc, "kind", "fault")
    detail = getattr(exc, "detail", str(exc))
    text = f"adapter {kind}: {detail}"
    code = getattr(exc, "exit_code", None)
    if code is not None:
        text += f" (exit code {code})"
    tail = str(getattr(exc, "stderr_tail", "") or "").strip()
    if tail:
        text += "\nadapter stderr (tail):\n" + tail[-800:]
    return text


def _find(exc: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    """``exc``, an exception it was raised from or during, or a member of an exception
    group (hypothesis reports flaky failures as groups), if of ``kind``."""
    pending = [exc]
    seen = 0
    while pending and seen < 50:
        current = pending.pop(0)
        seen += 1
        if current is None:
            continue
        if isinstance(current, kind):
            return current
        pending.extend(getattr(current, "exceptions", ()) or ())
        pending.append(current.__cause__ or current.__context__)
    return None


@dataclass(frozen=True)
class Classified:
    """One phase's outcome: the reason, which requirements failed (each failed check
    with its own requirement) and which the test still proved."""

    outcome: Outcome
    reason: str = ""
    failed: list[str] = field(default_factory=list)
    proven: list[str] = field(default_factory=list)
    failures: list[FailureNote] = field(default_factory=list)


def _failed_all(ids: list[str], text: str) -> Classified:
    return Classified(Outcome.FAILED, text, list(ids), [], [FailureNote(i, text) for i in ids])


def classify(report: pytest.TestReport, call: pytest.CallInfo[Any], ids: list[str]) -> Classified:
    """The :class:`Classified` outcome of one phase of a test.

    Proven IDs are the requirements of a failed test that still held: the test ran to
    its end and only neighbouring requirements failed (soft checks).
    """
    if report.passed:
        return Classified(Outcome.PASSED, proven=list(ids))
    if report.skipped:
        reason = ""
        if call.excinfo is not None:
            reason = str(call.excinfo.value.msg if hasattr(call.excinfo.value, "msg")
                         else call.excinfo.value)
        if reason.startswith(NOT_CLAIMED_PREFIX):
            return Classified(Outcome.NOT_CLAIMED, reason[len(NOT_CLAIMED_PREFIX):])
        return Classified(Outcome.SKIPPED, reason)
    exc = call.excinfo.value if call.excinfo is not None else None
    fault_type = _adapter_fault_type()
    fault = _find(exc, fault_type) if fault_type is not None else None
    if fault is not None:
        return Classified(Outcome.ERROR, _describe_fault(fault), list(ids))
    if report.when != "call":
        text = call.excinfo.exconly() if call.excinfo is not None else str(report.longrepr)
        return Classified(Outcome.ERROR, f"{report.when} failed: {text}", list(ids))
    group = _find(exc, RequirementFailures)
    if isinstance(group, RequirementFailures) and set(group.requirements) <= set(ids):
        reason = "\n".join(f"[{f.requirement}] {f.message}" for f in group.failures)
        notes = [FailureNote(f.requirement, f.message) for f in group.failures]
        proven = [i for i in ids if i not in group.requirements] if group.completed else []
        return Classified(Outcome.FAILED, reason, group.requirements, proven, notes)
    failure = _find(exc, RequirementFailure)
    if isinstance(failure, RequirementFailure) and failure.requirement in ids:
        return Classified(Outcome.FAILED, failure.message, [failure.requirement], [],
                          [FailureNote(failure.requirement, failure.message)])
    blocked = _find(exc, Inconclusive)
    if isinstance(blocked, Inconclusive):
        return Classified(Outcome.INCONCLUSIVE, blocked.reason)
    unsupported = _find(exc, SeqcheckError)
    if isinstance(unsupported, SeqcheckError) and unsupported.code is ErrorCode.UNSUPPORTED:
        return Classified(
            Outcome.INCONCLUSIVE,
            f"the implementation does not offer an operation the test needs "
            f"(UNSUPPORTED: {unsupported.message})",
        )
    text = call.excinfo.exconly() if call.excinfo is not None else str(report.longrepr)
    return _failed_all(ids, text)


__all__ = ["Classified", "classify"]
