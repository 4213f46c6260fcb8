"""Issue 13: a hostile project folder or run record never reaches outside the project.

Each attack of the issue is reproduced with a canary folder *outside* the project,
whose bytes and listing must be unchanged afterwards, and the user must get a clear
error (exit code and message) instead of "Rolled back" / "Migrated".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.cli.main import cli
from conformance.errors import ErrorCode, SeqcheckError
from migrate import MigrateCode, MigrateError, apply, plan, rollback, verify
from tests.migrate.conftest import (
    NOW,
    listing,
    patch_project_writes,
    project_doc,
    seq_doc,
    tree,
    write_project,
)

MANIFEST = ".seqcheck/runs/0001/manifest.json"
JOURNAL = ".seqcheck/runs/0001/journal.json"


def run_cli(*args: Any) -> Result:
    return CliRunner().invoke(cli, ["migrate", *map(str, args)],
                              env={"SEQCHECK_MIGRATE_NOW": NOW})


def _canary(tmp_path: Path) -> Path:
    canary = tmp_path / "victim_home"
    (canary / "2024").mkdir(parents=True)
    (canary / "important.txt").write_bytes(b"the user's data\n")
    (canary / "2024" / "holiday.jpg").write_bytes(b"\xff\xd8 jpeg bytes")
    return canary


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def canary(tmp_path: Path) -> Callable[[], None]:
    """The outside folder; calling the fixture asserts it is unchanged."""
    folder = _canary(tmp_path)
    before = _snapshot(folder)

    def unchanged() -> None:
        assert _snapshot(folder) == before

    unchanged.folder = folder  # type: ignore[attr-defined]
    return unchanged


def _migrated(tmp_path: Path) -> Path:
    root = write_project(
        tmp_path / "p",
        project_doc(shots=[{"id": "a", "sequencePlanId": "s"}, {"id": "b", "sequence_id": "t"}]),
        {"sequence_001.json": seq_doc("s", [])},
    )
    apply(root, now=NOW)
    return root


def _edit_manifest(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / MANIFEST
    doc = json.loads(path.read_bytes())
    change(doc)
    path.write_text(json.dumps(doc, indent=2), "utf-8")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- 1. crafted run records ------------------------------------------------------------

@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("kind", ["dotdot", "absolute"])
def test_a_crafted_step_path_never_writes_or_deletes_outside(
    tmp_path: Path, canary: Any, kind: str, force: bool
) -> None:
    root = _migrated(tmp_path)
    outside = canary.folder
    planted = b"attacker bytes\n"
    important = (outside / "important.txt").read_bytes()
    plant = "../victim_home/planted.txt" if kind == "dotdot" else str(outside / "planted.txt")
    victim = "../victim_home/important.txt" if kind == "dotdot" \
        else str(outside / "important.txt")

    def tamper(doc: dict[str, Any]) -> None:
        doc["inputs"][plant] = {"sha256": _sha(planted), "size": len(planted)}
        doc["steps"].insert(0, {"path": plant, "action": "merge",
                                "original_sha256": _sha(planted), "result_sha256": "0" * 64})
        doc["steps"].insert(0, {"path": victim, "action": "create", "original_sha256": None,
                                "result_sha256": _sha(important)})

    _edit_manifest(root, tamper)
    (root / ".seqcheck/runs/0001/backup").joinpath("planted.txt").write_bytes(planted)
    before = listing(root)
    records = tree(root, records=True)
    result = run_cli(root, "--rollback", *(["--force"] if force else []))
    assert result.exit_code == 3, result.output
    assert "MIGRATE_BAD_RECORD" in result.output and "manifest.json at /inputs/" in result.output
    assert "Rolled back" not in result.output
    canary()
    assert listing(root) == before and tree(root, records=True) == records


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        # Inside the project but not a file a run writes.
        (lambda d: d["steps"][0].update(path="notes.txt"), "/steps/0/path"),
        (lambda d: d["steps"][0].update(path="sequences/../project.json"), "/steps/0/path"),
        (lambda d: d["steps"][0].update(path="sequences//sequence_002.json"), "/steps/0/path"),
        (lambda d: d["steps"][0].update(path=".seqcheck/runs/0001/manifest.json"),
         "/steps/0/path"),
        # A "created" file that the run backed up (it existed: deleting it loses it).
        (lambda d: d["steps"][0].update(path="sequences/sequence_001.json"),
         "/steps/0/original_sha256"),
        # The five shapes that ended in a traceback before.
        (lambda d: d.update(steps={"path": "x"}), "/steps"),
        (lambda d: d["steps"].append("sequences/sequence_009.json"), "/steps/3"),
        (lambda d: d["steps"][0].pop("result_sha256"), "/steps/0"),
        (lambda d: d.update(inputs=[]), "/inputs"),
        (lambda d: d.update(options="--force"), "/options"),
        (lambda d: d.update(run=7), "/run"),
    ],
)
def test_a_tampered_manifest_is_bad_record_with_its_location(
    tmp_path: Path, canary: Any, change: Callable[[dict[str, Any]], None], pointer: str
) -> None:
    root = _migrated(tmp_path)
    _edit_manifest(root, change)
    before = tree(root, records=True)
    for args in (["--rollback"], ["--rollback", "--force"], [], ["--verify"], ["--dry-run"]):
        result = run_cli(root, *args)
        assert result.exit_code == 3, (args, result.output)
        assert "MIGRATE_BAD_RECORD" in result.output, result.output
        assert f"manifest.json at {pointer}]" in result.output, result.output
        assert "Traceback" not in result.output
    assert tree(root, records=True) == before
    canary()


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        (b'{"format": 1, "state": "done", "completed": 9, "total": 3, "sidecars": []}',
         "/completed"),
        (b'{"format": 1, "state": "done", "completed": 2, "total": 2, "sidecars": []}',
         "/total"),
        (b'{"format": 1, "state": "done", "completed": 3, "total": 3, '
         b'"sidecars": ["../victim_home/important.txt"]}', "/sidecars/0"),
        (b'{"format": 1, "state": "done", "completed": 3, "total": 3, '
         b'"sidecars": ["sequences/.sequence_002.json.lock"]}', "/sidecars/0"),
        (b'{"format": 1, "state": "in-progress", "completed": "1", "total": 3, '
         b'"sidecars": []}', "/completed"),
        (b"[1, 2", ""),
    ],
)
def test_a_tampered_journal_is_bad_record(tmp_path: Path, canary: Any, raw: bytes,
                                          pointer: str) -> None:
    root = _migrated(tmp_path)
    (root / JOURNAL).write_bytes(raw)
    with pytest.raises(MigrateError) as info:
        rollback(root, force=True)
    assert info.value.migrate_code is MigrateCode.BAD_RECORD
    assert info.value.file == str(root / JOURNAL)
    if pointer:
        assert info.value.pointer == pointer
    canary()


_TRICKY_PATHS = st.sampled_from([
    "../x", "/etc/passwd", "sequences/../../x", "a//b", "./project.json", "sequences/",
    "C:\\x", "sequences\\..\\x", "project.json\x00", "\u2028", "", ".", "..",
    "sequences/.sequence_001.json.lock", "sequences/sequence_001.json",
    "sequences/sequence_002.json", "project.json", "sequences/x/y.json",
])
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 10**20), st.text(max_size=5),
                    _TRICKY_PATHS, st.lists(_TRICKY_PATHS, max_size=2),
                    st.dictionaries(_TRICKY_PATHS, st.integers(), max_size=2))


def _mutations() -> st.SearchStrategy[list[tuple[list[str | int], Any]]]:
    where = st.sampled_from([
        ["steps", 0, "path"], ["steps", 1, "path"], ["steps", 0, "original_sha256"],
        ["steps", 2, "action"], ["inputs"], ["created_dirs"], ["created_dirs", 0],
        ["sidecars"], ["format"], ["run"], ["steps"], ["options", "orphans"], ["counts"],
        ["migrated_at"], ["tool"],
    ])
    return st.lists(st.tuples(where, _VALUES), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _migrated(tmp_path_factory.mktemp("template"))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=_mutations())
def test_fuzzed_manifests_never_crash_nor_touch_outside(
    tmp_path: Path, migrated_template: Path, mutations: list[tuple[list[str | int], Any]]
) -> None:
    work = tmp_path / "fuzz"
    shutil.rmtree(work, ignore_errors=True)
    canary_dir = _canary(work)
    canary_before = _snapshot(canary_dir)
    root = work / "p"
    shutil.copytree(migrated_template, root)

    def has(target: Any, key: str | int) -> bool:
        if isinstance(target, dict):
            return isinstance(key, str)
        return isinstance(target, list) and isinstance(key, int) and key < len(target)

    def mutate(doc: dict[str, Any]) -> None:
        for path, value in mutations:
            target: Any = doc
            for key in path[:-1]:
                if not has(target, key) or (isinstance(target, dict) and key not in target):
                    return
                target = target[key]
            if has(target, path[-1]):
                target[path[-1]] = value

    _edit_manifest(root, mutate)
    for operation in (lambda: rollback(root, force=True), lambda: verify(root),
                      lambda: plan(root), lambda: apply(root, now=NOW)):
        # A clear error is fine; any other exception fails the test.
        with contextlib.suppress(SeqcheckError):
            operation()
    assert _snapshot(canary_dir) == canary_before


# -- 2. .seqcheck / runs as links out ----------------------------------------------------

@pytest.mark.parametrize("link", [".seqcheck", ".seqcheck/runs"])
def test_a_records_folder_linking_out_is_refused(tmp_path: Path, canary: Any,
                                                 link: str) -> None:
    root = write_project(tmp_path / "p", project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]))
    outside = canary.folder
    (root / ".seqcheck").mkdir(exist_ok=link != ".seqcheck")
    if link == ".seqcheck":
        (root / ".seqcheck").rmdir()
        (outside / "runs").mkdir()
        (outside / "runs" / "2024").mkdir()
        (outside / "runs" / "2024" / "holiday.jpg").write_bytes(b"jpeg")
        canary_before = _snapshot(outside)
        (root / ".seqcheck").symlink_to(outside)
    else:
        (outside / "2025").mkdir()
        canary_before = _snapshot(outside)
        (root / ".seqcheck" / "runs").symlink_to(outside)
    before = listing(root)
    for args in ([], ["--rollback"], ["--verify"], ["--dry-run"]):
        result = run_cli(root, *args)
        assert result.exit_code == 3, (args, result.output)
        assert "MIGRATE_BAD_RECORD" in result.output and "found a link" in result.output
        assert json.dumps(link) in result.output
    assert _snapshot(outside) == canary_before
    assert listing(root) == before


# -- 3.-5. project files and sidecars linking out --------------------------------------------

def _link_project(tmp_path: Path, outside: Path, what: str) -> Path:
    root = write_project(tmp_path / "p", project_doc(shots=[{"id": "a", "sequencePlanId": "s"},
                                                            {"id": "b", "sequencePlanId": "001"}]),
                         {"sequence_001.json": seq_doc("001", [])})
    if what == "sequences":
        shutil.move(root / "sequences", outside / "seqs")
        (root / "sequences").symlink_to(outside / "seqs")
    elif what == "sequence file":
        shutil.move(root / "sequences/sequence_001.json", outside / "sequence_001.json")
        (root / "sequences/sequence_001.json").symlink_to(outside / "sequence_001.json")
    elif what == "project.json":
        shutil.move(root / "project.json", outside / "project.json")
        (root / "project.json").symlink_to(outside / "project.json")
    elif what == "project sidecar":
        (root / ".project.json.lock").symlink_to(outside / "planted.lock")
    elif what == "sequence sidecar":
        (root / "sequences/.sequence_001.json.lock").symlink_to(outside / "planted.lock")
    return root


@pytest.mark.parametrize(
    ("what", "named"),
    [("sequences", "sequences"), ("sequence file", "sequences/sequence_001.json"),
     ("project.json", "project.json"), ("project sidecar", ".project.json.lock"),
     ("sequence sidecar", "sequences/.sequence_001.json.lock")],
)
def test_migrate_never_follows_a_link_out(tmp_path: Path, what: str, named: str) -> None:
    outside = _canary(tmp_path)
    root = _link_project(tmp_path, outside, what)
    canary_before = _snapshot(outside)
    before = listing(root)
    for args in (["--dry-run"], [], ["--verify"]):
        result = run_cli(root, *args)
        if what.endswith("sidecar") and args != []:
            continue  # reading never takes a lock
        assert result.exit_code != 0, (args, result.output)
        assert "symbolic link" in result.output, result.output
        if args != ["--verify"]:  # verify reports it as a problem of the layout
            assert "CORRUPT_FILE" in result.output, result.output
        assert json.dumps(named) in result.output or named in result.output
        assert "Migrated" not in result.output
    assert _snapshot(outside) == canary_before
    assert listing(root) == before
    assert not (root / ".seqcheck").exists()  # no backup copies of outside content


# -- the writers and the published schemas agree ---------------------------------------------

@pytest.mark.parametrize(
    ("project", "sequences", "options"),
    [
        (project_doc(shots=[{"id": "a", "sequencePlanId": "s"}, {"id": "b", "sequence_id": "t"}],
                     storyboard=[{"id": "c"}]), {"sequence_001.json": seq_doc("s", [])}, {}),
        (project_doc(shots=[{"id": "a", "sequencePlanId": "new"}]), None, {}),
        (project_doc(shots=[{"id": "o"}]), None, {"orphans": "kept"}),
    ],
)
def test_every_record_the_migrator_writes_is_valid_against_its_schema(
    tmp_path: Path, project: Any, sequences: Any, options: dict[str, Any]
) -> None:
    from conformance import schema_registry
    from migrate import Options
    from migrate.runs import all_runs

    root = write_project(tmp_path / "p", project, sequences)
    apply(root, Options(**options), now=NOW)
    apply(root, Options(**options), now=NOW)  # no-op: no second run
    rollback(root)
    apply(root, Options(**options), now=NOW)
    names = {"manifest.json": "migration-run-manifest", "journal.json": "migration-run-journal",
             "rollback.json": "migration-run-rollback"}
    seen = set()
    for record in sorted((root / ".seqcheck/runs").glob("*/*.json")):
        doc = json.loads(record.read_bytes())
        assert schema_registry.first_error(names[record.name], doc) is None, record
        seen.add((record.parent.name, record.name))
    assert seen == {("0001", "manifest.json"), ("0001", "journal.json"),
                    ("0001", "rollback.json"), ("0002", "manifest.json"),
                    ("0002", "journal.json")}
    assert [r.number for r in all_runs(root)] == [1, 2]  # and they pass the cross-checks


def test_a_step_that_removes_a_file_is_recorded_undone_and_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps without data remove a file (``--repair`` of SequenceService files): the
    records accept them, a clean failure and a rollback give the file back."""
    import importlib

    from migrate.model import FileChange, StepAction

    apply_module = importlib.import_module("migrate.apply")
    real_plan = apply_module.make_plan
    extra = b'{"id": "t", "name": "T", "order": 2, "shots": []}\n'

    def with_removal(*args: Any, **kwargs: Any) -> Any:
        plan_ = real_plan(*args, **kwargs)
        removal = FileChange("sequences/sequence_009.json", StepAction.REMOVE, "t", 0, 0,
                             data=None, original=extra)
        plan_.steps.insert(len(plan_.steps) - 1, removal)
        return plan_

    root = write_project(tmp_path / "p", project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]),
                         {"sequence_009.json": extra})
    original = listing(root)
    monkeypatch.setattr(apply_module, "make_plan", with_removal)
    apply(root, now=NOW, verify_after=False)
    assert not (root / "sequences/sequence_009.json").exists()
    manifest = json.loads((root / MANIFEST).read_bytes())
    assert {"path": "sequences/sequence_009.json", "action": "remove",
            "original_sha256": _sha(extra), "result_sha256": None} in manifest["steps"]
    assert sorted(manifest["sidecars"]) == [".project.json.lock"]  # no lock for a removal
    rollback(root)
    assert listing(root) == original
    # A clean failure at the last step (project.json) undoes the removal too.
    patch_project_writes(monkeypatch, lambda _n, rel: SeqcheckError(
        ErrorCode.IO_ERROR, "the disk is full.", file=rel) if rel == "project.json" else None)
    with pytest.raises(SeqcheckError) as info:
        apply(root, now=NOW, verify_after=False)
    assert "the project is unchanged" in info.value.message
    assert listing(root) == original


def test_history_lists_a_damaged_run_and_prune_never_deletes_it(tmp_path: Path,
                                                                 canary: Any) -> None:
    root = _migrated(tmp_path)
    _edit_manifest(root, lambda d: d["steps"][0].update(path="../victim_home/important.txt"))
    result = run_cli(root, "--history", "--format", "json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["runs"]
    assert entry["status"] == "damaged" and "/steps/0/path" in entry["problem"]
    refused = run_cli(root, "--prune", "--run", "1")
    assert refused.exit_code == 1 and "MIGRATE_NOT_PRUNABLE" in refused.output
    assert run_cli(root, "--prune", "--keep", "0").exit_code == 0
    assert (root / MANIFEST).exists()  # not provably ours: kept
    canary()


def test_a_backup_linking_out_is_bad_record(tmp_path: Path, canary: Any) -> None:
    root = _migrated(tmp_path)
    backup = root / ".seqcheck/runs/0001/backup/project.json"
    backup.unlink()
    backup.symlink_to(canary.folder / "important.txt")
    before = listing(root)
    result = run_cli(root, "--rollback", "--force")
    assert result.exit_code == 3 and "MIGRATE_BAD_RECORD" in result.output, result.output
    assert "outside the project" in result.output
    assert listing(root) == before
    canary()


_JOURNAL_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 2**70), st.text(max_size=4),
    st.sampled_from(["done", "in-progress", ".project.json.lock"]),
    st.lists(_TRICKY_PATHS | st.sampled_from([".project.json.lock", "/tmp/x.lock"]),
             max_size=3))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(
    st.sampled_from(["format", "state", "completed", "total", "sidecars", "extra"]),
    _JOURNAL_VALUES, min_size=1, max_size=3))
def test_fuzzed_journals_never_crash_nor_touch_outside(
    tmp_path: Path, migrated_template: Path, changes: dict[str, Any]
) -> None:
    work = tmp_path / "fuzz-journal"
    shutil.rmtree(work, ignore_errors=True)
    canary_dir = _canary(work)
    canary_before = _snapshot(canary_dir)
    root = work / "p"
    shutil.copytree(migrated_template, root)
    doc = json.loads((root / JOURNAL).read_bytes())
    doc.update(changes)
    (root / JOURNAL).write_text(json.dumps(doc), "utf-8")
    for operation in (lambda: rollback(root, force=True), lambda: verify(root),
                      lambda: plan(root), lambda: apply(root, now=NOW)):
        with contextlib.suppress(SeqcheckError):  # any other exception fails the test
            operation()
    assert _snapshot(canary_dir) == canary_before
