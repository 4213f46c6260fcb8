"""The legacy project.json path and the editor's save_shot routing (spec "Legacy path").

Expected bytes are computed from the spec: the shallow merge applied to every copy of
the shot, nothing else changed (no timestamp touched), canonical encoding.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

PJ_DOC: dict[str, Any] = {
    "schema_version": "1.0",
    "project_name": "Légende",
    "modified_at": "2026-01-20T10:00:00.000Z",
    "shots": [
        {"id": "other", "title": "Other"},
        {"id": "legacy", "title": "Shot 1", "x-main": [1, 2.0, {"k": None}]},
    ],
    "storyboard": [
        {"id": "legacy", "title": "Shot 1", "duration": 3, "position": 0, "audioTracks": []},
        {"id": "prod", "sequencePlanId": "001", "title": "In a sequence"},
    ],
    "x-unknown": {"z": 1, "a": 2},
    "metadata": {"updated_at": "2026-01-20T10:00:00.000Z", "totalShots": 2},
}
SEQ_DOC: dict[str, Any] = {"id": "001", "shots": [{"id": "prod", "sequencePlanId": "001"}]}
PJ = "project.json"
S1 = "sequences/sequence_001.json"


def canonical(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.fixture
def root(kit: Any, tmp_path: Path) -> Path:
    built: Path = kit.build_project(tmp_path / "p", {PJ: PJ_DOC, S1: SEQ_DOC})
    return built


def test_legacy_update_changes_every_copy_and_nothing_else(root: Path) -> None:
    sequence_before = (root / S1).read_bytes()
    updates = {"title": "Renamed ✓", "x-new": {"b": 1, "a": [2]}}
    result = ReferenceStore(root).update_legacy_shot("legacy", updates)
    expected = copy.deepcopy(PJ_DOC)
    expected["shots"][1] = {**expected["shots"][1], **updates}
    expected["storyboard"][0] = {**expected["storyboard"][0], **updates}
    assert (root / PJ).read_bytes() == canonical(expected)  # no timestamp touched
    assert result == expected["shots"][1]  # the first copy, in `shots` order
    assert list(result) == list(expected["shots"][1])
    assert (root / S1).read_bytes() == sequence_before


def test_legacy_update_finds_storyboard_only_shots(root: Path) -> None:
    result = ReferenceStore(root).update_legacy_shot("prod", {"title": "t"})
    assert result["title"] == "t"
    assert json.loads((root / PJ).read_bytes())["storyboard"][1]["title"] == "t"


def test_save_shot_updates_the_sequence_file_not_project_json(root: Path) -> None:
    """SEQ-SAVE-1: project.json holds a copy of "prod" too; it must stay untouched."""
    pj_before = (root / PJ).read_bytes()
    shot = ReferenceStore(root, clock=lambda: "2030-01-01T00:00:00.000Z").save_shot(
        "prod", {"notes": "saved"})
    assert shot == {"id": "prod", "sequencePlanId": "001", "notes": "saved"}
    doc = json.loads((root / S1).read_bytes())
    assert doc["shots"] == [shot]
    assert doc["metadata"] == {"modified_at": "2030-01-01T00:00:00.000Z"}
    assert (root / PJ).read_bytes() == pj_before


def test_save_shot_updates_a_shot_without_sequence_in_project_json(root: Path) -> None:
    """SEQ-SAVE-2."""
    sequence_before = (root / S1).read_bytes()
    shot = ReferenceStore(root).save_shot("legacy", {"notes": "saved"})
    assert shot["notes"] == "saved"
    doc = json.loads((root / PJ).read_bytes())
    assert doc["shots"][1]["notes"] == "saved" and doc["storyboard"][0]["notes"] == "saved"
    assert (root / S1).read_bytes() == sequence_before


@pytest.mark.parametrize(
    ("sequence_bytes", "code"),
    [
        (None, ErrorCode.SEQUENCE_NOT_FOUND),  # the named sequence's file is gone
        (b'{"id": "001", "shots": [', ErrorCode.CORRUPT_FILE),
        (b'{"id": "001", "shots": [{"id": "prod", "number": 0}]}', ErrorCode.CORRUPT_FILE),
        (b'{"id": "001", "shots": []}', ErrorCode.SHOT_NOT_FOUND),  # shot not in its file
    ],
)
def test_save_shot_never_falls_back_to_project_json(
    root: Path, sequence_bytes: bytes | None, code: ErrorCode
) -> None:
    """SEQ-SAVE-3: the app would rewrite project.json here; we return the error."""
    if sequence_bytes is None:
        (root / S1).unlink()
    else:
        (root / S1).write_bytes(sequence_bytes)
    before = {p.name: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(SeqcheckError) as info:
        ReferenceStore(root).save_shot("prod", {"notes": "lost?"})
    assert info.value.code is code
    after = {p.name: p.read_bytes() for p in root.rglob("*") if p.is_file()
             if not p.name.endswith(".lock")}
    assert after == {n: b for n, b in before.items() if not n.endswith(".lock")}


def test_save_shot_rejects_an_invalid_update_before_routing(root: Path) -> None:
    before = (root / S1).read_bytes(), (root / PJ).read_bytes()
    with pytest.raises(SeqcheckError) as info:
        ReferenceStore(root).save_shot("prod", {"sequencePlanId": "002"})
    assert info.value.code is ErrorCode.INVALID_UPDATE
    assert ((root / S1).read_bytes(), (root / PJ).read_bytes()) == before
