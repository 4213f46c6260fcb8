"""Adapter protocol v1 messages: framing, building, and checking against the schema.

One place knows how a message becomes a line and back, and what a valid request or
response looks like. Both transports (in-process and stdio) and the stdio server go
through these functions, so they exchange byte-for-byte the same lines.

Validity is decided by ``schemas/adapter-protocol.schema.json`` (loaded through
:mod:`conformance.schema_registry`): a compiled jsonschema-rs validator answers
"valid?" fast on every message, and the pure-Python ``jsonschema`` validator explains
a failure only when there is one.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from conformance import schema_registry
from conformance.documents import describe_schema_error
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.jsonio import parse_bytes

if TYPE_CHECKING:  # imported on first failure only (start-up cost; see schema_registry)
    import jsonschema

#: The protocol version this module speaks (``hello`` result ``protocol``).
PROTOCOL_VERSION = 1
#: Name of the protocol schema in :mod:`conformance.schema_registry`.
SCHEMA_NAME = "adapter-protocol"
#: Every operation of protocol v1, in the order the spec lists them.
OPS: tuple[str, ...] = (
    "hello",
    "update_shot",
    "get_shots",
    "get_all_sequences",
    "update_legacy_shot",
    "save_shot",
    "shutdown",
)


class MessageError(ValueError):
    """A line that is not a valid protocol message; ``str()`` explains why."""


def encode(message: dict[str, Any]) -> bytes:
    """One protocol line: compact UTF-8 JSON ending in ``\n`` (never a raw newline inside).

    Strict like :func:`decode`: NaN/Infinity and strings with unpaired surrogates are
    not JSON any peer could read back, so they raise :class:`MessageError`.
    """
    try:
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8") + b"\n"
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise MessageError(f"is not JSON-serialisable: {exc}") from exc


def decode(line: bytes) -> Any:
    """Parse one line strictly (no NaN, no duplicate keys, valid UTF-8)."""
    try:
        return parse_bytes(line.rstrip(b"\r\n"))
    except SeqcheckError as exc:
        raise MessageError(f"not valid JSON: {exc.message}") from None


def request(request_id: int, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """A request message."""
    return {"id": request_id, "op": op, "args": args}


def ok_response(request_id: int | None, result: Any) -> dict[str, Any]:
    """A success response."""
    return {"id": request_id, "ok": True, "result": result}


def error_response(request_id: int | None, error: SeqcheckError) -> dict[str, Any]:
    """An error response carrying ``error.to_dict()``."""
    return {"id": request_id, "ok": False, "error": error.to_dict()}


def internal_error(request_id: int | None, message: str) -> dict[str, Any]:
    """An INTERNAL_ERROR response (a failure that has no spec error code)."""
    return error_response(request_id, SeqcheckError(ErrorCode.INTERNAL_ERROR, message))


@cache
def _definition(name: str) -> dict[str, Any]:
    # The root schema with its top-level choice replaced by a $ref to one $defs entry:
    # internal refs still resolve against the same $id, no second registry needed.
    root = schema_registry.load_schema(SCHEMA_NAME)
    if name not in root["$defs"]:
        raise KeyError(f"{SCHEMA_NAME}.schema.json has no $defs/{name}")
    view = {k: v for k, v in root.items() if k not in ("anyOf", "examples", "title")}
    view["$ref"] = f"#/$defs/{name}"
    return view


@cache
def _fast(name: str) -> Any:
    return jsonschema_rs.validator_for(_definition(name), validate_formats=True)


@cache
def _detailed(name: str) -> jsonschema.protocols.Validator:
    import jsonschema

    cls = jsonschema.validators.validator_for(_definition(name))
    validator: jsonschema.protocols.Validator = cls(_definition(name))
    return validator


def problem(definition: str, instance: Any, *, at: str = "") -> str | None:
    """Why ``instance`` violates ``$defs/<definition>``, or ``None`` when it is valid.

    ``at`` is the JSON pointer of ``instance`` inside the message, for the explanation.
    """
    if _fast(definition).is_valid(instance):
        return None
    import jsonschema.exceptions

    best = jsonschema.exceptions.best_match(_detailed(definition).iter_errors(instance))
    if best is None:  # the two validators disagree: report it rather than pass it
        return f"rejected by the compiled validator of $defs/{definition}"
    where = at + json_pointer(list(best.absolute_path)) or "/"
    return f"at {where}: {describe_schema_error(best)}"


def request_problem(message: Any) -> str | None:
    """Why ``message`` is not a valid request (server side), or ``None``."""
    return problem("request", message)


def response_problem(message: Any, op: str) -> str | None:
    """Why ``message`` is not a valid response to an ``op`` request, or ``None``.

    Checks the envelope, then (for a success) the result shape of ``op``.
    """
    found = problem("response", message)
    if found is not None:
        return found
    if message["ok"] and op in OPS:
        found = problem(f"{op}-result", message["result"], at="/result")
        if found is not None:
            return f"not a valid {op} result: {found}"
    return None
