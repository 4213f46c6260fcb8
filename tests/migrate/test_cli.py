"""``seqcheck migrate``: output, exit codes, batch mode."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformance import schema_registry
from conformance.cli.main import cli
from conformance.errors import ErrorCode, SeqcheckError
from tests.migrate.conftest import (
    NOW,
    MakeProject,
    load,
    patch_project_writes,
    project_doc,
    seq_doc,
    tree,
)

LEGACY = project_doc(shots=[{"id": "a", "sequencePlanId": "s"}, {"id": "b", "sequence_id": "t"}],
                     storyboard=[{"id": "c"}])


def run(*args: Any) -> Result:
    return CliRunner().invoke(cli, ["migrate", *map(str, args)], env={"SEQCHECK_MIGRATE_NOW": NOW})


def test_dry_run_text_and_json(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    before = tree(root, records=True)
    text = run(root, "--dry-run")
    assert text.exit_code == 0, text.output
    assert "create          sequences/sequence_001.json sequence \"s\"" in text.output
    assert "c at /storyboard/0: names no sequence" in text.output
    assert "Dry run: nothing was changed." in text.output
    out = run(root, "--dry-run", "--format", "json")
    doc = json.loads(out.output)
    assert schema_registry.first_error("migration-plan", doc) is None
    assert doc["migrated_at"] == NOW and doc["counts"]["moved_shots"] == 2
    assert tree(root, records=True) == before


def test_apply_then_again_then_verify_then_rollback(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    before = tree(root)
    first = run(root)
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"Migrated {root}: 2 shot(s) moved")
    assert "Verified" in first.output and "no errors" in first.output
    again = run(root)
    assert again.exit_code == 0 and "already migrated" in again.output
    checked = run(root, "--verify", "--format", "json")
    assert checked.exit_code == 0 and json.loads(checked.output)["report"]["ok"] is True
    back = run(root, "--rollback")
    assert back.exit_code == 0 and "Rolled back" in back.output
    assert tree(root) == before


def test_conflict_exits_1_and_names_the_way_out(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s", "v": 1}]),
                        {"sequence_001.json": seq_doc("s", [{"id": "a", "v": 2}])})
    result = run(root)
    assert result.exit_code == 1
    assert "MIGRATE_CONFLICT" in result.output and "--on-conflict" in result.output
    assert run(root, "--dry-run").exit_code == 1
    assert run(root, "--on-conflict", "keep-sequence").exit_code == 0


def test_born_broken_needs_repair(example: Callable[[str], Path]) -> None:
    root = example("new-project-dialog")
    result = run(root)
    assert result.exit_code == 1 and "MIGRATE_NEEDS_REPAIR" in result.output
    explained = run(root, "--dry-run")
    assert explained.exit_code == 1 and "Repair:" in explained.output
    assert "Blocked: born broken" in explained.output
    preview = run(root, "--dry-run", "--repair")
    assert preview.exit_code == 0 and "Repair:" in preview.output
    assert run(root, "--repair").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [["--dry-run", "--verify"], ["--rollback", "--verify"], ["--force"],
     ["--orphans", "../x"], ["--on-conflict", "maybe"]],
)
def test_usage_errors_exit_2(make_project: MakeProject, args: list[str]) -> None:
    root = make_project(LEGACY)
    before = tree(root, records=True)
    assert run(root, *args).exit_code == 2
    assert tree(root, records=True) == before


def test_not_a_project_exits_2(tmp_path: Path) -> None:
    result = run(tmp_path / "nope")
    assert result.exit_code == 2 and "PROJECT_NOT_FOUND" in result.output


def test_io_error_before_any_write_exits_3(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    (root / ".seqcheck").write_text("not a folder")
    before = tree(root)
    result = run(root)
    assert result.exit_code == 3 and "MIGRATE_BAD_RECORD" in result.output
    assert '".seqcheck" to be a folder, found a file' in result.output
    assert tree(root) == before


def _fail_second_write(monkeypatch: pytest.MonkeyPatch) -> Any:
    patch_project_writes(monkeypatch, lambda n, rel: SeqcheckError(
        ErrorCode.IO_ERROR, "could not write the file: the disk is full.", file=rel)
        if n == 2 else None)
    # The package exports the function apply, which hides the submodule attribute.
    return importlib.import_module("migrate.apply")


def test_failure_part_way_is_undone_and_exits_3(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(LEGACY)
    before = tree(root)
    _fail_second_write(monkeypatch)
    result = run(root)
    assert result.exit_code == 3
    assert "stopped at step 2 of 3" in result.output and "the project is unchanged" in result.output
    assert tree(root) == before and not (root / ".seqcheck").exists()
    monkeypatch.undo()
    assert run(root).exit_code == 0


def test_failure_part_way_that_cannot_be_undone_exits_4_and_resumes(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(LEGACY)
    apply_module = _fail_second_write(monkeypatch)

    def undo_fails(*_a: Any, **_k: Any) -> None:
        raise SeqcheckError(ErrorCode.IO_ERROR, "the folder is read-only.")

    monkeypatch.setattr(apply_module, "undo_steps", undo_fails)
    result = run(root)
    assert result.exit_code == 4
    assert "completed 1 of 3; run the same command to resume" in result.output
    monkeypatch.undo()
    resumed = run(root)
    assert resumed.exit_code == 0 and "Resumed and finished" in resumed.output
    assert verify_ok(root)


def verify_ok(root: Path) -> bool:
    return run(root, "--verify").exit_code == 0


def test_interrupt_exits_4(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.cli.migrate_cmd as cmd

    def interrupted(*_a: Any, **_k: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cmd, "apply", interrupted)
    result = run(make_project(LEGACY))
    assert result.exit_code == 4 and "run the same command to resume" in result.output


def test_verify_failure_exits_1(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    assert run(root).exit_code == 0
    doc = load(root, "sequences/sequence_001.json")
    doc["shots"] = []
    (root / "sequences/sequence_001.json").write_text(json.dumps(doc))
    result = run(root, "--verify")
    assert result.exit_code == 1 and "missing: shot \"a\"" in result.output
    refused = run(root, "--rollback")
    assert refused.exit_code == 1 and "MIGRATE_EDITED_SINCE" in refused.output
    assert run(root, "--rollback", "--force").exit_code == 0


def _batch(tmp_path: Path, make_project: MakeProject) -> list[Path]:
    base = tmp_path / "all"
    paths = []
    for name, doc, seqs in [
        ("a-legacy", LEGACY, None),
        ("b-broken", project_doc(shots=[{"id": "x", "sequencePlanId": "s", "v": 1}]),
         {"sequence_001.json": seq_doc("s", [{"id": "x", "v": 2}])}),
        ("c-nothing", project_doc(storyboard=[{"id": "y"}]), None),
        ("d-legacy", LEGACY, None),
    ]:
        root = make_project(doc, seqs)
        target = base / name
        target.parent.mkdir(exist_ok=True)
        root.rename(target)
        paths.append(target)
    return paths


def test_batch_summary_continue_on_error(tmp_path: Path, make_project: MakeProject) -> None:
    paths = _batch(tmp_path, make_project)
    assert run(paths[3]).exit_code == 0  # already migrated before the batch
    result = run(*paths)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split() == ["project", "status", "detail"]
    status = {Path(line.split()[0]).name: line for line in lines[1:5]}
    assert " migrated " in status["a-legacy"]
    assert " failed " in status["b-broken"] and "MIGRATE_CONFLICT" in status["b-broken"]
    assert " nothing to do " in status["c-nothing"]
    assert " already migrated " in status["d-legacy"]
    assert lines[-1] == "1 migrated, 1 already migrated, 1 nothing to do, 1 failed"


def test_batch_recursive_fail_fast_and_json(tmp_path: Path, make_project: MakeProject) -> None:
    paths = _batch(tmp_path, make_project)
    result = run("--recursive", "--fail-fast", tmp_path / "all")
    assert result.exit_code == 1
    assert "--fail-fast: stopped after 2 of 4 projects." in result.output
    assert load(paths[3], "project.json") == LEGACY  # never reached
    dry = run("-r", "--dry-run", "--format", "json", tmp_path / "all")
    rows = json.loads(dry.output)["projects"]
    assert [(Path(r["project"]).name, r["status"]) for r in rows] == [
        ("a-legacy", "already migrated"), ("b-broken", "failed"),
        ("c-nothing", "nothing to do"), ("d-legacy", "would migrate")]


def test_real_process_exit_codes(make_project: MakeProject) -> None:
    seqcheck = str(Path(sys.executable).with_name("seqcheck"))
    root = make_project(LEGACY)
    env = {**os.environ, "SEQCHECK_MIGRATE_NOW": NOW}
    done = subprocess.run([seqcheck, "migrate", str(root)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    usage = subprocess.run([seqcheck, "migrate", str(root), "--force"], capture_output=True,
                           text=True, env=env, timeout=60)
    assert usage.returncode == 2 and "--force only applies to --rollback" in usage.stderr


def _batch_tree(base: Path) -> Path:
    from tests.migrate.conftest import write_project

    cases: list[tuple[str, Any, Any]] = [
        ("a-legacy", LEGACY, None),
        ("b-conflict", project_doc(shots=[{"id": "x", "sequencePlanId": "s", "v": 1}]),
         {"sequence_001.json": seq_doc("s", [{"id": "x", "v": 2}])}),
        ("c-nothing", project_doc(storyboard=[{"id": "y"}]), None),
        ("d-corrupt", b'{"shots": [', None),
        ("e-legacy", LEGACY, {"sequence_001.json": seq_doc("s", [])}),
        ("f-legacy", project_doc(shots=[{"id": f"s{n}", "sequencePlanId": f"q{n % 3}"}
                                        for n in range(30)]), None),
    ]
    for name, doc, seqs in cases:
        write_project(base / name, doc, seqs)
    return base


def test_parallel_batch_matches_the_serial_run(tmp_path: Path) -> None:
    seqcheck = str(Path(sys.executable).with_name("seqcheck"))
    env = {**os.environ, "SEQCHECK_MIGRATE_NOW": NOW}
    outputs = {}
    # Labels of one length: the text table's column width follows the paths.
    for label, extra in (("serial", []), ("jobs-3", ["-j", "3"])):
        base = _batch_tree(tmp_path / label)
        runs = [subprocess.run([seqcheck, "migrate", "-r", str(base), *args, *extra],
                               capture_output=True, text=True, env=env, timeout=120)
                for args in ([], ["--verify", "--format", "json"])]
        outputs[label] = (
            [(r.returncode, r.stdout.replace(str(base), "BASE")) for r in runs],
            {rel: data for rel, data in tree(base, records=True).items()},
        )
    assert outputs["jobs-3"] == outputs["serial"]
    codes = [code for code, _ in outputs["serial"][0]]
    assert codes == [1, 1]  # the conflict and the corrupt project fail, others pass
    refused = run("-r", "-j", "2", "--fail-fast", tmp_path / "serial")
    assert refused.exit_code == 2 and "--fail-fast needs the serial order" in refused.output
