"""The store's memory of its own writes (conformance/reference/written.py).

An update whose file holds exactly the bytes the store last wrote uses the document
it already knows: no strict parse, no whole-document validation, orjson checked only
on what changed. These tests hold it to what the slow path gives: the same bytes, the
same errors, and no trust in anything but byte equality.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import schema_registry
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes
from conformance.reference import ReferenceStore
from conformance.reference import store as store_module
from conformance.reference import written as W

SEQ = "sequences/sequence_001.json"

# -- the encoder: byte-identical to dump_bytes -------------------------------------------

_scalars = (
    st.none() | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them, the slow path writes them
    | st.floats(allow_nan=False, allow_infinity=False)  # -0.0, 1e-7, 1e300 ...
    | st.sampled_from([0.1, -0.0, 1e-05, 1e16, 1.5e-320, 123456789.125, 2**63, -2**63 - 1])
    | st.text()
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_fields = st.dictionaries(st.text().filter(lambda k: k != "id"), _json, max_size=4)


@st.composite
def _update_cases(draw: st.DrawFn) -> tuple[dict[str, Any], int, dict[str, Any], Any]:
    shots = [{"id": f"s{i}", **draw(_fields)} for i in range(draw(st.integers(1, 4)))]
    top = draw(_fields)
    doc = {"id": "001", **{k: v for k, v in top.items() if k != "shots"}, "shots": shots}
    return doc, draw(st.integers(0, len(shots) - 1)), draw(_fields), draw(_json)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_update_cases())
def test_canonical_bytes_equal_dump_bytes_before_and_after_an_update(
    case: tuple[dict[str, Any], int, dict[str, Any], Any],
) -> None:
    doc, index, updates, stamp = case
    raw, fast = W.canonical_bytes(doc, None)
    assert raw == dump_bytes(doc)
    assert fast == (raw == _orjson_or_none(doc))
    known = W.Written(raw, doc, fast)
    snapshot = copy.deepcopy(doc)
    work = W.working_copy(doc)
    work["shots"][index] = {**work["shots"][index], **updates}
    metadata = work.get("metadata")
    work["metadata"] = {**(metadata if isinstance(metadata, dict) else {}), "modified_at": stamp}
    new_raw, new_fast = W.canonical_bytes(work, known)
    assert new_raw == dump_bytes(work)
    assert new_fast == (new_raw == _orjson_or_none(work))
    assert json.dumps(doc) == json.dumps(snapshot)  # the known document is untouched


def _orjson_or_none(doc: Any) -> bytes | None:
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return None


@given(_json)
def test_json_copy_is_an_exact_independent_copy(value: Any) -> None:
    copied = W.json_copy(value)
    assert dump_bytes(copied) == dump_bytes(value)  # types too: 1 vs 1.0, -0.0
    assert repr(copied) == repr(value)
    if isinstance(value, (list, dict)) and value:
        assert copied is not value


# -- when only what changed is validated ---------------------------------------------------


def test_the_shipped_schema_judges_shots_one_by_one() -> None:
    assert W.SHOTS_CHECKED_ONE_BY_ONE  # else every update validates the whole file
    schema = schema_registry.load_schema(schema_registry.SEQUENCE)
    assert W._shots_checked_one_by_one(schema)
    shots = schema["properties"]["shots"]
    for changed in (
        {**schema, "properties": {**schema["properties"], "shots": {**shots, "minItems": 2}}},
        {**schema, "properties": {**schema["properties"],
                                  "shots": {**shots, "uniqueItems": True}}},
        {**schema, "allOf": [{"required": ["order"]}]},
        {**schema, "dependentSchemas": {"order": {"required": ["name"]}}},
    ):
        assert not W._shots_checked_one_by_one(changed)


def test_changed_part_holds_only_the_replaced_shots() -> None:
    original = {"id": "1", "shots": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "x": 1}
    work = W.working_copy(original)
    work["shots"][1] = {"id": "b", "n": 2}
    assert W.changed_part(work, original) == {"id": "1", "shots": [{"id": "b", "n": 2}], "x": 1}
    renamed = W.working_copy(original)
    renamed["shots"][1] = {"id": "a"}  # an id another shot has: the whole file is checked
    assert W.changed_part(renamed, original) is None
    moved = W.working_copy(original)
    moved["id"] = "2"  # every shot names the sequence id: the whole file is checked
    assert W.changed_part(moved, original) is None
    shorter = W.working_copy(original)
    shorter["shots"].pop()
    assert W.changed_part(shorter, original) is None


# -- the store: same results as a cold store, trust only in identical bytes ---------------


def _project(kit: Any, tmp_path: Path) -> Path:
    root: Path = kit.build_project(tmp_path / "p", {
        SEQ: {"id": "001", "metadata": {"updated_at": "2026-01-01T00:00:00Z"}, "shots": [
            {"id": "a", "sequencePlanId": "001", "number": 1},
            {"id": "b", "number": 2, "x-big": 2**70, "x-float": 0.1},
        ]},
    })
    return root


def test_warm_updates_skip_parsing_and_whole_file_validation(
    kit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(kit, tmp_path)
    store = ReferenceStore(root)
    store.update_shot("001", "a", {"notes": "warm"})
    calls: list[str] = []
    for name in ("parse_bytes", "check_sequence_doc"):
        real = getattr(store_module, name)

        def counting(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(store_module, name, counting)
    for k in range(5):
        store.update_shot("001", "b", {"notes": str(k)})
    assert calls == []
    # Another store (or program) knows nothing: it reads strictly.
    ReferenceStore(root).update_shot("001", "a", {"notes": "cold"})
    assert calls == ["parse_bytes", "check_sequence_doc"]  # the sidecar exists: no dry run
    calls.clear()
    store.update_shot("001", "b", {"notes": "after"})  # its bytes changed: strict again
    assert calls == ["parse_bytes", "check_sequence_doc"]
    doc = json.loads((root / SEQ).read_bytes())
    assert doc["shots"][0]["notes"] == "cold" and doc["shots"][1]["notes"] == "after"
    assert doc["shots"][1]["x-big"] == 2**70


def test_a_same_size_rewrite_by_another_program_is_read(kit: Any, tmp_path: Path) -> None:
    root = _project(kit, tmp_path)
    store = ReferenceStore(root)
    store.update_shot("001", "a", {"notes": "x"})
    raw = (root / SEQ).read_bytes()
    edited = raw.replace(b'"number": 2', b'"number": 7')
    assert len(edited) == len(raw) and edited != raw
    with (root / SEQ).open("r+b") as fh:  # same inode, same size
        fh.write(edited)
    store.update_shot("001", "a", {"notes": "y"})
    assert json.loads((root / SEQ).read_bytes())["shots"][1]["number"] == 7
    # A same-size rewrite that breaks strict reading is refused, never overwritten.
    raw = (root / SEQ).read_bytes()
    bad = raw.replace(b'"number": 7', b'"id"    : 7')  # a duplicate key, same length
    assert len(bad) == len(raw)
    (root / SEQ).write_bytes(bad)
    with pytest.raises(SeqcheckError) as info:
        store.update_shot("001", "a", {"notes": "z"})
    assert info.value.code is ErrorCode.CORRUPT_FILE
    assert "twice" in info.value.message
    assert (root / SEQ).read_bytes() == bad


def test_a_warm_store_refuses_as_a_cold_one_does(kit: Any, tmp_path: Path) -> None:
    root = _project(kit, tmp_path)
    warm = ReferenceStore(root, clock=lambda: "2030-01-01T00:00:00.000Z")
    warm.update_shot("001", "b", {"notes": "warm"})
    before = (root / SEQ).read_bytes()
    for updates in ({"number": 0}, {"sequencePlanId": "002"}, {"id": "a"},
                    {"timing": {"duration": -1}}):
        errors = []
        for store in (warm, ReferenceStore(root)):
            with pytest.raises(SeqcheckError) as info:
                store.update_shot("001", "b", updates)
            errors.append((info.value.code, info.value.pointer, info.value.message))
            assert (root / SEQ).read_bytes() == before
        assert errors[0] == errors[1]
        assert str(errors[0][1]).startswith("/shots/1/")


def test_nothing_handed_out_is_shared_with_what_the_store_remembers(
    kit: Any, tmp_path: Path
) -> None:
    root = _project(kit, tmp_path)
    store = ReferenceStore(root)
    updates: dict[str, Any] = {"x-list": [1, 2], "x-obj": {"k": "v"}}
    returned = store.update_shot("001", "a", updates)
    updates["x-list"].append(3)
    returned["x-obj"]["k"] = "mutated"
    store.get_shots("001")[0]["x-list"].append(4)
    store.update_shot("001", "b", {"notes": "n"})
    doc = json.loads((root / SEQ).read_bytes())
    assert doc["shots"][0]["x-list"] == [1, 2] and doc["shots"][0]["x-obj"] == {"k": "v"}
    assert store.get_shots("001")[0]["x-list"] == [1, 2]
