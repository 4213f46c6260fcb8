"""The suite's assertions: wrong codes, missing operations and preconditions."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.suite.checks import (
    Inconclusive,
    RequirementFailure,
    as_json,
    expect_error,
    expect_missing_sequence,
    needed,
    take_deferred,
)


def _raise(code: ErrorCode) -> Any:
    def call(*_: Any) -> Any:
        raise SeqcheckError(code, f"{code.value} here")
    return call


def test_a_failure_without_a_spec_code_is_a_right_failure() -> None:
    exc = expect_error("SEQ-ID-6", ErrorCode.SHOT_NOT_FOUND, _raise(ErrorCode.INTERNAL_ERROR))
    assert exc.code is ErrorCode.INTERNAL_ERROR  # SEQ-ERR-2 judges the code, not SEQ-ID-6


def test_a_wrong_spec_code_fails_the_requirement() -> None:
    with pytest.raises(RequirementFailure) as info:
        expect_error("SEQ-UPDATE-9", ErrorCode.SEQUENCE_NOT_FOUND, _raise(ErrorCode.SHOT_NOT_FOUND))
    assert info.value.requirement == "SEQ-UPDATE-9"
    assert "got SHOT_NOT_FOUND" in info.value.message


def test_unsupported_is_inconclusive_never_a_pass() -> None:
    with pytest.raises(Inconclusive):
        expect_error("SEQ-ID-4", ErrorCode.INVALID_ID, _raise(ErrorCode.UNSUPPORTED))
    with pytest.raises(Inconclusive):
        expect_missing_sequence("SEQ-ID-6", lambda *_: _raise(ErrorCode.UNSUPPORTED)(), "p", "1")
    with pytest.raises(Inconclusive, match="the update failed with IO_ERROR"):
        needed("the update", _raise(ErrorCode.IO_ERROR))


def test_empty_list_for_a_missing_sequence_is_get_2s_failure() -> None:
    take_deferred()
    expect_missing_sequence("SEQ-ID-6", lambda *_: [], "p", "1")
    deferred = take_deferred()
    assert [f.requirement for f in deferred] == ["SEQ-GET-2"]
    assert 'get_shots("1") returned []' in deferred[0].message


def test_values_in_messages_are_json() -> None:
    assert as_json({"a": None, "b": True, "c": "é"}) == '{"a": null, "b": true, "c": "é"}'
    assert as_json("x" * 500, 20).endswith("...") and len(as_json("x" * 500, 20)) == 20
