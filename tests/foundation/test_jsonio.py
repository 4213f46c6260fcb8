"""Strict reading and canonical writing (SEQ-ENC-1, SEQ-ENC-2, SEQ-READ-1).

The store writes with the fast ``dump_checked_bytes``; it must produce exactly the
bytes of the reference form ``json.dumps(doc, indent=2, ensure_ascii=False) + "\\n"``
for every writable document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import (
    copy_value,
    deep_recursion,
    dump_bytes,
    dump_checked_bytes,
    encode_exact,
    json_equal,
    parse_bytes,
)
from conformance.limits import MAX_DEPTH, MAX_INT_DIGITS


def reference_form(doc: Any) -> bytes:
    """The reference encoder: the stdlib's (pure Python with ``indent``, recursive),
    given the recursion depth that documents up to MAX_DEPTH levels need."""
    with deep_recursion(frames_per_level=3):
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


AWKWARD_FLOATS = st.sampled_from(
    [1e-05, 1e-07, 0.0001, 0.00012, 1e16, 1e15, 1e22, 1.5e300, 5e-324, -0.0, 0.1,
     9007199254740993.0, 1.7976931348623157e308, 123456789.123]
)
AWKWARD_TEXT = st.sampled_from(
    ["x: 1e5", "\n 1e5", "\x00\x1f\x7f", "\u2028\u2029", "💥", '"\\', ": 0.00001", "é"]
)
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63 - 5, max_value=2**65),
    st.floats(allow_nan=False, allow_infinity=False), AWKWARD_FLOATS,
    st.text(), AWKWARD_TEXT,
)
documents = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=6), AWKWARD_TEXT), inner, max_size=5),
    ),
    max_leaves=30,
)


BIG_INTS = st.builds(
    lambda digits, sign: sign * int("7" * digits),
    st.sampled_from([19, 20, 21, 40, 400, MAX_INT_DIGITS - 1, MAX_INT_DIGITS]),
    st.sampled_from([1, -1]),
)


@st.composite
def deep(draw: st.DrawFn, inner: st.SearchStrategy[Any]) -> Any:
    """A value wrapped in arrays/objects to a depth around orjson's 254-level encoder
    limit or up to MAX_DEPTH (every container of the result counted)."""
    levels = draw(st.sampled_from([253, 254, 255, 600, MAX_DEPTH - 1]))
    value = draw(inner)
    extra = 1 if isinstance(value, (dict, list)) and value else 0
    for i in range(levels - extra):
        value = {draw(st.sampled_from(["k", "é", ""])): value} if i % 3 == 0 else [value]
    return value


@settings(max_examples=150, deadline=None)
@given(documents)
def test_fast_dump_is_byte_identical_to_the_reference_form(doc: Any) -> None:
    expected = reference_form(doc)
    assert dump_bytes(doc) == expected
    assert dump_checked_bytes(doc) == expected
    assert encode_exact(doc) == expected


# The reference encoder needs ~0.3 s for a document 1000 levels deep.
@settings(max_examples=12, deadline=None)
@given(st.one_of(deep(st.one_of(leaves, BIG_INTS)), st.lists(BIG_INTS, max_size=3)))
def test_encoders_agree_on_big_integers_and_deep_nesting(doc: Any) -> None:
    """orjson refuses integers beyond 64 bits and nesting past 254 levels; the exact
    encoder takes over with the same bytes, up to MAX_DEPTH."""
    expected = reference_form(doc)
    assert dump_bytes(doc) == expected
    assert encode_exact(doc) == expected
    assert dump_bytes(parse_bytes(expected)) == expected  # and it reads back


@settings(max_examples=60, deadline=None)
@given(documents)
def test_copy_value_is_an_equal_independent_copy(doc: Any) -> None:
    copied = copy_value(doc)
    assert reference_form(copied) == reference_form(doc)
    if isinstance(doc, (dict, list)) and doc:
        assert copied is not doc


@settings(max_examples=100, deadline=None)
@given(documents)
def test_parse_of_the_canonical_form_round_trips(doc: Any) -> None:
    again = parse_bytes(reference_form(doc))
    assert json.dumps(again) == json.dumps(doc)  # values, types, key order
    assert parse_bytes(b"\xef\xbb\xbf" + reference_form(doc)) == again  # BOM accepted


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        (b'{"a": NaN}', ""),
        (b'{"a": [Infinity]}', ""),
        (b'{"a": -Infinity}', ""),
        (b'{"a": [1, 1e400]}', "/a/1"),
        (b'{"a": {"b": -1E999}}', "/a/b"),
        (b'{"a": "\\ud800"}', "/a"),
        (b'{"a": ["ok", "\\uDFFF x"]}', "/a/1"),
        (b'{"\\ud800": 1}', ""),
        (b'{"a": 1, "a": 1}', ""),
        (b'{"o": {"k": 1, "k": 2}}', ""),
        (b'{"a": "\xff"}', ""),
        (b'{"a": ', ""),
    ],
)
def test_strict_parse_rejects_with_location(data: bytes, pointer: str) -> None:
    with pytest.raises(SeqcheckError) as info:
        parse_bytes(data, file="f.json")
    assert info.value.code is ErrorCode.CORRUPT_FILE
    assert info.value.file == "f.json" and info.value.pointer == pointer


def test_escaped_surrogate_pairs_and_backslashes_are_fine() -> None:
    assert parse_bytes(b'{"a": "\\ud83d\\udca5", "b": "\\\\ud800"}') == {"a": "💥", "b": "\\ud800"}


def test_valid_paths_never_import_jsonschema() -> None:
    """jsonschema (~0.15 s to import) explains failures only; a valid update, read and
    protocol round trip must not load it, or every adapter start pays for it."""
    import subprocess
    import sys
    from pathlib import Path

    demo = Path(__file__).resolve().parents[2] / "examples" / "demo-project"
    code = (
        "import shutil, sys, tempfile, pathlib\n"
        "from conformance.reference import ReferenceStore\n"
        "from conformance.protocol import open_reference\n"
        f"root = pathlib.Path(tempfile.mkdtemp()) / 'p'; shutil.copytree({str(demo)!r}, root)\n"
        "s = ReferenceStore(root)\n"
        "s.update_shot('001', 'shot-0001', {'notes': 'x'}); s.get_all_sequences()\n"
        "impl = open_reference(); impl.get_shots(str(root), '001'); impl.close()\n"
        "lazy = ('jsonschema', 'referencing')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in lazy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@settings(max_examples=80, deadline=None)
@given(documents, documents)
def test_json_equal_is_equality_of_canonical_bytes_up_to_key_order(a: Any, b: Any) -> None:
    def canonical(doc: Any) -> bytes:
        if isinstance(doc, dict):
            return b"{" + b",".join(
                reference_form(k) + canonical(v) for k, v in sorted(doc.items())
            ) + b"}"
        if isinstance(doc, list):
            return b"[" + b",".join(canonical(v) for v in doc) + b"]"
        return reference_form(doc)

    assert json_equal(a, a) and json_equal(a, copy_value(a))
    assert json_equal(a, b) == (canonical(a) == canonical(b))


def test_json_equal_tells_types_apart_at_any_depth() -> None:
    assert not json_equal({"x": 1}, {"x": True}) and not json_equal([1], [1.0])
    assert not json_equal(0.0, -0.0) and json_equal({"a": 1, "b": 2}, {"b": 2, "a": 1})
    deep_a: Any = 1
    deep_b: Any = 1
    for _ in range(MAX_DEPTH - 1):
        deep_a, deep_b = [deep_a], [deep_b]
    assert json_equal(deep_a, deep_b)
