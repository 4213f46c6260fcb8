"""Schema level: every violation of a document's JSON Schema, one finding per location.

Validity is decided by the compiled validator (jsonschema-rs); only a document that
fails is handed to jsonschema, the source of truth for explanations, which collects
every error. Errors at one location are folded into one finding: the best match
(``jsonschema.exceptions.best_match``) with the others in :attr:`Finding.more`.
"""

from __future__ import annotations

import reprlib
from typing import Any

import jsonschema

from conformance import schema_registry
from conformance.errors import json_pointer
from conformance.validate.finding import FileRef, Finding

_MESSAGE_LIMIT = 240
_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlevel = 2


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _found(value: Any) -> str:
    try:
        return _repr.repr(value)
    except RecursionError:  # pragma: no cover - reprlib bounds depth already
        return f"a deeply nested {type(value).__name__}"


def _finding(err: jsonschema.ValidationError, schema: str, ref: FileRef) -> Finding:
    pointer = json_pointer(list(err.absolute_path))
    code = "SC201"
    hint = None
    if (
        schema == schema_registry.SEQUENCE
        and err.validator == "required"
        and not err.absolute_path
        and isinstance(err.instance, dict)
        and "id" not in err.instance
        and "'id'" in err.message
    ):
        code = "SC202"
    else:
        # The schema path cannot name the file a rule lives in (jsonschema drops the
        # $ref hop into shot.schema.json), so the hint quotes the rule itself.
        hint = (
            f"Make the value satisfy {err.validator}: {_short(_found(err.validator_value))} "
            f"(see schemas/{schema}.schema.json)."
        )
    message = _short(err.message)
    found = _found(err.instance)
    if found not in message:  # jsonschema's messages usually quote the value already
        message += f" (found {found})"
    return ref.finding(
        code,
        pointer,
        f"{schema} schema: {message}.",
        rule=str(err.validator),
        hint=hint,
    )


def schema_findings(schema: str, doc: Any, ref: FileRef) -> list[Finding]:
    """Findings for every violation of schema ``schema`` in ``doc`` (none if valid)."""
    if schema_registry.is_valid(schema, doc):
        return []
    try:
        errors = list(schema_registry.detailed_validator(schema).iter_errors(doc))
    except RecursionError:
        return [
            ref.finding(
                "SC201", "",
                f"{schema} schema: the document is invalid and nested too deeply for a "
                "detailed explanation.",
            )
        ]
    if not errors:
        # The two validators disagree: report it rather than call the file clean.
        return [
            ref.finding(
                "SC201", "",
                f"{schema} schema: the compiled validator rejects the document but the "
                "reference validator finds no violation; please report this as a bug.",
                rule="validator-disagreement",
            )
        ]
    by_location: dict[tuple[str | int, ...], list[jsonschema.ValidationError]] = {}
    for err in errors:
        by_location.setdefault(tuple(err.absolute_path), []).append(err)
    out = []
    for group in by_location.values():
        best = jsonschema.exceptions.best_match(group)
        assert best is not None
        others = tuple(_finding(e, schema, ref) for e in group if e is not best)
        main = _finding(best, schema, ref)
        if others:
            main = ref.finding(
                main.code, main.pointer,
                f"{main.message} (+{len(others)} more at this location)",
                rule=main.rule, hint=main.hint, more=others,
            )
        out.append(main)
    return out
