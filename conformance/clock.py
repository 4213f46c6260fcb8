"""The current time as the app writes it: the one clock the reference store and the
migrator share, so both stamp files in the same format."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now_iso() -> str:
    """Current time as ISO 8601 UTC with milliseconds and a ``Z`` (like JS toISOString)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
