"""Only regular files are read, and never past the size limit (issue 14, item 1).

A FIFO, a device, a sparse file bigger than the limit and a file whose ``stat``
lies are each put where project.json or a sequence file belongs; validate reports
them (SC110 / SC111) and the store refuses them (CORRUPT_FILE naming the file),
without blocking, without reading them, and without touching the canary outside.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import limits
from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import FileTooLargeError, NotRegularFileError, ProjectFS
from conformance.reference import ReferenceStore
from conformance.validate import validate_project
from tests.security.conftest import Canary, tree_state

SEQ2 = "sequences/sequence_002.json"
#: Long enough for any call here on a loaded machine; a blocked FIFO read never ends.
HANG_SECONDS = 30.0


def finishes(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread and return its result or exception; fail if it hangs
    (a reader blocked on a FIFO never returns)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the test, whatever it is
            box["result"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    if thread.is_alive():  # unblock it so the daemon thread can end
        pytest.fail(f"{call} did not finish within {HANG_SECONDS} s (blocked)")
    return box["result"]


def corrupt_error(result: Any, path: Path) -> SeqcheckError:
    assert isinstance(result, SeqcheckError), result
    assert result.code is ErrorCode.CORRUPT_FILE, result
    assert result.file == str(path), result
    return result


def findings(project: Path) -> list[tuple[str, str, str]]:
    report = finishes(lambda: validate_project(project))
    assert not isinstance(report, BaseException), report
    return sorted((f.code, f.file, f.pointer) for f in report.findings)


def make_char_device(path: Path) -> None:
    """A character device node like /dev/zero (endless zeros) inside the project."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
    except (PermissionError, AttributeError, OSError) as exc:
        pytest.skip(f"cannot create a device node here: {exc}")


# -- FIFOs -----------------------------------------------------------------------------


def test_fifo_as_sequence_file(project: Path, canary: Canary) -> None:
    fifo = project / SEQ2
    os.mkfifo(fifo)
    assert findings(project) == [("SC110", SEQ2, "")]
    store = ReferenceStore(project)
    for call in (store.get_all_sequences, lambda: store.get_shots("001"),
                 lambda: store.update_shot("001", "a", {"notes": "x"})):
        err = corrupt_error(finishes(call), fifo)
        assert "FIFO" in err.message
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still there, untouched
    assert not (project / "sequences" / ".sequence_001.json.lock").exists()
    canary.assert_unchanged()


def test_fifo_as_project_json(project: Path, canary: Canary) -> None:
    pj = project / "project.json"
    pj.unlink()
    os.mkfifo(pj)
    assert findings(project) == [("SC110", "project.json", "")]
    store = ReferenceStore(project)
    for call in (lambda: store.update_legacy_shot("legacy", {"notes": "x"}),
                 lambda: store.save_shot("legacy", {"notes": "x"})):
        err = corrupt_error(finishes(call), pj)
        assert "FIFO" in err.message
    # The sequence-file API does not need project.json and still works.
    assert [s["id"] for s in store.get_shots("001")] == ["a"]
    assert not (project / ".project.json.lock").exists()
    canary.assert_unchanged()


def test_fifo_is_never_opened_for_data(tmp_path: Path) -> None:
    """A writer waiting on the FIFO would be released by a reader opening it; no
    reader ever appears, so the writer's non-blocking open fails with ENXIO."""
    root = tmp_path / "p"
    root.mkdir()
    os.mkfifo(root / "f.json")
    err = finishes(lambda: ProjectFS(root).read_bytes("f.json"))
    assert isinstance(err, NotRegularFileError)
    with pytest.raises(OSError) as info:
        os.open(root / "f.json", os.O_WRONLY | os.O_NONBLOCK)
    assert info.value.errno == 6  # ENXIO: no reader has it open


# -- devices ---------------------------------------------------------------------------


def test_device_as_sequence_file(project: Path, canary: Canary) -> None:
    dev = project / SEQ2
    make_char_device(dev)
    assert findings(project) == [("SC110", SEQ2, "")]
    err = corrupt_error(finishes(ReferenceStore(project).get_all_sequences), dev)
    assert "character device" in err.message
    canary.assert_unchanged()


def test_link_to_dev_zero_is_a_link_out(project: Path, canary: Canary) -> None:
    link = project / SEQ2
    link.symlink_to("/dev/zero")
    assert findings(project) == [("SC315", SEQ2, "")]
    err = corrupt_error(finishes(ReferenceStore(project).get_all_sequences), link)
    assert "/dev/zero" in err.message and "outside the project" in err.message
    canary.assert_unchanged()


# -- size ------------------------------------------------------------------------------


def test_sparse_file_over_the_default_limit(project: Path, canary: Canary) -> None:
    """2 GiB of holes (no disk used): reported with its size, never read."""
    big = project / SEQ2
    with big.open("wb") as f:
        f.truncate(2 * 1024**3)
    assert findings(project) == [("SC111", SEQ2, "")]
    err = corrupt_error(finishes(ReferenceStore(project).get_all_sequences), big)
    assert isinstance(err, FileTooLargeError)
    assert (err.size, err.limit) == (2 * 1024**3, limits.MAX_FILE_BYTES)
    assert str(2 * 1024**3) in err.message and limits.MAX_FILE_BYTES_ENV in err.message
    canary.assert_unchanged()


@pytest.mark.parametrize("extra", [0, 1])
def test_the_limit_and_one_past_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, extra: int
) -> None:
    """The configured limit is the real one: a file of exactly the limit is read, one
    byte more is reported (validate SC111, store CORRUPT_FILE)."""
    data = (project / "sequences" / "sequence_001.json").read_bytes()
    padded = data + b" " * 400  # larger than project.json and sequence 001
    (project / SEQ2).write_bytes(padded.replace(b'"001"', b'"002"').replace(b'"a"', b'"b"'))
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, str(len(padded) - extra))
    if extra == 0:
        assert findings(project) == []
        assert [s["id"] for s in ReferenceStore(project).get_all_sequences()] == ["001", "002"]
    else:
        got = findings(project)
        assert ("SC111", SEQ2, "") in got
        store_err = finishes(ReferenceStore(project).get_all_sequences)
        assert isinstance(store_err, FileTooLargeError)
        assert store_err.size == len(padded)


def test_bad_limit_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "lots")
    with pytest.raises(ValueError, match=limits.MAX_FILE_BYTES_ENV) as info:
        limits.max_file_bytes()
    assert '"lots"' in str(info.value)
    monkeypatch.setenv(limits.MAX_FILE_BYTES_ENV, "1000")
    assert limits.max_file_bytes() == 1000


def test_reads_stop_at_the_bound_when_stat_lies(tmp_path: Path) -> None:
    """fstat says 10 bytes; the file holds 5000: at most limit + 1 bytes are read."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "grows.json").write_bytes(b"x" * 5000)
    fs = ProjectFS(root, max_file_bytes=100)
    real_fstat = os.fstat
    reads: list[int] = []
    real_read = os.read

    def lying_fstat(fd: int) -> Any:
        st = real_fstat(fd)
        if stat.S_ISREG(st.st_mode):
            return os.stat_result((st.st_mode, *st[1:6], 10, *st[7:]))
        return st

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        reads.append(len(data))
        return data

    with pytest.MonkeyPatch.context() as m:
        m.setattr("conformance.projectfs.os.fstat", lying_fstat)
        m.setattr("conformance.projectfs.os.read", counting_read)
        with pytest.raises(FileTooLargeError) as info:
            fs.read_bytes("grows.json")
    assert sum(reads) == 101  # the bound plus the one byte that proves it is over
    assert info.value.size is None and "more than that" in info.value.message


def test_pipe_content_is_bounded(tmp_path: Path) -> None:
    """The bounded read itself, on a descriptor whose stat says 0 (a pipe)."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b"y" * 4096)
        with pytest.raises(FileTooLargeError):
            ProjectFS(tmp_path, max_file_bytes=1000)._read_bounded(read_end, tmp_path / "p")
        os.close(write_end)
        write_end = -1
        assert len(os.read(read_end, 10_000)) == 4096 - 1001  # the rest was never read
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def test_canary_state_sees_changes(tmp_path: Path, canary: Canary) -> None:
    """The canary check can fail: a changed byte, a new file and a removal show."""
    before = tree_state(canary.folder)
    canary.secret.write_bytes(canary.secret.read_bytes() + b" ")
    assert tree_state(canary.folder) != before
    canary.secret.write_bytes(canary.secret.read_bytes()[:-1])
    (canary.folder / "planted.txt").write_bytes(b"x")
    assert tree_state(canary.folder) != before
    (canary.folder / "planted.txt").unlink()
    assert tree_state(canary.folder) == before
