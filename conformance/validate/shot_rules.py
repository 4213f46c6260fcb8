"""Rules on one document that no JSON Schema can say: timing consistency of shots,
membership of shots in their sequence, the sequence duration, the file name.

Every rule reads the document defensively (it may be schema-invalid): a value of the
wrong type is the schema's finding, never a crash or a second finding here.
"""

from __future__ import annotations

import math
from typing import Any

from conformance import layout
from conformance.documents import MEMBERSHIP_FIELDS, membership_problems
from conformance.errors import json_pointer
from conformance.validate.finding import FileRef, Finding


def _number(value: Any) -> float | None:
    """``value`` as a finite number, or None (booleans are not numbers in JSON)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _close(a: float, b: float) -> bool:
    # Durations are decimal seconds summed in binary floating point.
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def shot_duration(shot: Any) -> float | None:
    """A shot's duration in seconds: ``timing.duration``, else the storyboard
    ``duration``; None when it has neither as a number."""
    if not isinstance(shot, dict):
        return None
    timing = shot.get("timing")
    if isinstance(timing, dict):
        value = _number(timing.get("duration"))
        if value is not None:
            return value
    return _number(shot.get("duration"))


def timing_findings(shot: Any, base: str, ref: FileRef) -> list[Finding]:
    """SC310 / SC311 for the shot at pointer ``base``."""
    if not isinstance(shot, dict) or not isinstance(shot.get("timing"), dict):
        return []
    timing = shot["timing"]
    in_point = _number(timing.get("inPoint"))
    out_point = _number(timing.get("outPoint"))
    if in_point is None or out_point is None:
        return []
    if out_point < in_point:
        return [
            ref.finding(
                "SC310",
                f"{base}/timing/outPoint",
                f"expected outPoint >= inPoint, found outPoint {timing['outPoint']!r} "
                f"before inPoint {timing['inPoint']!r}.",
            )
        ]
    duration = _number(timing.get("duration"))
    if duration is not None and not _close(duration, out_point - in_point):
        return [
            ref.finding(
                "SC311",
                f"{base}/timing/duration",
                f"expected duration {out_point - in_point:g} (outPoint - inPoint), "
                f"found {timing['duration']!r}.",
            )
        ]
    return []


def sequence_findings(doc: dict[str, Any], ref: FileRef, file_name: str) -> list[Finding]:
    """Per-file rules of a sequence document: membership (SC304), shot timing
    (SC310/SC311), the sequence duration (SC312), the file name (SC308)."""
    out: list[Finding] = []
    seq_id = doc.get("id")
    shots = doc.get("shots")
    if not isinstance(shots, list):
        shots = []
    if isinstance(seq_id, str) and shots:
        for pointer, message in membership_problems(doc):
            # membership_problems also reports in-file duplicate ids; the project-wide
            # duplicate rule (SC303) covers those, so only membership is taken here.
            if pointer.rsplit("/", 1)[-1] in MEMBERSHIP_FIELDS:
                out.append(ref.finding("SC304", pointer, message))
    total = 0.0
    summable = True
    for index, shot in enumerate(shots):
        out.extend(timing_findings(shot, json_pointer(["shots", index]), ref))
        d = shot_duration(shot)
        if d is None:
            summable = False  # an unknown duration makes the sum unknown, not 0
        else:
            total += d
    declared = _number(doc.get("duration"))
    if declared is not None and summable and not _close(declared, total):
        out.append(
            ref.finding(
                "SC312",
                "/duration",
                f"expected duration {total:g} (the sum of the {len(shots)} shots' "
                f"durations), found {doc['duration']!r}.",
            )
        )
    if (
        isinstance(seq_id, str)
        and seq_id.isascii()
        and seq_id.isdigit()
        and file_name != layout.canonical_sequence_file_name(seq_id, ())
    ):
        out.append(
            ref.finding(
                "SC308",
                "/id",
                f"expected the file for sequence id {seq_id!r} to be named "
                f"{layout.canonical_sequence_file_name(seq_id, ())}, found {file_name}.",
            )
        )
    return out
