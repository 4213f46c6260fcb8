"""The facts about one document that the validator, the store and the migrator share
(conformance/documents.py): a shot's duration and the metadata stamp of a write."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.documents import shot_duration, touched_metadata
from conformance.reference import ReferenceStore
from migrate.snapshot import shot_duration as migrate_duration
from tests.foundation.conftest import MakeProject, sequence

NOW = "2026-12-01T00:00:00Z"


@pytest.mark.parametrize(("shot", "expected"), [
    ({"timing": {"duration": 2.5}, "duration": 9}, 2.5),
    ({"timing": {"duration": True}, "duration": 4}, 4),
    ({"timing": {"duration": "3"}, "duration": 4.0}, 4.0),
    ({"timing": "3", "duration": 0}, 0),
    ({"timing": {}}, None),
    ({"duration": None}, None),
    ({"duration": False}, None),
    ({}, None),
])
def test_shot_duration_reads_timing_first_and_numbers_only(shot: dict[str, Any],
                                                            expected: float | None) -> None:
    got = shot_duration(shot)
    assert got == expected and type(got) is type(expected)
    # The migrator counts an unknown duration as 0 s (migration rule 5), nothing else.
    assert migrate_duration(shot) == (0 if expected is None else expected)


metadata_values = st.none() | st.integers() | st.text() | st.dictionaries(
    st.sampled_from(["modified_at", "updated_at", "created_at", "x"]),
    st.none() | st.text(max_size=5), max_size=4)


@given(metadata=metadata_values)
def test_touched_metadata_stamps_a_copy(metadata: Any) -> None:
    before = copy.deepcopy(metadata)
    out = touched_metadata(metadata, NOW)
    assert metadata == before and out is not metadata
    assert out["modified_at"] == NOW
    if isinstance(metadata, dict):
        assert set(out) == set(metadata) | {"modified_at"}
        assert ("updated_at" in out) == ("updated_at" in metadata)
        assert all(out[k] == v for k, v in metadata.items() if k not in
                   ("modified_at", "updated_at"))
        if "updated_at" in out:
            assert out["updated_at"] == NOW
    else:
        assert out == {"modified_at": NOW}


def test_the_store_stamps_as_touched_metadata(make_project: MakeProject) -> None:
    metadata = {"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z",
                "other": 1}
    root = make_project({
        "project.json": {"schema_version": "1.0", "project_name": "m"},
        "sequences/sequence_001.json": sequence("001", {"id": "a"}, metadata=metadata)})
    ReferenceStore(root, clock=lambda: NOW).update_shot("001", "a", {"prompt": "p"})
    doc = json.loads((root / "sequences" / "sequence_001.json").read_bytes())
    assert doc["metadata"] == touched_metadata(metadata, NOW)
    assert doc["metadata"] == {"created_at": "2026-01-01T00:00:00Z", "updated_at": NOW,
                               "other": 1, "modified_at": NOW}
