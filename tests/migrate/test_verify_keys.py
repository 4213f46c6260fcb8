"""Verification's canonical keys decide exactly as json_equal does (migrate/verify.py).

The keys are a speed-up only: any disagreement with json_equal would let a changed
shot pass verification (or fail an intact one)."""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.jsonio import json_equal
from conformance.layout import PROJECT_FILE
from migrate.verify import _Index, _key, _Location, _matches, _Originals

_scalars = (
    st.none() | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, -1, 0.0, -0.0, 1.0, 1e16, 1e-7, 2**63, -(2**63) - 1, 1e308])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["null", "annulled", "\ud800", "é", "\u2028"])
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def _reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def _agree(a: Any, b: Any) -> None:
    ka, kb = _key(a), _key(b)
    if ka is not None and kb is not None:
        assert (ka == kb) == json_equal(a, b), (a, b)
    if json_equal(a, b):  # equal values: both keyed alike, or both left to json_equal
        assert ka == kb, (a, b)


@settings(max_examples=200, deadline=None)
@given(_json, _json)
def test_keys_agree_with_json_equal_on_arbitrary_pairs(a: Any, b: Any) -> None:
    _agree(a, b)


@settings(max_examples=150, deadline=None)
@given(_json)
def test_keys_agree_on_reordered_copies(a: Any) -> None:
    _agree(a, _reordered(a))
    _agree({"x": a}, {"x": copy.deepcopy(a)})


def test_type_strict_and_sign_strict() -> None:
    for a, b in [(1, 1.0), (1, True), (0, False), (0.0, -0.0), (None, math.nan),
                 ("1", 1), ([1], [1.0]), ({"a": 1}, {"a": 1, "b": 1})]:
        _agree({"v": a}, {"v": b})
        assert not json_equal({"v": a}, {"v": b})
        ka, kb = _key({"v": a}), _key({"v": b})
        assert ka is None or kb is None or ka != kb


def test_values_orjson_cannot_key_are_left_to_json_equal() -> None:
    assert _key({"v": 2**64}) is None  # beyond 64 bits
    assert _key({"v": "\ud800"}) is None  # lone surrogate
    assert _key({"v": math.nan}) is None and _key({"v": math.inf}) is None  # -> null
    assert _key({"v": None}) is None and _key({"v": "annulled"}) is None
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    assert _key({"v": deep}) is None


_shots = st.fixed_dictionaries(
    {"id": st.sampled_from(["s1", "s2"])},
    optional={"sequencePlanId": st.sampled_from(["q1", "q2", 7]), "v": _json},
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_shots, min_size=1, max_size=3), _shots,
       st.sampled_from([None, "q1", "q2"]), st.booleans())
def test_matched_by_equals_matches_over_every_copy(
    originals: list[dict[str, Any]], found: dict[str, Any], holder: str | None,
    derive: bool,
) -> None:
    if derive:  # often the found shot is an original, moved, plus the holder's id
        found = _reordered(originals[0])
        if holder is not None and "sequencePlanId" not in found:
            found = {**found, "sequencePlanId": holder}
    originals = [{**shot, "id": "s1"} for shot in originals]
    found = {**found, "id": "s1"}
    copies, index = _Originals(), _Index()  # index: a single copy is one bytes entry
    for n, shot in enumerate(originals):
        where = PROJECT_FILE if n % 2 == 0 else "sequences/sequence_002.json"
        copies.add(_Location(where, "/shots/0", shot, None))
        index.add(_Location(where, "/shots/0", shot, None))
    loc = _Location("sequences/sequence_001.json", "/shots/0", found, holder)
    expected = _matches(loc, originals)
    assert copies.matched_by(loc) == expected
    assert index.matched_by(loc) == expected
    assert list(index.ids()) == [("s1", (len(originals) + 1) // 2)]
