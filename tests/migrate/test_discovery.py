"""Which projects ``seqcheck migrate`` works on: the same rule, dedup and errors as
``seqcheck validate`` (one discovery, conformance.validate.discovery)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from conformance.cli.main import cli
from conformance.errors import ErrorCode, SeqcheckError
from conformance.validate.discovery import resolve_projects
from migrate import discover
from tests.migrate.conftest import NOW, MakeProject, project_doc, tree

LEGACY = project_doc(shots=[{"id": "a", "sequencePlanId": "s"}])


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["migrate", *map(str, args)],
                              env={"SEQCHECK_MIGRATE_NOW": NOW})


def test_discover_is_validates_discovery(make_project: MakeProject, tmp_path: Path) -> None:
    a, b = make_project(LEGACY), make_project(LEGACY)
    alias = tmp_path / "alias"
    alias.symlink_to(a, target_is_directory=True)
    given = [a, a / "project.json", alias, b, tmp_path]
    assert discover(given[:4], recursive=False) == [a, b]
    assert discover(given[:4], recursive=False) == resolve_projects(given[:4], recursive=False)
    assert discover([tmp_path, a], recursive=True) == [a, b]


def test_a_project_json_path_migrates_its_project(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    result = run(root / "project.json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["project"] == str(root)
    assert (root / "sequences" / "sequence_001.json").is_file()


def test_a_path_that_is_no_project_stops_the_batch_before_any_write(
    make_project: MakeProject, tmp_path: Path
) -> None:
    root = make_project(LEGACY)
    before = tree(root, records=True)
    missing = tmp_path / "nope"
    result = run(root, missing, "--format", "json")
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)
    assert doc["kind"] == "error" and doc["error"]["code"] == ErrorCode.PROJECT_NOT_FOUND.value
    assert json.dumps(str(missing)) in doc["error"]["message"]
    assert tree(root, records=True) == before  # the good project was not migrated first


def test_recursive_without_projects_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    try:
        discover([tmp_path / "empty"], recursive=True)
    except SeqcheckError as exc:
        assert exc.code is ErrorCode.PROJECT_NOT_FOUND
        assert json.dumps(str(tmp_path / "empty")) in exc.message
    else:
        raise AssertionError("expected PROJECT_NOT_FOUND")
    assert list((tmp_path / "empty").iterdir()) == []
