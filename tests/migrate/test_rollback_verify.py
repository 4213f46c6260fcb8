"""Rollback restores every original byte; verify catches lost, doubled or changed shots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import schema_registry
from migrate import MigrateCode, MigrateError, apply, rollback, verify
from tests.migrate.conftest import (
    NOW,
    MakeProject,
    listing,
    load,
    patch_project_writes,
    project_doc,
    seq_doc,
    tree,
)


def _migrated(make_project: MakeProject) -> tuple[Path, dict[str, bytes]]:
    root = make_project(
        # BOM and odd formatting: rollback must bring these exact bytes back.
        b'\xef\xbb\xbf{"schema_version":"1.0","project_name":"P",\n "shots":[{"id":"a",'
        b'"sequencePlanId":"s"},{"id":"b","sequence_id":"t"}],"storyboard":[{"id":"c"}]}',
        {"sequence_001.json": seq_doc("s", [{"id": "z", "sequencePlanId": "s"}])},
    )
    before = tree(root)
    apply(root, now=NOW)
    return root, before


def test_rollback_restores_every_original_byte(make_project: MakeProject) -> None:
    root = make_project(
        # BOM and odd formatting: rollback must bring these exact bytes back.
        b'\xef\xbb\xbf{"schema_version":"1.0","project_name":"P",\n "shots":[{"id":"a",'
        b'"sequencePlanId":"s"},{"id":"b","sequence_id":"t"}],"storyboard":[{"id":"c"}]}',
        {"sequence_001.json": seq_doc("s", [{"id": "z", "sequencePlanId": "s"}])},
    )
    before = listing(root)  # sidecars and hidden files included
    apply(root, now=NOW)
    assert (root / ".project.json.lock").exists()
    assert listing(root) != before
    result = rollback(root)
    assert listing(root) == before  # exactly the original files (plus .seqcheck/)
    assert sorted(result.restored) == ["project.json", "sequences/sequence_001.json"]
    assert result.removed == ["sequences/sequence_002.json"]
    assert sorted(result.removed_sidecars) == [".project.json.lock",
                                               "sequences/.sequence_001.json.lock"]
    audit = load(root, ".seqcheck/runs/0001/rollback.json")
    assert schema_registry.first_error("migration-run-rollback", audit) is None
    assert audit["restored"] == result.restored and audit["removed"] == result.removed
    assert audit["forced"] is False
    with pytest.raises(MigrateError) as info:
        rollback(root)
    assert info.value.migrate_code is MigrateCode.NOTHING_TO_ROLL_BACK
    assert listing(root) == before


def test_rollback_keeps_sidecars_that_existed_before(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    rollback(root)
    (root / ".project.json.lock").write_bytes(b"")  # e.g. the app's store made it
    before = listing(root)
    apply(root, now=NOW)
    rollback(root)
    assert listing(root) == before
    assert load(root, ".seqcheck/runs/0002/rollback.json")["removed_sidecars"] == [
        "sequences/.sequence_001.json.lock"]


def test_rollback_removes_a_sequences_folder_it_created(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    before = tree(root)
    apply(root, now=NOW)
    rollback(root)
    assert tree(root) == before and not (root / "sequences").exists()


def test_rollback_refuses_after_an_edit_unless_forced(make_project: MakeProject) -> None:
    root, before = _migrated(make_project)
    seq = root / "sequences/sequence_002.json"
    doc = load(root, "sequences/sequence_002.json")
    doc["shots"][0]["notes"] = "edited in the app after the migration"
    seq.write_text(json.dumps(doc), "utf-8")
    edited = tree(root, records=True)
    with pytest.raises(MigrateError) as info:
        rollback(root)
    assert info.value.migrate_code is MigrateCode.EDITED_SINCE
    assert "sequences/sequence_002.json" in info.value.message
    assert tree(root, records=True) == edited
    result = rollback(root, force=True)
    assert result.forced_over == ["sequences/sequence_002.json"]
    assert tree(root) == before


def test_rollback_of_the_latest_run_only(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    original = tree(root)
    apply(root, now=NOW)
    after_first = tree(root)
    pj = load(root, "project.json")
    pj["shots"].append({"id": "b", "sequencePlanId": "s"})
    (root / "project.json").write_text(json.dumps(pj), "utf-8")
    before_second = tree(root)
    apply(root, now=NOW)
    rollback(root)
    assert tree(root) == before_second
    (root / "project.json").write_bytes(after_first["project.json"])
    rollback(root)
    assert tree(root) == original


def test_verify_passes_after_migration(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    report = verify(root)
    assert report.ok and report.checked_shots == 4 and report.validator == "seqcheck validate"


def test_verify_catches_a_lost_shot(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    doc = load(root, "sequences/sequence_002.json")
    doc["shots"] = []
    (root / "sequences/sequence_002.json").write_text(json.dumps(doc), "utf-8")
    report = verify(root)
    assert not report.ok
    assert [p.kind for p in report.problems] == ["missing"] and '"b"' in report.problems[0].message


def test_verify_catches_a_duplicated_shot(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    pj = load(root, "project.json")
    pj["storyboard"].append({"id": "a", "sequencePlanId": "s"})
    (root / "project.json").write_text(json.dumps(pj), "utf-8")
    kinds = {p.kind for p in verify(root).problems}
    assert {"duplicated", "not-migrated"} <= kinds  # SC306 is only a warning


def test_verify_catches_changed_content(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    doc = load(root, "sequences/sequence_001.json")
    doc["shots"][1]["sequencePlanId"] = "s"
    doc["shots"][1]["extra"] = 1
    (root / "sequences/sequence_001.json").write_text(json.dumps(doc), "utf-8")
    problems = verify(root).problems
    assert [(p.kind, p.file, p.pointer) for p in problems] == [
        ("changed", "sequences/sequence_001.json", "/shots/1")]


def test_verify_reports_validation_errors(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    doc = load(root, "sequences/sequence_001.json")
    doc["order"] = "first"
    (root / "sequences/sequence_001.json").write_text(json.dumps(doc), "utf-8")
    problems = verify(root).problems
    assert any(p.kind == "validation" and p.file == "sequences/sequence_001.json"
               for p in problems)


def test_verify_without_a_run(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    report = verify(root)
    assert [p.kind for p in report.problems] == ["not-migrated"]
    clean = make_project(project_doc(storyboard=[{"id": "x"}]))
    assert verify(clean).ok


def test_verify_and_rollback_refuse_a_damaged_backup(make_project: MakeProject) -> None:
    root, _ = _migrated(make_project)
    backup = root / ".seqcheck/runs/0001/backup/project.json"
    backup.write_bytes(backup.read_bytes().replace(b'"P"', b'"Q"'))
    problems = verify(root).problems
    assert [p.kind for p in problems] == ["unreadable"] and "damaged" in problems[0].message
    migrated = tree(root)
    with pytest.raises(MigrateError) as info:
        rollback(root)
    assert info.value.migrate_code is MigrateCode.BAD_RECORD
    assert tree(root) == migrated


def test_an_interrupted_rollback_is_finished_by_running_it_again(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:

    root, before = _migrated(make_project)
    # like a kill: no cleanup
    patch_project_writes(monkeypatch, lambda n, _rel: KeyboardInterrupt() if n == 2 else None)
    with pytest.raises(KeyboardInterrupt):
        rollback(root)
    monkeypatch.undo()
    assert tree(root)["project.json"] == before["project.json"]  # restored first
    assert tree(root) != before
    rollback(root)
    assert tree(root) == before
