"""File level: the fast duplicate-key test, the position scanner, hostile input."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.limits import MAX_STRING_CHARS
from conformance.validate.finding import FileRef
from conformance.validate.parsing import parse
from conformance.validate.positions import LineIndex, locate, scan

REF = FileRef(Path("p"), "sequences/sequence_001.json")

keys = st.text(alphabet=st.sampled_from('ab:"\\/~é '), min_size=0, max_size=4)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.sampled_from('xy:"\\\n{}[],é😀'), max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


def _codes(raw: bytes) -> list[str]:
    return [f.code for f in parse(raw, REF).findings]


@settings(max_examples=100, deadline=None)
@given(doc=st.dictionaries(keys, json_values, max_size=5), indent=st.sampled_from([None, 2]))
def test_no_false_duplicate_on_valid_json(doc: dict[str, Any], indent: int | None) -> None:
    raw = json.dumps(doc, indent=indent, ensure_ascii=bool(indent)).encode()
    parsed = parse(raw, REF)
    assert parsed.findings == []
    assert parsed.doc == doc


@settings(max_examples=100, deadline=None)
@given(
    doc=st.dictionaries(keys, json_values, min_size=1, max_size=5),
    value=json_values,
    seed=st.integers(0, 1000),
    spaced=st.booleans(),
)
def test_injected_duplicate_is_found(
    doc: dict[str, Any], value: Any, seed: int, spaced: bool
) -> None:
    """Repeat one key (anywhere in the top object); SC105 names it with its pointer."""
    key = random.Random(seed).choice(sorted(doc))
    members = [json.dumps(k) + (" : " if spaced else ":") + json.dumps(v) for k, v in doc.items()]
    members.append(json.dumps(key) + ":" + json.dumps(value))
    raw = ("{" + ",".join(members) + "}").encode()
    findings = parse(raw, REF).findings
    assert [f.code for f in findings] == ["SC105"]
    assert findings[0].pointer == "/" + key.replace("~", "~0").replace("/", "~1")


def test_duplicate_inside_nested_object_and_escaped_colon() -> None:
    raw = b'{"a": {"k": 1, "k": 2}, "note": "x\\u003a y"}'
    findings = parse(raw, REF).findings
    assert [(f.code, f.pointer) for f in findings] == [("SC105", "/a/k")]


@settings(max_examples=100, deadline=None)
@given(doc=json_values, indent=st.sampled_from([None, 1, 2]))
def test_scanner_positions_match_the_values(doc: Any, indent: int | None) -> None:
    """Every pointer the scanner records starts the value (or the member's key)."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    result = scan(text)
    assert result.complete and not result.duplicates
    for pointer, offset in result.positions.items():
        value = _resolve(doc, pointer)
        if text[offset] == '"' and pointer and isinstance(_resolve_parent(doc, pointer), dict):
            key_token = json.dumps(_last(pointer), ensure_ascii=False)
            assert text.startswith(key_token, offset)
        else:
            decoder = json.JSONDecoder()
            parsed, _ = decoder.raw_decode(text, offset)
            assert parsed == value


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _parts(pointer: str) -> list[str]:
    return [_unescape(p) for p in pointer.split("/")[1:]] if pointer else []


def _resolve(doc: Any, pointer: str) -> Any:
    for part in _parts(pointer):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _resolve_parent(doc: Any, pointer: str) -> Any:
    parts = _parts(pointer)
    for part in parts[:-1]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _last(pointer: str) -> str:
    return _parts(pointer)[-1]


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    text = '{\n  "shots": [\n    {"id": "a"}\n  ]\n}'
    where = locate(text, ["/shots/0/timing", "/nope", ""])
    assert where["/shots/0/timing"] == (3, 5)
    assert where["/nope"] == (1, 1)
    assert where[""] == (1, 1)


def test_line_index() -> None:
    index = LineIndex("ab\ncd\n\nx")
    assert [index.line_col(i) for i in (0, 1, 3, 6, 7)] == [(1, 1), (1, 2), (2, 1), (3, 1), (4, 1)]


# Hostile input: never a crash, always a file-level finding.


def test_deep_nesting_100k_levels() -> None:
    raw = b'{"id": "1", "shots": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert _codes(raw) == ["SC107"]
    raw = b'{"a": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
    assert _codes(raw) == ["SC107"]


def test_deep_nesting_on_the_slow_path() -> None:
    """NaN forces the stdlib parser, whose recursion limit is lower than 1024."""
    raw = b'{"x": NaN, "y": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert _codes(raw) == ["SC107"]


def test_scanner_is_bounded_on_deep_text() -> None:
    result = scan("[" * 100_000 + "]" * 100_000)
    assert not result.complete


def test_huge_string() -> None:
    big = "x" * MAX_STRING_CHARS
    raw = b'{"id": "001", "shots": [{"id": "a", "notes": "' + big.encode() + b'"}]}'
    assert _codes(raw) == []
    raw = b'{"id": "001", "shots": [{"id": "a", "notes": "' + big.encode() + b'"}], "id": "2"}'
    assert _codes(raw) == ["SC105"]
    raw = b'{"id": "001", "shots": [{"id": "a", "notes": "' + big.encode() + b'x"}]}'
    assert _codes(raw) == ["SC116"]


def test_binary_garbage_never_crashes() -> None:
    rng = random.Random(4)
    for _ in range(200):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        codes = _codes(raw)
        assert codes and set(codes) <= {"SC102", "SC103", "SC104", "SC107"}


@settings(max_examples=100, deadline=None)
@given(doc=json_values, indent=st.sampled_from([None, 2]), data=st.data())
def test_locate_agrees_with_the_full_scanner(doc: Any, indent: int | None, data: Any) -> None:
    """The skipping navigator (used for findings) and the token scanner agree."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    full = scan(text)
    index = LineIndex(text)
    pointers = sorted(full.positions)
    chosen = data.draw(st.lists(st.sampled_from(pointers), max_size=6)) if pointers else []
    located = locate(text, chosen)
    assert located == {p: index.line_col(full.positions[p]) for p in chosen}


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab\n"), max_size=60),
    data=st.data(),
)
def test_line_index_in_any_lookup_order(text: str, data: Any) -> None:
    offsets = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    index = LineIndex(text)
    for offset in offsets:
        line = text.count("\n", 0, offset) + 1
        assert index.line_col(offset) == (line, offset - text.rfind("\n", 0, offset))


class _CountingText(str):
    """A text that adds up how many characters LineIndex scans."""

    scanned = 0

    def count(self, sub: str, start: Any = None, end: Any = None) -> int:
        _CountingText.scanned += (len(self) if end is None else end) - (start or 0)
        return super().count(sub, start, end)

    def rfind(self, sub: str, start: Any = None, end: Any = None) -> int:
        _CountingText.scanned += (len(self) if end is None else end) - (start or 0)
        return super().rfind(sub, start, end)


def test_positions_cost_one_pass_however_many_lookups() -> None:
    """10k findings in one file: line/column of all of them scan the text about once
    (counting from the file start for each was quadratic: 222 s at 40k shots)."""
    lines = [f'  {{"id": "s{n}"}},\n' for n in range(10_000)]
    text = _CountingText("".join(lines))
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line))
    offsets = [start + 3 for start in reversed(starts)]  # asked last line first
    _CountingText.scanned = 0
    where = LineIndex(text).line_cols(offsets)
    assert where[offsets[0]] == (10_000, 4)
    assert _CountingText.scanned <= 2 * len(text)
