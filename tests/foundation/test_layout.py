"""File names (spec "Layout" and SEQ-ID-2): what readers load, what writers create."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.layout import (
    SEQUENCE_FILE_RE,
    canonical_sequence_file_name,
    is_sequence_file_name,
    lock_path,
)

taken_names = st.sets(
    st.one_of(st.integers(1, 1200).map(lambda n: f"sequence_{n:03d}.json"),
              st.sampled_from(["notes.json", "sequence_1.json", ".sequence_001.json.lock"])),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, 5000).map(str), st.text(min_size=1, max_size=8)), taken_names)
def test_canonical_name_is_free_and_readable(sequence_id: str, taken: set[str]) -> None:
    name = canonical_sequence_file_name(sequence_id, taken)
    assert name not in taken
    assert is_sequence_file_name(name)
    numbers = [int(m.group(1)) for n in taken if (m := SEQUENCE_FILE_RE.match(n))]
    preferred = f"sequence_{sequence_id.zfill(3)}.json"
    if sequence_id.isascii() and sequence_id.isdigit() and preferred not in taken:
        assert name == preferred  # a numeric id names its own file
    else:
        assert int(SEQUENCE_FILE_RE.match(name).group(1)) > max(numbers, default=0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "loaded"),
    [("sequence_001.json", True), ("sequence_1234.json", True), ("sequence_01.json", False),
     ("sequence_001.json.bak", False), ("sequence_001 copy.json", False),
     (".sequence_001.json.lock", False), (".sequence_001.json.3f9a0c1d2e4b.tmp", False),
     ("Sequence_001.json", False), ("sequence_\uff10\uff10\uff11.json", False),
     ("sequence_001.json\n", False), ("sequence_\u0661\u0662\u0663.json", False),
     ("sequence_001.JSON", False)],
)
def test_readers_load_only_sequence_file_names(name: str, loaded: bool) -> None:
    assert is_sequence_file_name(name) is loaded


def test_lock_is_a_hidden_sidecar_in_the_same_folder() -> None:
    assert lock_path(Path("p/sequences/sequence_001.json")) == Path(
        "p/sequences/.sequence_001.json.lock")
    assert lock_path(Path("p/project.json")) == Path("p/.project.json.lock")
