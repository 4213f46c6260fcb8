"""Facts about one shot the migrator relies on: how long it lasts, how it is stored."""

from __future__ import annotations

from typing import Any

Shot = dict[str, Any]


def shot_duration(shot: Shot) -> float:
    """Seconds a shot lasts: ``timing.duration``, else ``duration``, else 0."""
    timing = shot.get("timing")
    for value in (timing.get("duration") if isinstance(timing, dict) else None,
                  shot.get("duration")):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return 0


def with_plan_id(shot: Shot, sequence_id: str) -> Shot:
    """The shot as stored in its sequence file: ``sequencePlanId`` added when missing."""
    if "sequencePlanId" in shot:
        return shot
    return {**shot, "sequencePlanId": sequence_id}
