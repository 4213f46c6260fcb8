"""conformance.field_shapes: the names and shapes of the app's SequenceService."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance import field_shapes as F


def test_id_prefix_names_as_the_app_computes_them() -> None:
    assert F.id_prefix_file_name("3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b") == "sequence_3f2b8c1e.json"
    assert F.id_prefix_file_name("1737000000000-seqa1b2c3") == "sequence_17370000.json"
    assert F.id_prefix_file_name("001") == "sequence_001.json"
    # substring counts UTF-16 code units: an astral character takes two.
    assert F.js_prefix("ab😀cdefgh", 8) == "ab😀cdef"
    assert F.js_prefix("abcdefg😀", 8) == "abcdefg\ud83d"  # a cut pair: no file can match


def test_shapes() -> None:
    ref = {"id": "x", "shot_ids": []}
    assert F.is_reference_shape(ref) and not F.is_reference_shape({**ref, "shots": []})
    copy = {"id": "3f2b8c1e-9d4a", "shots": [], "shot_ids": []}
    assert F.is_id_prefix_file("sequence_3f2b8c1e.json", copy)
    assert not F.is_id_prefix_file("sequence_3f2b8c1e.json", {**copy, "id": "other"})
    no_refs = {"id": "3f2b8c1e-9d4a", "shots": []}
    assert not F.is_id_prefix_file("sequence_3f2b8c1e.json", no_refs)
    assert F.written_by_sequence_service("sequence_17370000.json",
                                         {"id": "1737000000000-a", "shots": [], "shot_ids": []})
    assert not F.written_by_sequence_service("sequence_001.json",
                                             {"id": "1737000000000-a", "shots": []})
    assert F.unresolved_references({"shot_ids": ["a", "b", 3], "shots": [{"id": "a"}]}) == [
        (1, "b")]


@given(st.text(min_size=1, max_size=30))
def test_an_id_prefix_name_always_names_its_own_id(seq_id: str) -> None:
    name = F.id_prefix_file_name(seq_id)
    doc = {"id": seq_id, "shot_ids": []}
    assert F.has_id_prefix_name(name, doc)
    assert F.may_be_app_sequence_file(name)
