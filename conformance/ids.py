"""Identifier safety: the one place that decides whether an id may name a file.

The same rule is expressed as a regex in ``schemas/shot.schema.json#/$defs/identifier``;
tests check the two agree.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.errors import ErrorCode, SeqcheckError

_DRIVE = re.compile(r"^[A-Za-z]:")


def id_problem(value: Any) -> str | None:
    """Return why ``value`` is not a safe identifier, or ``None`` when it is."""
    if not isinstance(value, str):
        return f"expected a string, found {type(value).__name__}"
    if value == "":
        return "expected a non-empty string, found an empty one"
    if "/" in value or "\\" in value:
        return "contains a path separator ('/' or '\\')"
    if "\x00" in value:
        return "contains a NUL character"
    if ".." in value:
        return "contains '..'"
    if value.startswith("."):
        return "starts with a dot"
    if _DRIVE.match(value):
        return "starts with a drive prefix such as 'C:'"
    return None


def check_id(kind: str, value: Any) -> str:
    """Return ``value`` if it is a safe identifier, else raise ``INVALID_ID``.

    ``kind`` ("sequence id", "shot id") names the argument in the message.
    """
    problem = id_problem(value)
    if problem is not None:
        raise SeqcheckError(
            ErrorCode.INVALID_ID,
            f"{kind} {value!r} is not a valid identifier: {problem}. "
            "Ids must be non-empty strings without '/', '\\', NUL, '..', a leading dot "
            "or a drive prefix.",
        )
    return str(value)
