"""Adapters declared broken in this process, by command.

An adapter that leaves :data:`~conformance.protocol.limits.BROKEN_AFTER_UNANSWERED`
requests in a row unanswered is declared broken: every later call through the same
command (the suite starts fresh processes of it for concurrency and crash tests) fails
at once with fault kind ``broken`` instead of waiting out its timeout again, so a
silent adapter costs a run seconds, not one timeout per test.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

_declared: dict[tuple[str, ...], str] = {}
_lock = threading.Lock()


def declare(argv: Sequence[str], reason: str) -> None:
    """Record that the adapter run as ``argv`` is broken, and why (first reason kept)."""
    with _lock:
        _declared.setdefault(tuple(argv), reason)


def reason(argv: Sequence[str]) -> str | None:
    """Why the adapter run as ``argv`` was declared broken, or ``None``."""
    with _lock:
        return _declared.get(tuple(argv))


def forget_all() -> None:
    """Forget every declaration (tests that reuse a command for another scenario)."""
    with _lock:
        _declared.clear()


__all__ = ["declare", "forget_all", "reason"]
