"""Bad input: a clear error naming the file and JSON location, and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from migrate import Options, apply, plan
from tests.migrate.conftest import NOW, MakeProject, project_doc, seq_doc, tree


def _refused(root: Path, options: Options | None = None) -> SeqcheckError:
    before = tree(root, records=True)
    with pytest.raises(SeqcheckError) as info:
        apply(root, options, now=NOW)
    with pytest.raises(SeqcheckError) as planned:
        plan(root, options)
    assert planned.value.to_dict() == info.value.to_dict()
    after = tree(root, records=True)
    assert after == before, "a refused migration wrote something"
    assert not (root / ".seqcheck").exists()
    return info.value


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b'{"schema_version": "1.0", "project_name": "P", "shots": [', "syntax error"),
        (b'{"schema_version": "1.0", "project_name": "P", "project_name": "Q"}', "twice"),
        (b'{"schema_version": "1.0", "project_name": "P", "x": NaN}', "NaN"),
        (b'\xff\xfe{"a": 1}', "UTF-8"),
    ],
)
def test_corrupt_project_json(make_project: MakeProject, raw: bytes, needle: str) -> None:
    err = _refused(make_project(raw))
    assert err.code is ErrorCode.CORRUPT_FILE and needle in err.message
    assert err.file is not None and err.file.endswith("project.json")


@pytest.mark.parametrize("doc", [[], "project", 3, None])
def test_project_json_not_an_object(make_project: MakeProject, doc: Any) -> None:
    err = _refused(make_project(doc))
    assert err.code is ErrorCode.CORRUPT_FILE and err.pointer == ""
    assert "expected project.json to hold a JSON object" in err.message


def test_shot_without_id(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}],
                                    storyboard=[{"title": "no id", "sequence_id": "s"}]))
    err = _refused(root)
    assert err.code is ErrorCode.CORRUPT_FILE and err.pointer == "/storyboard/0"
    assert "without one" in err.message


@pytest.mark.parametrize("bad", ["../../etc", "a/b", "..", ".hidden", "C:evil", ""])
def test_sequence_id_that_is_not_a_safe_file_name(make_project: MakeProject, bad: str) -> None:
    root = make_project(project_doc(shots=[{"id": "ok", "sequencePlanId": "s"},
                                           {"id": "x", "sequence_id": bad}]))
    err = _refused(root)
    assert err.code is ErrorCode.INVALID_ID and err.pointer == "/shots/1/sequence_id"
    assert not (root.parent / "etc").exists()


def test_shot_id_not_a_string(make_project: MakeProject) -> None:
    err = _refused(make_project(project_doc(shots=[{"id": 7, "sequencePlanId": "s"}])))
    assert err.code is ErrorCode.INVALID_ID and err.pointer == "/shots/0/id"


def test_shots_not_an_array(make_project: MakeProject) -> None:
    err = _refused(make_project(project_doc(shots={"id": "a"})))  # type: ignore[arg-type]
    assert err.code is ErrorCode.CORRUPT_FILE and err.pointer == "/shots"


def test_shot_not_an_object(make_project: MakeProject) -> None:
    err = _refused(make_project(project_doc(shots=["a"])))
    assert err.pointer == "/shots/0" and "JSON object" in err.message


def test_project_schema_violation(make_project: MakeProject) -> None:
    """A schema violation inside a shot that moves is refused where the user fixes it
    (elsewhere in project.json it is a plan warning: tests/field)."""
    root = make_project({"schema_version": "1.0", "project_name": "P", "created_at": "never",
                         "shots": [{"id": "a", "sequencePlanId": "s",
                                    "timing": {"duration": -1}}]})
    err = _refused(root)
    assert err.code is ErrorCode.CORRUPT_FILE and err.pointer == "/shots/0/timing/duration"
    assert err.file is not None and err.file.endswith("project.json")


def test_unsafe_orphans_target(make_project: MakeProject) -> None:
    err = _refused(make_project(project_doc(shots=[{"id": "a"}])), Options(orphans="../x"))
    assert err.code is ErrorCode.INVALID_ID


def test_corrupt_sequence_file(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]),
                        {"sequence_001.json": b'{"id": "s", "shots": [}'})
    err = _refused(root)
    assert err.code is ErrorCode.CORRUPT_FILE and err.file is not None
    assert err.file.endswith("sequence_001.json")


def test_two_files_with_one_sequence_id(make_project: MakeProject) -> None:
    root = make_project(project_doc(shots=[{"id": "a", "sequencePlanId": "s"}]),
                        {"sequence_001.json": seq_doc("s", []),
                         "sequence_002.json": seq_doc("s", [])})
    err = _refused(root)
    assert err.code is ErrorCode.DUPLICATE_SEQUENCE_ID and err.pointer == "/id"


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(SeqcheckError) as info:
        apply(tmp_path / "missing")
    assert info.value.code is ErrorCode.PROJECT_NOT_FOUND
    (tmp_path / "empty").mkdir()
    with pytest.raises(SeqcheckError) as info:
        apply(tmp_path / "empty")
    assert info.value.code is ErrorCode.PROJECT_NOT_FOUND
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize(
    ("late", "pointer"),
    [
        ({"id": "../d", "sequencePlanId": "s"}, "/shots/3/id"),
        ({"id": 4, "sequencePlanId": "s"}, "/shots/3/id"),
        ({"id": "d", "sequencePlanId": "s", "sequence_id": "../s"}, "/shots/3/sequence_id"),
        ({"id": "d", "sequencePlanId": ["s"]}, "/shots/3/sequencePlanId"),
        ({"id": "d", "sequence_id": ".s"}, "/shots/3/sequence_id"),
    ],
)
def test_a_shot_naming_an_already_checked_sequence_is_still_checked(
    make_project: MakeProject, late: dict[str, Any], pointer: str
) -> None:
    """The streamed check remembers the sequence ids it found safe; a later shot that
    names one of them is still refused for its own id or its other field."""
    shots = [{"id": c, "sequencePlanId": "s", "sequence_id": "s"} for c in "abc"]
    err = _refused(make_project(project_doc(shots=[*shots, late])))
    assert err.code is ErrorCode.INVALID_ID and err.pointer == pointer
