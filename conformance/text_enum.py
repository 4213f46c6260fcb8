"""A string-valued enum that reads as its value.

States that end up in JSON documents, tables and messages are enums (so a typo is an
error, not a new state) whose members print as their wire value: ``f"{x}"``, ``str(x)``
and ``json.dumps(x)`` all give ``"keep-newest"``, never ``"OnDuplicate.KEEP_NEWEST"``
(Python 3.11 changed ``format()`` of mixed-in enums; this pins the behaviour on every
supported version).
"""

from __future__ import annotations

from enum import Enum


class TextEnum(str, Enum):
    """An enum of strings that formats as its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Every member's value, in declaration order (click choices, schema enums)."""
        return tuple(str(m.value) for m in cls)


__all__ = ["TextEnum"]
