"""File-system faults under pyfakefs: disk full, permission denied, read-only folders,
and Windows' refusal to replace an open file.

We run as root, which ignores mode bits; ``allow_root_user=False`` makes pyfakefs
enforce them as for an ordinary user. Every fault must surface as a SeqcheckError
(IO_ERROR), leave the original bytes intact and leave no temp file behind.
(pyfakefs makes fsync and flock no-ops: durability and locking are tested with real
processes in test_store_processes.py.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem, OSType
from pyfakefs.fake_filesystem_unittest import Patcher

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

PROJECT = "/proj"
SEQ = f"{PROJECT}/sequences/sequence_001.json"
PJ = f"{PROJECT}/project.json"

SEQ_DOC = {
    "id": "001",
    "shots": [{"id": "a", "sequencePlanId": "001", "x-keep": "é"}, {"id": "b"}],
    "metadata": {"created_at": "2026-01-20T10:00:00Z"},
}
PJ_DOC = {"schema_version": "1.0", "project_name": "P", "storyboard": [{"id": "legacy"}]}


@pytest.fixture
def fake_fs() -> Iterator[FakeFilesystem]:
    with Patcher(allow_root_user=False) as patcher:
        assert patcher.fs is not None
        yield patcher.fs


def make(fs: FakeFilesystem, root: str = PROJECT) -> dict[str, bytes]:
    seq = json.dumps(SEQ_DOC).encode()
    pj = json.dumps(PJ_DOC).encode()
    fs.create_file(f"{root}/sequences/sequence_001.json", contents=seq)
    fs.create_file(f"{root}/project.json", contents=pj)
    return {"seq": seq, "pj": pj}


def leftovers(folder: str) -> list[str]:
    return [p.name for p in Path(folder).iterdir() if p.name.endswith(".tmp")]


def fails_with_io_error(call: Any, *args: Any) -> SeqcheckError:
    with pytest.raises(SeqcheckError) as info:
        call(*args)
    assert info.value.code is ErrorCode.IO_ERROR, info.value
    return info.value


def test_disk_full_mid_write(fake_fs: FakeFilesystem) -> None:
    original = make(fake_fs)
    # Room for a fraction of the new file: the temp file's write fails part way.
    fake_fs.set_disk_usage(len(original["seq"]) + len(original["pj"]) + 60)
    store = ReferenceStore(PROJECT)
    err = fails_with_io_error(store.update_shot, "001", "a", {"notes": "x" * 500})
    assert "disk is full" in err.message and err.file == SEQ
    assert Path(SEQ).read_bytes() == original["seq"]
    assert leftovers(f"{PROJECT}/sequences") == []
    # The legacy path, too.
    err = fails_with_io_error(store.update_legacy_shot, "legacy", {"notes": "y" * 500})
    assert err.file == PJ and Path(PJ).read_bytes() == original["pj"]
    assert leftovers(PROJECT) == []
    # Space freed: the same update now succeeds.
    fake_fs.set_disk_usage(10**9)
    assert store.update_shot("001", "a", {"notes": "ok"})["notes"] == "ok"


def test_unreadable_sequence_file_is_io_error_not_corrupt(fake_fs: FakeFilesystem) -> None:
    original = make(fake_fs)
    Path(SEQ).chmod(0o000)
    store = ReferenceStore(PROJECT)
    for call, args in ((store.update_shot, ("001", "a", {"notes": "x"})),
                       (store.get_shots, ("001",)), (store.get_all_sequences, ())):
        err = fails_with_io_error(call, *args)
        assert err.file == SEQ
    Path(SEQ).chmod(0o644)
    assert Path(SEQ).read_bytes() == original["seq"]


def test_read_only_file_is_not_replaced(fake_fs: FakeFilesystem) -> None:
    original = make(fake_fs)
    Path(SEQ).chmod(0o444)
    err = fails_with_io_error(ReferenceStore(PROJECT).update_shot, "001", "a", {"notes": "x"})
    assert "permission denied" in err.message and err.file == SEQ
    assert Path(SEQ).read_bytes() == original["seq"]
    assert stat.S_IMODE(Path(SEQ).stat().st_mode) == 0o444
    assert leftovers(f"{PROJECT}/sequences") == []


def test_read_only_project_json_is_not_replaced(fake_fs: FakeFilesystem) -> None:
    original = make(fake_fs)
    Path(PJ).chmod(0o444)
    err = fails_with_io_error(ReferenceStore(PROJECT).save_shot, "legacy", {"notes": "x"})
    assert err.file == PJ and Path(PJ).read_bytes() == original["pj"]


def test_read_only_folder_without_lock_file(fake_fs: FakeFilesystem) -> None:
    original = make(fake_fs)
    Path(f"{PROJECT}/sequences").chmod(0o555)
    err = fails_with_io_error(ReferenceStore(PROJECT).update_shot, "001", "a", {"notes": "x"})
    assert err.file == f"{PROJECT}/sequences/.sequence_001.json.lock"
    assert "permission denied" in err.message
    assert Path(SEQ).read_bytes() == original["seq"]
    assert sorted(p.name for p in Path(f"{PROJECT}/sequences").iterdir()) == ["sequence_001.json"]


def test_read_only_folder_with_existing_lock_file(fake_fs: FakeFilesystem) -> None:
    original = make(fake_fs)
    fake_fs.create_file(f"{PROJECT}/sequences/.sequence_001.json.lock")
    Path(f"{PROJECT}/sequences").chmod(0o555)
    # The lock is taken; creating the temp file beside the target is what fails.
    err = fails_with_io_error(ReferenceStore(PROJECT).update_shot, "001", "a", {"notes": "x"})
    assert err.file == SEQ and "temp file" in err.message
    assert Path(SEQ).read_bytes() == original["seq"]
    assert leftovers(f"{PROJECT}/sequences") == []


def test_unlistable_sequences_folder(fake_fs: FakeFilesystem) -> None:
    make(fake_fs)
    Path(f"{PROJECT}/sequences").chmod(0o000)
    store = ReferenceStore(PROJECT)
    for call, args in ((store.get_shots, ("001",)), (store.get_all_sequences, ())):
        err = fails_with_io_error(call, *args)
        assert err.file == f"{PROJECT}/sequences"


def test_replacement_keeps_the_file_mode(fake_fs: FakeFilesystem) -> None:
    make(fake_fs)
    Path(SEQ).chmod(0o640)
    ReferenceStore(PROJECT).update_shot("001", "a", {"notes": "x"})
    assert stat.S_IMODE(Path(SEQ).stat().st_mode) == 0o640
    assert json.loads(Path(SEQ).read_bytes())["shots"][0]["notes"] == "x"


# -- Windows: os.replace onto a file another process holds open ----------------------


class SleepLog:
    """Stands in for time.sleep in conformance.projectfs: records, optionally acts."""

    def __init__(self, on_call: dict[int, Any] | None = None) -> None:
        self.delays: list[float] = []
        self.on_call = on_call or {}

    def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        action = self.on_call.get(len(self.delays))
        if action is not None:
            action()


@contextlib.contextmanager
def windows_fs(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFilesystem]:
    """A fake file system with Windows semantics, also for conformance.projectfs's os checks.

    pyfakefs keeps ``os.name == "posix"``; projectfs must see "nt" to skip the
    folder fsync (folders cannot be opened on Windows), as on a real Windows box.
    Tests collect results inside and assert after leaving: pytest cannot format a
    failure while the emulation is active.
    """
    with Patcher(allow_root_user=False) as patcher, monkeypatch.context() as m:
        assert patcher.fs is not None
        patcher.fs.os = OSType.WINDOWS
        m.setattr("conformance.projectfs.os.name", "nt")
        yield patcher.fs


def test_windows_open_target_retried_then_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    with windows_fs(monkeypatch) as fs:
        root = "C:/proj"
        make(fs, root)
        target = f"{root}/sequences/sequence_001.json"
        holder = Path(target).open("rb")  # e.g. a virus scanner holds it  # noqa: SIM115
        sleeps = SleepLog({3: holder.close})  # the holder lets go during the third wait
        monkeypatch.setattr("conformance.projectfs.time.sleep", sleeps)
        notes = ReferenceStore(root).update_shot("001", "a", {"notes": "x"})["notes"]
        on_disk = json.loads(Path(target).read_bytes())["shots"][0]["notes"]
        left = leftovers(f"{root}/sequences")
    assert notes == on_disk == "x"
    assert sleeps.delays == [0.01, 0.02, 0.04]
    assert left == []


def test_windows_open_target_past_the_retry_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    with windows_fs(monkeypatch) as fs:
        root = "C:/proj"
        original = make(fs, root)
        target = f"{root}/sequences/sequence_001.json"
        sleeps = SleepLog()
        monkeypatch.setattr("conformance.projectfs.time.sleep", sleeps)
        with Path(target).open("rb"), pytest.raises(SeqcheckError) as info:
            ReferenceStore(root).update_shot("001", "a", {"notes": "x"})
        after = Path(target).read_bytes()
        left = leftovers(f"{root}/sequences")
    assert info.value.code is ErrorCode.IO_ERROR
    assert "another program kept the file open" in info.value.message
    # Bounded: a fixed number of doubling waits, about 2.5 s in all.
    assert len(sleeps.delays) == 8
    assert all(b == 2 * a for a, b in zip(sleeps.delays, sleeps.delays[1:], strict=False))
    assert 2 < sum(sleeps.delays) < 3
    assert after == original["seq"]
    assert left == []


def test_replace_permission_error_on_real_fs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kit: Any
) -> None:
    """The same retry with os.replace itself failing N times (no emulation involved)."""
    root = kit.build_project(tmp_path / "p", {"sequences/sequence_001.json": SEQ_DOC})
    real_replace = os.replace
    failures = {"left": 2}

    def flaky_replace(src: Any, dst: Any, **dir_fds: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise PermissionError(errno.EACCES, "held open by another process")
        real_replace(src, dst, **dir_fds)

    monkeypatch.setattr("conformance.projectfs.os.replace", flaky_replace)
    sleeps = SleepLog()
    monkeypatch.setattr("conformance.projectfs.time.sleep", sleeps)
    ReferenceStore(root).update_shot("001", "b", {"notes": "after two refusals"})
    assert sleeps.delays == [0.01, 0.02]
    doc = json.loads((root / "sequences/sequence_001.json").read_bytes())
    assert doc["shots"][1]["notes"] == "after two refusals"
    assert not list((root / "sequences").glob("*.tmp"))
