"""Disk full and read-only folders in the middle of a migration (pyfakefs).

We run as root; ``allow_root_user=False`` makes pyfakefs enforce permissions as for an
ordinary user. After every fault: a clear IO_ERROR (wrapped as MIGRATE_INCOMPLETE
with "completed k of n" once the project was touched), every file whole, every shot
still present, no temp file left in the project, and the same call completes once
the fault is gone, ending exactly where an unfaulted migration ends.
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
from migrate import MigrateCode, MigrateError, apply, verify
from tests.migrate.conftest import NOW, project_doc, seq_doc, tree, write_project

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


def _check_interrupted(err: SeqcheckError, touched: bool) -> None:
    assert err.code is ErrorCode.IO_ERROR, err
    if touched:
        assert isinstance(err, MigrateError) and err.migrate_code is MigrateCode.INCOMPLETE
        assert "run the same command to resume" in err.message
        assert f"completed {err.completed} of {err.total}" in err.message


def test_disk_full_at_every_point_then_rerun(fake_fs: FakeFilesystem,
                                             expected: dict[str, bytes]) -> None:
    original_ids = None
    failures = 0
    extra = 0
    while True:
        shutil.rmtree("/projects", ignore_errors=True)
        root = _make(ROOT)
        original = tree(root)
        original_ids = _shot_ids(root)
        used = sum(len(b) for b in original.values())
        fake_fs.set_disk_usage(used + extra, "/")
        try:
            apply(root, now=NOW, verify_after=False)
        except SeqcheckError as err:
            failures += 1
            touched = (root / ".seqcheck" / "runs" / "0001" / "manifest.json").exists()
            _check_interrupted(err, touched)
            assert "disk is full" in err.message
            assert tree(root)["project.json"] in (original["project.json"],
                                                  expected["project.json"])
            assert _shot_ids(root) == original_ids
            _no_temps(root)
            fake_fs.set_disk_usage(10**9, "/")
            result = apply(root, now=NOW, verify_after=False)
            assert result.state == "migrated"
            assert tree(root, records=True) == expected
            extra += 700
            continue
        assert tree(root, records=True) == expected
        break
    assert failures >= 5  # the sweep hit backup, manifest, step and journal writes


@pytest.mark.parametrize("after_steps", [0, 1, 2, 3])
def test_read_only_folder_in_the_middle_then_rerun(
    fake_fs: FakeFilesystem, expected: dict[str, bytes], after_steps: int
) -> None:
    root = _make(ROOT)
    original = tree(root)

    def freeze(done: int, total: int) -> None:
        if done == after_steps:
            fake_fs.chmod(str(root), 0o555)
            fake_fs.chmod(str(root / "sequences"), 0o555)

    if after_steps == 0:
        freeze(0, 0)
    with pytest.raises(SeqcheckError) as info:
        apply(root, now=NOW, verify_after=False, on_step=freeze)
    err = info.value
    assert err.code is ErrorCode.IO_ERROR and "permission denied" in err.message
    if after_steps:
        _check_interrupted(err, touched=True)
        assert err.completed == after_steps
    else:
        assert tree(root) == original  # nothing could be written at all
    assert tree(root)["project.json"] == original["project.json"]
    _no_temps(root)
    fake_fs.chmod(str(root), 0o755)
    fake_fs.chmod(str(root / "sequences"), 0o755)
    apply(root, now=NOW, verify_after=False)
    assert tree(root, records=True) == expected
    assert verify(root).ok
