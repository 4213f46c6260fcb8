"""Adapters declared broken in this process, by command.

Requests left unanswered (timeouts, silent restarts) are counted per adapter command,
across every process of it: the suite starts fresh processes of the same command for
concurrency and crash tests. After :data:`~conformance.protocol.limits.
BROKEN_AFTER_UNANSWERED` in a row the command is declared broken, and every later
request through it fails at once with fault kind ``broken`` instead of waiting out its
timeout again, so a silent adapter costs a run about three timeouts, not one per test.
Any answer resets the count.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from conformance.protocol.limits import BROKEN_AFTER_UNANSWERED

_declared: dict[tuple[str, ...], str] = {}
_unanswered: dict[tuple[str, ...], int] = {}
_lock = threading.Lock()


def unanswered(argv: Sequence[str], what: str) -> int:
    """Count a request of ``argv`` left unanswered (``what`` says which and how);
    declare the command broken at the bound. Returns the count so far."""
    key = tuple(argv)
    with _lock:
        count = _unanswered.get(key, 0) + 1
        _unanswered[key] = count
        if count >= BROKEN_AFTER_UNANSWERED:
            _declared.setdefault(
                key, f"{count} requests in a row went unanswered, the last one {what}"
            )
        return count


def answered(argv: Sequence[str]) -> None:
    """A request of ``argv`` was answered: the unanswered count starts again."""
    with _lock:
        _unanswered.pop(tuple(argv), None)


def declare(argv: Sequence[str], reason: str) -> None:
    """Record that the adapter run as ``argv`` is broken, and why (first reason kept)."""
    with _lock:
        _declared.setdefault(tuple(argv), reason)


def reason(argv: Sequence[str]) -> str | None:
    """Why the adapter run as ``argv`` was declared broken, or ``None``."""
    with _lock:
        return _declared.get(tuple(argv))


def forget_all() -> None:
    """Forget every count and declaration (tests that reuse a command)."""
    with _lock:
        _declared.clear()
        _unanswered.clear()


__all__ = ["answered", "declare", "forget_all", "reason", "unanswered"]
