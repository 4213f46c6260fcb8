"""Group 5: missing and bad files: the right error, never an empty result, nothing changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import BOM, dump_bytes
from conformance.suite.checks import (
    as_json,
    call_text,
    expect_error,
    expect_missing_sequence,
    inconclusive,
    needed,
    precondition,
    require,
    shorten,
    soft,
)
from conformance.suite.samples import sequence_doc
from conformance.suite.scenarios import basic_project


@pytest.mark.requirement("SEQ-ERR-1")
@pytest.mark.parametrize("kind", ["missing", "file"])
def test_missing_project_is_project_not_found(impl: Any, project: Any, tmp_path: Any,
                                              kind: str) -> None:
    where = tmp_path / "not-a-project"
    if kind == "file":
        where.write_bytes(b"{}")
    path = str(where)
    code = ErrorCode.PROJECT_NOT_FOUND
    expect_error("SEQ-ERR-1", code, impl.update_shot, path, "001", "001-s1", {"notes": "x"})
    expect_error("SEQ-ERR-1", code, impl.get_shots, path, "001")
    expect_error("SEQ-ERR-1", code, impl.get_all_sequences, path)
    require("SEQ-ERR-1", not (where / "sequences").exists() if kind == "missing" else True,
            "a failed call created the project's sequences/ folder")


@pytest.mark.requirement("SEQ-LAYOUT-3", "SEQ-GET-2")
def test_project_without_sequences_folder(impl: Any, project: Any) -> None:
    basic_project(project)
    for child in sorted(project.sequences.iterdir()):
        child.unlink()
    project.sequences.rmdir()
    before = project.snapshot()
    result = impl.get_all_sequences(project.path)
    require("SEQ-LAYOUT-3", result == [], f"expected [] without sequences/, got {as_json(result)}")
    expect_missing_sequence("SEQ-LAYOUT-3", impl.get_shots, project.path, "001")
    expect_error("SEQ-LAYOUT-3", ErrorCode.SEQUENCE_NOT_FOUND,
                 impl.update_shot, project.path, "001", "001-s1", {"notes": "x"})
    unchanged = not before.changed(project.snapshot()) and not project.sequences.exists()
    require("SEQ-LAYOUT-3", unchanged, "a call created or changed files")
    project.write_raw("sequences", b"a file, not a folder\n")
    expect_error("SEQ-LAYOUT-3", ErrorCode.CORRUPT_FILE, impl.get_all_sequences, project.path)


@pytest.mark.requirement("SEQ-GET-2")
def test_missing_sequence_is_an_error_never_empty(impl: Any, project: Any) -> None:
    basic_project(project)
    project.write_sequence("sequence_003.json", sequence_doc("003", [], order=3))
    expect_error("SEQ-GET-2", ErrorCode.SEQUENCE_NOT_FOUND, impl.get_shots, project.path, "404")
    empty = impl.get_shots(project.path, "003")
    require("SEQ-GET-2", empty == [],
            f"a sequence with no shots should give [], got {as_json(empty)}")


_CORRUPTIONS: dict[str, bytes] = {
    "truncated": b'{"id": "003", "shots": [{"id": "a"',
    "not-json": b"<html>oops</html>",
    "not-object": b'[{"id": "003"}]\n',
    "no-id": json.dumps({"name": "New Project", "shots": []}).encode(),
    "schema-invalid": json.dumps({"id": "003", "shots": {"a": 1}}).encode(),
    "nan": b'{"id": "003", "shots": [], "duration": NaN}',
    "duplicate-key": b'{"id": "003", "shots": [], "id": "004"}',
    "bad-utf8": b'{"id": "003", "name": "\xff\xfe", "shots": []}',
}


@pytest.mark.requirement("SEQ-ALL-2")
@pytest.mark.parametrize("kind", sorted(_CORRUPTIONS))
def test_corrupt_sequence_file_is_reported_not_skipped(impl: Any, project: Any, kind: str) -> None:
    basic_project(project)
    project.write_raw("sequences/sequence_003.json", _CORRUPTIONS[kind])
    before = project.snapshot()
    try:
        result = impl.get_all_sequences(project.path)
    except SeqcheckError as exc:
        if exc.code is ErrorCode.UNSUPPORTED:
            inconclusive(f"get_all_sequences is not offered: {exc.message}")
        if exc.code is ErrorCode.INTERNAL_ERROR:  # not skipped; the code is SEQ-ERR-2's
            require("SEQ-ALL-2", not before.changed(project.snapshot()), "a file changed")
            return
        require("SEQ-ALL-2", exc.code is ErrorCode.CORRUPT_FILE,
                f"expected CORRUPT_FILE, got {exc.code.value}: {exc.message}")
        named = "sequence_003.json" in f"{exc.file or ''} {exc.message}"
        require("SEQ-ALL-2", named,
                f"the error does not name sequence_003.json: {as_json(exc.to_dict())}")
    else:
        ids = [s.get("id") if isinstance(s, dict) else s for s in result]
        require("SEQ-ALL-2", False,
                f"get_all_sequences returned {shorten(ids)} instead of CORRUPT_FILE for a "
                f"{kind} file (the corrupt file was skipped or passed off as a sequence)")
    require("SEQ-ALL-2", not before.changed(project.snapshot()), "a file changed")


@pytest.mark.requirement("SEQ-ALL-2")
def test_corrupt_file_blocks_lookups(impl: Any, project: Any) -> None:
    b = basic_project(project)
    project.write_raw("sequences/sequence_003.json", _CORRUPTIONS["no-id"])
    before = project.snapshot()
    expect_error("SEQ-ALL-2", ErrorCode.CORRUPT_FILE,
                 impl.update_shot, project.path, b.sequence_id, b.shot_id(), {"notes": "x"})
    require("SEQ-ALL-2", not before.changed(project.snapshot()), "a file changed")


@pytest.mark.requirement("SEQ-READ-1")
def test_byte_order_mark_is_accepted(impl: Any, project: Any) -> None:
    control = sequence_doc("002", order=2)
    project.write_sequence("sequence_002.json", control)
    plain = needed('get_shots("002") of a file without a BOM', impl.get_shots, project.path, "002")
    precondition(plain == control["shots"],
                 f'get_shots("002") of a plain file returned {as_json(plain, 200)}')
    (project.sequences / "sequence_002.json").unlink()
    doc = sequence_doc("001", order=1)
    project.write_raw("sequences/sequence_001.json", BOM + dump_bytes(doc))
    shots = impl.get_shots(project.path, "001")
    require("SEQ-READ-1", shots == doc["shots"], "shots of a file with a BOM were not read")
    listed = impl.get_all_sequences(project.path)
    require("SEQ-READ-1", [s.get("id") for s in listed] == ["001"],
            f"get_all_sequences of a file with a BOM gave {as_json(listed, 300)}")
    impl.update_shot(project.path, "001", "001-s1", {"notes": "bom"})
    stored = project.read_sequence("sequence_001.json")["shots"][0]
    require("SEQ-READ-1", stored.get("notes") == "bom", "update of a file with a BOM was lost")


_STRAYS = (".sequence_001.json.3f9a0c1d2e4b.tmp", "sequence_001.json.bak",
           "sequence_001 copy.json", "sequence_01.json", "backup.json", "old/sequence_004.json")


@pytest.mark.requirement("SEQ-LAYOUT-2", "SEQ-GET-2")
def test_stray_temp_and_backup_files_are_ignored(impl: Any, project: Any) -> None:
    b = basic_project(project)
    for name in _STRAYS:  # same ids as real sequences: reading any of them is visible
        project.write_raw(f"sequences/{name}", dump_bytes(sequence_doc("001", ["stray"], order=0)))
    project.write_raw("sequences/notes.json", dump_bytes(sequence_doc("099", order=0)))
    project.write_raw("sequences/.sequence_001.json.lock", b"")
    ids = [s.get("id") for s in impl.get_all_sequences(project.path)]
    require("SEQ-LAYOUT-2", ids == ["001", "002"],
            f'expected ["001", "002"], got {as_json(ids)}')
    shots = [s["id"] for s in impl.get_shots(project.path, "001")]
    require("SEQ-LAYOUT-2", shots == ["001-s1", "001-s2", "001-s3"],
            f"got shots {as_json(shots)}")
    expect_missing_sequence("SEQ-LAYOUT-2", impl.get_shots, project.path, "099")
    before = project.snapshot()
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(),
           {"notes": "x"})
    changed = before.changed(project.snapshot())
    require("SEQ-LAYOUT-2", changed == [b.rel],
            f"expected only {b.rel} to change: {as_json(changed)}")


@pytest.mark.requirement("SEQ-ERR-2", "SEQ-UPDATE-2", "SEQ-UPDATE-3", "SEQ-UPDATE-8",
                         "SEQ-UPDATE-9", "SEQ-GET-2", "SEQ-ID-4")
def test_failed_calls_carry_a_code_and_change_nothing(impl: Any, project: Any) -> None:
    b = basic_project(project)
    project.write_sequence("sequence_003.json", sequence_doc("003", ["x"], order=3))
    # (requirement a success would break, operation, arguments)
    calls = [
        ("SEQ-UPDATE-9", "update_shot", (project.path, "404", "x", {"notes": "n"})),
        ("SEQ-UPDATE-9", "update_shot", (project.path, b.sequence_id, "404", {"notes": "n"})),
        ("SEQ-UPDATE-8", "update_shot", (project.path, b.sequence_id, b.shot_id(), {"number": -3})),
        ("SEQ-UPDATE-3", "update_shot", (project.path, b.sequence_id, b.shot_id(), {"id": "x2"})),
        ("SEQ-UPDATE-2", "update_shot", (project.path, b.sequence_id, b.shot_id(), "not a dict")),
        ("SEQ-GET-2", "get_shots", (project.path, "404")),
        ("SEQ-ID-4", "get_shots", (project.path, "a/b")),
    ]
    judged = 0
    for requirement, op, args in calls:
        before = project.snapshot()
        shown = call_text(op, *args[1:])
        try:
            result = getattr(impl, op)(*args)
        except SeqcheckError as exc:
            if exc.code is ErrorCode.UNSUPPORTED:
                continue  # nothing to judge: the operation is not offered
            judged += 1
            soft("SEQ-ERR-2", exc.code is not ErrorCode.INTERNAL_ERROR,
                 f"{shown} failed without a spec error code: {exc.message}")
            soft("SEQ-ERR-2", bool(exc.message.strip()), f"{shown}: empty message")
            changed = before.changed(project.snapshot())
            soft("SEQ-ERR-2", not changed, f"the failed {shown} changed {as_json(changed)}")
        else:
            soft(requirement, False, f"{shown} should fail, returned {shorten(result, 200)}")
    if not judged:
        inconclusive("no call failed with an error to judge (every operation answered "
                     "UNSUPPORTED or succeeded)")
    leftovers = [p.name for p in project.sequences.iterdir() if p.name.endswith(".tmp")]
    require("SEQ-ERR-2", not leftovers, f"temp files left behind: {as_json(leftovers)}")
