"""Group 4: the legacy project.json path and the editor's save path (capabilities)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.suite.checks import as_json, expect_error, inconclusive, needed, require
from conformance.suite.samples import production_shot, project_doc, sequence_doc, storyboard_shot
from conformance.suite.scenarios import basic_project


def _ordered(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _legacy_project(project: Any, layout: str) -> dict[str, Any]:
    """project.json with shots in ``layout`` ("shots", "storyboard" or "both")."""
    shots = [storyboard_shot("legacy-1", 0, **{"x-keep": [1, {"b": None}]}),
             storyboard_shot("legacy-2", 1)]
    doc = project_doc(
        shots=shots if layout in ("shots", "both") else None,
        storyboard=copy.deepcopy(shots) if layout in ("storyboard", "both") else None,
    )
    project.write_project(doc)
    project.write_sequence("sequence_001.json", sequence_doc("001", order=1))
    return doc


@pytest.mark.requirement("SEQ-LEGACY-1")
@pytest.mark.parametrize("layout", ["shots", "storyboard", "both"])
def test_legacy_update_merges_into_project_json(impl: Any, project: Any, layout: str) -> None:
    doc = _legacy_project(project, layout)
    updates = {"title": "Renamed", "duration": 4, "x-added": {"k": 1}}
    returned = impl.update_legacy_shot(project.path, "legacy-1", updates)
    after = project.read("project.json")
    for array in ("shots", "storyboard"):
        if array not in doc:
            continue
        expected = {**doc[array][0], **updates}
        require("SEQ-LEGACY-1", _ordered(after[array][0]) == _ordered(expected),
                f"project.json {array}[0] should be the shallow merge {as_json(expected, 300)}, "
                f"found {as_json(after[array][0], 300)}")
    first = "shots" if "shots" in doc else "storyboard"
    require("SEQ-LEGACY-1", _ordered(returned) == _ordered(after[first][0]),
            f"expected the stored shot back, got {as_json(returned, 300)}")


@pytest.mark.requirement("SEQ-LEGACY-2")
def test_legacy_update_changes_nothing_else(impl: Any, project: Any) -> None:
    doc = _legacy_project(project, "both")
    before = project.snapshot()
    needed("the legacy update", impl.update_legacy_shot, project.path, "legacy-2",
           {"description": "changed"})
    changed = before.changed(project.snapshot())
    require("SEQ-LEGACY-2", changed == ["project.json"],
            f"expected only project.json to change: {as_json(changed)}")
    after = project.read("project.json")
    for array in ("shots", "storyboard"):
        after[array][1].pop("description")
        doc[array][1].pop("description")
    require("SEQ-LEGACY-2", _ordered(after) == _ordered(doc),
            "project.json changed beyond the updated shot (timestamps, unknown keys or key "
            "order must stay as they were)")


@pytest.mark.requirement("SEQ-LEGACY-3")
def test_legacy_update_errors(impl: Any, project: Any, tmp_path: Any) -> None:
    expect_error("SEQ-LEGACY-3", ErrorCode.PROJECT_NOT_FOUND,
                 impl.update_legacy_shot, str(tmp_path / "nowhere"), "legacy-1", {"title": "x"})
    expect_error("SEQ-LEGACY-3", ErrorCode.PROJECT_NOT_FOUND,
                 impl.update_legacy_shot, project.path, "legacy-1", {"title": "x"})
    _legacy_project(project, "shots")
    before = project.snapshot()
    expect_error("SEQ-LEGACY-3", ErrorCode.SHOT_NOT_FOUND,
                 impl.update_legacy_shot, project.path, "nope", {"title": "x"})
    expect_error("SEQ-LEGACY-3", ErrorCode.INVALID_UPDATE,
                 impl.update_legacy_shot, project.path, "legacy-1", ["title"])
    expect_error("SEQ-LEGACY-3", ErrorCode.INVALID_ID,
                 impl.update_legacy_shot, project.path, "../legacy-1", {"title": "x"})
    require("SEQ-LEGACY-3", not before.changed(project.snapshot()), "a failed call changed a file")
    project.write_raw("project.json", b'{"schema_version": "1.0", "project_name": ')
    expect_error("SEQ-LEGACY-3", ErrorCode.CORRUPT_FILE,
                 impl.update_legacy_shot, project.path, "legacy-1", {"title": "x"})


def _save_project(project: Any, *, named_sequence: str | None = None) -> None:
    legacy = [storyboard_shot("sb-1", 0)]
    copy_of_sequence_shot = production_shot("001", "001-s2", 2)
    shots = [copy_of_sequence_shot]
    if named_sequence is not None:
        shots.append(production_shot(named_sequence, "orphan-1", 1))
    project.write_project(project_doc(shots=shots, storyboard=legacy))
    project.write_sequence("sequence_001.json", sequence_doc("001", order=1))
    project.write_sequence("sequence_002.json", sequence_doc("002", order=2))


@pytest.mark.requirement("SEQ-SAVE-1")
def test_save_shot_goes_to_the_sequence_file(impl: Any, project: Any) -> None:
    _save_project(project)
    before = project.snapshot()
    impl.save_shot(project.path, "001-s2", {"notes": "saved"})
    changed = before.changed(project.snapshot())
    require("SEQ-SAVE-1", changed == ["sequences/sequence_001.json"],
            f"expected only sequences/sequence_001.json to change, changed: {as_json(changed)}")
    stored = [s for s in project.read_sequence("sequence_001.json")["shots"] if s["id"] == "001-s2"]
    require("SEQ-SAVE-1", stored and stored[0].get("notes") == "saved", "the update is not stored")


@pytest.mark.requirement("SEQ-SAVE-2")
def test_save_shot_without_sequence_goes_to_project_json(impl: Any, project: Any) -> None:
    _save_project(project)
    before = project.snapshot()
    impl.save_shot(project.path, "sb-1", {"title": "saved"})
    changed = before.changed(project.snapshot())
    require("SEQ-SAVE-2", changed == ["project.json"],
            f"expected only project.json to change, changed: {as_json(changed)}")
    stored = project.read("project.json")["storyboard"][0]
    require("SEQ-SAVE-2", stored.get("title") == "saved", "the update is not in project.json")


@pytest.mark.requirement("SEQ-SAVE-3")
def test_save_shot_with_missing_sequence_file_never_falls_back(impl: Any, project: Any) -> None:
    _save_project(project, named_sequence="003")
    needed("save_shot of a shot in a sequence file", impl.save_shot, project.path, "001-s2",
           {"notes": "control"})
    before = project.snapshot()
    try:
        result = impl.save_shot(project.path, "orphan-1", {"notes": "lost?"})
    except SeqcheckError as exc:
        if exc.code is ErrorCode.UNSUPPORTED:
            inconclusive(f"save_shot is not offered: {exc.message}")
        result = exc  # any error is right; what matters is that nothing was written
    except Exception as exc:  # an adapter fault is judged by its effects too
        result = exc
    changed = before.changed(project.snapshot())
    require("SEQ-SAVE-3", not changed,
            f"save_shot of a shot whose sequence file is missing wrote {as_json(changed)} "
            f"(returned {as_json(result, 200)}); it must fail and write nothing")
    require("SEQ-SAVE-3", isinstance(result, Exception),
            f"save_shot succeeded ({as_json(result, 200)}) although the shot's sequence file "
            "is missing")


@pytest.mark.requirement("SEQ-SAVE-3")
def test_save_shot_with_corrupt_sequence_file_never_falls_back(impl: Any, project: Any) -> None:
    _save_project(project)
    project.write_raw("sequences/sequence_001.json", b'{"id": "001", "shots": [')
    before = project.snapshot()
    expect_error("SEQ-SAVE-3", ErrorCode.CORRUPT_FILE,
                 impl.save_shot, project.path, "001-s2", {"notes": "lost?"})
    changed = before.changed(project.snapshot())
    require("SEQ-SAVE-3", not changed, f"save_shot fell back and wrote {as_json(changed)}")


@pytest.mark.requirement("SEQ-LEGACY-1")
def test_basic_project_storyboard_shot(impl: Any, project: Any) -> None:
    basic_project(project)
    shot = impl.update_legacy_shot(project.path, "sb-1", {"title": "T"})
    require("SEQ-LEGACY-1", isinstance(shot, dict) and shot.get("title") == "T"
            and shot.get("id") == "sb-1", f"expected the updated shot back, got {as_json(shot)}")
