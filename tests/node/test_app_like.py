"""tests/suite/js/app-like reproduces the app's persistence behaviour from the field notes.

The suite's teeth depend on this implementation being faithful, so each behaviour the
notes describe ("What the app's persistence code does today") is checked here directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

APP_LIKE = ["--module", "tests/suite/js/app-like/ProjectService.mjs", "--export", "ProjectService"]
SEQ2 = "1737000000000-seqb7k2m"


@pytest.fixture
def app(start_adapter: Any) -> Any:
    return start_adapter(*APP_LIKE)


def call(app: Any, op: str, **args: Any) -> dict[str, Any]:
    return app.request(op, shape=False, **args)  # type: ignore[no-any-return]


def test_declares_what_its_methods_offer(app: Any) -> None:
    assert app.result("hello")["capabilities"] == ["legacy-fallback", "save-shot"]


def test_update_rewrites_in_place_returns_nothing_and_sets_only_updated_at(
    app: Any, project: Path
) -> None:
    path = project / "sequences" / "sequence_001.json"
    response = call(
        app,
        "update_shot",
        project=str(project),
        sequence_id="001",
        shot_id="shot-0001",
        updates={"notes": "x"},
    )
    assert response["ok"] is True and response["result"] is None
    data = path.read_bytes()
    assert not data.endswith(b"\n")  # JSON.stringify(doc, null, 2), no trailing newline
    doc = json.loads(data)
    assert doc["shots"][0]["notes"] == "x"
    assert doc["metadata"]["modified_at"] == "2026-01-21T09:30:00.000Z"  # untouched
    assert "updated_at" in doc["metadata"]


def test_no_id_checks_and_plain_errors(app: Any, project: Path) -> None:
    for sequence_id in ("../x", "a/b"):
        error = call(
            app,
            "update_shot",
            project=str(project),
            sequence_id=sequence_id,
            shot_id="s",
            updates={},
        )["error"]
        assert error["code"] == "INTERNAL_ERROR"
        assert f"Sequence {sequence_id} not found" in error["message"]
    error = call(
        app,
        "update_shot",
        project=str(project / "missing"),
        sequence_id="001",
        shot_id="s",
        updates={},
    )["error"]
    assert error["code"] == "INTERNAL_ERROR" and "ENOENT" in error["message"]


def test_empty_list_for_missing_sequence_folder_and_errors(app: Any, project: Path) -> None:
    assert call(app, "get_shots", project=str(project), sequence_id="999")["result"] == []
    assert (
        call(app, "get_shots", project=str(project / "missing"), sequence_id="001")["result"] == []
    )
    assert call(app, "get_all_sequences", project=str(project / "missing"))["result"] == []


def test_corrupt_and_bom_files_skipped_backups_read_missing_order_first(
    app: Any, project: Path
) -> None:
    sequences = project / "sequences"
    (sequences / "sequence_001.json").write_bytes(
        b"\xef\xbb\xbf" + (sequences / "sequence_001.json").read_bytes()
    )
    (sequences / "sequence_003.json").write_text('{"id": "003", "shots": [', "utf-8")
    (sequences / "sequence_002 copy.json").write_text(
        json.dumps({"id": "copy", "shots": []}), "utf-8"
    )
    assert call(app, "get_shots", project=str(project), sequence_id="001")["result"] == []
    ids = [s["id"] for s in call(app, "get_all_sequences", project=str(project))["result"]]
    assert ids == ["copy", SEQ2]  # BOM and corrupt files gone, the copy first (order 0)
    app.result("shutdown")
    app.wait()
    assert "Failed to read sequence file sequence_001.json" in app.stderr()


def test_first_match_on_duplicate_ids(app: Any, project: Path) -> None:
    sequences = project / "sequences"
    copy = json.loads((sequences / "sequence_001.json").read_text("utf-8"))
    copy["shots"] = copy["shots"][:1]
    (sequences / "sequence_000.json").write_text(json.dumps(copy), "utf-8")
    shots = call(app, "get_shots", project=str(project), sequence_id="001")["result"]
    assert len(shots) in (1, 3)  # whichever file the directory lists first, never an error


def test_save_falls_back_to_project_json_storyboard(app: Any, project: Path) -> None:
    path = project / "project.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["storyboard"].append({"id": "orphan", "title": "t", "duration": 1, "sequencePlanId": "999"})
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    response = call(
        app, "save_shot", project=str(project), shot_id="orphan", updates={"title": "saved?"}
    )
    assert response["ok"] is True
    stored = json.loads(path.read_text("utf-8"))
    assert stored["storyboard"][-1]["title"] == "saved?"
    assert stored["modified_at"] != doc["modified_at"]  # the legacy path touches it
