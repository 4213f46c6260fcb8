"""Every row of conformance/spec/field-guide.md, end to end on the app's own shapes.

Each case: written as the app writes it (tests/field/projects.py), validated (findings
exact), dry-run (library and CLI JSON), migrated or repaired, verified, validated again
(no error), checked independently for loss (every shot, sequence and unknown field),
then rolled back to the original bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance import schema_registry
from conformance.cli.main import cli
from conformance.errors import ErrorCode, SeqcheckError
from conformance.field_shapes import id_prefix_file_name
from conformance.validate import Severity, validate_project
from migrate import (
    MigrateCode,
    MigrateError,
    OnDuplicate,
    Options,
    apply,
    plan,
    rollback,
    verify,
)
from tests.field import projects as P

NOW = "2030-01-02T03:04:05.678Z"
CANONICAL = re.compile(r"^sequence_[0-9]{3,}\.json\Z")
Finding = tuple[str, str, str]


def write(root: Path, files: P.Files) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (lock sidecars and .seqcheck/ left out)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
        and not p.relative_to(root).as_posix().startswith(".seqcheck/")
    }


def findings(root: Path) -> list[Finding]:
    return sorted((f.code, f.file, f.pointer) for f in validate_project(root).findings)


def errors(root: Path) -> list[Finding]:
    return sorted((f.code, f.file, f.pointer) for f in validate_project(root).findings
                  if f.severity is Severity.ERROR)


def cli_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["migrate", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


# -- an inventory read from raw JSON, independent of the migrator ---------------------

@dataclass
class Inventory:
    shots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    where: dict[str, list[str]] = field(default_factory=dict)
    sequences: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    project: dict[str, Any] = field(default_factory=dict)


def inventory(root: Path) -> Inventory:
    inv = Inventory(project=json.loads((root / "project.json").read_bytes()))
    for array in ("shots", "storyboard"):
        for shot in inv.project.get(array, []):
            inv.shots.setdefault(shot["id"], []).append(shot)
            inv.where.setdefault(shot["id"], []).append("project.json")
    folder = root / "sequences"
    for path in sorted(folder.glob("sequence_*.json")) if folder.is_dir() else []:
        doc = json.loads(path.read_bytes())
        if "id" in doc:
            inv.sequences.setdefault(doc["id"], []).append(doc)
        for shot in doc.get("shots", []):
            inv.shots.setdefault(shot["id"], []).append(shot)
            inv.where.setdefault(shot["id"], []).append(path.name)
        for shot in doc.get("shots", []):
            meta = shot.get("metadata") if isinstance(shot.get("metadata"), dict) else {}
            if "id" not in doc and isinstance(meta.get("sequence_id"), str):
                inv.sequences.setdefault(meta["sequence_id"], [])
    return inv


def _same_shot(after: dict[str, Any], originals: list[dict[str, Any]]) -> bool:
    bare = {k: v for k, v in after.items() if k != "sequencePlanId"}
    return any(after == o or bare == o or bare == {k: v for k, v in o.items()
                                                     if k != "sequencePlanId"}
               for o in originals)


def assert_nothing_lost(before: Inventory, root: Path, kept_fields: dict[str, dict[str, Any]],
                        staying: set[str]) -> None:
    """Every original shot once (in a sequence file, or still in project.json if it
    stays), unchanged but for an added sequencePlanId; every sequence id in exactly one
    canonical file; the kept files' fields and project.json's other keys kept."""
    after = inventory(root)
    names = sorted(p.name for p in (root / "sequences").iterdir()
                   if not p.name.startswith(".")) if (root / "sequences").is_dir() else []
    assert all(CANONICAL.match(n) for n in names), names
    for shot_id, originals in before.shots.items():
        places = after.where.get(shot_id, [])
        if shot_id in staying:
            assert set(places) == {"project.json"}, (shot_id, places)
        else:
            in_files = [p for p in places if p != "project.json"]
            assert len(in_files) == 1 and "project.json" not in places, (shot_id, places)
        for copy in after.shots[shot_id]:
            assert _same_shot(copy, originals), shot_id
    for seq_id in before.sequences:
        assert len(after.sequences.get(seq_id, [])) == 1, seq_id
    for seq_id, fields in kept_fields.items():
        (doc,) = after.sequences[seq_id]
        for key, value in fields.items():
            if key not in ("shots", "metadata", "duration"):  # duration: + appended shots
                assert doc[key] == value, (seq_id, key)
    for key, value in before.project.items():
        if key in ("shots", "storyboard"):
            continue
        if key == "metadata" and isinstance(value, dict):
            assert {k: v for k, v in after.project[key].items() if k != "sequences"} == {
                k: v for k, v in value.items() if k != "sequences"}
        else:
            assert after.project[key] == value, key


# -- the cases --------------------------------------------------------------------------

@dataclass
class Case:
    files: Callable[[], P.Files]
    before: list[Finding]
    options: Options = field(default_factory=Options)
    #: shot ids that stay in project.json (name no sequence)
    staying: set[str] = field(default_factory=set)
    #: sequence id -> the original document whose fields must survive
    kept: Callable[[], dict[str, dict[str, Any]]] = dict
    after: list[Finding] = field(default_factory=list)
    changes: bool = True


def _dialog_findings(index: int) -> list[Finding]:
    n = P.DIALOG_FORMATS[index][4]
    return [("SC202", "sequences/sequence_001.json", "")] + [
        ("SC306", "project.json", f"/shots/{i}") for i in range(n)]


def _doc(files: Callable[[], P.Files], rel: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(files()[rel])
    return doc


REPAIR = Options(repair=True)
CASES: dict[str, Case] = {
    **{
        f"dialog-{fmt[0]}": Case(partial(P.dialog_project, i), _dialog_findings(i), REPAIR)
        for i, fmt in enumerate(P.DIALOG_FORMATS)
    },
    "electron-empty": Case(P.electron_empty_project, [], changes=False),
    "rover-autosave": Case(P.rover_autosave_project, _dialog_findings(6), REPAIR),
    "dialog-then-dashboard": Case(
        P.dialog_then_dashboard_project,
        [("SC307", "project.json", f"/shots/{i}") for i in range(11)]
        + [("SC316", "sequences/sequence_001.json", "")],
        REPAIR,
        kept=lambda: {"default": _doc(P.dialog_then_dashboard_project,
                                      "sequences/sequence_001.json")}),
    "pipeline": Case(P.pipeline_project, [], changes=False),
    "cli-init": Case(P.cli_init_project, [("SC201", "project.json", "")], changes=False),
    "template": Case(P.template_project, [("SC201", "project.json", ""),
                                          ("SC319", "project.json", "/project")],
                     changes=False),
    "assistant": Case(P.assistant_project, [("SC320", "project.json", "/sequences")],
                      changes=False),
    "video-editor": Case(P.video_editor_project, [("SC201", "project.json", "")],
                         changes=False),
    "data-contract-v1": Case(P.v1_project, [], changes=False),
    "data-contract-v1-members": Case(
        P.v1_with_members_project,
        [("SC307", "project.json", f"/storyboard/{i}") for i in range(3)]),
    "dashboard-overwrite": Case(
        P.dashboard_overwrite_project,
        [("SC307", "project.json", f"/shots/{i}") for i in range(3)]
        + [("SC316", "sequences/sequence_001.json", ""),
           ("SC316", "sequences/sequence_002.json", "")],
        REPAIR,
        kept=lambda: {P.UUID_A: _doc(P.dashboard_overwrite_project,
                                     "sequences/sequence_001.json"),
                      P.UUID_B: _doc(P.dashboard_overwrite_project,
                                     "sequences/sequence_002.json")}),
    "service-created-uuid": Case(
        P.service_created_project,
        [("SC307", "project.json", "/shots/0"), ("SC307", "project.json", "/shots/1"),
         ("SC316", "sequences/sequence_9a8b7c6d.json", "")],
        REPAIR,
        kept=lambda: {P.UUID_B: _doc(P.service_created_project,
                                     "sequences/sequence_9a8b7c6d.json")},
        after=[("SC318", "sequences/sequence_001.json", "/shot_ids/2")]),
    "edit-duplicate-uuid": Case(
        P.edit_duplicate_uuid_project,
        [("SC302", "sequences/sequence_3f2b8c1e.json", "/id"),
         ("SC303", "sequences/sequence_3f2b8c1e.json", "/shots/0/id"),
         ("SC309", "sequences/sequence_3f2b8c1e.json", "/order"),
         ("SC317", "sequences/sequence_3f2b8c1e.json", "")],
        Options(repair=True, on_duplicate=OnDuplicate.KEEP_NEWEST),
        kept=lambda: {P.UUID_A: _doc(P.edit_duplicate_uuid_project,
                                     "sequences/sequence_3f2b8c1e.json")}),
    "edit-duplicate-timestamp": Case(
        P.edit_duplicate_stamp_project,
        [("SC302", "sequences/sequence_17370000.json", "/id"),
         ("SC303", "sequences/sequence_17370000.json", "/shots/0/id"),
         ("SC309", "sequences/sequence_17370000.json", "/order")],
        Options(repair=True, on_duplicate=OnDuplicate.KEEP_CANONICAL),
        kept=lambda: {P.STAMP_ID: _doc(P.edit_duplicate_stamp_project,
                                       "sequences/sequence_001.json")}),
    "mixture": Case(
        P.mixture_project,
        [("SC202", "sequences/sequence_001.json", ""),
         ("SC306", "project.json", "/shots/0"), ("SC306", "project.json", "/shots/1"),
         ("SC307", "project.json", "/storyboard/1"),
         ("SC316", "sequences/sequence_9a8b7c6d.json", "")],
        REPAIR,
        kept=lambda: {P.UUID_B: _doc(P.mixture_project, "sequences/sequence_9a8b7c6d.json")}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_field_case_end_to_end(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    root = write(tmp_path / "p", case.files())
    original = tree(root)
    before = inventory(root)

    assert findings(root) == sorted(case.before)

    previewed = plan(root, case.options)
    assert not previewed.blocked and previewed.has_work is case.changes
    assert schema_registry.is_valid("migration-plan", previewed.to_dict())
    opts = ["--repair"] if case.options.repair else []
    if case.options.on_duplicate is not OnDuplicate.STOP:
        opts += ["--on-duplicate", str(case.options.on_duplicate)]
    code, doc = cli_json(str(root), "--dry-run", *opts)
    assert code == 0 and doc["steps"] == [s.to_dict() for s in previewed.steps]
    assert tree(root) == original and not (root / ".seqcheck").exists()

    result = apply(root, case.options, now=NOW)
    if not case.changes:
        assert tree(root) == original and not (root / ".seqcheck").exists()
        with pytest.raises(MigrateError) as nothing:
            rollback(root)
        assert nothing.value.migrate_code is MigrateCode.NOTHING_TO_ROLL_BACK
        return
    assert result.verification is not None and result.verification.ok, \
        result.verification.to_dict() if result.verification else None
    assert verify(root).ok
    assert errors(root) == []
    assert [f for f in findings(root) if f[0] != "SC309"] == sorted(case.after)
    assert_nothing_lost(before, root, case.kept(), case.staying)

    again = plan(root, case.options)
    assert not again.has_work and not again.blocked and again.state == "already-migrated"
    assert not plan(root).blocked  # a repaired project needs no --repair any more

    rollback(root)
    assert tree(root) == original


@pytest.mark.parametrize("choice", ["keep-newest", "keep-canonical"])
def test_timestamp_duplicate_keeps_the_original_name(tmp_path: Path, choice: str) -> None:
    """Whichever file's fields win, the sequence stays in sequence_001.json (the name
    the canonical writer gave it) and sequence_17370000.json is removed."""
    root = write(tmp_path / "p", P.edit_duplicate_stamp_project())
    apply(root, Options(repair=True, on_duplicate=OnDuplicate(choice)), now=NOW)
    names = sorted(p.name for p in (root / "sequences").glob("sequence_*.json"))
    assert names == ["sequence_001.json"]
    doc = json.loads((root / "sequences/sequence_001.json").read_bytes())
    assert doc["description"] == ("Rain" if choice == "keep-newest" else "Default sequence 1")


def test_pipeline_project_dry_runs_with_exit_0(tmp_path: Path) -> None:
    """The issue's case: created_at a Unix float, nothing to move."""
    root = write(tmp_path / "pipe", P.pipeline_project())
    result = CliRunner().invoke(cli, ["migrate", str(root), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "nothing to migrate" in result.output


def test_project_schema_findings_are_plan_warnings_carried_untouched(tmp_path: Path) -> None:
    """Outside the shots that move, a schema violation is a warning and its bytes are
    carried over: here a bad settings value while a wizard shot moves."""
    doc = P.v1_doc([P.v1_shot(1, sequence_id="seq-a")])
    doc["settings"] = {"default_resolution": "big"}
    root = write(tmp_path / "p", {"project.json": P.js_json(doc)})
    assert findings(root) == [("SC201", "project.json", "/settings/default_resolution"),
                              ("SC307", "project.json", "/storyboard/0")]
    previewed = plan(root)
    assert [(w.file, w.pointer) for w in previewed.warnings] == [
        ("project.json", "/settings/default_resolution")]
    apply(root, now=NOW)
    assert json.loads((root / "project.json").read_bytes())["settings"] == {
        "default_resolution": "big"}


def test_duplicate_files_stop_without_a_choice(tmp_path: Path) -> None:
    """Two files with one id and different content: the dry run is blocked (exit 1),
    the migration refuses before writing and names both files."""
    root = write(tmp_path / "p", P.edit_duplicate_uuid_project())
    original = tree(root)
    code, doc = cli_json(str(root), "--dry-run", "--repair")
    assert code == 1 and doc["blocked"] is True
    (stopped,) = [r for r in doc["sequence_service"] if r["resolution"] == "stop"]
    assert stopped["files"] == ["sequences/sequence_001.json",
                                "sequences/sequence_3f2b8c1e.json"]
    with pytest.raises(MigrateError) as info:
        apply(root, Options(repair=True), now=NOW)
    assert info.value.migrate_code is MigrateCode.CONFLICT
    assert info.value.code is ErrorCode.DUPLICATE_SEQUENCE_ID
    assert "--on-duplicate" in info.value.message
    assert tree(root) == original and not (root / ".seqcheck").exists()


def test_keep_newest_merges_the_edit_and_the_later_shot(tmp_path: Path) -> None:
    """The copy's fields (newer updated_at) win; the shot only the original holds is
    appended, so neither the edit nor the shot is lost."""
    root = write(tmp_path / "p", P.edit_duplicate_uuid_project())
    apply(root, Options(repair=True, on_duplicate=OnDuplicate.KEEP_NEWEST), now=NOW)
    doc = json.loads((root / "sequences/sequence_001.json").read_bytes())
    assert doc["name"] == "Opening" and doc["x-color"] == "#ff8800"
    assert [s["id"] for s in doc["shots"]] == ["s-1", "s-2"]
    assert not (root / "sequences/sequence_3f2b8c1e.json").exists()


def test_keep_canonical_keeps_the_original_fields(tmp_path: Path) -> None:
    root = write(tmp_path / "p", P.edit_duplicate_uuid_project())
    apply(root, Options(repair=True, on_duplicate=OnDuplicate.KEEP_CANONICAL), now=NOW)
    doc = json.loads((root / "sequences/sequence_001.json").read_bytes())
    assert doc["name"] == "Sequence 1" and "x-color" not in doc
    assert [s["id"] for s in doc["shots"]] == ["s-1", "s-2"]


def test_reference_shape_resolution_moves_shots_and_keeps_unresolved(tmp_path: Path) -> None:
    """shot_ids resolve against project.json in order; the shots leave project.json
    with sequencePlanId added; 'deleted-shot' stays in shot_ids and is a warning."""
    root = write(tmp_path / "p", P.service_created_project())
    shots = json.loads((root / "project.json").read_bytes())["shots"]
    previewed = plan(root, REPAIR)
    (repair,) = previewed.service_repairs
    assert repair.resolved_shots == (shots[0]["id"], shots[1]["id"])
    assert repair.unresolved == ("deleted-shot",)
    assert [(w.file, w.pointer) for w in previewed.warnings] == [
        ("sequences/sequence_9a8b7c6d.json", "/shot_ids/2")]
    apply(root, REPAIR, now=NOW)
    doc = json.loads((root / "sequences/sequence_001.json").read_bytes())
    assert list(doc)[:9] == ["id", "name", "order", "duration", "shots_count", "resume",
                             "shot_ids", "created_at", "updated_at"]
    assert doc["shots"] == [{**s, "sequencePlanId": P.UUID_B} for s in shots]
    assert json.loads((root / "project.json").read_bytes())["shots"] == []


def test_without_repair_the_service_files_stop_and_explain(tmp_path: Path) -> None:
    root = write(tmp_path / "p", P.service_created_project())
    original = tree(root)
    with pytest.raises(MigrateError) as info:
        apply(root, now=NOW)
    assert info.value.migrate_code is MigrateCode.NEEDS_REPAIR
    assert "sequenceService.ts" in info.value.message and "--repair" in info.value.message
    assert tree(root) == original


def test_a_referenced_shot_naming_another_sequence_is_refused(tmp_path: Path) -> None:
    files = P.service_created_project()
    doc = json.loads(files["project.json"])
    doc["shots"][0]["sequence_id"] = "elsewhere"
    files["project.json"] = P.js_json(doc)
    root = write(tmp_path / "p", files)
    with pytest.raises(SeqcheckError) as info:
        plan(root, REPAIR)
    assert info.value.pointer == "/shots/0/sequence_id"
    assert info.value.file is not None and info.value.file.endswith("project.json")


def test_a_stray_sequence_name_without_shot_ids_stays_stray(tmp_path: Path) -> None:
    """sequence_1.json holding id "1" by hand is not SequenceService's (no shot_ids):
    the validator's stray file, untouched by migrate."""
    files = P.v1_project()
    files["sequences/sequence_1.json"] = P.js_json(P.canonical_doc("1", []))
    root = write(tmp_path / "p", files)
    assert findings(root) == [("SC313", "sequences/sequence_1.json", "")]
    assert not plan(root, REPAIR).has_work


def test_timestamp_duplicate_message_names_the_writer(tmp_path: Path) -> None:
    root = write(tmp_path / "p", P.edit_duplicate_stamp_project())
    (dup,) = [f for f in validate_project(root).findings if f.code == "SC302"]
    assert "sequenceService.ts" in dup.message and "--on-duplicate" in dup.message


class _Killed(BaseException):
    """Stands for the process dying between two durable steps (no undo runs)."""


@pytest.mark.parametrize("after_step", [1, 2])
def test_an_interrupted_repair_with_a_remove_step_resumes(tmp_path: Path,
                                                          after_step: int) -> None:
    """Killed after the create (1) or after the remove (2): the same command finishes
    it, byte for byte as an uninterrupted run; rollback restores the originals."""
    clean = write(tmp_path / "clean", P.service_created_project())
    apply(clean, REPAIR, now=NOW)
    root = write(tmp_path / "p", P.service_created_project())
    original = tree(root)

    def die(done: int, total: int) -> None:
        if done == after_step:
            raise _Killed

    with pytest.raises(_Killed):
        apply(root, REPAIR, now=NOW, on_step=die)
    assert (root / "sequences/sequence_9a8b7c6d.json").exists() is (after_step == 1)
    resumed = apply(root, REPAIR, now=NOW)
    assert resumed.resumed and resumed.verification is not None and resumed.verification.ok
    assert tree(root) == tree(clean)
    rollback(root)
    assert tree(root) == original


def test_a_service_file_holding_an_id_the_dialog_file_also_names_is_refused(
    tmp_path: Path,
) -> None:
    files = P.dialog_project(6)
    intended = json.loads(files["project.json"])["shots"][0]["metadata"]["sequence_id"]
    name = f"sequences/{id_prefix_file_name(intended)}"  # sequence_17370000.json
    files[name] = P.js_json(P.reference_doc(intended, 2, []))
    root = write(tmp_path / "p", files)
    assert ("SC316", name, "") in findings(root)
    with pytest.raises(SeqcheckError) as info:
        plan(root, REPAIR)
    assert info.value.code is ErrorCode.DUPLICATE_SEQUENCE_ID
    assert info.value.file is not None and info.value.file.endswith(name)
