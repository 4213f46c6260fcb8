"""The whole-array fast path of the shot rules agrees with the per-shot loop.

shot_rules._clean_shots_total may answer only for arrays where the loop finds
nothing (no SC304 hint, no SC310/SC311, every duration known) and must then give
the loop's sum bit for bit (the SC312 message prints it).
"""

from __future__ import annotations

import functools
import math
import operator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.documents import shot_duration
from conformance.validate.finding import FileRef
from conformance.validate.shot_rules import _clean_shots_total, _shots_loop, sequence_findings

REF = FileRef(Path("/p"), "sequences/sequence_001.json")

numbers = st.one_of(
    st.integers(-3, 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.1, 0.2, 0.30000000000000004, 2.5, -0.0, 1e-7]),
)
values = st.one_of(numbers, st.none(), st.booleans(), st.text(max_size=3))


@st.composite
def shot(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 60)) == 0:
        return draw(st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.text()))
    out: dict[str, Any] = {"id": draw(st.text(max_size=4))}
    if draw(st.booleans()):
        out["sequencePlanId"] = draw(st.sampled_from(["001", "001", "001", "002", 1]))
    if draw(st.integers(0, 5)) == 0:
        out["sequence_id"] = draw(st.sampled_from(["001", "003"]))
    kind = draw(st.integers(0, 16))
    if kind == 0:
        return out
    if kind == 1:
        out["timing"] = draw(st.one_of(st.none(), st.lists(st.integers(), max_size=1)))
        return out
    in_point = draw(numbers if kind > 2 else values)
    out_point = draw(numbers)
    timing: dict[str, Any] = {"inPoint": in_point, "outPoint": out_point}
    if kind >= 4 and isinstance(in_point, (int, float)) and not isinstance(in_point, bool):
        # Mostly consistent timings, the case the fast path is for.
        timing = {"inPoint": in_point, "outPoint": in_point + abs(out_point)}
        timing["duration"] = timing["outPoint"] - in_point
    elif draw(st.booleans()):
        timing["duration"] = draw(values)
    if draw(st.integers(0, 20)) == 0:
        del timing[draw(st.sampled_from(sorted(timing)))]
    out["timing"] = timing
    if draw(st.integers(0, 4)) == 0:
        out["duration"] = draw(values)
    return out


@st.composite
def untimed_shot(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "s", "sequence_id": "001"}
    if draw(st.integers(0, 6)):
        out["duration"] = draw(numbers if draw(st.integers(0, 5)) else values)
    return out


@st.composite
def clean_shot(draw: st.DrawFn) -> dict[str, Any]:
    in_point, length = draw(numbers), draw(numbers)
    out_point = in_point + abs(length)
    return {
        "id": "s",
        "sequencePlanId": "001",
        "timing": {"inPoint": in_point, "outPoint": out_point, "duration": out_point - in_point},
    }


@settings(max_examples=250, deadline=None)
@given(
    clean=st.lists(clean_shot(), max_size=6) | st.lists(untimed_shot(), max_size=6),
    others=st.lists(shot(), max_size=3),
    seq_id=st.sampled_from(["001", "001", 1, None]),
)
def test_fast_path_answers_only_where_the_loop_finds_nothing(
    clean: list[Any], others: list[Any], seq_id: Any
) -> None:
    shots = clean + others
    fast = _clean_shots_total(shots, seq_id)
    findings: list[Any] = []
    total, summable, members_ok = _shots_loop(shots, seq_id, REF, findings)
    if fast is None:
        return
    assert findings == [] and members_ok
    assert fast[1] == summable
    if summable:  # the sum is used (SC312) only when every duration is known
        assert math.copysign(1, fast[0]) == math.copysign(1, total) and fast[0] == total
    # Both are documents.shot_duration over the array: the one reading of a duration.
    durations = [shot_duration(s) for s in shots]
    assert summable == all(d is not None for d in durations)
    if summable:
        assert fast[0] == functools.reduce(operator.add, durations, 0.0)


def test_fast_path_taken_for_clean_shots_and_findings_unchanged() -> None:
    shots = [
        {"id": f"s{n}", "sequencePlanId": "001",
         "timing": {"duration": 0.1, "inPoint": 0, "outPoint": 0.1}}
        for n in range(10)
    ]
    # Added in order, as the loop does (not math.fsum's 1.0 nor 3.12's sum()).
    assert _clean_shots_total(shots, "001") == (0.9999999999999999, True)
    doc = {"id": "001", "duration": 5, "shots": shots}
    (finding,) = sequence_findings(doc, REF, "sequence_001.json")
    assert finding.code == "SC312"
    assert "expected duration 1 (the sum of the 10 shots' durations), found 5." in (
        finding.message
    )
    untimed = [{"id": f"u{n}", "duration": 0.1} for n in range(10)]
    assert _clean_shots_total(untimed, "001") == (0.9999999999999999, True)
    untimed[4]["duration"] = None
    assert _clean_shots_total(untimed, "001") == (0.0, False)
    untimed[5]["timing"] = {"inPoint": 1, "outPoint": 0}  # SC310: the loop must run
    assert _clean_shots_total(untimed, "001") is None
    shots[3]["sequencePlanId"] = "002"
    assert _clean_shots_total(shots, "001") is None
    assert [f.code for f in sequence_findings(doc, REF, "sequence_001.json")] == [
        "SC304", "SC312"
    ]
