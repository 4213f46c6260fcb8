"""Group 1: update_shot persists to the sequence file, merged, complete and exact."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import pytest

from conformance import schema_registry
from conformance.errors import ErrorCode
from conformance.jsonio import BOM, dump_bytes, parse_bytes
from conformance.suite.checks import as_json, expect_error, needed, require
from conformance.suite.scenarios import basic_project


def _ordered(value: Any) -> str:
    """Values compared with key order (json.dumps keeps insertion order)."""
    return json.dumps(value, ensure_ascii=False)


def _stored(project: Any, rel: str, shot_id: str) -> dict[str, Any]:
    doc = project.read(rel)
    matches = [s for s in doc["shots"] if s.get("id") == shot_id]
    assert len(matches) == 1, f"expected one shot {as_json(shot_id)} in {rel}, found {len(matches)}"
    shot: dict[str, Any] = matches[0]
    return shot


@pytest.mark.requirement("SEQ-UPDATE-1")
def test_update_merges_and_persists(impl: Any, project: Any) -> None:
    b = basic_project(project)
    before = _stored(project, b.rel, b.shot_id())
    updates = {"notes": "Tighter framing", "timing": {"duration": 3, "inPoint": 0, "outPoint": 3},
               "generation": {"prompt": "A storm"}, "x-cleared": None}
    impl.update_shot(project.path, b.sequence_id, b.shot_id(), updates)
    after = _stored(project, b.rel, b.shot_id())
    expected = {**before, **updates}
    require("SEQ-UPDATE-1", after == expected,
            f"expected the stored shot to be the shallow merge {as_json(expected, 400)}, "
            f"found {as_json(after, 400)} "
            "(nested objects are replaced, not deep-merged; null is stored as null)")
    doc = project.read(b.rel)
    require("SEQ-UPDATE-1", schema_registry.is_valid("sequence", doc),
            "the written sequence file is not schema-valid")


@pytest.mark.requirement("SEQ-UPDATE-5")
def test_update_returns_the_stored_shot(impl: Any, project: Any) -> None:
    b = basic_project(project)
    returned = impl.update_shot(project.path, b.sequence_id, b.shot_id(), {"notes": "n"})
    stored = _stored(project, b.rel, b.shot_id())
    require("SEQ-UPDATE-5", _ordered(returned) == _ordered(stored),
            f"expected the returned shot to equal the stored one {as_json(stored, 300)}, "
            f"got {as_json(returned, 300)}")


@pytest.mark.requirement("SEQ-UPDATE-6")
def test_update_preserves_other_shots_unknown_fields_and_key_order(impl: Any, project: Any) -> None:
    b = basic_project(project, unknown=True)
    before = project.read(b.rel)
    target = next(i for i, s in enumerate(before["shots"]) if s["id"] == b.shot_id())
    updates = {"notes": "kept?", "x-new": {"a": [1, 2]}}
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(), updates)
    after = project.read(b.rel)
    require("SEQ-UPDATE-6", [s.get("id") for s in after["shots"]] ==
            [s["id"] for s in before["shots"]], "the order of the shots changed")
    for i, (old, new) in enumerate(zip(before["shots"], after["shots"], strict=True)):
        if i == target:
            continue
        require("SEQ-UPDATE-6", _ordered(old) == _ordered(new),
                f"shot {as_json(old['id'])}, which was not updated, changed: {as_json(new, 300)}")
    merged = {**before["shots"][target], **updates}
    require("SEQ-UPDATE-6", _ordered(after["shots"][target]) == _ordered(merged),
            "the updated shot lost or reordered fields: expected "
            f"{as_json(merged, 300)}, found {as_json(after['shots'][target], 300)}")
    rest_before = {k: v for k, v in before.items() if k not in ("shots", "metadata")}
    rest_after = {k: v for k, v in after.items() if k not in ("shots", "metadata")}
    require("SEQ-UPDATE-6", _ordered(rest_before) == _ordered(rest_after),
            f"top-level fields changed: before {as_json(rest_before, 300)}, after "
            f"{as_json(rest_after, 300)}")


def _parse_time(text: Any) -> datetime:
    assert isinstance(text, str), f"expected an ISO 8601 string, found {as_json(text)}"
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    offset = value.utcoffset()
    assert offset is not None and offset.total_seconds() == 0, (
        f"expected a UTC timestamp, found {as_json(text)}"
    )
    return value


@pytest.mark.requirement("SEQ-UPDATE-7")
@pytest.mark.parametrize("spelling", ["modified_at", "updated_at"])
def test_update_touches_metadata(impl: Any, project: Any, spelling: str) -> None:
    b = basic_project(project, updated_at=spelling == "updated_at")
    before = project.read(b.rel)["metadata"]
    start = datetime.now(timezone.utc).replace(microsecond=0)
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(),
           {"notes": "t"})
    meta = project.read(b.rel)["metadata"]
    require("SEQ-UPDATE-7", "modified_at" in meta,
            f"metadata.modified_at not set: {as_json(meta)}")
    try:
        when = _parse_time(meta["modified_at"])
    except (AssertionError, ValueError) as exc:
        require("SEQ-UPDATE-7", False, f"metadata.modified_at is not ISO 8601 UTC: {exc}")
    require("SEQ-UPDATE-7", when >= start,
            f"metadata.modified_at {as_json(meta['modified_at'])} is older than the update")
    require("SEQ-UPDATE-7", meta.get("created_at") == before["created_at"],
            f"metadata.created_at changed from {as_json(before['created_at'])} to "
            f"{as_json(meta.get('created_at'))}")
    if spelling == "updated_at":
        require("SEQ-UPDATE-7", meta.get("updated_at") == meta["modified_at"],
                f"metadata.updated_at should be set with modified_at, found {as_json(meta)}")
        require("SEQ-UPDATE-7", meta.get("status") == before["status"],
                "metadata.status changed")
    else:
        require("SEQ-UPDATE-7", "updated_at" not in meta,
                "metadata.updated_at was added to a file that did not have it")


@pytest.mark.requirement("SEQ-UPDATE-2")
@pytest.mark.parametrize("updates", [[], "notes", None, 5, [["notes", "x"]]],
                         ids=["list", "string", "null", "number", "pairs"])
def test_update_rejects_non_object_updates(impl: Any, project: Any, updates: Any) -> None:
    b = basic_project(project)
    before = project.snapshot()
    expect_error("SEQ-UPDATE-2", ErrorCode.INVALID_UPDATE,
                 impl.update_shot, project.path, b.sequence_id, b.shot_id(), updates)
    require("SEQ-UPDATE-2", not before.changed(project.snapshot()), "a file changed")


@pytest.mark.requirement("SEQ-UPDATE-3")
def test_shot_id_is_immutable(impl: Any, project: Any) -> None:
    b = basic_project(project)
    before = project.snapshot()
    expect_error("SEQ-UPDATE-3", ErrorCode.INVALID_UPDATE,
                 impl.update_shot, project.path, b.sequence_id, b.shot_id(), {"id": "renamed"})
    changed = before.changed(project.snapshot())
    require("SEQ-UPDATE-3", not changed, f"the refused update changed {changed}")
    impl.update_shot(project.path, b.sequence_id, b.shot_id(),
                     {"id": b.shot_id(), "notes": "same id is fine"})
    # Judged on disk: what the call returns is SEQ-UPDATE-5's business.
    stored = _stored(project, b.rel, b.shot_id())
    require("SEQ-UPDATE-3", stored.get("notes") == "same id is fine",
            "an update that repeats the shot's own id was not applied")


@pytest.mark.requirement("SEQ-UPDATE-4")
@pytest.mark.parametrize("wizard", [False, True], ids=["sequencePlanId", "sequence_id"])
def test_membership_cannot_be_changed(impl: Any, project: Any, wizard: bool) -> None:
    b = basic_project(project, wizard=wizard)
    field = "sequence_id" if wizard else "sequencePlanId"
    before = project.snapshot()
    expect_error("SEQ-UPDATE-4", ErrorCode.INVALID_UPDATE,
                 impl.update_shot, project.path, b.sequence_id, b.shot_id(), {field: b.other_id})
    require("SEQ-UPDATE-4", not before.changed(project.snapshot()), "a file changed")


@pytest.mark.requirement("SEQ-UPDATE-8")
@pytest.mark.parametrize("updates", [{"number": 0}, {"type": "wideshot"},
                                     {"timing": {"duration": -1}}],
                         ids=["number-0", "bad-type", "negative-duration"])
def test_schema_violation_writes_nothing(impl: Any, project: Any, updates: dict[str, Any]) -> None:
    b = basic_project(project)
    before = project.snapshot()
    expect_error("SEQ-UPDATE-8", ErrorCode.SCHEMA_VIOLATION,
                 impl.update_shot, project.path, b.sequence_id, b.shot_id(), updates)
    changed = before.changed(project.snapshot())
    require("SEQ-UPDATE-8", not changed, f"the refused update changed {changed}")


@pytest.mark.requirement("SEQ-UPDATE-9")
def test_missing_sequence_and_missing_shot(impl: Any, project: Any) -> None:
    b = basic_project(project)
    before = project.snapshot()
    expect_error("SEQ-UPDATE-9", ErrorCode.SEQUENCE_NOT_FOUND,
                 impl.update_shot, project.path, "999", b.shot_id(), {"notes": "x"})
    expect_error("SEQ-UPDATE-9", ErrorCode.SHOT_NOT_FOUND,
                 impl.update_shot, project.path, b.sequence_id, "no-such-shot", {"notes": "x"})
    changed = before.changed(project.snapshot())
    require("SEQ-UPDATE-9", not changed, f"a failed update changed {changed}")


@pytest.mark.requirement("SEQ-ENC-1")
def test_written_bytes_are_canonical(impl: Any, project: Any) -> None:
    b = basic_project(project)
    # Start from a compact file: the writer must not keep its layout.
    doc = project.read(b.rel)
    project.write_raw(b.rel, json.dumps(doc, separators=(",", ":")).encode())
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(),
           {"notes": "Café — 夜の港 🌊", "tags": [], "composition": {}})
    raw = project.raw(b.rel)
    require("SEQ-ENC-1", not raw.startswith(BOM), "the written file starts with a BOM")
    require("SEQ-ENC-1", raw.endswith(b"}\n") and not raw.endswith(b"\n\n"),
            "the written file does not end with exactly one newline")
    require("SEQ-ENC-1", "Café — 夜の港 🌊".encode() in raw,
            "non-ASCII text was escaped instead of written as UTF-8")
    canonical = dump_bytes(parse_bytes(raw))
    require("SEQ-ENC-1", raw == canonical,
            "the file is not in the canonical form (2-space indent, one member per line, "
            f"', ' / ': ' separators); first lines written: "
            f"{as_json(raw[:120].decode('utf-8', 'replace'))}, expected "
            f"{as_json(canonical[:120].decode('utf-8', 'replace'))}")


#: Floats a writer that rounds (to 4, 6 or 10 decimals, or through float32) changes.
_FLOATS = {"x-third": 1 / 3, "x-pi": 3.141592653589793, "x-small": 2.5e-07,
           "x-fine": 0.123456789, "x-f32": 16777217.5, "x-tiny": 5e-324}


@pytest.mark.requirement("SEQ-ENC-2")
def test_values_round_trip(impl: Any, project: Any) -> None:
    b = basic_project(project)
    values = {"x-big": 12345678901234567890, "x-int": 3, "x-neg-zero": -0.0, "x-huge": 1e300,
              "x-float": 0.1, **_FLOATS, "x-nested-floats": [1 / 3, {"v": 0.000123456789}],
              "x-deep": [[{"a": [None, True, False, "\u00e9\U0001f30a"]}]]}
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(), values)
    stored = _stored(project, b.rel, b.shot_id())
    for key, value in values.items():
        got = stored.get(key)
        same = type(got) is type(value) and got == value
        if isinstance(value, float) and isinstance(got, float):
            same = same and math.copysign(1, got) == math.copysign(1, value)
        require("SEQ-ENC-2", same, f"{key}: wrote {as_json(value)}, read back {as_json(got)}")
    untouched = _stored(project, b.rel, b.shot_id(1))["generation"]["parameters"]
    require("SEQ-ENC-2", type(untouched["steps"]) is int and untouched["cfgScale"] == 7.5,
            f"numbers of an untouched shot changed type or value: {as_json(untouched)}")
