"""The migration record stamped into project.json, and the newer-version guard.

The record (key :data:`RECORD_KEY`, documented in conformance/spec/migration.md)
says which seqcheck migrated the project, when, and what it moved. A project whose
record was written by a newer seqcheck is refused: an older tool cannot know what
the newer one's layout promises.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.errors import ErrorCode, json_pointer
from migrate.errors import MigrateCode, MigrateError, quote

RECORD_KEY = "seqcheck_migration"
#: Version of the record's own shape; bumped only on incompatible change.
RECORD_FORMAT = 1

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"1.2.3..."`` -> ``(1, 2, 3)``; ``None`` when it is not such a version."""
    match = _VERSION_RE.match(text)
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def existing_record(project: dict[str, Any], file: Path) -> dict[str, Any] | None:
    """The record in project.json, or ``None``; refuse a newer or unreadable one."""
    record = project.get(RECORD_KEY)
    if record is None:
        return None
    pointer = json_pointer([RECORD_KEY])
    if not isinstance(record, dict):
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            f"expected the migration record to be an object, found {type(record).__name__}. "
            "Remove the key if it was not written by seqcheck; nothing was changed.",
            file=file, pointer=pointer,
        )
    version = record.get("tool_version")
    fmt = record.get("record_format", RECORD_FORMAT)
    theirs = parse_version(version) if isinstance(version, str) else None
    ours = parse_version(__version__)
    if theirs is None or ours is None or not isinstance(fmt, int):
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            f"expected the migration record to carry a tool_version like '1.2.3' and an "
            f"integer record_format, found {quote(version)} and {quote(fmt)}; nothing was changed.",
            file=file, pointer=pointer,
        )
    if theirs > ours or fmt > RECORD_FORMAT:
        raise MigrateError(
            MigrateCode.NEWER_VERSION, ErrorCode.CORRUPT_FILE,
            f"this project was migrated by seqcheck {version} (record format {fmt}), "
            f"newer than the running seqcheck {__version__} (record format "
            f"{RECORD_FORMAT}). Upgrade seqcheck; it was not rewritten.",
            file=file, pointer=pointer,
        )
    return record


def build_record(migrated_at: str, counts: dict[str, int], repaired: bool) -> dict[str, Any]:
    """The record a migration writes (replacing any earlier one)."""
    return {
        "tool": "seqcheck",
        "tool_version": __version__,
        "record_format": RECORD_FORMAT,
        "migrated_at": migrated_at,
        "repaired": repaired,
        **counts,
    }
