"""Assertions that name the requirement they prove.

A suite test may be tagged with several requirement IDs. When one of its checks
fails, :class:`RequirementFailure` says which requirement the failure belongs to, so
the certificate fails exactly that requirement (a plain ``AssertionError`` fails every
ID the test is tagged with).

A check of a *neighbouring* requirement (e.g. "[] for a missing sequence", SEQ-GET-2,
met while proving SEQ-ID-1) is recorded with :func:`soft` instead: the test goes on
proving its own requirement and fails at the end with every recorded failure
(:class:`RequirementFailures`), so one defect never hides another requirement's result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance import requirements
from conformance.errors import ErrorCode, SeqcheckError


class RequirementFailure(AssertionError):
    """A check of requirement :attr:`requirement` failed."""

    def __init__(self, requirement: str, message: str) -> None:
        requirements.get(requirement)  # unknown IDs are a bug in the suite: fail loudly
        super().__init__(f"[{requirement}] {message}")
        self.requirement = requirement
        self.message = message


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
    """``repr(value)`` cut to ``limit`` characters, for failure messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_error(
    requirement: str,
    code: ErrorCode | tuple[ErrorCode, ...],
    call: Callable[..., Any],
    *args: Any,
) -> SeqcheckError:
    """Call ``call(*args)``; it must raise a :class:`SeqcheckError` with ``code``.

    A returned value (for instance ``[]`` standing in for an error) or another code
    fails ``requirement`` with a message saying what came back instead.
    """
    codes = code if isinstance(code, tuple) else (code,)
    wanted = " or ".join(c.value for c in codes)
    try:
        result = call(*args)
    except SeqcheckError as exc:
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

    A wrong code or another sequence's shots fail ``requirement``; an empty list is a
    soft failure of SEQ-GET-2 instead (the "[] for a missing sequence" defect), so that
    one defect is reported under its own requirement (tag the test with both).
    """
    try:
        result = get_shots(project, sequence_id)
    except SeqcheckError as exc:
        require(requirement, exc.code is ErrorCode.SEQUENCE_NOT_FOUND,
                f"get_shots({sequence_id!r}): expected SEQUENCE_NOT_FOUND, got "
                f"{exc.code.value}: {exc.message}")
        return
    if result == []:
        soft("SEQ-GET-2", False,
             f"get_shots({sequence_id!r}) returned [] instead of SEQUENCE_NOT_FOUND")
        return
    raise RequirementFailure(
        requirement,
        f"get_shots({sequence_id!r}) should be SEQUENCE_NOT_FOUND, returned {shorten(result)}",
    )


__all__ = [
    "RequirementFailure",
    "RequirementFailures",
    "expect_error",
    "expect_missing_sequence",
    "require",
    "shorten",
    "soft",
    "take_deferred",
]
