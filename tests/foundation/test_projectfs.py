"""conformance.projectfs: the one path policy, call by call.

Each public call on a real file system: what it returns, what it refuses (code and
file), and that a refusal changed nothing. The security tests (tests/security) run
the same policy through the store and validate against hostile trees.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import (
    DirEntry,
    EntryKind,
    LinkOutError,
    NotRegularFileError,
    ProjectFS,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    (project / "sequences").mkdir(parents=True)
    (project / "sequences" / "sequence_001.json").write_bytes(b"one")
    (project / "project.json").write_bytes(b"pj")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_bytes(b"secret")
    return project


def names(folder: Path) -> list[str]:
    """The entry names of ``folder``, sorted."""
    return sorted(p.name for p in folder.iterdir())


def corrupt(call: object, file: Path) -> SeqcheckError:
    with pytest.raises(SeqcheckError) as info:
        call()  # type: ignore[operator]
    assert info.value.code is ErrorCode.CORRUPT_FILE, info.value
    assert info.value.file == str(file), info.value
    return info.value


# -- paths -----------------------------------------------------------------------------


def test_paths_relative_absolute_and_built_from_a_relative_root(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = ProjectFS(root)
    for rel in ("sequences/sequence_001.json", PurePosixPath("sequences/sequence_001.json"),
                root / "sequences" / "sequence_001.json", "./sequences//sequence_001.json"):
        assert fs.read_bytes(rel) == b"one"
    monkeypatch.chdir(root.parent)
    relative = ProjectFS("p")
    assert relative.read_bytes(Path("p") / "sequences" / "sequence_001.json") == b"one"
    assert relative.read_bytes("sequences/sequence_001.json") == b"one"
    assert relative.path("project.json") == Path("p/project.json")


def test_dotdot_and_outside_paths_are_refused_before_any_access(root: Path) -> None:
    fs = ProjectFS(root)
    for bad in ("../outside/secret", "sequences/../../outside/secret",
                root.parent / "outside" / "secret", "/etc/passwd"):
        with pytest.raises(SeqcheckError) as info:
            fs.read_bytes(bad)
        assert info.value.code is ErrorCode.CORRUPT_FILE
        assert "never leaves the project" in info.value.message
    with pytest.raises(SeqcheckError):
        fs.write_atomic("../outside/planted", b"x")
    assert not (root.parent / "outside" / "planted").exists()


# -- links -----------------------------------------------------------------------------


def test_inside_links_are_followed_outside_links_refused(root: Path) -> None:
    seqs = root / "sequences"
    (seqs / "rel.json").symlink_to("sequence_001.json")
    (seqs / "abs.json").symlink_to(seqs / "sequence_001.json")
    (root / "alias").symlink_to("sequences")
    (seqs / "up.json").symlink_to("../project.json")
    fs = ProjectFS(root)
    assert fs.read_bytes("sequences/rel.json") == b"one"
    assert fs.read_bytes("sequences/abs.json") == b"one"
    assert fs.read_bytes("alias/sequence_001.json") == b"one"
    assert fs.read_bytes("sequences/up.json") == b"pj"
    assert fs.resolve("alias/rel.json") == root / "sequences" / "sequence_001.json"
    (seqs / "out.json").symlink_to("../../outside/secret")
    (root / "outdir").symlink_to(root.parent / "outside")
    err = corrupt(lambda: fs.read_bytes("sequences/out.json"), seqs / "out.json")
    assert isinstance(err, LinkOutError) and err.target == "../../outside/secret"
    corrupt(lambda: fs.read_bytes("outdir/secret"), root / "outdir")
    corrupt(lambda: fs.list_dir("outdir"), root / "outdir")


def test_real_root_path_counts_as_inside(tmp_path: Path) -> None:
    """A project reached through a link: absolute links to its real path are inside."""
    real = tmp_path / "real"
    (real / "sequences").mkdir(parents=True)
    (real / "sequences" / "a.json").write_bytes(b"a")
    (real / "b.json").symlink_to(real / "sequences" / "a.json")
    (tmp_path / "via").symlink_to(real)
    assert ProjectFS(tmp_path / "via").read_bytes("b.json") == b"a"


def test_loops_dangling_and_folder_links(root: Path) -> None:
    seqs = root / "sequences"
    (seqs / "loop1").symlink_to("loop2")
    (seqs / "loop2").symlink_to("loop1")
    (seqs / "dangling").symlink_to("nothing-here")
    (seqs / "self-folder").symlink_to(".")
    fs = ProjectFS(root)
    with pytest.raises(SeqcheckError) as loop:
        fs.read_bytes("sequences/loop1")
    assert loop.value.code is ErrorCode.CORRUPT_FILE and "loop" in loop.value.message
    assert loop.value.file in (str(seqs / "loop1"), str(seqs / "loop2"))
    with pytest.raises(FileNotFoundError):
        fs.read_bytes("sequences/dangling")
    assert fs.read_bytes_or_none("sequences/dangling") is None
    with pytest.raises(NotRegularFileError) as info:
        fs.read_bytes("sequences/self-folder")
    assert info.value.kind is EntryKind.FOLDER
    assert [e.name for e in fs.list_dir("sequences/self-folder")] == sorted(
        names(seqs)
    )


def test_a_file_where_a_folder_should_be(root: Path) -> None:
    fs = ProjectFS(root)
    err = corrupt(lambda: fs.read_bytes("project.json/x"), root / "project.json")
    assert "expected a folder, found a file" in err.message
    corrupt(lambda: fs.list_dir("project.json"), root / "project.json")


# -- listing, info ----------------------------------------------------------------------


def test_list_dir_reports_kinds_without_following(root: Path) -> None:
    seqs = root / "sequences"
    (seqs / "link").symlink_to(root.parent / "outside" / "secret")
    (seqs / "sub").mkdir()
    os.mkfifo(seqs / "fifo")
    fs = ProjectFS(root)
    assert fs.list_dir("sequences") == [
        DirEntry("fifo", EntryKind.FIFO),
        DirEntry("link", EntryKind.LINK),
        DirEntry("sequence_001.json", EntryKind.FILE),
        DirEntry("sub", EntryKind.FOLDER),
    ]
    assert fs.list_dir_or_none("missing") is None
    with pytest.raises(FileNotFoundError):
        fs.list_dir("missing")
    assert fs.kind("sequences/link") is EntryKind.LINK
    assert fs.kind("sequences/nothing") is None
    info = fs.info("sequences/sequence_001.json")
    assert info is not None and info.kind is EntryKind.FILE and info.size == 3
    with pytest.raises(LinkOutError):
        fs.info("sequences/link")


# -- writing ---------------------------------------------------------------------------


def test_write_atomic_replaces_keeps_mode_and_leaves_no_temp(root: Path) -> None:
    target = root / "sequences" / "sequence_001.json"
    target.chmod(0o640)
    fs = ProjectFS(root)
    fs.write_atomic("sequences/sequence_001.json", b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fs.write_atomic("sequences/sequence_002.json", b"created")
    assert sorted(names(root / "sequences")) == ["sequence_001.json", "sequence_002.json"]


def test_write_atomic_through_an_inside_link_keeps_the_link(root: Path) -> None:
    link = root / "sequences" / "sequence_002.json"
    link.symlink_to("../project.json")
    ProjectFS(root).write_atomic(link, b"via link")
    assert link.is_symlink() and (root / "project.json").read_bytes() == b"via link"


def test_write_atomic_refuses_special_files_and_links_out(root: Path) -> None:
    seqs = root / "sequences"
    os.mkfifo(seqs / "fifo.json")
    (seqs / "dir.json").mkdir()
    (seqs / "out.json").symlink_to(root.parent / "outside" / "secret")
    fs = ProjectFS(root)
    for name, kind in (("fifo.json", "FIFO"), ("dir.json", "folder")):
        err = corrupt(lambda n=name: fs.write_atomic(f"sequences/{n}", b"x"), seqs / name)
        assert kind in err.message and "not replaced" in err.message
    corrupt(lambda: fs.write_atomic("sequences/out.json", b"x"), seqs / "out.json")
    assert (root.parent / "outside" / "secret").read_bytes() == b"secret"
    assert stat.S_ISFIFO((seqs / "fifo.json").lstat().st_mode)
    assert not [n for n in names(seqs) if n.endswith(".tmp")]


def test_write_atomic_into_a_missing_folder_is_io_error(root: Path) -> None:
    with pytest.raises(SeqcheckError) as info:
        ProjectFS(root).write_atomic("nowhere/x.json", b"x")
    assert info.value.code is ErrorCode.IO_ERROR
    assert info.value.file == str(root / "nowhere" / "x.json")


# -- locks -----------------------------------------------------------------------------


def test_lock_creates_only_its_sidecar_beside_the_real_file(root: Path) -> None:
    (root / "sequences" / "alias.json").symlink_to("sequence_001.json")
    fs = ProjectFS(root)
    with fs.lock("sequences/alias.json"):
        pass
    assert sorted(names(root / "sequences")) == [
        ".sequence_001.json.lock", "alias.json", "sequence_001.json"
    ]


def test_lock_is_exclusive_and_times_out(root: Path) -> None:
    fs = ProjectFS(root)
    with fs.lock("project.json"), pytest.raises(SeqcheckError) as info, \
            ProjectFS(root).lock("project.json", timeout=0.05):
        pass
    assert info.value.code is ErrorCode.LOCK_TIMEOUT
    assert info.value.file == str(root / ".project.json.lock")


def test_lock_sidecar_kinds(root: Path) -> None:
    side = root / ".project.json.lock"
    fs = ProjectFS(root)
    side.symlink_to("project.json")
    err = corrupt(lambda: fs.lock("project.json").__enter__(), side)
    assert "symbolic link" in err.message
    side.unlink()
    side.mkdir()
    with pytest.raises(SeqcheckError) as info:
        fs.lock("project.json").__enter__()
    assert info.value.code is ErrorCode.IO_ERROR and info.value.file == str(side)
    side.rmdir()
    os.mkfifo(side)
    corrupt(lambda: fs.lock("project.json").__enter__(), side)


# -- mkdir, unlink, rmdir, replace ------------------------------------------------------------


def test_mkdir_unlink_rmdir_replace(root: Path) -> None:
    fs = ProjectFS(root)
    assert fs.mkdir(".seqcheck/runs/0001", parents=True) is True
    assert fs.mkdir(".seqcheck/runs/0001") is False
    fs.write_atomic(".seqcheck/runs/0001/a", b"a")
    fs.replace(".seqcheck/runs/0001/a", ".seqcheck/runs/0001/b")
    assert [e.name for e in fs.list_dir(".seqcheck/runs/0001")] == ["b"]
    assert fs.rmdir(".seqcheck/runs/0001") is False  # not empty
    assert fs.unlink(".seqcheck/runs/0001/b") is True
    assert fs.unlink(".seqcheck/runs/0001/b") is False
    with pytest.raises(FileNotFoundError):
        fs.unlink(".seqcheck/runs/0001/b", missing_ok=False)
    assert fs.rmdir(".seqcheck/runs/0001") is True
    corrupt(lambda: fs.unlink("sequences"), root / "sequences")
    corrupt(lambda: fs.mkdir("project.json"), root / "project.json")


def test_mkdir_under_a_link_out_creates_nothing_outside(root: Path) -> None:
    (root / ".seqcheck").symlink_to(root.parent / "outside")
    fs = ProjectFS(root)
    corrupt(lambda: fs.mkdir(".seqcheck/runs", parents=True), root / ".seqcheck")
    assert sorted(names(root.parent / "outside")) == ["secret"]


def test_unlink_removes_a_link_never_its_target(root: Path) -> None:
    link = root / "sequences" / "out.json"
    link.symlink_to(root.parent / "outside" / "secret")
    assert ProjectFS(root).unlink("sequences/out.json") is True
    assert not link.is_symlink()
    assert (root.parent / "outside" / "secret").read_bytes() == b"secret"


# -- remove_tree -------------------------------------------------------------------------


def test_remove_tree_needs_the_marker_and_no_links(root: Path) -> None:
    fs = ProjectFS(root)
    run = root / ".seqcheck" / "runs" / "0001"
    (run / "backup" / "sequences").mkdir(parents=True)
    (run / "backup" / "sequences" / "x.json").write_bytes(b"x")
    (run / "escape").symlink_to(root.parent / "outside")
    corrupt(lambda: fs.remove_tree(".seqcheck/runs/0001", marker="manifest.json"), run)
    assert run.is_dir()
    (run / "manifest.json").write_bytes(b"{}")
    assert fs.remove_tree(".seqcheck/runs/0001", marker="manifest.json") is True
    assert not run.exists()
    assert sorted(names(root.parent / "outside")) == ["secret"]
    assert fs.remove_tree(".seqcheck/runs/0001", marker="manifest.json") is False


def test_remove_tree_never_through_a_link(root: Path) -> None:
    outside = root.parent / "outside"
    (outside / "0002").mkdir()
    (outside / "0002" / "manifest.json").write_bytes(b"{}")
    (root / ".seqcheck").mkdir()
    (root / ".seqcheck" / "runs").symlink_to(outside)
    fs = ProjectFS(root)
    corrupt(lambda: fs.remove_tree(".seqcheck/runs/0002", marker="manifest.json"),
            root / ".seqcheck" / "runs")
    (root / ".seqcheck" / "runs").unlink()
    (root / ".seqcheck" / "runs").mkdir()
    (root / ".seqcheck" / "runs" / "0002").symlink_to(outside / "0002")
    corrupt(lambda: fs.remove_tree(".seqcheck/runs/0002", marker="manifest.json"),
            root / ".seqcheck" / "runs" / "0002")
    assert (outside / "0002" / "manifest.json").read_bytes() == b"{}"


# -- without dir_fd (Windows) ---------------------------------------------------------------


def test_path_fallback_keeps_the_link_rules(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where os.open takes no dir_fd the same walk runs by path with lstat checks."""
    monkeypatch.setattr("conformance.projectfs._use_dir_fd", lambda: False)
    seqs = root / "sequences"
    (seqs / "in.json").symlink_to("sequence_001.json")
    (seqs / "out.json").symlink_to(root.parent / "outside" / "secret")
    fs = ProjectFS(root)
    assert fs.read_bytes("sequences/in.json") == b"one"
    corrupt(lambda: fs.read_bytes("sequences/out.json"), seqs / "out.json")
    fs.write_atomic("sequences/in.json", b"two")
    assert (seqs / "sequence_001.json").read_bytes() == b"two" and (seqs / "in.json").is_symlink()
    with fs.lock("sequences/sequence_001.json"):
        pass
    assert [e.name for e in fs.list_dir("sequences")][:1] == [".sequence_001.json.lock"]


def test_lock_exists_creates_nothing(root: Path) -> None:
    (root / "sequences" / "alias.json").symlink_to("sequence_001.json")
    fs = ProjectFS(root)
    assert fs.lock_exists("sequences/alias.json") is False
    assert names(root / "sequences") == ["alias.json", "sequence_001.json"]
    with fs.lock("sequences/sequence_001.json"):
        pass
    assert fs.lock_exists("sequences/alias.json") is True  # one lock for both names


# -- one folder opened for an operation ------------------------------------------------


def _outcome(call: object, *args: object) -> object:
    """What a call returned, or the error it raised (type, code, file, message)."""
    try:
        return ("ok", call(*args))  # type: ignore[operator]
    except SeqcheckError as err:
        return (type(err).__name__, err.code, err.file, err.message)
    except OSError as err:
        return (type(err).__name__, err.errno)


def test_open_folder_answers_as_the_walk_does(root: Path, tmp_path: Path) -> None:
    """OpenFolder's calls on one name give exactly what the ProjectFS calls give:
    values, error types, codes, files and messages, links inside and out included."""
    seqs = root / "sequences"
    (root / "data").mkdir()
    (root / "data" / "shared.json").write_bytes(b"shared")
    (seqs / "sequence_002.json").symlink_to(Path("..") / "data" / "shared.json")
    (seqs / "sequence_003.json").symlink_to(tmp_path / "outside" / "secret")
    (seqs / "sequence_004.json").symlink_to("missing.json")
    (seqs / "big.json").write_bytes(b"x" * 11)
    (seqs / "folder.json").mkdir()
    os.mkfifo(seqs / "fifo.json")
    names_ = ["sequence_001.json", "sequence_002.json", "sequence_003.json",
              "sequence_004.json", "big.json", "folder.json", "fifo.json", "absent.json"]
    fs = ProjectFS(root, max_file_bytes=10)
    with fs.open_folder("sequences") as folder:
        assert folder.path == seqs
        assert folder.self_info() == fs.info("sequences")
        for name in names_:
            rel = f"sequences/{name}"
            for method in ("info", "read_bytes", "read_bytes_or_none", "lock_exists"):
                assert _outcome(getattr(folder, method), name) == _outcome(
                    getattr(fs, method), rel), (method, name)
    for bad in ("..", "a/b", "", "."):
        with fs.open_folder("sequences") as folder:
            corrupt(lambda: folder.read_bytes(bad), seqs)  # noqa: B023


def test_open_folder_writes_and_locks_as_the_walk_does(root: Path, tmp_path: Path) -> None:
    seqs = root / "sequences"
    (root / "data").mkdir()
    (root / "data" / "shared.json").write_bytes(b"shared")
    (seqs / "sequence_002.json").symlink_to(Path("..") / "data" / "shared.json")
    (seqs / "sequence_003.json").symlink_to(tmp_path / "outside" / "secret")
    (seqs / "sequence_001.json").chmod(0o600)
    fs = ProjectFS(root)
    with fs.open_folder("sequences") as folder:
        info = folder.write_atomic("sequence_001.json", b"new")
        # The FileInfo returned is the file in place: what stat says now.
        assert info == fs.info("sequences/sequence_001.json")
        assert stat.S_IMODE((seqs / "sequence_001.json").stat().st_mode) == 0o600
        # Through an inside link: the file it leads to is replaced, the link kept.
        folder.write_atomic("sequence_002.json", b"through")
        assert (root / "data" / "shared.json").read_bytes() == b"through"
        assert (seqs / "sequence_002.json").is_symlink()
        with pytest.raises(LinkOutError):
            folder.write_atomic("sequence_003.json", b"never")
        with pytest.raises(LinkOutError), folder.lock("sequence_003.json"):
            pass
        # The lock of a link's file is the sidecar beside the file it leads to.
        with folder.lock("sequence_002.json"):
            assert (root / "data" / ".shared.json.lock").is_file()
            assert folder.lock_exists("sequence_002.json")
        with folder.lock("sequence_001.json"), pytest.raises(SeqcheckError) as info_, \
                fs.lock("sequences/sequence_001.json", timeout=0.05):
            pass
        assert info_.value.code is ErrorCode.LOCK_TIMEOUT
        assert info_.value.file == str(seqs / ".sequence_001.json.lock")
    assert (tmp_path / "outside" / "secret").read_bytes() == b"secret"
    assert not [n for n in names(seqs) if n.endswith(".tmp")]


def test_open_folder_through_an_inside_link_and_its_refusals(root: Path, tmp_path: Path) -> None:
    (root / "real").mkdir()
    (root / "real" / "a.json").write_bytes(b"a")
    (root / "linked").symlink_to("real")
    fs = ProjectFS(root)
    with fs.open_folder("linked") as folder:
        assert folder.read_bytes("a.json") == b"a"
        folder.write_atomic("a.json", b"b")
    assert (root / "real" / "a.json").read_bytes() == b"b"
    (root / "out").symlink_to(tmp_path / "outside")
    with pytest.raises(LinkOutError), fs.open_folder("out"):
        pass
    with pytest.raises(FileNotFoundError), fs.open_folder("absent"):
        pass
    corrupt(lambda: fs.open_folder("project.json").__enter__(), root / "project.json")


def test_write_atomic_returns_none_when_the_file_in_place_is_not_the_one_written(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program rewrites the file between the rename and the check: the
    result must not vouch for a file seqcheck did not write."""
    import conformance.projectfs as projectfs_module

    real_replace = projectfs_module._replace
    target = root / "sequences" / "sequence_001.json"

    def replace_then_rewrite(*args: object) -> None:
        real_replace(*args)  # type: ignore[arg-type]
        with target.open("r+b") as fh:  # in place, as the app writes: same inode
            fh.write(b"app's longer content")

    monkeypatch.setattr(projectfs_module, "_replace", replace_then_rewrite)
    fs = ProjectFS(root)
    assert fs.write_atomic("sequences/sequence_001.json", b"ours") is None
    with fs.open_folder("sequences") as folder:
        assert folder.write_atomic("sequence_001.json", b"ours") is None
    monkeypatch.setattr(projectfs_module, "_replace", real_replace)
    assert fs.write_atomic("sequences/sequence_001.json", b"ours") == fs.info(
        "sequences/sequence_001.json")


def test_reads_stop_at_the_end_without_a_second_read(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        calls.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", counting_read)
    fs = ProjectFS(root, max_file_bytes=3)
    assert fs.read_bytes("sequences/sequence_001.json") == b"one"
    assert len(calls) == 1
    (root / "sequences" / "sequence_001.json").write_bytes(b"four")
    with pytest.raises(SeqcheckError) as info:
        fs.read_bytes("sequences/sequence_001.json")
    assert info.value.code is ErrorCode.CORRUPT_FILE
