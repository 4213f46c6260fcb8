"""Issue 8 output hygiene: one JSON document per outcome, JSON values in messages, a
command that changes nothing leaves nothing, history and prune, rollback's audit."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformance import schema_registry
from conformance.cli.main import cli
from conformance.errors import ErrorCode, SeqcheckError
from migrate import MigrateCode, MigrateError, apply, rollback
from tests.migrate.conftest import (
    NOW,
    MakeProject,
    listing,
    load,
    patch_project_writes,
    project_doc,
    seq_doc,
)

LEGACY = project_doc(shots=[{"id": "a", "sequencePlanId": "s"}, {"id": "b", "sequence_id": "t"}],
                     storyboard=[{"id": "c"}])
CONFLICT = (project_doc(shots=[{"id": "x", "sequencePlanId": "s", "v": 1}]),
            {"sequence_001.json": seq_doc("s", [{"id": "x", "v": 2}])})


def run(*args: Any) -> Result:
    return CliRunner().invoke(
        cli, ["migrate", *map(str, args)], env={"SEQCHECK_MIGRATE_NOW": NOW})


def one_document(result: Result) -> dict[str, Any]:
    """stdout holds exactly one JSON document, valid against the output schema, whose
    exit_code (when it has one) is the process's."""
    doc = json.loads(result.stdout)  # raises on anything but exactly one document
    assert isinstance(doc, dict)
    error = schema_registry.first_error("migration-output", doc)
    assert error is None, (error, doc)
    if "exit_code" in doc:
        assert doc["exit_code"] == result.exit_code
    return doc


Scenario = Callable[[MakeProject, Path], tuple[list[Any], int, str]]


def _migrated(make_project: MakeProject) -> Path:
    root = make_project(LEGACY)
    apply(root, now=NOW)
    return root


SCENARIOS: dict[str, Scenario] = {
    "dry-run": lambda mk, _t: ([mk(LEGACY), "--dry-run"], 0, "plan"),
    "dry-run blocked": lambda mk, _t: ([mk(*CONFLICT), "--dry-run"], 1, "plan"),
    "apply": lambda mk, _t: ([mk(LEGACY)], 0, "apply"),
    "apply nothing to do": lambda mk, _t: ([mk(project_doc(storyboard=[{"id": "y"}]))], 0,
                                           "apply"),
    "apply conflict": lambda mk, _t: ([mk(*CONFLICT)], 1, "error"),
    "apply corrupt": lambda mk, _t: ([mk(b'{"shots": [')], 1, "error"),
    "not a project": lambda _mk, t: ([t / "nowhere"], 2, "error"),
    "usage": lambda mk, _t: ([mk(LEGACY), "--force"], 2, "error"),
    "click usage": lambda mk, _t: ([mk(LEGACY), "--no-such-option"], 2, "error"),
    "verify": lambda mk, _t: ([_migrated(mk), "--verify"], 0, "verify"),
    "verify failing": lambda mk, _t: ([mk(LEGACY), "--verify"], 1, "verify"),
    "rollback": lambda mk, _t: ([_migrated(mk), "--rollback"], 0, "rollback"),
    "rollback refused": lambda mk, _t: ([mk(LEGACY), "--rollback"], 1, "error"),
    "history": lambda mk, _t: ([_migrated(mk), "--history"], 0, "history"),
    "prune": lambda mk, _t: ([_migrated(mk), "--prune", "--keep", "0"], 0, "prune"),
    "prune refused": lambda mk, _t: ([_migrated(mk), "--prune", "--run", "9"], 1, "error"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_json_prints_exactly_one_document_for_every_outcome(
    make_project: MakeProject, tmp_path: Path, name: str
) -> None:
    args, code, kind = SCENARIOS[name](make_project, tmp_path)
    result = run(*args, "--format", "json")
    assert result.exit_code == code, (result.stdout, result.stderr)
    doc = one_document(result)
    if kind == "plan":
        assert doc["$schema"].endswith("migration-plan.schema.json")
    else:
        assert doc["kind"] == kind
    if kind == "error":
        assert doc["error"]["message"] and result.stderr.startswith("seqcheck migrate: ")


def test_batch_json_is_one_document_with_each_error(make_project: MakeProject,
                                                    tmp_path: Path) -> None:
    a, b = make_project(LEGACY), make_project(*CONFLICT)
    result = run(a, b, "--format", "json")
    doc = one_document(result)
    assert result.exit_code == 1 and doc["kind"] == "batch"
    rows = {Path(r["project"]).name: r for r in doc["projects"]}
    assert rows[a.name]["error"] is None and rows[a.name]["status"] == "migrated"
    assert rows[b.name]["error"]["migrate_code"] == "MIGRATE_CONFLICT"


# -- values in messages are JSON ----------------------------------------------------------

def _interrupted_run(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A LEGACY project whose migration was interrupted at its second project write:
    its run is left in progress (monkeypatch undone afterwards)."""
    root = make_project(LEGACY)
    patch_project_writes(monkeypatch, lambda n, _rel: KeyboardInterrupt() if n == 2 else None)
    with pytest.raises(KeyboardInterrupt):
        apply(root, now=NOW)
    monkeypatch.undo()
    return root


def test_values_in_messages_are_json_not_python_reprs(make_project: MakeProject,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = _interrupted_run(make_project, monkeypatch)
    result = run(root, "--orphans", "s", "--format", "json")
    doc = one_document(result)
    message = doc["error"]["message"]
    assert doc["error"]["migrate_code"] == "MIGRATE_OPTIONS_MISMATCH"
    assert ('{"orphans": null, "repair": false, "on_conflict": "stop", '
            '"on_duplicate": "stop"}') in message
    assert '{"orphans": "s",' in message
    for python in ("None", "False", "'orphans'", '\\"'):
        assert python not in message
    bad = run(root, "--orphans", "../x", "--format", "json")
    assert bad.exit_code == 2 and '"../x" is not a valid sequence id' in one_document(bad)[
        "error"]["message"]


# -- a command that changes nothing leaves nothing -------------------------------------------

@pytest.mark.parametrize(
    ("project", "args", "code"),
    [
        (lambda mk: mk(project_doc(storyboard=[{"id": "y"}])), [], 0),  # no-op
        (lambda mk: mk(*CONFLICT), [], 1),  # refused
        (lambda mk: mk(b'{"shots": ['), [], 1),  # bad input
        (lambda mk: mk(LEGACY), ["--rollback"], 1),  # nothing to roll back
        (lambda mk: mk(LEGACY), ["--dry-run"], 0),
        (lambda mk: mk(LEGACY), ["--verify"], 1),
        (lambda mk: mk(LEGACY), ["--history"], 0),
        (lambda mk: mk(LEGACY), ["--prune", "--keep", "0"], 0),
    ],
)
def test_a_command_that_changes_nothing_leaves_nothing(
    make_project: MakeProject, project: Callable[[MakeProject], Path], args: list[str],
    code: int
) -> None:
    root = project(make_project)
    before = listing(root)
    result = run(root, *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert listing(root) == before  # no lock sidecar, nothing at all
    assert not (root / ".seqcheck").exists()


def test_a_refused_rollback_of_an_edited_project_leaves_nothing(
    make_project: MakeProject
) -> None:
    root = make_project(LEGACY)
    before = listing(root)
    apply(root, now=NOW)
    for side in (root / ".project.json.lock",):
        side.unlink()  # as if the app never locked: the refusal must not create it
    (root / "project.json").write_bytes(b'{"schema_version": "1.0", "edited": true}\n')
    after_edit = listing(root)
    records = sorted(p.name for p in (root / ".seqcheck/runs/0001").iterdir())
    result = run(root, "--rollback")
    assert result.exit_code == 1 and "MIGRATE_EDITED_SINCE" in result.stderr
    assert '"project.json"' in result.stderr
    assert listing(root) == after_edit
    assert sorted(p.name for p in (root / ".seqcheck/runs/0001").iterdir()) == records
    assert before != after_edit


# -- issue 14: undo and rollback tell the truth --------------------------------------------------

def test_undo_that_cannot_restore_an_edited_file_says_so_and_keeps_the_backup(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(LEGACY, {"sequence_001.json": seq_doc("s", [])})
    original = listing(root)
    edited = b'{"id": "t", "name": "typed in the editor", "order": 2, "shots": []}\n'

    def editor_then_disk_full(n: int, rel: str) -> BaseException | None:
        if n == 2:  # step 1 (create sequences/sequence_002.json) is on disk
            (root / "sequences/sequence_002.json").write_bytes(edited)
            return SeqcheckError(ErrorCode.IO_ERROR, "could not write: the disk is full.",
                                 file=rel)
        return None

    patch_project_writes(monkeypatch, editor_then_disk_full)
    result = run(root)
    monkeypatch.undo()
    assert result.exit_code == 4, result.stderr
    message = result.stderr
    assert "MIGRATE_NOT_RESTORED" in message and '"sequences/sequence_002.json"' in message
    assert "unchanged" not in message.replace("NOT as before", "")
    assert ".seqcheck/runs/0001/backup" in message
    assert (root / "sequences/sequence_002.json").read_bytes() == edited  # left as it is
    assert (root / ".seqcheck/runs/0001/manifest.json").exists()  # the backup is kept
    refused = run(root, "--rollback")
    assert refused.exit_code == 1 and "MIGRATE_EDITED_SINCE" in refused.stderr
    forced = run(root, "--rollback", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert listing(root) == original


def test_rollback_that_ends_with_a_file_not_restored_keeps_the_run(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(LEGACY, {"sequence_001.json": seq_doc("s", [])})
    original = listing(root)
    apply(root, now=NOW)
    files = importlib.import_module("migrate.project_files")
    real = files.write

    def write_then_editor(where: Path, rel: str, data: bytes) -> None:
        real(where, rel, data)
        if rel == "sequences/sequence_001.json":  # an editor saves right after
            (root / rel).write_bytes(b'{"id": "s", "shots": [{"id": "new"}]}\n')

    monkeypatch.setattr(files, "write", write_then_editor)
    with pytest.raises(MigrateError) as info:
        rollback(root)
    monkeypatch.undo()
    assert info.value.migrate_code is MigrateCode.NOT_RESTORED
    assert '"sequences/sequence_001.json"' in info.value.message
    assert not (root / ".seqcheck/runs/0001/rollback.json").exists()  # not rolled back
    rollback(root, force=True)
    assert listing(root) == original


# -- history, prune, audit -----------------------------------------------------------------------

def test_history_prune_and_the_rollback_audit(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    apply(root, now=NOW)
    rollback(root)
    apply(root, now=NOW)
    (root / ".seqcheck/runs/0007").mkdir()  # not seqcheck's: listed, never deleted
    (root / ".seqcheck/runs/0007/holiday.jpg").write_bytes(b"jpeg")
    text = run(root, "--history")
    assert text.exit_code == 0, text.stderr
    assert "0001  2030-01-02T03:04:05.678Z  rolled-back" in text.stdout
    assert "0002  2030-01-02T03:04:05.678Z  done" in text.stdout
    assert "0007" in text.stdout and "not-seqcheck" in text.stdout
    doc = one_document(run(root, "--history", "--format", "json"))
    runs = {r["run"]: r for r in doc["runs"]}
    assert runs[1]["files"] == ["sequences/sequence_001.json", "sequences/sequence_002.json",
                                "project.json"]
    assert runs[1]["rolled_back_at"] and runs[2]["status"] == "done"
    audit = load(root, ".seqcheck/runs/0001/rollback.json")
    assert audit["restored"] == ["project.json"] and audit["forced"] is False
    refused = run(root, "--prune", "--run", "7")
    assert refused.exit_code == 1 and "MIGRATE_NOT_PRUNABLE" in refused.stderr
    pruned = one_document(run(root, "--prune", "--keep", "1", "--format", "json"))
    assert pruned["deleted"] == [1] and pruned["kept"] == [2, 7]
    assert not (root / ".seqcheck/runs/0001").exists()
    assert (root / ".seqcheck/runs/0007/holiday.jpg").read_bytes() == b"jpeg"
    assert run(root, "--rollback").exit_code == 0  # run 2 is still there to undo


def test_prune_never_deletes_an_in_progress_run(make_project: MakeProject,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = _interrupted_run(make_project, monkeypatch)
    assert one_document(run(root, "--prune", "--keep", "0", "--format", "json"))[
        "deleted"] == []
    refused = run(root, "--prune", "--run", "1")
    assert refused.exit_code == 1 and "in-progress" in refused.stderr
    assert run(root).exit_code == 0  # still resumable


def test_every_migrate_code_is_documented_with_its_exit_code() -> None:
    from conformance.exit_codes import ExitCode
    from migrate import exit_code_for
    from tests.migrate.conftest import REPO

    spec = (REPO / "conformance/spec/migration.md").read_text("utf-8")
    for code in MigrateCode:
        rows = [line for line in spec.splitlines() if line.startswith(f"| `{code.value}` |")]
        assert len(rows) == 1, code
        error = MigrateError(code, ErrorCode.CORRUPT_FILE, "x")
        # The codes without their own mapping exit as their core code (bad input: 1).
        assert int(rows[0].split("|")[3]) == exit_code_for(error), code
    assert exit_code_for(MigrateError(MigrateCode.NOT_RESTORED, ErrorCode.IO_ERROR, "x")) \
        == ExitCode.INTERRUPTED  # never 3, which means "project unchanged"


def test_an_internal_error_still_prints_one_json_document(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    import conformance.cli.migrate_cmd as cmd

    def broken(*_a: Any, **_k: Any) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cmd, "apply", broken)
    result = run(make_project(LEGACY), "--format", "json")
    doc = one_document(result)
    assert result.exit_code == 3 and doc["error"]["code"] == "INTERNAL_ERROR"
    assert "internal error" in result.stderr


def test_a_foreign_numbered_folder_is_never_deleted(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    foreign = root / ".seqcheck/runs/0001"
    foreign.mkdir(parents=True)
    (foreign / "holiday.jpg").write_bytes(b"jpeg")
    apply(root, now=NOW)
    rollback(root)
    apply(root, now=NOW)
    assert (foreign / "holiday.jpg").read_bytes() == b"jpeg"
    assert sorted(p.name for p in (root / ".seqcheck/runs").iterdir()) == ["0001", "0002",
                                                                           "0003"]
    before = listing(root)
    assert run(root, "--prune", "--keep", "0").exit_code == 0  # every finished run
    assert sorted(p.name for p in (root / ".seqcheck/runs").iterdir()) == ["0001"]
    assert listing(root) == before  # no lock sidecar left by the prune
    assert (foreign / "holiday.jpg").read_bytes() == b"jpeg"


def test_prune_after_rollback_leaves_exactly_the_original_entries(
    make_project: MakeProject
) -> None:
    root = make_project(LEGACY)
    original = listing(root)
    apply(root, now=NOW)
    rollback(root)
    assert listing(root) == original
    result = run(root, "--prune", "--keep", "0")
    assert result.exit_code == 0 and "deleted run(s) 0001" in result.stdout
    assert listing(root) == original and not (root / ".seqcheck").exists()


def test_a_crash_inside_the_verification_after_a_migration_is_not_exit_3(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3 means "project unchanged": a verification that breaks after the
    migration wrote everything is a failed verification (exit 1), never that."""
    apply_module = importlib.import_module("migrate.apply")

    def deep(*_a: Any, **_k: Any) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(apply_module, "verify", deep)
    root = make_project(LEGACY)
    result = run(root, "--format", "json")
    doc = one_document(result)
    assert result.exit_code == 1 and doc["kind"] == "apply" and doc["state"] == "migrated"
    (problem,) = doc["verification"]["problems"]
    assert "RecursionError" in problem["message"]
    assert "the migration was applied and recorded" in problem["message"]


def test_an_unexpected_exception_mid_migration_is_undone_not_exit_3_unchanged(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(LEGACY, {"sequence_001.json": seq_doc("s", [])})
    original = listing(root)
    patch_project_writes(monkeypatch, lambda n, _rel: MemoryError() if n == 2 else None)
    result = run(root)
    assert result.exit_code == 3 and "INTERNAL_ERROR" in result.stderr
    assert "MemoryError" in result.stderr and "checked byte for byte" in result.stderr
    assert listing(root) == original  # undone: the claim "unchanged" is true
