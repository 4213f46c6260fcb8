"""The migration timestamp, injectable so that two runs can be compared byte for byte.

The time goes into the migration record and the sequence files' metadata. A resumed
migration reuses the time its run recorded, so resuming never changes it; tests and
reproducible pipelines set :data:`NOW_ENV` (or pass ``now=``) to fix it up front.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference.store import utc_now_iso
from migrate.errors import quote

#: Environment variable holding a fixed ISO 8601 UTC time, e.g. 2026-01-20T10:00:00.000Z.
NOW_ENV = "SEQCHECK_MIGRATE_NOW"


def check_timestamp(value: str) -> str:
    """Return ``value`` if it is an ISO 8601 date-time with a zone, else INVALID_UPDATE."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value:
        raise SeqcheckError(
            ErrorCode.INVALID_UPDATE,
            f"expected the migration time as an ISO 8601 date-time with a zone (like "
            f"2026-01-20T10:00:00.000Z), found {quote(value)}. Fix {NOW_ENV} or the now= "
            "argument.",
        )
    return value


def migration_time(now: str | None = None, env: Mapping[str, str] = os.environ) -> str:
    """``now`` if given, else ``$SEQCHECK_MIGRATE_NOW`` if set, else the current UTC time."""
    if now is not None:
        return check_timestamp(now)
    fixed = env.get(NOW_ENV)
    if fixed:
        return check_timestamp(fixed)
    return utc_now_iso()
