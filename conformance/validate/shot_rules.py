"""Rules on one document that no JSON Schema can say: timing consistency of shots,
membership of shots in their sequence, the sequence duration, the file name.

Every rule reads the document defensively (it may be schema-invalid): a value of the
wrong type is the schema's finding, never a crash or a second finding here. These
loops run once per shot of every file, so they test types with ``type(x) in _NUMBER``
(which also excludes booleans) and build JSON pointers only for actual findings.
"""

from __future__ import annotations

import functools
import json
import math
import operator
from itertools import repeat
from typing import Any

from conformance import field_shapes, layout
from conformance.documents import MEMBERSHIP_FIELDS, membership_problems, shot_duration
from conformance.validate.finding import FileRef, Finding

_NUMBER = (int, float)
_NUMBER_TYPES = frozenset(_NUMBER)


def _close(a: float, b: float) -> bool:
    # Durations are decimal seconds summed in binary floating point.
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def timing_findings(shot: Any, base: str, ref: FileRef) -> list[Finding]:
    """SC310 / SC311 for the shot at pointer ``base``."""
    if type(shot) is not dict:
        return []
    timing: Any = shot.get("timing")
    if type(timing) is not dict:
        return []
    in_point: Any = timing.get("inPoint")
    out_point: Any = timing.get("outPoint")
    if type(in_point) not in _NUMBER or type(out_point) not in _NUMBER:
        return []
    if out_point < in_point:
        return [
            ref.finding(
                "SC310",
                f"{base}/timing/outPoint",
                f"expected outPoint >= inPoint, found outPoint {out_point!r} "
                f"before inPoint {in_point!r}.",
            )
        ]
    duration: Any = timing.get("duration")
    if type(duration) in _NUMBER and not _close(duration, out_point - in_point):
        return [
            ref.finding(
                "SC311",
                f"{base}/timing/duration",
                f"expected duration {out_point - in_point:g} (outPoint - inPoint), "
                f"found {duration!r}.",
            )
        ]
    return []


def _checked_duration(shot: dict[str, Any], index: int, ref: FileRef, out: list[Finding]) -> Any:
    """The shot's duration (:func:`conformance.documents.shot_duration`: None when
    unknown), after adding the findings of its timing to ``out``."""
    timing: Any = shot.get("timing")
    if type(timing) is not dict:
        return shot_duration(shot)
    in_point: Any = timing.get("inPoint")
    out_point: Any = timing.get("outPoint")
    duration: Any = timing.get("duration")
    if (
        type(in_point) in _NUMBER
        and type(out_point) in _NUMBER
        and (
            out_point < in_point
            or (
                type(duration) in _NUMBER
                and duration != out_point - in_point  # the common case: no call
                and not _close(duration, out_point - in_point)
            )
        )
    ):
        out.extend(timing_findings(shot, f"/shots/{index}", ref))
    return shot_duration(shot)


def _shots_loop(
    shots: list[Any], seq_id: Any, ref: FileRef, out: list[Finding]
) -> tuple[float, bool, bool]:
    """Shot by shot: add SC310/SC311 findings to ``out``; the sum of the durations,
    whether every duration was known, and whether no shot names another sequence."""
    total = 0.0
    summable = True  # an unknown duration makes the sum unknown, not 0
    shot: Any
    duration: Any
    members_ok = True
    plan_field, wizard_field = MEMBERSHIP_FIELDS
    for index, shot in enumerate(shots):
        if type(shot) is not dict:
            summable = False
            continue
        # A pre-filter only: documents.membership_problems holds the rule.
        if members_ok and (
            shot.get(plan_field, seq_id) != seq_id or shot.get(wizard_field, seq_id) != seq_id
        ):
            members_ok = False
        duration = _checked_duration(shot, index, ref, out)
        if type(duration) in _NUMBER:
            total += duration
        else:
            summable = False
    return total, summable, members_ok


def _clean_shots_total(shots: list[Any], seq_id: Any) -> tuple[float, bool] | None:
    """What :func:`_shots_loop` gives (the sum of the durations and whether every one
    was known) when no shot can have a finding, computed over the whole array in C
    (map over dict.get, list comparisons); ``None`` otherwise (the loop decides).

    Every shot must be an object naming no other sequence (no SC304), and either
    every shot has a ``timing`` object holding numbers with ``outPoint >= inPoint``
    and ``duration`` exactly ``outPoint - inPoint`` (no SC310/SC311), or no shot
    has a ``timing`` (its ``duration`` counts, as in the loop). Those are the
    shapes of nearly every real file. The sum adds in the loop's order, so the
    float is the same. Its durations are :func:`conformance.documents.shot_duration`
    over the array (tests/validate/test_clean_shots_fast_path.py holds the two equal)."""
    plan_field, wizard_field = MEMBERSHIP_FIELDS
    n = len(shots)
    try:
        if list(map(dict.get, shots, repeat(plan_field), repeat(seq_id))).count(seq_id) != n:
            return None
        if list(map(dict.get, shots, repeat(wizard_field), repeat(seq_id))).count(seq_id) != n:
            return None
        timings: list[Any] = list(map(dict.get, shots, repeat("timing")))
        if n and timings.count(None) == n:
            durations: list[Any] = list(map(dict.get, shots, repeat("duration")))
            if not {*map(type, durations)} <= _NUMBER_TYPES:
                return 0.0, False  # an unknown duration: no sum (and no finding)
            return functools.reduce(operator.add, durations, 0.0), True
        in_points: list[Any] = list(map(dict.get, timings, repeat("inPoint")))
        out_points: list[Any] = list(map(dict.get, timings, repeat("outPoint")))
        durations = list(map(dict.get, timings, repeat("duration")))
    except TypeError:  # a shot or a timing that is not an object
        return None
    kinds = {*map(type, in_points), *map(type, out_points), *map(type, durations)}
    if not kinds <= _NUMBER_TYPES:
        return None
    if not all(map(operator.ge, out_points, in_points)):
        return None
    if durations != list(map(operator.sub, out_points, in_points)):
        return None
    return functools.reduce(operator.add, durations, 0.0), True


def sequence_findings(doc: dict[str, Any], ref: FileRef, file_name: str) -> list[Finding]:
    """Per-file rules of a sequence document: membership (SC304), shot timing
    (SC310/SC311), the sequence duration (SC312), the file name (SC308)."""
    out: list[Finding] = []
    seq_id = doc.get("id")
    shots = doc.get("shots")
    if type(shots) is not list:
        shots = []
    clean = _clean_shots_total(shots, seq_id)
    if clean is not None:
        (total, summable), members_ok = clean, True
    else:
        total, summable, members_ok = _shots_loop(shots, seq_id, ref, out)
    if not members_ok and type(seq_id) is str:
        for pointer, message in membership_problems(doc):
            # membership_problems also reports in-file duplicate ids; the project-wide
            # duplicate rule (SC303) covers those, so only membership is taken here.
            if pointer.rsplit("/", 1)[-1] in MEMBERSHIP_FIELDS:
                out.append(ref.finding("SC304", pointer, message))
    declared: Any = doc.get("duration")
    if type(declared) in _NUMBER and summable and not _close(declared, total):
        out.append(
            ref.finding(
                "SC312",
                "/duration",
                f"expected duration {total:g} (the sum of the {len(shots)} shots' "
                f"durations), found {declared!r}.",
            )
        )
    if (
        type(seq_id) is str
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


def shape_findings(doc: dict[str, Any], ref: FileRef, file_name: str) -> list[Finding]:
    """The app's non-canonical sequence files (conformance/field_shapes.py): the
    reference shape (SC316), a canonical document under the id-prefix name (SC317),
    and ``shot_ids`` entries naming no shot of the file (SC318)."""
    if field_shapes.is_reference_shape(doc):
        refs = doc.get(field_shapes.REFERENCES_KEY)
        count = len(refs) if isinstance(refs, list) else 0
        where = (
            f" under the id-prefix name {json.dumps(file_name)} instead of sequence_NNN.json"
            if not layout.is_sequence_file_name(file_name) else ""
        )
        return [
            ref.finding(
                "SC316", "",
                "expected a sequence file holding its shots in a 'shots' array, found "
                f"{count} shot reference(s) in 'shot_ids' and no 'shots'{where}: the shape "
                f"written by {field_shapes.REFERENCE_WRITERS}.",
            )
        ]
    out = []
    if not layout.is_sequence_file_name(file_name):
        out.append(
            ref.finding(
                "SC317", "",
                f"expected sequence {json.dumps(doc.get('id'))} in a file named "
                f"sequence_NNN.json, found it in {json.dumps(file_name)}, named by "
                f"{field_shapes.ID_PREFIX_WRITER}.",
            )
        )
    for index, shot_id in field_shapes.unresolved_references(doc):
        out.append(
            ref.finding(
                "SC318", f"/{field_shapes.REFERENCES_KEY}/{index}",
                f"expected shot {json.dumps(shot_id)} named in shot_ids among the file's "
                "shots, found none with that id.",
            )
        )
    return out
