"""The published protocol schema matches the code's enums and explains bad messages."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import schema_registry
from conformance.errors import ErrorCode
from conformance.protocol import OPS, handle, messages
from conformance.protocol.dispatch import STORE_OPS
from conformance.requirements import Capability

SCHEMA = schema_registry.load_schema("adapter-protocol")


def test_error_code_enum_equals_error_code() -> None:
    assert SCHEMA["$defs"]["error-code"]["enum"] == [c.value for c in ErrorCode]


def test_capability_enum_equals_capability() -> None:
    assert SCHEMA["$defs"]["capability"]["enum"] == [c.value for c in Capability]


def test_every_op_has_args_and_result_definitions() -> None:
    assert set(OPS) == set(STORE_OPS) | {"hello", "shutdown"}
    for op in OPS:
        assert f"{op}-args" in SCHEMA["$defs"]
        assert f"{op}-result" in SCHEMA["$defs"]


def test_registered_with_the_shared_conventions() -> None:
    assert "adapter-protocol" in schema_registry.schema_names()
    assert SCHEMA["$id"] == "https://schemas.seqcheck.dev/v1/adapter-protocol.schema.json"
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["title"] and SCHEMA["description"]


@pytest.mark.parametrize(
    "example", SCHEMA["examples"], ids=lambda e: f"{e.get('op', 'response')}-{e['id']}"
)
def test_examples_are_valid_messages(example: dict[str, Any]) -> None:
    assert schema_registry.is_valid("adapter-protocol", example)
    assert schema_registry.first_error("adapter-protocol", example) is None
    if "op" in example:
        assert messages.request_problem(example) is None
    else:
        assert messages.problem("response", example) is None


@pytest.mark.parametrize(
    ("response", "op", "expected"),
    [
        ({"id": 1, "ok": True}, "get_shots", "at /"),
        ({"id": 1, "ok": "true", "result": []}, "get_shots", "at /"),
        (
            {"id": 1, "ok": False, "error": {"code": "OOPS", "message": "m"}},
            "get_shots",
            "at /error/code",
        ),
        (
            {"id": 1, "ok": False, "error": {"code": "IO_ERROR"}},
            "get_shots",
            "'message' is a required property",
        ),
        (
            {"id": 1, "ok": True, "result": {"id": "s"}},
            "get_shots",
            "not a valid get_shots result: at /result",
        ),
        ({"id": 1, "ok": True, "result": [{"id": 7}]}, "get_shots", "at /result/0/id"),
        (
            {
                "id": 1,
                "ok": True,
                "result": {"name": "x", "version": "1", "protocol": 1, "capabilities": ["fly"]},
            },
            "hello",
            "at /result/capabilities/0",
        ),
        (
            {"id": 1, "ok": True, "result": {"id": "a", "shots": []}},
            "get_all_sequences",
            "is not of type 'array'",
        ),
        ({"id": 1, "ok": True, "result": 3}, "shutdown", "at /result"),
        ({"id": 1, "ok": True, "result": [], "extra": 1}, "get_shots", "at /"),
    ],
)
def test_invalid_responses_are_explained(response: dict[str, Any], op: str, expected: str) -> None:
    problem = messages.response_problem(response, op)
    assert problem is not None
    assert expected in problem


def test_valid_responses_pass() -> None:
    assert (
        messages.response_problem(
            {"id": 3, "ok": True, "result": [{"id": "a", "x": 1}]}, "get_shots"
        )
        is None
    )
    assert (
        messages.response_problem(
            {
                "id": None,
                "ok": False,
                "error": {"code": "INTERNAL_ERROR", "message": "m", "stack": "s"},
            },
            "x",
        )
        is None
    )
    assert messages.response_problem({"id": 3, "ok": True, "result": None}, "shutdown") is None


def test_malformed_requests_get_internal_error_with_their_id() -> None:
    def factory(project: str) -> object:
        raise AssertionError("never called for a malformed request")

    for request, rid in (
        ({"id": 4, "op": "get_shots", "args": {}}, 4),  # project missing
        (
            {
                "id": 5,
                "op": "update_shot",
                "args": {"project": "/p", "sequence_id": "1", "shot_id": "s"},
            },
            5,
        ),
        ({"op": "hello", "args": {}}, None),
        ([1, 2], None),
    ):
        response = handle(factory, request)
        assert response["id"] == rid
        assert response["ok"] is False
        assert response["error"]["code"] == "INTERNAL_ERROR"
        assert response["error"]["message"].startswith("malformed request at ")
        assert messages.problem("response", response) is None


def test_encode_is_one_utf8_line() -> None:
    value = {"id": 1, "ok": True, "result": "a\nb\u2028c\u00e9\U0001f600"}
    line = messages.encode(value)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert messages.decode(line) == value


def test_encode_rejects_what_no_peer_can_read() -> None:
    for bad in ({"x": float("nan")}, {"x": "\udc80"}, {"x": object()}):
        with pytest.raises(messages.MessageError):
            messages.encode(bad)


def test_decode_is_strict() -> None:
    for bad in (b'{"id": 1, "id": 2}', b'{"x": NaN}', b"\xff", b"not json"):
        with pytest.raises(messages.MessageError):
            messages.decode(bad)


@pytest.mark.parametrize(
    ("op", "result"),
    [
        ("update_shot", None),
        ("update_legacy_shot", None),
        ("save_shot", None),
        ("get_all_sequences", [{"name": "no id"}, [1, 2], "x"]),
    ],
)
def test_what_the_suite_judges_passes_the_protocol(op: str, result: Any) -> None:
    """An update that returns nothing and corrupt documents passed off as sequences are
    the implementation's failures (SEQ-UPDATE-5, SEQ-ALL-2), reported by the suite; the
    protocol must carry them, not call the adapter malformed."""
    assert messages.response_problem({"id": 1, "ok": True, "result": result}, op) is None
