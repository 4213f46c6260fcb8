"""Plan and apply on hand-made projects: what moves where, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import schema_registry
from conformance.errors import ErrorCode, SeqcheckError
from conformance.validate import validate_project
from migrate import MigrateCode, MigrateError, Options, apply, plan, verify
from migrate.records import RECORD_KEY
from tests.migrate.conftest import NOW, MakeProject, load, project_doc, seq_doc, tree


def test_legacy_example_moves_every_named_shot(example: Callable[[str], Path]) -> None:
    root = example("legacy-project")
    before = tree(root)
    original = json.loads(before["project.json"])
    result = apply(root, now=NOW)
    assert result.state == "migrated" and result.verification is not None
    assert result.verification.ok, result.verification.problems
    s1 = load(root, "sequences/sequence_001.json")
    s2 = load(root, "sequences/sequence_002.json")
    # Existing shot first, then moved ones in legacy order; unknown fields kept.
    assert [s["id"] for s in s1["shots"]] == ["wiz-000", "wiz-001", "wiz-002"]
    assert s1["x-color-grade"] == "teal-orange"
    assert s1["shots"][1] == {**original["shots"][0], "sequencePlanId": "001"}
    assert s1["shots"][1]["sequence_id"] == "001"  # the wizard field is kept
    assert s1["metadata"]["updated_at"] == NOW and s1["metadata"]["modified_at"] == NOW
    assert s1["duration"] == 5 + 6 + 3
    assert s2["id"] == "seq-harbour" and s2["name"] == "Sequence 2" and s2["order"] == 2
    assert s2["shots"] == [original["shots"][1], original["shots"][3]]
    assert s2["duration"] == 6.5 and s2["metadata"] == {"created_at": NOW, "modified_at": NOW}
    pj = load(root, "project.json")
    assert pj["shots"] == [] and pj["storyboard"] == original["storyboard"]
    record = pj[RECORD_KEY]
    assert record["migrated_at"] == NOW and record["tool"] == "seqcheck"
    assert record["moved_shots"] == 4 and record["kept_in_project"] == 2
    assert record["sequence_files_created"] == 1 and record["sequence_files_merged"] == 1
    # Every other key of project.json kept, in its order; metadata.sequences updated.
    assert [k for k in pj if k != RECORD_KEY] == list(original)
    assert pj["metadata"]["sequences"] == 2
    assert validate_project(root).ok


def test_dry_run_changes_nothing_and_predicts_apply(make_project: MakeProject) -> None:
    root = make_project(
        project_doc(shots=[{"id": "a", "sequencePlanId": "s1"}, {"id": "b"}],
                    storyboard=[{"id": "c", "sequence_id": "s2", "x": "é"}]),
        {"sequence_001.json": seq_doc("s1", [{"id": "z", "sequencePlanId": "s1"}])},
    )
    before = tree(root, records=True)
    p = plan(root, now=NOW)
    assert tree(root, records=True) == before
    assert schema_registry.is_valid("migration-plan", p.to_dict())
    apply(root, now=NOW)
    after = tree(root)
    assert {s.path: s.data for s in p.steps} == {
        rel: data for rel, data in after.items() if before.get(rel) != data
    }
    assert [(m.shot_id, m.target_file, m.action) for m in p.moves] == [
        ("a", "sequences/sequence_001.json", "append"),
        ("c", "sequences/sequence_002.json", "append"),
    ]
    assert [s.shot_id for s in p.stays] == ["b"]


def test_ids_are_copied_exactly(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[
        {"id": "001", "sequencePlanId": "001", "number": 1, "ratio": 1.0, "big": 10**20},
    ]))
    apply(root, now=NOW)
    raw = (root / "sequences/sequence_001.json").read_text("utf-8")
    doc = json.loads(raw)
    assert doc["id"] == "001" and doc["shots"][0]["id"] == "001"
    assert '"id": "001"' in raw and '"ratio": 1.0' in raw and str(10**20) in raw


def test_second_run_is_a_no_op_that_says_so(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequence_id": "s"}]))
    apply(root, now=NOW)
    before = tree(root, records=True)
    again = apply(root, now="2031-01-01T00:00:00Z")
    assert again.state == "already-migrated" and again.steps_written == 0
    assert tree(root, records=True) == before
    assert plan(root).state == "already-migrated"


def test_nothing_to_do_on_a_project_without_legacy_shots(make_project: MakeProject) -> None:
    root = make_project(project_doc(storyboard=[{"id": "only"}]))
    before = tree(root, records=True)
    result = apply(root, now=NOW)
    assert result.state == "nothing-to-do"
    assert tree(root, records=True) == before and not (root / ".seqcheck").exists()


def test_orphans_option_assigns_unnamed_shots(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a"}], storyboard=[{"id": "b", "k": [1]}]))
    apply(root, Options(orphans="extras"), now=NOW)
    doc = load(root, "sequences/sequence_001.json")
    assert doc["id"] == "extras"
    assert doc["shots"] == [{"id": "a", "sequencePlanId": "extras"},
                            {"id": "b", "k": [1], "sequencePlanId": "extras"}]
    assert load(root, "project.json")["storyboard"] == []


def test_identical_copies_are_deduplicated(make_project: MakeProject) -> None:
    shot = {"id": "a", "sequence_id": "s", "v": 1}
    root = make_project(
        project_doc(shots=[shot, {"id": "b", "sequencePlanId": "s"}], storyboard=[shot]),
        {"sequence_001.json": seq_doc("s", [{**shot, "sequencePlanId": "s"}])},
    )
    p = plan(root, now=NOW)
    assert [(m.shot_id, m.action, m.sources) for m in p.moves] == [
        ("a", "dedupe", ("/shots/0", "/storyboard/0")), ("b", "append", ("/shots/1",))]
    apply(root, now=NOW)
    ids = [s["id"] for s in load(root, "sequences/sequence_001.json")["shots"]]
    assert ids == ["a", "b"]
    pj = load(root, "project.json")
    assert pj["shots"] == [] and pj["storyboard"] == []


def _conflict_project(make_project: MakeProject) -> Path:
    return make_project(
        project_doc(shots=[{"id": "a", "sequencePlanId": "s", "v": "legacy"},
                           {"id": "b", "sequencePlanId": "s"}]),
        {"sequence_001.json": seq_doc("s", [{"id": "a", "sequencePlanId": "s", "v": "file"},
                                            {"id": "z", "sequencePlanId": "s"}])},
    )


def test_conflict_stops_before_any_write(make_project: MakeProject) -> None:
    root = _conflict_project(make_project)
    before = tree(root, records=True)
    with pytest.raises(MigrateError) as info:
        apply(root, now=NOW)
    assert info.value.migrate_code is MigrateCode.CONFLICT
    assert '"a"' in info.value.message and "--on-conflict" in info.value.message
    assert info.value.pointer == "/shots/0"
    assert tree(root, records=True) == before
    assert plan(root).blocked


def test_conflict_keep_sequence(make_project: MakeProject) -> None:
    root = _conflict_project(make_project)
    apply(root, Options(on_conflict="keep-sequence"), now=NOW)
    shots = load(root, "sequences/sequence_001.json")["shots"]
    assert shots == [{"id": "a", "sequencePlanId": "s", "v": "file"},
                     {"id": "z", "sequencePlanId": "s"}, {"id": "b", "sequencePlanId": "s"}]
    assert load(root, "project.json")["shots"] == []
    assert verify(root).ok


def test_conflict_keep_legacy_replaces_in_place(make_project: MakeProject) -> None:
    root = _conflict_project(make_project)
    apply(root, Options(on_conflict="keep-legacy"), now=NOW)
    shots = load(root, "sequences/sequence_001.json")["shots"]
    assert [s["id"] for s in shots] == ["a", "z", "b"] and shots[0]["v"] == "legacy"
    assert verify(root).ok


def test_conflict_in_another_sequence_keep_legacy_relocates(make_project: MakeProject) -> None:
    root = make_project(
        project_doc(shots=[{"id": "a", "sequencePlanId": "t", "v": 2}]),
        {"sequence_001.json": seq_doc("s", [{"id": "a", "v": 1}], duration=3)},
    )
    p = plan(root, Options(on_conflict="keep-legacy"), now=NOW)
    assert [m.action for m in p.moves] == ["relocate"]
    apply(root, Options(on_conflict="keep-legacy"), now=NOW)
    assert load(root, "sequences/sequence_001.json")["shots"] == []
    assert load(root, "sequences/sequence_002.json")["shots"] == [
        {"id": "a", "sequencePlanId": "t", "v": 2}]
    assert verify(root).ok


def test_differing_copies_within_project_json_stop(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s", "v": 1}],
                                    storyboard=[{"id": "a", "sequencePlanId": "s", "v": 2}]))
    before = tree(root, records=True)
    with pytest.raises(MigrateError) as info:
        apply(root, now=NOW)
    assert info.value.migrate_code is MigrateCode.LEGACY_DUPLICATE
    assert info.value.pointer == "/storyboard/0"
    assert tree(root, records=True) == before


def test_a_shot_naming_two_sequences_stops(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s",
                                            "sequence_id": "t"}]))
    with pytest.raises(MigrateError) as info:
        plan(root)
    assert info.value.migrate_code is MigrateCode.AMBIGUOUS_SEQUENCE
    assert info.value.pointer == "/shots/0"


def test_newer_seqcheck_stamp_is_refused(make_project: MakeProject) -> None:
    newer: dict[str, Any] = {RECORD_KEY: {"tool_version": "99.0.0", "record_format": 1}}
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}], **newer))
    before = tree(root, records=True)
    with pytest.raises(MigrateError) as info:
        apply(root, now=NOW)
    assert info.value.migrate_code is MigrateCode.NEWER_VERSION
    assert "99.0.0" in info.value.message and info.value.pointer == f"/{RECORD_KEY}"
    assert tree(root, records=True) == before


def test_later_legacy_shots_are_migrated_by_a_new_run(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    apply(root, now=NOW)
    pj = load(root, "project.json")
    pj["shots"].append({"id": "b", "sequencePlanId": "s"})  # the app's fallback path
    (root / "project.json").write_text(json.dumps(pj), "utf-8")
    result = apply(root, now="2030-02-02T00:00:00Z")
    assert result.state == "migrated" and result.run_dir is not None
    assert result.run_dir.name == "0002"
    assert [s["id"] for s in load(root, "sequences/sequence_001.json")["shots"]] == ["a", "b"]
    assert result.verification is not None and result.verification.ok


def test_bad_timestamp_is_refused(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    with pytest.raises(SeqcheckError) as info:
        apply(root, now="yesterday")
    assert info.value.code is ErrorCode.INVALID_UPDATE
    assert not (root / "sequences").exists()


def test_a_file_edited_during_an_interrupted_migration_stops_the_resume(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    apply_module = importlib.import_module("migrate.apply")
    root = make_project(
        project_doc(shots=[{"id": "a", "sequencePlanId": "new"},
                           {"id": "b", "sequencePlanId": "s"}]),
        {"sequence_001.json": seq_doc("s", [])},
    )
    original = tree(root)
    real = apply_module._Writer.write_step
    calls = {"n": 0}

    def crash_on_second(*args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # like a kill: no undo, the journal stays
        real(*args)

    monkeypatch.setattr(apply_module._Writer, "write_step", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        apply(root, now=NOW)
    monkeypatch.undo()
    assert (root / "sequences/sequence_002.json").exists()  # step 1 (create) was written
    edited = b'{"id": "s", "shots": [{"id": "typed-in-the-app"}]}'
    (root / "sequences/sequence_001.json").write_bytes(edited)  # step 2's file
    with pytest.raises(MigrateError) as info:
        apply(root, now=NOW)
    assert info.value.migrate_code is MigrateCode.EDITED_SINCE
    assert "the project is unchanged" in info.value.message
    after = tree(root)
    assert after["sequences/sequence_001.json"] == edited  # left as the app wrote it
    assert "sequences/sequence_002.json" not in after  # our created file undone
    assert after["project.json"] == original["project.json"]
    assert not (root / ".seqcheck" / "runs" / "0001").exists()
