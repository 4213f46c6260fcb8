"""Disk full and read-only folders in the middle of a migration (pyfakefs).

We run as root; ``allow_root_user=False`` makes pyfakefs enforce permissions as for an
ordinary user. After every fault: a clear IO_ERROR (wrapped as MIGRATE_INCOMPLETE
with "completed k of n" once the project was touched), every file whole, every shot
still present, no temp file left in the project, and the same call completes once
the fault is gone, ending exactly where an unfaulted migration ends. A clean failure
is undone at once (old layout, exactly, and valid); only when the undo is impossible
too (a read-only folder) is the project left part-way, with the journal to resume.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem
from pyfakefs.fake_filesystem_unittest import Patcher

from conformance import schema_registry
from conformance.errors import ErrorCode, SeqcheckError
from conformance.validate import validate_project
from migrate import MigrateCode, MigrateError, apply, verify
from tests.migrate.conftest import (
    NOW,
    project_doc,
    seq_doc,
    tree,
    without_project_sidecar,
    write_project,
)

ROOT = Path("/projects/p")


def _make(root: Path) -> Path:
    shots = [{"id": f"s{i}", "sequencePlanId": f"seq{i % 3}", "pad": "x" * 300} for i in range(9)]
    return write_project(root, project_doc(shots=shots, storyboard=[{"id": "orphan"}]),
                         {"sequence_001.json": seq_doc("seq0", [{"id": "e"}])})


def _shot_ids(root: Path) -> set[str]:
    found: set[str] = set()
    for raw in tree(root).values():
        doc = json.loads(raw)  # every file is whole: it parses
        for key in ("shots", "storyboard"):
            found.update(s["id"] for s in doc.get(key, []))
    return found


def _no_temps(root: Path) -> None:
    assert [p for p in root.rglob("*.tmp") if ".seqcheck" not in p.parts] == []


@pytest.fixture
def fake_fs() -> Iterator[FakeFilesystem]:
    for name in schema_registry.schema_names():  # load schemas before the fake FS hides them
        schema_registry.fast_validator(name)
        schema_registry.detailed_validator(name)
    with Patcher(allow_root_user=False) as patcher:
        assert patcher.fs is not None
        yield patcher.fs


@pytest.fixture
def expected(fake_fs: FakeFilesystem) -> dict[str, bytes]:
    ref = _make(Path("/reference/p"))
    apply(ref, now=NOW, verify_after=False)
    out = tree(ref, records=True)
    shutil.rmtree("/reference")
    return out


def _after_failure(root: Path, err: SeqcheckError, original: dict[str, bytes],
                   final_project: bytes) -> str:
    """Check the state a failed apply left; return "undone" or "incomplete"."""
    assert err.code is ErrorCode.IO_ERROR, err
    _no_temps(root)
    if isinstance(err, MigrateError) and err.migrate_code is MigrateCode.INCOMPLETE:
        # The undo failed too: every file whole, every shot still present, and the
        # message says how to finish.
        assert f"completed {err.completed} of {err.total}; run the same command" in err.message
        assert tree(root)["project.json"] in (original["project.json"], final_project)
        assert _shot_ids(root) >= _shot_ids_of(original)
        return "incomplete"
    # Undone: the old layout, exactly, and valid.
    assert "the project is unchanged" in err.message
    assert tree(root) == original
    assert not (root / ".seqcheck" / "runs" / "0001").exists()
    assert validate_project(root).ok
    return "undone"


def _shot_ids_of(files: dict[str, bytes]) -> set[str]:
    found: set[str] = set()
    for raw in files.values():
        doc = json.loads(raw)
        for key in ("shots", "storyboard"):
            found.update(s["id"] for s in doc.get(key, []))
    return found


def test_disk_full_at_every_point_then_rerun(fake_fs: FakeFilesystem,
                                             expected: dict[str, bytes]) -> None:
    outcomes: list[str] = []
    extra = 0
    while True:
        shutil.rmtree("/projects", ignore_errors=True)
        root = _make(ROOT)
        original = tree(root)
        used = sum(len(b) for b in original.values())
        fake_fs.set_disk_usage(used + extra, "/")
        try:
            apply(root, now=NOW, verify_after=False)
        except SeqcheckError as err:
            assert "disk is full" in err.message
            outcomes.append(_after_failure(root, err, original, expected["project.json"]))
            fake_fs.set_disk_usage(10**9, "/")
            result = apply(root, now=NOW, verify_after=False)
            assert result.state == "migrated"
            assert tree(root, records=True) == expected
            extra += 700
            continue
        assert tree(root, records=True) == expected
        break
    # The sweep failed in backups, manifest, sequence files and project.json.
    assert outcomes.count("undone") >= 5, outcomes


@pytest.mark.parametrize(
    ("folder", "after_steps", "outcome"),
    [
        ("", 0, "nothing"),  # the lock file cannot even be created
        ("sequences", 0, "undone"),  # the first sequence file fails
        ("", 3, "undone"),  # project.json (the last step) fails; the rest is undone
        ("sequences", 1, "incomplete"),  # the undo cannot remove the created file
        ("sequences", 2, "incomplete"),
    ],
)
def test_read_only_folder_in_the_middle_then_rerun(
    fake_fs: FakeFilesystem, expected: dict[str, bytes], folder: str, after_steps: int,
    outcome: str,
) -> None:
    root = _make(ROOT)
    original = tree(root)
    frozen = root / folder if folder else root

    def freeze(done: int, total: int) -> None:
        if done == after_steps:
            fake_fs.chmod(str(frozen), 0o555)

    if after_steps == 0:
        freeze(0, 0)
    with pytest.raises(SeqcheckError) as info:
        apply(root, now=NOW, verify_after=False, on_step=freeze)
    err = info.value
    assert "permission denied" in err.message
    if outcome == "nothing":
        assert err.code is ErrorCode.IO_ERROR and tree(root, records=True) == original
    else:
        assert _after_failure(root, err, original, expected["project.json"]) == outcome
    if outcome == "incomplete":
        assert isinstance(err, MigrateError) and err.completed == after_steps
    fake_fs.chmod(str(frozen), 0o755)
    apply(root, now=NOW, verify_after=False)
    assert without_project_sidecar(tree(root, records=True)) == \
        without_project_sidecar(expected)
    assert verify(root).ok
