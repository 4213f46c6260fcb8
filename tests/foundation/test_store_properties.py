"""Properties of ReferenceStore.update_shot / get_shots, checked against raw bytes.

The expected file after an update is computed independently of the store, from the
spec: the old document with the shot replaced by ``{**shot, **updates}``, the
metadata touched (SEQ-UPDATE-7), encoded as SEQ-ENC-1 says. The store's bytes must
equal it exactly, which checks the merge, preservation of every other value and key
order, and the canonical encoding at once.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

NOW = "2030-01-02T03:04:05.678Z"
SEQ_FILE = "sequences/sequence_001.json"
OTHER_FILE = "sequences/sequence_002.json"

# -- strategies -----------------------------------------------------------------------

SPECIAL_NUMBERS = st.sampled_from(
    [0, -0.0, 1e300, -1e300, 5e-324, 0.1, 2.5e-8, 2**53 + 1, 2**64, -(2**63) - 1, 10**40]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    SPECIAL_NUMBERS,
    st.text(max_size=12),
    st.sampled_from(["café", "日本語", "💥 emoji", "\u2028", "tab\tand\nnewline", '"q"\\']),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=16,
)
# Keys no schema declares: they must round-trip untouched.
unknown_keys = st.text(max_size=8).map(lambda s: "x-" + s)
unknown_fields = st.dictionaries(unknown_keys, json_values, max_size=3)

sequence_ids = st.sampled_from(["001", "1737000000000-seqa1b2c3", "séquence 7", "A"])
notes = st.text(max_size=20)
valid_declared = {
    "notes": notes,
    "number": st.integers(min_value=1, max_value=10**20),
    "status": st.sampled_from(["planned", "generating", "generated", "approved", "rejected"]),
    "type": st.sampled_from(["wide", "close-up", "pov"]),
    "tags": st.lists(st.text(max_size=5), max_size=3),
    "timing": st.fixed_dictionaries(
        {"duration": st.floats(min_value=0, max_value=1e6)},
        optional={"inPoint": st.integers(0, 100), "x-unknown": json_values},
    ),
    "title": st.text(max_size=10),
}


@st.composite
def shots(draw: st.DrawFn, shot_id: str, seq_id: str) -> dict[str, Any]:
    items: list[tuple[str, Any]] = [("id", shot_id)]
    membership = draw(st.sampled_from([(), ("sequencePlanId",), ("sequence_id",),
                                       ("sequencePlanId", "sequence_id")]))
    items += [(field, seq_id) for field in membership]
    for key in draw(st.lists(st.sampled_from(sorted(valid_declared)), unique=True, max_size=3)):
        items.append((key, draw(valid_declared[key])))
    items += list(draw(unknown_fields).items())
    return dict(draw(st.permutations(items)))


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, Any] | None:
    shape = draw(st.sampled_from(["absent", "created", "app", "note", "both"]))
    if shape == "absent":
        return None
    meta: dict[str, Any] = {"created_at": "2026-01-20T10:00:00.000Z"}
    if shape in ("app", "both"):
        meta["updated_at"] = "2026-01-20T10:01:00Z"
        meta["status"] = "draft"
    if shape in ("note", "both"):
        meta["modified_at"] = "2026-01-20T10:02:00+00:00"
    meta.update(draw(unknown_fields))
    return dict(draw(st.permutations(list(meta.items()))))


@st.composite
def sequence_docs(draw: st.DrawFn) -> dict[str, Any]:
    seq_id = draw(sequence_ids)
    ids = draw(st.lists(st.sampled_from(["s1", "s2", "shot 3", "ß-4", "5", "s6"]),
                        min_size=1, max_size=5, unique=True))
    items: list[tuple[str, Any]] = [
        ("id", seq_id),
        ("shots", [draw(shots(i, seq_id)) for i in ids]),
    ]
    if draw(st.booleans()):
        items.append(("order", draw(st.integers(-5, 5))))
    if draw(st.booleans()):
        items.append(("name", draw(st.text(max_size=10))))
    meta = draw(metadata())
    if meta is not None:
        items.append(("metadata", meta))
    items += list(draw(unknown_fields).items())
    return dict(draw(st.permutations(items)))


@st.composite
def initial_bytes(draw: st.DrawFn, doc: dict[str, Any]) -> bytes:
    """The file as some other writer left it: any indent, escaped or raw, maybe a BOM."""
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    text = json.dumps(doc, indent=indent, ensure_ascii=draw(st.booleans()))
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode("utf-8")


@st.composite
def valid_updates(draw: st.DrawFn, doc: dict[str, Any], index: int) -> dict[str, Any]:
    shot = doc["shots"][index]
    items: list[tuple[str, Any]] = list(draw(unknown_fields).items())
    for key in draw(st.lists(st.sampled_from(sorted(valid_declared)), unique=True, max_size=3)):
        items.append((key, draw(valid_declared[key])))
    if draw(st.booleans()):
        items.append(("id", shot["id"]))  # restating the id is allowed
    for field in ("sequencePlanId", "sequence_id"):
        if draw(st.booleans()):  # the current value, or the enclosing id when absent
            items.append((field, shot.get(field, doc["id"])))
    if shot and draw(st.booleans()):  # replace an existing unknown field wholesale
        existing = [k for k in shot if k.startswith("x-")]
        if existing:
            items.append((draw(st.sampled_from(existing)), draw(json_values)))
    return dict(draw(st.permutations(items)))


# -- the expected result, computed from the spec ---------------------------------------


def canonical(doc: Any) -> bytes:
    """SEQ-ENC-1, spelled out independently of conformance.jsonio."""
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def ordered(value: Any) -> str:
    """A comparison key that sees key order, int/float and -0.0."""
    return json.dumps(value, ensure_ascii=False)


def expected_after_update(
    doc: dict[str, Any], index: int, updates: dict[str, Any], now: str
) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["shots"][index] = {**out["shots"][index], **copy.deepcopy(updates)}
    meta = out.get("metadata")
    if meta is None:
        out["metadata"] = {"modified_at": now}
    else:
        meta["modified_at"] = now
        if "updated_at" in meta:
            meta["updated_at"] = now
    return out


def write_project(root: Path, seq_bytes: bytes) -> Path:
    (root / "sequences").mkdir(parents=True)
    (root / SEQ_FILE).write_bytes(seq_bytes)
    other = {"id": "other", "shots": [{"id": "o1", "x-n": 1.0}], "x-k": "é"}
    (root / OTHER_FILE).write_bytes(json.dumps(other).encode())
    (root / "project.json").write_bytes(
        b'{"schema_version":"1.0","project_name":"P","shots":[{"id":"s1"}]}'
    )
    (root / "sequences" / "sequence_001.json.bak").write_bytes(b"not json")
    return root


def files_except(root: Path, skip: str) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() != skip and not p.name.endswith(".lock")
    }


# -- update then get returns the merge ---------------------------------------------------


@st.composite
def update_scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], bytes, int, dict[str, Any]]:
    doc = draw(sequence_docs())
    raw = draw(initial_bytes(doc))
    index = draw(st.integers(0, len(doc["shots"]) - 1))
    return doc, raw, index, draw(valid_updates(doc, index))


def check_update(scenario: tuple[dict[str, Any], bytes, int, dict[str, Any]]) -> None:
    doc, raw, index, updates = scenario
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp), raw)
        before_others = files_except(root, SEQ_FILE)
        store = ReferenceStore(root, clock=lambda: NOW)
        updates_copy = copy.deepcopy(updates)

        result = store.update_shot(doc["id"], doc["shots"][index]["id"], updates)

        expected = expected_after_update(doc, index, updates_copy, NOW)
        written = (root / SEQ_FILE).read_bytes()
        assert written == canonical(expected)  # merge, preservation, encoding: all of it
        assert ordered(result) == ordered(expected["shots"][index])
        assert ordered(updates) == ordered(updates_copy)  # the caller's dict is not touched
        assert files_except(root, SEQ_FILE) == before_others  # SEQ-UPDATE-10
        assert not [p for p in (root / "sequences").iterdir() if p.name.endswith(".tmp")]
        # The returned shot is the caller's to keep: mutating it changes nothing stored.
        result["x-mutated"] = True
        fresh = ReferenceStore(root)
        assert ordered(fresh.get_shots(doc["id"])) == ordered(expected["shots"])
        assert ordered(store.get_shots(doc["id"])) == ordered(expected["shots"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(update_scenarios())
def test_update_then_get_returns_the_merge_and_preserves_everything(
    scenario: tuple[dict[str, Any], bytes, int, dict[str, Any]],
) -> None:
    check_update(scenario)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(update_scenarios())
def test_update_then_get_deep(
    scenario: tuple[dict[str, Any], bytes, int, dict[str, Any]],
) -> None:
    check_update(scenario)


# -- invalid updates leave the bytes identical ----------------------------------------

SCHEMA_BREAKERS: list[tuple[str, Any]] = [
    ("number", 0),
    ("number", 1.5),
    ("type", "wideshot"),
    ("timing", {"duration": -1}),
    ("generation", {"parameters": {"steps": 0}}),
    ("generation", {"parameters": {"cfgScale": 0}}),
    ("tags", [1]),
    ("status", "done"),
    ("notes", 5),
    ("duration", 0),
    ("metadata", "not an object"),
]


@st.composite
def invalid_scenarios(
    draw: st.DrawFn,
) -> tuple[dict[str, Any], bytes, int, Any, ErrorCode, str | None]:
    """(doc, raw, shot index, updates, expected code, expected pointer prefix or None)."""
    doc = draw(sequence_docs())
    raw = draw(initial_bytes(doc))
    index = draw(st.integers(0, len(doc["shots"]) - 1))
    shot = doc["shots"][index]
    base = draw(valid_updates(doc, index))
    kind = draw(st.sampled_from(
        ["not-object", "non-finite", "non-string-key", "id", "membership", "schema"]
    ))
    at = f"/shots/{index}"
    if kind == "not-object":
        bad = draw(st.sampled_from([[], [base], "updates", None, 3, 1.5, True]))
        return doc, raw, index, bad, ErrorCode.INVALID_UPDATE, None
    if kind == "non-finite":
        value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        base["x-bad"] = [1, {"deep": value}]
        return doc, raw, index, base, ErrorCode.INVALID_UPDATE, None
    if kind == "non-string-key":
        base["x-nested"] = {1: "x"}
        return doc, raw, index, base, ErrorCode.INVALID_UPDATE, None
    if kind == "id":
        base["id"] = draw(st.one_of(st.sampled_from([shot["id"] + "x", "", 1, None]),
                                    st.text(max_size=4).filter(lambda t: t != shot["id"])))
        return doc, raw, index, base, ErrorCode.INVALID_UPDATE, f"{at}/id"
    if kind == "membership":
        field = draw(st.sampled_from(["sequencePlanId", "sequence_id"]))
        current = shot.get(field, doc["id"])
        base[field] = draw(st.one_of(st.sampled_from(["other", None, 1, ""]),
                                     st.text(max_size=4)).filter(lambda v: v != current))
        return doc, raw, index, base, ErrorCode.INVALID_UPDATE, f"{at}/{field}"
    key, value = draw(st.sampled_from(SCHEMA_BREAKERS))
    base[key] = value
    return doc, raw, index, base, ErrorCode.SCHEMA_VIOLATION, f"{at}/{key}"


def check_invalid(
    scenario: tuple[dict[str, Any], bytes, int, Any, ErrorCode, str | None],
) -> None:
    doc, raw, index, updates, code, pointer = scenario
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp), raw)
        before = files_except(root, "")
        store = ReferenceStore(root, clock=lambda: NOW)
        with pytest.raises(SeqcheckError) as info:
            store.update_shot(doc["id"], doc["shots"][index]["id"], updates)
        assert info.value.code == code, info.value
        if pointer is not None:
            assert info.value.pointer is not None
            assert info.value.pointer.startswith(pointer), info.value
            assert info.value.file == str(root / SEQ_FILE)
        assert info.value.message
        assert files_except(root, "") == before  # bytes identical, no temp file


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invalid_scenarios())
def test_invalid_updates_raise_and_leave_bytes_identical(
    scenario: tuple[dict[str, Any], bytes, int, Any, ErrorCode, str | None],
) -> None:
    check_invalid(scenario)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invalid_scenarios())
def test_invalid_updates_deep(
    scenario: tuple[dict[str, Any], bytes, int, Any, ErrorCode, str | None],
) -> None:
    check_invalid(scenario)


# -- round trips of awkward JSON ------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = "bottom ✓"
    for level in range(depth):
        value = [value, level] if level % 2 else {"k": value, "n": -0.0}
    return value


@pytest.mark.parametrize("depth", [1, 50, 300])
def test_deeply_nested_unknown_json_round_trips(tmp_path: Path, depth: int) -> None:
    doc = {"id": "001", "x-deep": nested(depth), "shots": [{"id": "a", "x-deep": nested(depth)}]}
    root = write_project(tmp_path, json.dumps(doc).encode())
    store = ReferenceStore(root, clock=lambda: NOW)
    store.update_shot("001", "a", {"x-also": nested(depth)})
    expected = expected_after_update(doc, 0, {"x-also": nested(depth)}, NOW)
    assert (root / SEQ_FILE).read_bytes() == canonical(expected)


def test_numbers_keep_their_type_and_value(tmp_path: Path) -> None:
    text = (
        '{"id": "001", "shots": [{"id": "a", "x-int": 123456789012345678901234567890, '
        '"x-negzero": -0.0, "x-big": 1e300, "x-tiny": 5e-324, "x-one": 1.0, "x-exp": 1E2, '
        '"x-frac": 0.1}]}'
    )
    root = write_project(tmp_path, text.encode())
    ReferenceStore(root, clock=lambda: NOW).update_shot("001", "a", {"notes": "n"})
    raw = (root / SEQ_FILE).read_bytes().decode()
    for literal in ('"x-int": 123456789012345678901234567890,', '"x-negzero": -0.0,',
                    '"x-big": 1e+300,', '"x-tiny": 5e-324,', '"x-one": 1.0,',
                    '"x-exp": 100.0,', '"x-frac": 0.1,'):
        assert literal in raw


def test_non_ascii_is_written_raw_and_bom_is_dropped(tmp_path: Path) -> None:
    doc = {"id": "001", "shots": [{"id": "a", "x-name": "café 日本 💥"}]}
    raw = b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=True).encode()
    root = write_project(tmp_path, raw)
    store = ReferenceStore(root, clock=lambda: NOW)
    assert store.get_shots("001") == doc["shots"]  # BOM accepted on read (SEQ-READ-1)
    store.update_shot("001", "a", {"notes": "naïve"})
    written = (root / SEQ_FILE).read_bytes()
    assert not written.startswith(b"\xef\xbb\xbf")
    assert "café 日本 💥".encode() in written and "naïve".encode() in written
    assert b"\\u" not in written
    assert written.endswith(b"}\n") and not written.endswith(b"\n\n")
    assert b'\n  "shots": [\n    {\n      "id": "a",' in written  # 2-space indent
