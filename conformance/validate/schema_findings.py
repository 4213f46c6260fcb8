"""Schema level: every violation of a document's JSON Schema, one finding per location.

Validity is decided by the compiled validator (jsonschema-rs); only a document that
fails is handed to jsonschema, the source of truth for explanations, which collects
every error. Errors at one location are folded into one finding: the best match
(``jsonschema.exceptions.best_match``) with the others in :attr:`Finding.more`.
"""

from __future__ import annotations

import reprlib
from typing import TYPE_CHECKING, Any, TypeAlias

from conformance import schema_registry
from conformance.errors import json_pointer
from conformance.validate.finding import FileRef, Finding

if TYPE_CHECKING:  # imported on first use: ~70 ms of start-up that a valid project
    # never needs (the compiled validator decides validity; jsonschema only explains).
    import jsonschema

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


def _finding(
    err: jsonschema.ValidationError, schema: str, ref: FileRef, prefix: tuple[str | int, ...]
) -> Finding:
    pointer = json_pointer([*prefix, *err.absolute_path])
    code = "SC201"
    hint = None
    if (
        schema == schema_registry.SEQUENCE
        and err.validator == "required"
        and not err.absolute_path
        and not prefix
        and isinstance(err.instance, dict)
        and "id" not in err.instance
        and "'id'" in err.message
    ):
        code = "SC202"
    else:
        # Quote the rule itself: jsonschema's schema path drops $ref hops, so it is no
        # pointer into any one file (shots are explained against shot.schema.json).
        hint = (
            f"Make the value satisfy {err.validator}: {_short(_found(err.validator_value))} "
            f"('seqcheck schema {schema}' prints the schema)."
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


Located: TypeAlias = "tuple[tuple[str | int, ...], str, jsonschema.ValidationError]"


def _violations(
    schema: str, doc: Any, budget: int | None
) -> tuple[list[Located], list[tuple[str, int]]]:
    """Every violation as ``(path prefix, schema name, error)``, and the shots left
    unexplained once ``budget`` explained violations are reached (None: no budget).

    jsonschema costs ~90 us per shot, so a file with one bad shot among 100 must not
    pay for all of them: the shot arrays are emptied for one pass over the rest of
    the document, and each shot the compiled validator rejects is explained against
    shot.schema.json alone (equivalent: the arrays' only rule is ``items``). Past the
    budget a rejected shot is only noted (a few us): those findings would not be
    listed anyway.
    """
    arrays = schema_registry.shot_arrays_in(schema, doc)
    detailed = schema_registry.detailed_validator
    if not arrays:
        return [((), schema, e) for e in detailed(schema).iter_errors(doc)], []
    shell = {**doc, **{a: [] for a in arrays}}
    out: list[Located] = []
    unexplained: list[tuple[str, int]] = []
    if not schema_registry.is_valid(schema, shell):
        out.extend(((), schema, e) for e in detailed(schema).iter_errors(shell))
    shot = schema_registry.SHOT
    explained_shots = 0
    for array in arrays:
        for index, item in enumerate(doc[array]):
            if not schema_registry.is_valid(shot, item):
                if budget is not None and explained_shots >= budget:
                    unexplained.append((array, index))
                    continue
                errors = [((array, index), shot, e) for e in detailed(shot).iter_errors(item)]
                explained_shots += len({tuple(e.absolute_path) for _, _, e in errors})
                out.extend(errors)
    return out, unexplained


def schema_findings(
    schema: str, doc: Any, ref: FileRef, limit: int | None = None
) -> list[Finding]:
    """Findings for every violation of schema ``schema`` in ``doc`` (none if valid).

    With ``limit`` (the per-file listing cap of :func:`conformance.validate.report.
    cap_per_code`), shots are explained until ``limit`` findings are in hand; each
    further invalid shot gets one finding without the explanation, which the cap then
    counts into its "+N more" summary.
    """
    if schema_registry.is_valid(schema, doc):
        return []
    try:
        errors, unexplained = _violations(schema, doc, limit)
    except RecursionError:
        return [
            ref.finding(
                "SC201", "",
                f"{schema} schema: the document is invalid and nested too deeply for a "
                "detailed explanation.",
            )
        ]
    if not errors and not unexplained:
        # The two validators disagree: report it rather than call the file clean.
        return [
            ref.finding(
                "SC201", "",
                f"{schema} schema: the compiled validator rejects the document but the "
                "reference validator finds no violation; please report this as a bug.",
                rule="validator-disagreement",
            )
        ]
    import jsonschema.exceptions

    by_location: dict[tuple[str | int, ...], list[Located]] = {}
    for located in errors:
        prefix, _, err = located
        by_location.setdefault((*prefix, *err.absolute_path), []).append(located)
    out = []
    for group in by_location.values():
        best = jsonschema.exceptions.best_match(e for _, _, e in group)
        assert best is not None
        main = next(
            _finding(e, name, ref, prefix) for prefix, name, e in group if e is best
        )
        others = tuple(_finding(e, name, ref, prefix) for prefix, name, e in group if e is not best)
        if others:
            main = ref.finding(
                main.code, main.pointer,
                f"{main.message} (+{len(others)} more at this location)",
                rule=main.rule, hint=main.hint, more=others,
            )
        out.append(main)
    for array, index in unexplained:
        out.append(
            ref.finding(
                "SC201", json_pointer([array, index]),
                f"{schema_registry.SHOT} schema: this shot is invalid (not explained: past "
                "the listing limit; --verbose explains every shot).",
                rule="unexplained",
            )
        )
    return out
