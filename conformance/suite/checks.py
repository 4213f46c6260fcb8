"""Assertions that name the requirement they prove.

A suite test may be tagged with several requirement IDs. When one of its checks
fails, :class:`RequirementFailure` says which requirement the failure belongs to, so
the certificate fails exactly that requirement (a plain ``AssertionError`` fails every
ID the test is tagged with).

A check of a *neighbouring* requirement (e.g. "[] for a missing sequence", SEQ-GET-2,
met while proving SEQ-ID-1) is recorded with :func:`soft` instead: the test goes on
proving its own requirement and fails at the end with every recorded failure
(:class:`RequirementFailures`), so one defect never hides another requirement's result.

A test whose preconditions did not hold (the update it needs failed, the read it
inspects returned nothing, the fault it injects never fired) proved nothing: it
raises :class:`Inconclusive` with the reason (:func:`needed`, :func:`inconclusive`)
and the certificate reports the requirement "not tested" unless another test of it
ran. An operation the implementation does not offer (``UNSUPPORTED``) is always a
missing precondition, never a pass.

Error codes: a call that fails where the spec wants a failure, but with
``INTERNAL_ERROR`` (no spec code, e.g. a service's own ``NOT_FOUND``), is a right
failure with a wrong code. :func:`expect_error` accepts it for the behaviour under
test; the code is judged by the error-code requirement :data:`ERROR_CODE_REQUIREMENT`
(SEQ-ERR-2), whose own test makes every kind of failure. A wrong *spec* code (e.g.
``SHOT_NOT_FOUND`` for a missing sequence) misreports the situation itself and fails
the requirement under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

from conformance import requirements
from conformance.errors import ErrorCode, SeqcheckError


class RequirementFailure(AssertionError):
    """A check of requirement :attr:`requirement` failed."""

    def __init__(self, requirement: str, message: str) -> None:
        requirements.get(requirement)  # unknown IDs are a bug in the suite: fail loudly
        super().__init__(f"[{requirement}] {message}")
        self.requirement = requirement
        self.message = message


#: The requirement that judges whether failures carry spec error codes.
ERROR_CODE_REQUIREMENT = "SEQ-ERR-2"


class Inconclusive(Exception):
    """The test could not exercise its requirement: a precondition did not hold."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inconclusive(reason: str) -> NoReturn:
    """Raise :class:`Inconclusive` with ``reason``."""
    raise Inconclusive(reason)


def precondition(condition: object, reason: str) -> None:
    """Raise :class:`Inconclusive` unless ``condition``: the test cannot judge anything."""
    if not condition:
        raise Inconclusive(f"precondition not met: {reason}")


def as_json(value: Any, limit: int = 160) -> str:
    """``value`` written as JSON (non-JSON values by their ``repr``), cut to ``limit``."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):  # e.g. circular structures
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call_text(op: str, *args: Any) -> str:
    """``op(arg, ...)`` with arguments as JSON, for messages."""
    return f"{op}({', '.join(as_json(a, 80) for a in args)})"


def needed(what: str, call: Callable[..., Any], *args: Any) -> Any:
    """Run a call the test needs to succeed in order to judge anything; any error makes
    the test :class:`Inconclusive` (it names the call and the error)."""
    try:
        return call(*args)
    except SeqcheckError as exc:
        raise Inconclusive(
            f"precondition not met: {what} failed with {exc.code.value}: {exc.message}"
        ) from exc


class RequirementFailures(AssertionError):
    """Several requirement failures of one test (soft ones, maybe plus the final one)."""

    def __init__(self, failures: list[RequirementFailure], *, completed: bool) -> None:
        super().__init__("\n".join(str(f) for f in failures))
        self.failures = failures
        #: True when the test ran to its end (only soft failures): its other
        #: requirements were proven; False when a hard failure stopped it.
        self.completed = completed

    @property
    def requirements(self) -> list[str]:
        """The failed requirement IDs, in order, without repeats."""
        return list(dict.fromkeys(f.requirement for f in self.failures))


#: Soft failures of the running test (reset by the plugin before each test).
_deferred: list[RequirementFailure] = []


def require(requirement: str, condition: object, message: str) -> None:
    """Raise :class:`RequirementFailure` for ``requirement`` unless ``condition``."""
    if not condition:
        raise RequirementFailure(requirement, message)


def soft(requirement: str, condition: object, message: str) -> None:
    """Record a failure of ``requirement`` unless ``condition``, and carry on."""
    if not condition:
        _deferred.append(RequirementFailure(requirement, message))


def take_deferred() -> list[RequirementFailure]:
    """The soft failures recorded since the last call (and forget them)."""
    taken = list(_deferred)
    _deferred.clear()
    return taken


def shorten(value: Any, limit: int = 160) -> str:
    """``value`` as JSON cut to ``limit`` characters, for failure messages."""
    return as_json(value, limit)


def _unsupported(exc: SeqcheckError) -> Inconclusive:
    return Inconclusive(
        f"the implementation does not offer this operation (UNSUPPORTED: {exc.message})"
    )


def expect_error(
    requirement: str,
    code: ErrorCode | tuple[ErrorCode, ...],
    call: Callable[..., Any],
    *args: Any,
) -> SeqcheckError:
    """Call ``call(*args)``; it must raise a :class:`SeqcheckError` with ``code``.

    A returned value (for instance ``[]`` standing in for an error) or another code
    fails ``requirement`` with a message saying what came back instead.
    ``INTERNAL_ERROR`` is accepted as a right failure with a wrong code (SEQ-ERR-2's
    business); ``UNSUPPORTED`` makes the test inconclusive.
    """
    codes = code if isinstance(code, tuple) else (code,)
    wanted = " or ".join(c.value for c in codes)
    try:
        result = call(*args)
    except SeqcheckError as exc:
        if exc.code is ErrorCode.UNSUPPORTED:
            raise _unsupported(exc) from exc
        if exc.code is ErrorCode.INTERNAL_ERROR:
            return exc
        require(
            requirement,
            exc.code in codes,
            f"expected error {wanted}, got {exc.code.value}: {exc.message}",
        )
        return exc
    raise RequirementFailure(
        requirement, f"expected error {wanted}, but the call returned {shorten(result)}"
    )


def expect_missing_sequence(
    requirement: str, get_shots: Callable[[str, Any], Any], project: str, sequence_id: Any
) -> None:
    """``get_shots(project, sequence_id)`` must be SEQUENCE_NOT_FOUND.

    A wrong spec code or another sequence's shots fail ``requirement``; an empty list
    is a soft failure of SEQ-GET-2 instead (the "[] for a missing sequence" defect), so
    that one defect is reported under its own requirement (tag the test with both).
    ``INTERNAL_ERROR`` is a right failure (see :func:`expect_error`).
    """
    shown = as_json(sequence_id)
    try:
        result = get_shots(project, sequence_id)
    except SeqcheckError as exc:
        if exc.code is ErrorCode.UNSUPPORTED:
            raise _unsupported(exc) from exc
        if exc.code is ErrorCode.INTERNAL_ERROR:
            return
        require(requirement, exc.code is ErrorCode.SEQUENCE_NOT_FOUND,
                f"get_shots({shown}): expected SEQUENCE_NOT_FOUND, got "
                f"{exc.code.value}: {exc.message}")
        return
    if result == []:
        soft("SEQ-GET-2", False,
             f"get_shots({shown}) returned [] instead of SEQUENCE_NOT_FOUND")
        return
    raise RequirementFailure(
        requirement,
        f"get_shots({shown}) should be SEQUENCE_NOT_FOUND, returned {shorten(result)}",
    )


__all__ = [
    "ERROR_CODE_REQUIREMENT",
    "Inconclusive",
    "RequirementFailure",
    "RequirementFailures",
    "as_json",
    "call_text",
    "expect_error",
    "expect_missing_sequence",
    "inconclusive",
    "needed",
    "precondition",
    "require",
    "shorten",
    "soft",
    "take_deferred",
]
