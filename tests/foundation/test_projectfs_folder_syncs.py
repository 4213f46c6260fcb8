"""conformance.projectfs.FolderSyncs: deferred folder fsyncs of write_atomic.

Counted on the real system calls: with ``folder_syncs`` a write fsyncs its file but
not its folder; ``flush`` fsyncs each distinct folder written into exactly once (the
folder a link leads to, not the link's); a failed flush is ``IO_ERROR`` naming the
folder and keeps it pending.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import FolderSyncs, ProjectFS

Synced = list[tuple[str, int]]  # ("file" or "folder", inode)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    (project / "sequences").mkdir(parents=True)
    (project / "other").mkdir()
    (project / "project.json").write_bytes(b"pj")
    return project


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> Synced:
    calls: Synced = []
    real: Callable[[int], None] = os.fsync

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        calls.append(("folder" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_deferred_writes_fsync_files_then_each_folder_once(root: Path, synced: Synced) -> None:
    fs = ProjectFS(root)
    with FolderSyncs() as syncs:
        for n in range(3):
            fs.write_atomic(f"sequences/sequence_00{n}.json", b"x%d" % n, folder_syncs=syncs)
        fs.write_atomic("project.json", b"new", folder_syncs=syncs)
        assert [kind for kind, _ in synced] == ["file"] * 4
        assert len(syncs) == 2
        syncs.flush()
        assert len(syncs) == 0
    folders = sorted(ino for kind, ino in synced if kind == "folder")
    assert folders == sorted([(root / "sequences").stat().st_ino, root.stat().st_ino])
    assert [(root / "sequences" / f"sequence_00{n}.json").read_bytes() for n in range(3)] \
        == [b"x0", b"x1", b"x2"]
    assert (root / "project.json").read_bytes() == b"new"


def test_a_write_through_an_inside_link_syncs_the_folder_it_lands_in(
    root: Path, synced: Synced
) -> None:
    (root / "other" / "real.json").write_bytes(b"old")
    (root / "sequences" / "sequence_001.json").symlink_to("../other/real.json")
    fs = ProjectFS(root)
    with FolderSyncs() as syncs:
        fs.write_atomic("sequences/sequence_001.json", b"via link", folder_syncs=syncs)
        syncs.flush()
    assert [ino for kind, ino in synced if kind == "folder"] == [(root / "other").stat().st_ino]
    assert (root / "other" / "real.json").read_bytes() == b"via link"


def test_open_folder_writes_defer_too(root: Path, synced: Synced) -> None:
    with FolderSyncs() as syncs, ProjectFS(root).open_folder("sequences") as folder:
        folder.write_atomic("sequence_001.json", b"a", folder_syncs=syncs)
        folder.write_atomic("sequence_002.json", b"b", folder_syncs=syncs)
        assert [kind for kind, _ in synced] == ["file", "file"]
        syncs.flush()
    assert [kind for kind, _ in synced] == ["file", "file", "folder"]


def test_a_failed_flush_is_io_error_naming_the_folder_and_stays_pending(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = ProjectFS(root)
    with FolderSyncs() as syncs:
        fs.write_atomic("sequences/sequence_001.json", b"a", folder_syncs=syncs)
        real = os.fsync

        def failing(fd: int) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(os, "fsync", failing)
        with pytest.raises(SeqcheckError) as caught:
            syncs.flush()
        assert caught.value.code is ErrorCode.IO_ERROR
        assert caught.value.file == str(root / "sequences")
        assert "could not flush the folder to disk" in caught.value.message
        assert "\"Input/output error\", EIO" in caught.value.message
        assert len(syncs) == 1
        monkeypatch.setattr(os, "fsync", real)
        syncs.flush()
        assert len(syncs) == 0


def test_without_folder_syncs_every_write_fsyncs_its_folder(root: Path, synced: Synced) -> None:
    fs = ProjectFS(root)
    fs.write_atomic("sequences/sequence_001.json", b"a")
    fs.write_atomic("sequences/sequence_002.json", b"b")
    assert [kind for kind, _ in synced] == ["file", "folder", "file", "folder"]


def test_add_folder_sync_adds_the_folder_of_a_file_in_place(root: Path, synced: Synced) -> None:
    (root / "sequences" / "sequence_001.json").write_bytes(b"in place")
    with FolderSyncs() as syncs:
        ProjectFS(root).add_folder_sync("sequences/sequence_001.json", syncs)
        assert synced == [] and len(syncs) == 1
        syncs.flush()
    assert synced == [("folder", (root / "sequences").stat().st_ino)]
