"""migrate.legacy_reader: streaming project.json gives the strict parser's document or
declines (``None``, the caller then parses the whole file and reports its error).

The scan must never accept a document the strict parser refuses, nor read a value
differently: checked against :func:`conformance.jsonio.parse_bytes` on generated
projects in several layouts, and on hostile layouts built to fool the splitter.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import SeqcheckError
from conformance.jsonio import orjson_read_is_exact, parse_bytes
from migrate.legacy_reader import MISSING, LegacyProject, facts_of, scan

_scalars = (
    st.none() | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(["\n    {", '",\n    {"', "}, {", "\u2028", "é", ":", "\\u003a"])
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
_shot = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=6)},
    optional={"sequencePlanId": st.text(max_size=4), "sequence_id": st.text(max_size=4),
              "metadata": st.dictionaries(st.sampled_from(["sequence_id", "x"]), _values,
                                          max_size=2),
              "nested": st.lists(st.dictionaries(st.text(max_size=3), _values, max_size=2),
                                 max_size=3),
              "value": _values},
)
_project = st.fixed_dictionaries(
    {"schema_version": st.just("1.0"), "project_name": st.text(min_size=1, max_size=5)},
    optional={"shots": st.lists(_shot, max_size=6), "storyboard": st.lists(_shot, max_size=3),
              "assets": _values, "metadata": _values},
)


def _layouts(doc: dict[str, Any]) -> list[bytes]:
    out = [
        (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(),  # Python, app-like
        json.dumps(doc, indent=2).encode(),  # ASCII escapes
        b"\xef\xbb\xbf" + json.dumps(doc, indent=2).encode(),  # with a BOM
        json.dumps(doc).encode(),  # minified: declined, never misread
        json.dumps(doc, indent=4).encode(),
    ]
    with contextlib.suppress(orjson.JSONEncodeError):  # integers beyond 64 bits
        out.append(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return out


def _check(raw: bytes) -> LegacyProject | None:
    """scan(raw) is None or exactly the strict parse; None whenever that refuses."""
    try:
        strict = parse_bytes(raw)
    except SeqcheckError:
        strict = MISSING
    visited: list[tuple[str, int, Any]] = []
    got = scan(raw, lambda a, i, shots: visited.extend(
        (a, n, s) for n, s in enumerate(shots, start=i)))
    if got is None:
        return None
    assert strict is not MISSING, "scan accepted what the strict parser refuses"
    doc = got.document()
    assert orjson.dumps(doc) == orjson.dumps(strict)  # same values, same key order
    assert list(doc) == list(strict)
    for array in got.arrays():
        assert [facts_of(s) for s in strict[array]] == got.facts[array]
        assert [s for a, _, s in visited if a == array] == strict[array]
        assert [n for a, n, _ in visited if a == array] == list(range(len(strict[array])))
        assert got.count(array) == len(strict[array])
    return got


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_project)
def test_scan_reads_every_layout_as_the_strict_parser_does(doc: dict[str, Any]) -> None:
    raws = _layouts(doc)
    for raw in raws:
        _check(raw)
    # The app's and seqcheck's own layout is streamed whenever the strict parser's
    # fast path reads the whole file exactly (no big integer, no escaped colon...).
    try:
        whole_exact = orjson_read_is_exact(raws[0], orjson.loads(raws[0]))
    except orjson.JSONDecodeError:
        whole_exact = False
    if whole_exact:
        assert scan(raws[0]) is not None


def _pretty(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize("raw", [
    # A duplicate key at the top level, inside a shot, inside a nested object.
    b'{\n  "shots": [],\n  "shots": []\n}',
    b'{\n  "shots": [\n    {\n      "id": "a",\n      "id": "b"\n    }\n  ]\n}',
    b'{\n  "shots": [\n    {\n      "id": "a",\n      "x": {"k": 1, "k": 2}\n    }\n  ]\n}',
    # NaN, a lone surrogate, bad UTF-8.
    b'{\n  "shots": [\n    {\n      "id": "a",\n      "n": NaN\n    }\n  ]\n}',
    b'{\n  "shots": [\n    {\n      "id": "\\ud800"\n    }\n  ]\n}',
    b'{\n  "shots": [\n    {\n      "id": "\xff"\n    }\n  ]\n}',
    # Trailing commas, garbage between pieces, nothing.
    b'{\n  "shots": [\n    {\n      "id": "a"\n    },\n  ]\n}',
    b'{\n  "shots": [\n    {\n      "id": "a"\n    } x,\n    {\n      "id": "b"\n    }\n  ]\n}',
    b'{\n  "a": 1,\n  "b": 2,\n}',
    b'{\n  "a": 1 2\n}',
    b"",
])
def test_anything_the_strict_parser_refuses_is_declined(raw: bytes) -> None:
    with pytest.raises(SeqcheckError):
        parse_bytes(raw)
    assert scan(raw) is None


@pytest.mark.parametrize("raw", [
    b'{\n  "shots": [\n    {\n      "id": "a"\n    },\n    3\n  ]\n}',
    b'{\n  "shots": {\n    "id": "a"\n  }\n}',
    b'[\n  {\n    "id": "a"\n  }\n]',
])
def test_legacy_arrays_of_anything_but_objects_are_declined(raw: bytes) -> None:
    # Parsed whole instead, where the snapshot's checks name the bad element.
    parse_bytes(raw)
    assert scan(raw) is None


def test_a_value_only_the_exact_parser_reads_is_declined() -> None:
    # orjson would read this integer as a rounded float: the whole-file parse decides.
    raw = (b'{\n  "shots": [\n    {\n      "id": "a",\n      "n": 123456789012345678901234\n'
           b'    }\n  ]\n}')
    assert parse_bytes(raw)["shots"][0]["n"] == 123456789012345678901234
    assert scan(raw) is None


def test_a_candidate_split_inside_a_shot_is_never_taken() -> None:
    # A nested object written at the indentation of an element: the splitter's
    # candidate is inside the shot; the pieces then fail to parse and it declines.
    raw = (b'{\n  "shots": [\n    {\n      "id": "a",\n      "nested": [\n'
           b'    {\n      "x": 1\n    },\n    {\n      "y": 2\n    }\n      ]\n    }\n  ]\n}')
    assert _check(raw) is None
    assert parse_bytes(raw)["shots"][0]["nested"] == [{"x": 1}, {"y": 2}]
    # Elements on one line, then one on its own line: declined, never misread.
    two = b'{\n  "shots": [\n    {"id": "a"}, {"id": "b"},\n    {\n      "id": "c"\n    }\n  ]\n}'
    assert _check(two) is None


def test_a_large_project_streams_with_spans_and_facts() -> None:
    shots = [{"id": f"s{i}", ("sequencePlanId" if i % 2 else "sequence_id"): f"q{i % 7}",
              "metadata": {"sequence_id": "m"}} for i in range(1500)]
    doc = {"schema_version": "1.0", "project_name": "p", "shots": shots,
           "storyboard": [{"id": "b"}], "x": {"shots": [1]}}
    got = _check(_pretty(doc))
    assert got is not None and got.streamed
    assert got.head == {"schema_version": "1.0", "project_name": "p", "shots": [],
                        "storyboard": [], "x": {"shots": [1]}}
    assert got.shot("shots", 1499) == shots[1499]
    first, second = got.facts["shots"][:2]
    assert (first.id, first.plan_id, first.sequence_id, first.meta_sequence_id) == (
        "s0", MISSING, "q0", "m")
    assert second.members() == {"sequencePlanId": "q1"}
    removed = {"shots": bytearray(1500), "storyboard": bytearray(b"\x01")}
    removed["shots"][3:] = b"\x01" * 1497
    assert got.without(removed) == {**doc, "shots": shots[:3], "storyboard": []}
    # Sequence ids repeated by many shots share one string.
    assert got.facts["shots"][0].sequence_id is got.facts["shots"][14].sequence_id


def test_from_document_keeps_the_parsed_shots() -> None:
    doc: dict[str, Any] = {"shots": [{"id": "a", "sequence_id": "s"}, 3],
                           "storyboard": {"not": "a list"}}
    got = LegacyProject.from_document(b"{}", doc)
    assert not got.streamed and got.arrays() == ["shots"]
    assert got.shot("shots", 0) is doc["shots"][0]
    assert got.facts["shots"][1].id is MISSING
    assert got.head == {"shots": [], "storyboard": {"not": "a list"}}
