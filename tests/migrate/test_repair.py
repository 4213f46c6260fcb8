"""Projects born broken by the New Project dialog: explained, and split with --repair."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.errors import ErrorCode
from conformance.validate import validate_project
from migrate import MigrateCode, MigrateError, Options, apply, plan, rollback, verify
from tests.migrate.conftest import NOW, MakeProject, load, project_doc, seq_doc, tree

REPAIR = Options(repair=True)


def _dialog_shot(n: int, seq: str, **extra: object) -> dict[str, object]:
    return {"id": f"1737000000000-s{n}", "title": f"Shot {n}", "duration": n,
            "metadata": {"shot_type": "wide", "sequence_id": seq, "status": "draft"}, **extra}


def test_without_repair_it_stops_explains_and_changes_nothing(
    example: Callable[[str], Path],
) -> None:
    root = example("new-project-dialog")
    before = tree(root, records=True)
    with pytest.raises(MigrateError) as info:
        apply(root, now=NOW)
    err = info.value
    assert err.migrate_code is MigrateCode.NEEDS_REPAIR
    assert err.code is ErrorCode.CORRUPT_FILE
    assert "--repair" in err.message and "metadata.sequence_id" in err.message
    assert err.file is not None and err.file.endswith("sequences/sequence_001.json")
    # The dry run explains it and shows the split it would make, blocked.
    preview = plan(root, now=NOW)
    assert preview.needs_repair and preview.blocked and preview.repair is not None
    assert preview.repair.explanation in err.message
    assert preview.steps == plan(root, REPAIR, now=NOW).steps
    assert tree(root, records=True) == before


def test_the_plan_shows_the_split(example: Callable[[str], Path]) -> None:
    root = example("new-project-dialog")
    p = plan(root, REPAIR, now=NOW)
    assert p.state == "born-broken" and p.repair is not None
    assert [(x.sequence_id, x.name, x.order, x.file, len(x.shot_ids)) for x in p.repair.parts] == [
        ("1737014400000-q8w3e5rty", "Sequence 1", 1, "sequences/sequence_001.json", 3),
        ("1737014400001-z7x1c4vbn", "Sequence 2", 2, "sequences/sequence_002.json", 2),
    ]
    assert [s.action for s in p.steps] == ["create", "split", "rewrite-project"]


def test_repair_of_the_example(example: Callable[[str], Path]) -> None:
    root = example("new-project-dialog")
    broken = load(root, "sequences/sequence_001.json")
    result = apply(root, REPAIR, now=NOW)
    assert result.verification is not None and result.verification.ok
    s1 = load(root, "sequences/sequence_001.json")
    s2 = load(root, "sequences/sequence_002.json")
    assert next(iter(s1)) == "id" and s1["id"] == "1737014400000-q8w3e5rty"
    # Every shot of the broken file kept (the edited copy wins), plus sequencePlanId.
    shots = broken["shots"]
    assert s1["shots"] == [{**shots[i], "sequencePlanId": s1["id"]} for i in (0, 1, 3)]
    assert s2["shots"] == [{**shots[i], "sequencePlanId": s2["id"]} for i in (2, 4)]
    assert "the route is marked in red" in s2["shots"][0]["description"]
    assert (s1["name"], s1["order"], s1["duration"]) == ("Sequence 1", 1, 12)
    assert (s2["name"], s2["order"], s2["duration"]) == ("Sequence 2", 2, 8.5)
    assert s1["metadata"]["status"] == "draft" and s1["metadata"]["updated_at"] == NOW
    pj = load(root, "project.json")
    assert pj["shots"] == [] and pj["metadata"]["sequences"] == 2
    assert pj["seqcheck_migration"]["repaired"] is True
    assert validate_project(root).ok
    again = apply(root, REPAIR, now=NOW)
    assert again.state == "already-migrated"


def test_repair_rollback_restores_the_broken_originals(example: Callable[[str], Path]) -> None:
    root = example("new-project-dialog")
    before = tree(root)
    apply(root, REPAIR, now=NOW)
    rollback(root)
    assert tree(root) == before


def test_repair_keeps_unknown_top_level_fields_and_routes_extra_legacy_shots(
    make_project: MakeProject,
) -> None:
    broken = {"name": "Sequence 1", "x-extra": {"k": "√"}, "order": 1, "duration": 6,
              "shots": [_dialog_shot(1, "A"), _dialog_shot(2, "B"), _dialog_shot(3, "A")]}
    later = _dialog_shot(4, "B")  # only in project.json, routed by metadata.sequence_id
    root = make_project(project_doc(shots=[_dialog_shot(1, "A"), later]),
                        {"sequence_001.json": broken})
    apply(root, REPAIR, now=NOW)
    s1 = load(root, "sequences/sequence_001.json")
    s2 = load(root, "sequences/sequence_002.json")
    assert list(s1) == ["id", "name", "x-extra", "order", "duration", "shots", "metadata"]
    assert s1["x-extra"] == {"k": "√"} and s2["x-extra"] == {"k": "√"}
    assert [s["id"] for s in s2["shots"]] == ["1737000000000-s2", "1737000000000-s4"]
    assert s2["duration"] == 6
    assert verify(root).ok


@pytest.mark.parametrize(
    ("shots", "pointer"),
    [
        ([{"id": "a", "metadata": {}}], "/shots/0/metadata"),
        ([{"id": "a", "sequencePlanId": "x", "metadata": {"sequence_id": "x"}}],
         "/shots/0/sequencePlanId"),
        ([{"id": "a", "metadata": {"sequence_id": "x"}}, {"id": "a",
          "metadata": {"sequence_id": "x"}}], "/shots/1/id"),
    ],
)
def test_unrepairable_shapes_are_refused(make_project: MakeProject, shots: list[object],
                                         pointer: str) -> None:
    root = make_project(project_doc(), {"sequence_001.json": {"name": "S", "shots": shots}})
    before = tree(root, records=True)
    with pytest.raises(MigrateError) as info:
        apply(root, REPAIR, now=NOW)
    assert info.value.pointer == pointer
    assert tree(root, records=True) == before


def test_unsafe_intended_sequence_id(make_project: MakeProject) -> None:
    root = make_project(project_doc(), {"sequence_001.json": {
        "shots": [{"id": "a", "metadata": {"sequence_id": "../x"}}]}})
    with pytest.raises(Exception) as info:
        plan(root, REPAIR)
    assert getattr(info.value, "code", None) is ErrorCode.INVALID_ID
    assert getattr(info.value, "pointer", None) == "/shots/0/metadata/sequence_id"


def test_split_id_colliding_with_an_existing_sequence(make_project: MakeProject) -> None:
    root = make_project(project_doc(), {
        "sequence_001.json": {"shots": [_dialog_shot(1, "A")]},
        "sequence_002.json": seq_doc("A", []),
    })
    with pytest.raises(Exception) as info:
        plan(root, REPAIR)
    assert getattr(info.value, "code", None) is ErrorCode.DUPLICATE_SEQUENCE_ID


def test_repair_without_a_broken_file_notes_it(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    p = plan(root, REPAIR, now=NOW)
    assert p.state == "legacy" and any("nothing to repair" in n for n in p.notes)
    assert json.dumps(p.to_dict())


def test_the_dialog_episode_walk_through(example: Callable[[str], Path]) -> None:
    """examples/dialog-episode/README.md, command by command: a dialog project with the
    format object validates with errors, repairs, validates clean, rolls back."""
    from click.testing import CliRunner

    from conformance.cli.main import cli

    root = example("dialog-episode")
    before = tree(root)
    assert isinstance(load(root, "project.json")["metadata"]["format"], dict)

    def run(*args: str) -> int:
        return CliRunner().invoke(cli, [*args]).exit_code

    report = validate_project(root)
    assert {f.code for f in report.findings} == {"SC202", "SC306"} and not report.ok
    assert run("migrate", str(root), "--dry-run") == 1  # needs --repair
    assert run("migrate", str(root), "--dry-run", "--repair") == 0
    assert tree(root) == before
    assert run("migrate", str(root), "--repair") == 0
    assert sorted(p.name for p in (root / "sequences").glob("sequence_*.json")) == [
        f"sequence_{n:03d}.json" for n in range(1, 12)]
    assert validate_project(root).findings == []
    assert load(root, "project.json")["metadata"]["format"]["id"] == "episode-serie"
    assert run("migrate", str(root), "--rollback") == 0
    assert tree(root) == before
