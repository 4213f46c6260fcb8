"""Group 3: several sequences: isolation, identity by id, listing order, duplicates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.errors import ErrorCode
from conformance.suite.checks import (
    as_json,
    expect_error,
    expect_missing_sequence,
    needed,
    precondition,
    require,
)
from conformance.suite.samples import production_shot, sequence_doc
from conformance.suite.scenarios import basic_project


def _ordered(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.requirement("SEQ-UPDATE-10")
def test_other_files_stay_byte_identical(impl: Any, project: Any) -> None:
    b = basic_project(project)
    project.write_sequence("sequence_003.json", sequence_doc("003", order=3))
    project.write_raw("sequences/notes.txt", b"not a sequence\n")
    project.write_raw("scenes/scene-1.json", b'{"id": "scene-1"}\n')
    before = project.snapshot()
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(),
           {"notes": "only here"})
    changed = before.changed(project.snapshot())
    precondition(b.rel in changed, f"the update reported success but {b.rel} did not change")
    require("SEQ-UPDATE-10", changed == [b.rel],
            f"expected only {b.rel} to change, changed: {changed}")


@pytest.mark.requirement("SEQ-GET-1")
def test_get_shots_returns_file_order_as_stored(impl: Any, project: Any) -> None:
    b = basic_project(project, unknown=True)
    doc = sequence_doc("005", ["z", "a", "m", "b"], order=5, unknown=True)
    project.write_sequence("sequence_005.json", doc)
    shots = impl.get_shots(project.path, "005")
    require("SEQ-GET-1", _ordered(shots) == _ordered(doc["shots"]),
            f"expected the file's shots in file order, as stored; got ids "
            f"{[s.get('id') for s in shots]}")
    require("SEQ-GET-1", impl.get_shots(project.path, b.sequence_id) ==
            project.read(b.rel)["shots"], "shots of the first sequence differ from the file")


@pytest.mark.requirement("SEQ-ALL-1")
def test_get_all_sorted_by_order_then_id(impl: Any, project: Any) -> None:
    layout = [("sequence_001.json", "b", 2), ("sequence_002.json", "z", None),
              ("sequence_003.json", "a", None), ("sequence_004.json", "c", 1),
              ("sequence_005.json", "B", 1), ("sequence_006.json", "d", -1)]
    docs = {}
    for name, seq_id, order in layout:
        docs[seq_id] = sequence_doc(seq_id, order=order, unknown=True)
        project.write_sequence(name, docs[seq_id])
    result = impl.get_all_sequences(project.path)
    ids = [s.get("id") for s in result]
    require("SEQ-ALL-1", ids == ["d", "B", "c", "b", "a", "z"],
            f'expected order ["d", "B", "c", "b", "a", "z"] (by order, missing order last, ties '
            f"by id code points), got {as_json(ids)}")
    for seq in result:
        require("SEQ-ALL-1", _ordered(seq) == _ordered(docs[seq["id"]]),
                f"sequence {as_json(seq['id'])} is not returned as stored")


@pytest.mark.requirement("SEQ-ID-1", "SEQ-GET-2")
def test_id_inside_the_file_identifies_the_sequence(impl: Any, project: Any) -> None:
    app_id = "1737000000000-seqb7k2m"
    project.write_sequence("sequence_001.json", sequence_doc(app_id, order=1))
    project.write_sequence("sequence_007.json", sequence_doc("003", order=2))
    shots = impl.get_shots(project.path, "003")
    require("SEQ-ID-1", [s["id"] for s in shots] == ["003-s1", "003-s2", "003-s3"],
            'get_shots("003") did not return the shots of the file whose id is "003": '
            f"{as_json(shots, 300)}")
    before = project.snapshot()
    impl.update_shot(project.path, app_id, f"{app_id}-s1", {"notes": "by id"})
    changed = before.changed(project.snapshot())
    require("SEQ-ID-1", changed == ["sequences/sequence_001.json"],
            f"updating sequence {as_json(app_id)} changed {as_json(changed)}, expected "
            "sequences/sequence_001.json")
    expect_missing_sequence("SEQ-ID-1", impl.get_shots, project.path, "007")
    expect_missing_sequence("SEQ-ID-1", impl.get_shots, project.path, "001")


@pytest.mark.requirement("SEQ-LAYOUT-1")
def test_sequence_file_names_with_more_digits(impl: Any, project: Any) -> None:
    project.write_sequence("sequence_1000.json", sequence_doc("1000", order=1))
    project.write_sequence("sequence_0042.json", sequence_doc("42", order=2))
    ids = [s.get("id") for s in impl.get_all_sequences(project.path)]
    require("SEQ-LAYOUT-1", ids == ["1000", "42"],
            f'expected sequences ["1000", "42"], got {as_json(ids)}')
    impl.update_shot(project.path, "1000", "1000-s1", {"notes": "four digits"})
    names = sorted(p.name for p in project.sequences.iterdir() if not p.name.startswith("."))
    require("SEQ-LAYOUT-1", names == ["sequence_0042.json", "sequence_1000.json"],
            f"the update created or renamed files: {as_json(names)}")
    stored = project.read_sequence("sequence_1000.json")["shots"][0]
    require("SEQ-LAYOUT-1", stored.get("notes") == "four digits",
            "the update did not land in sequence_1000.json")


@pytest.mark.requirement("SEQ-ID-3")
def test_duplicate_sequence_ids_are_an_error(impl: Any, project: Any) -> None:
    basic_project(project)
    project.write_sequence("sequence_009.json", sequence_doc("001", ["001-s1", "dup-2"], order=9))
    before = project.snapshot()
    expect_error("SEQ-ID-3", ErrorCode.DUPLICATE_SEQUENCE_ID,
                 impl.update_shot, project.path, "001", "001-s1", {"notes": "which one?"})
    expect_error("SEQ-ID-3", ErrorCode.DUPLICATE_SEQUENCE_ID, impl.get_shots, project.path, "001")
    expect_error("SEQ-ID-3", ErrorCode.DUPLICATE_SEQUENCE_ID, impl.get_all_sequences, project.path)
    changed = before.changed(project.snapshot())
    require("SEQ-ID-3", not changed, f"a file changed: {as_json(changed)}")


@pytest.mark.requirement("SEQ-ID-6", "SEQ-GET-2")
def test_ids_are_compared_exactly(impl: Any, project: Any) -> None:
    project.write_sequence("sequence_001.json", sequence_doc("001", ["Shot-A"], order=1))
    project.write_sequence("sequence_002.json", sequence_doc("Abc", order=2))
    # Positive controls first: an implementation that finds nothing proves nothing here.
    found = needed('get_shots("Abc")', impl.get_shots, project.path, "Abc")
    precondition(isinstance(found, list) and len(found) == 3,
                 f'get_shots("Abc") should return its 3 shots, returned {as_json(found)}')
    for missing in ("1", "01", "0001", "abc", "ABC", "001 "):
        expect_missing_sequence("SEQ-ID-6", impl.get_shots, project.path, missing)
    before = project.snapshot()
    # Only that it fails unchanged is ID-6's: which not-found code is SEQ-UPDATE-9's.
    expect_error("SEQ-ID-6", (ErrorCode.SHOT_NOT_FOUND, ErrorCode.SEQUENCE_NOT_FOUND),
                 impl.update_shot, project.path, "001", "shot-a", {"notes": "x"})
    changed = before.changed(project.snapshot())
    require("SEQ-ID-6", not changed,
            f'update_shot("001", "shot-a") changed {as_json(changed)}: "shot-a" is not "Shot-A"')
    shot = impl.update_shot(project.path, "001", "Shot-A", {"notes": "exact"})
    stored = project.read_sequence("sequence_001.json")["shots"][0]
    require("SEQ-ID-6", stored.get("notes") == "exact",
            f'update_shot("001", "Shot-A") did not update the shot "Shot-A" (returned '
            f"{as_json(shot)})")


@pytest.mark.requirement("SEQ-MEMBER-1")
def test_shot_naming_another_sequence_is_corrupt(impl: Any, project: Any) -> None:
    doc = sequence_doc("001", order=1)
    doc["shots"][1] = production_shot("002", "001-s2", 2)
    project.write_sequence("sequence_001.json", doc)
    before = project.snapshot()
    expect_error("SEQ-MEMBER-1", ErrorCode.CORRUPT_FILE, impl.get_shots, project.path, "001")
    expect_error("SEQ-MEMBER-1", ErrorCode.CORRUPT_FILE,
                 impl.update_shot, project.path, "001", "001-s1", {"notes": "x"})
    require("SEQ-MEMBER-1", not before.changed(project.snapshot()), "a file changed")


@pytest.mark.requirement("SEQ-MEMBER-2")
def test_duplicate_shot_ids_in_a_file_are_corrupt(impl: Any, project: Any) -> None:
    project.write_sequence("sequence_001.json", sequence_doc("001", ["s1", "s2", "s1"], order=1))
    before = project.snapshot()
    expect_error("SEQ-MEMBER-2", ErrorCode.CORRUPT_FILE, impl.get_shots, project.path, "001")
    expect_error("SEQ-MEMBER-2", ErrorCode.CORRUPT_FILE,
                 impl.update_shot, project.path, "001", "s2", {"notes": "x"})
    require("SEQ-MEMBER-2", not before.changed(project.snapshot()), "a file changed")
