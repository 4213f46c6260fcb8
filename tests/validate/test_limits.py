"""Every limit of conformance/limits.py, at the limit and one past it, through the three
readers (validate, the migrate plan, the reference store) and the store's update check.

At the limit: accepted, and what is written reads back the same. One past: the
reported outcome (finding code, file and pointer; CORRUPT_FILE or INVALID_UPDATE
naming the place), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes, parse_bytes
from conformance.limits import MAX_DEPTH, MAX_INT_DIGITS, MAX_STRING_CHARS
from conformance.reference.store import ReferenceStore
from conformance.validate import validate_project
from migrate import plan

PROJECT = {"schema_version": "1.0", "project_name": "Limits"}
SEQ = "sequences/sequence_001.json"


def nested(levels: int) -> str:
    """JSON text of ``levels`` nested arrays (``[]`` is one level)."""
    return "[" * levels + "]" * levels


# The shot's "x" field sits inside 3 containers (document, "shots", the shot).
DEPTH_AT_LIMIT = nested(MAX_DEPTH - 3)
DEPTH_PAST = nested(MAX_DEPTH - 2)
INT_AT_LIMIT = "9" * MAX_INT_DIGITS
INT_PAST = "1" + "0" * MAX_INT_DIGITS


def _string(length: int) -> str:
    return '"' + "s" * length + '"'


def sequence_text(x: str) -> str:
    return '{"id": "001", "shots": [{"id": "a", "sequencePlanId": "001", "x": ' + x + "}]}\n"


def legacy_text(x: str) -> str:
    return (
        '{"schema_version": "1.0", "project_name": "Limits", "shots": '
        '[{"id": "a", "sequencePlanId": "001", "x": ' + x + "}]}\n"
    )


def make_sequence_project(root: Path, x: str) -> Path:
    (root / "sequences").mkdir(parents=True)
    (root / "project.json").write_text(json.dumps(PROJECT))
    (root / SEQ).write_text(sequence_text(x))
    return root


def make_legacy_project(root: Path, x: str) -> Path:
    root.mkdir(parents=True)
    (root / "project.json").write_text(legacy_text(x))
    return root


CASES = {
    # name: (value at the limit, value one past, validate code, pointer past the limit)
    "depth": (DEPTH_AT_LIMIT, DEPTH_PAST, "SC107", ""),
    "integer-digits": (INT_AT_LIMIT, INT_PAST, "SC115", "/shots/0/x"),
    "negative-integer-digits": ("-" + INT_AT_LIMIT, "-" + INT_PAST, "SC115", "/shots/0/x"),
}
BIG_STRING_CASE = (_string(MAX_STRING_CHARS), _string(MAX_STRING_CHARS + 1), "SC116", "/shots/0/x")


def _cases() -> list[Any]:
    params = [pytest.param(*v, id=k) for k, v in CASES.items()]
    params.append(pytest.param(*BIG_STRING_CASE, id="string-length"))
    return params


@pytest.mark.parametrize(("at_limit", "past", "code", "pointer"), _cases())
def test_validate(tmp_path: Path, at_limit: str, past: str, code: str, pointer: str) -> None:
    ok = validate_project(make_sequence_project(tmp_path / "ok", at_limit))
    assert [(f.code, f.file, f.pointer) for f in ok.findings] == []
    bad = validate_project(make_sequence_project(tmp_path / "bad", past))
    assert [(f.code, f.file, f.pointer) for f in bad.findings] == [(code, SEQ, pointer)]
    (finding,) = bad.findings
    assert finding.line is not None
    legacy = validate_project(make_legacy_project(tmp_path / "legacy", past))
    assert [(f.code, f.file, f.pointer) for f in legacy.findings] == [
        (code, "project.json", pointer)
    ]


@pytest.mark.parametrize(("at_limit", "past", "code", "pointer"), _cases())
def test_migrate_plan(tmp_path: Path, at_limit: str, past: str, code: str, pointer: str) -> None:
    result = plan(make_legacy_project(tmp_path / "ok", at_limit))
    (step,) = [s for s in result.steps if s.path == SEQ]
    assert step.data is not None
    written = parse_bytes(step.data)
    assert written["shots"][0]["id"] == "a"
    assert dump_bytes(written) == step.data
    with pytest.raises(SeqcheckError) as err:
        plan(make_legacy_project(tmp_path / "bad", past))
    assert err.value.code is ErrorCode.CORRUPT_FILE
    assert err.value.file == str(tmp_path / "bad" / "project.json")
    assert err.value.pointer == pointer


@pytest.mark.parametrize(("at_limit", "past", "code", "pointer"), _cases())
def test_store_reads(tmp_path: Path, at_limit: str, past: str, code: str, pointer: str) -> None:
    store = ReferenceStore(make_sequence_project(tmp_path / "ok", at_limit))
    (seq,) = store.get_all_sequences()
    assert seq["shots"][0]["id"] == "a"
    store = ReferenceStore(make_sequence_project(tmp_path / "bad", past))
    with pytest.raises(SeqcheckError) as err:
        store.get_shots("001")
    assert err.value.code is ErrorCode.CORRUPT_FILE
    assert err.value.file == str(tmp_path / "bad" / SEQ)
    assert err.value.pointer == pointer


def _deep_list(levels: int) -> list[Any]:
    root: list[Any] = []
    inner = root
    for _ in range(levels - 1):
        inner.append([])
        inner = inner[0]
    return root


def _self_dict() -> dict[str, Any]:
    d: dict[str, Any] = {"n": 1}
    d["a"] = d
    d["b"] = d
    return d


def _self_list() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


UPDATES: dict[str, tuple[Callable[[], Any], Callable[[], Any], str]] = {
    # name: (value at the limit, value one past, where the problem is in the updates)
    "depth": (lambda: _deep_list(MAX_DEPTH - 3), lambda: _deep_list(MAX_DEPTH - 2), "/x/0/0"),
    "integer-digits": (lambda: 10**MAX_INT_DIGITS - 1, lambda: 10**MAX_INT_DIGITS, "/x"),
    "string-length": (
        lambda: "s" * MAX_STRING_CHARS, lambda: "s" * (MAX_STRING_CHARS + 1), "/x"
    ),
}


@pytest.mark.parametrize(("at_limit", "past", "where"), list(UPDATES.values()), ids=list(UPDATES))
def test_store_update_values(
    tmp_path: Path, at_limit: Callable[[], Any], past: Callable[[], Any], where: str
) -> None:
    root = make_sequence_project(tmp_path / "p", "1")
    store = ReferenceStore(root)
    before = (root / SEQ).read_bytes()
    with pytest.raises(SeqcheckError) as err:
        store.update_shot("001", "a", {"x": past()})
    assert err.value.code is ErrorCode.INVALID_UPDATE
    assert f"at {where}" in err.value.message
    assert (root / SEQ).read_bytes() == before
    store.update_shot("001", "a", {"x": at_limit()})
    written = (root / SEQ).read_bytes()
    assert dump_bytes(parse_bytes(written)) == written
    assert validate_project(root).findings == []


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_self_dict, "a reference cycle"),
        (_self_list, "a reference cycle"),
        (lambda: 10**5000, "more than 4300 digits"),
        (lambda: _deep_list(5000), f"deeper than {MAX_DEPTH} levels"),
        (lambda: {"k": float("nan")}, "non-finite"),
        (lambda: {1: "x"}, "non-string object key"),
    ],
    ids=["self-dict", "self-list", "10**5000", "nesting-5000", "nan", "int-key"],
)
def test_store_refuses_unwritable_updates(
    tmp_path: Path, value: Callable[[], Any], expected: str
) -> None:
    """The store never spins, grows or raises a raw ValueError/RecursionError."""
    root = make_sequence_project(tmp_path / "p", "1")
    before = (root / SEQ).read_bytes()
    with pytest.raises(SeqcheckError) as err:
        ReferenceStore(root).update_shot("001", "a", {"x": value()})
    assert err.value.code is ErrorCode.INVALID_UPDATE
    assert expected in err.value.message
    assert (root / SEQ).read_bytes() == before


def test_dump_refuses_what_it_cannot_write() -> None:
    for value in (_self_dict(), _self_list(), _deep_list(MAX_DEPTH + 1), 10**MAX_INT_DIGITS):
        with pytest.raises(ValueError):
            dump_bytes(value)
    assert parse_bytes(dump_bytes(_deep_list(MAX_DEPTH))) is not None
