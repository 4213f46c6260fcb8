"""conformance.projectfs.ProjectFS.holds: which candidate a file holds, compared in chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import _READ_CHUNK, ProjectFS


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    project.mkdir()
    (tmp_path / "outside").write_bytes(b"secret")
    return project


def test_the_first_equal_candidate_wins(root: Path) -> None:
    (root / "f.json").write_bytes(b"abc")
    fs = ProjectFS(root)
    assert fs.holds("f.json", [b"xyz", b"abc", b"abc"]) == 1
    assert fs.holds("f.json", [b"ab", b"abcd", None]) is None
    assert fs.holds("f.json", [b""]) is None


def test_a_missing_file_holds_the_none_candidate(root: Path) -> None:
    fs = ProjectFS(root)
    assert fs.holds("missing.json", [b"x", None]) == 1
    assert fs.holds("missing.json", [b"x"]) is None
    (root / "empty.json").write_bytes(b"")
    assert fs.holds("empty.json", [None, b""]) == 1


def test_files_larger_than_a_chunk_compare_on_every_byte(root: Path) -> None:
    big = bytes(range(256)) * ((3 * _READ_CHUNK) // 256 + 7)
    (root / "big.json").write_bytes(big)
    late = bytearray(big)
    late[-1] ^= 1
    early = bytearray(big)
    early[_READ_CHUNK + 5] ^= 1
    fs = ProjectFS(root)
    assert fs.holds("big.json", [bytes(late), bytes(early), big]) == 2
    assert fs.holds("big.json", [bytes(late), bytes(early), big[:-1], big + b"!"]) is None


def test_a_link_out_is_refused_as_by_read_bytes(root: Path) -> None:
    (root / "f.json").symlink_to("../outside")
    with pytest.raises(SeqcheckError) as caught:
        ProjectFS(root).holds("f.json", [b"secret"])
    assert caught.value.code is ErrorCode.CORRUPT_FILE


def test_open_folder_holds_as_the_walk_does(root: Path) -> None:
    (root / "sequences").mkdir()
    (root / "sequences" / "a.json").write_bytes(b"abc")
    (root / "sequences" / "in.json").symlink_to("a.json")
    (root / "sequences" / "out.json").symlink_to("../../outside")
    with ProjectFS(root).open_folder("sequences") as folder:
        assert folder.holds("a.json", [None, b"abc"]) == 1
        assert folder.holds("missing.json", [b"abc", None]) == 1
        assert folder.holds("in.json", [b"abc"]) == 0  # an inside link is followed
        with pytest.raises(SeqcheckError) as caught:
            folder.holds("out.json", [b"secret"])
        assert caught.value.code is ErrorCode.CORRUPT_FILE
