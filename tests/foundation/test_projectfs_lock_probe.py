"""OpenFolder.lock_probe: the lock reuses what the probe just looked at, and only that.

The store asks whether a file's sidecar exists before taking the lock (a refused
update must not create one); the probe hands the lock the file's target and the
sidecar's lstat mode so that neither is looked at twice in a row. What the lock
still checks itself: the sidecar is opened O_NOFOLLOW and fstat'ed, so a sidecar
swapped for a link or a FIFO after the probe is refused, never followed or used.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import LockProbe, ProjectFS


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    (project / "sequences").mkdir(parents=True)
    (project / "sequences" / "sequence_001.json").write_bytes(b"one")
    (project / "sequences" / "sequence_002.json").write_bytes(b"two")
    (tmp_path / "outside").mkdir()
    return project


def _sidecar_lstats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names lstat'ed relative to a folder descriptor, recorded from now on."""
    seen: list[str] = []
    real_stat = os.stat

    def recording_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if kwargs.get("dir_fd") is not None:
            seen.append(str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", recording_stat)
    return seen


def test_probe_of_an_absent_sidecar_creates_nothing_and_the_lock_looks_afresh(
    root: Path,
) -> None:
    seqs = root / "sequences"
    with ProjectFS(root).open_folder("sequences") as folder:
        probe = folder.lock_probe("sequence_001.json")
        assert probe == LockProbe(False, "sequence_001.json")
        assert not (seqs / ".sequence_001.json.lock").exists()
        with folder.lock("sequence_001.json", probe=probe):
            assert (seqs / ".sequence_001.json.lock").is_file()


def test_the_lock_uses_the_probe_instead_of_looking_again(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = ProjectFS(root)
    with fs.open_folder("sequences") as folder:
        with folder.lock("sequence_001.json"):
            pass  # the sidecar exists from here on
        seen = _sidecar_lstats(monkeypatch)
        probe = folder.lock_probe("sequence_001.json")
        assert probe.exists
        assert seen == ["sequence_001.json", ".sequence_001.json.lock"]
        with folder.lock("sequence_001.json", probe=probe):
            assert seen == ["sequence_001.json", ".sequence_001.json.lock"]
            # ... and it is the real lock: another taker times out.
            with pytest.raises(SeqcheckError) as info, fs.lock(
                "sequences/sequence_001.json", timeout=0.05
            ):
                pass
            assert info.value.code is ErrorCode.LOCK_TIMEOUT
        # A probe of another name is not used: the lock looks at its own file.
        with folder.lock("sequence_002.json"):
            pass
        seen.clear()
        with folder.lock("sequence_002.json", probe=probe):
            assert seen == ["sequence_002.json", ".sequence_002.json.lock"]


def test_a_sidecar_swapped_for_a_link_after_the_probe_is_refused(
    root: Path, tmp_path: Path
) -> None:
    seqs = root / "sequences"
    target = tmp_path / "outside" / "victim"
    target.write_bytes(b"victim")
    with ProjectFS(root).open_folder("sequences") as folder:
        with folder.lock("sequence_001.json"):
            pass
        probe = folder.lock_probe("sequence_001.json")
        (seqs / ".sequence_001.json.lock").unlink()
        (seqs / ".sequence_001.json.lock").symlink_to(target)
        with pytest.raises(SeqcheckError) as info, folder.lock("sequence_001.json", probe=probe):
            pass
    assert info.value.code is ErrorCode.CORRUPT_FILE
    assert info.value.file == str(seqs / ".sequence_001.json.lock")
    assert target.read_bytes() == b"victim"


def test_a_sidecar_swapped_for_a_fifo_after_the_probe_is_refused(root: Path) -> None:
    seqs = root / "sequences"
    with ProjectFS(root).open_folder("sequences") as folder:
        with folder.lock("sequence_001.json"):
            pass
        probe = folder.lock_probe("sequence_001.json")
        (seqs / ".sequence_001.json.lock").unlink()
        os.mkfifo(seqs / ".sequence_001.json.lock")
        with pytest.raises(SeqcheckError) as info, folder.lock("sequence_001.json", probe=probe):
            pass
    assert info.value.code is ErrorCode.CORRUPT_FILE
    assert info.value.file == str(seqs / ".sequence_001.json.lock")


def test_the_probe_of_a_link_locks_beside_the_file_it_leads_to(root: Path) -> None:
    (root / "data").mkdir()
    (root / "data" / "shared.json").write_bytes(b"shared")
    (root / "data" / ".shared.json.lock").write_bytes(b"")
    (root / "sequences" / "sequence_003.json").symlink_to(Path("..") / "data" / "shared.json")
    fs = ProjectFS(root)
    with fs.open_folder("sequences") as folder:
        probe = folder.lock_probe("sequence_003.json")
        assert probe.exists and probe.target is None
        with folder.lock("sequence_003.json", probe=probe), pytest.raises(SeqcheckError) as info, \
                fs.lock("data/shared.json", timeout=0.05):
            pass
    assert info.value.code is ErrorCode.LOCK_TIMEOUT
    assert not (root / "sequences" / ".sequence_003.json.lock").exists()
