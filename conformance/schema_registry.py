"""The one place that loads seqcheck's JSON Schemas.

Schemas ship inside the ``schemas`` package and are read from its folder (through
importlib.resources when the package is not a folder of files, e.g. in a zip).
Two validators per schema, deliberately: a compiled one (jsonschema-rs) decides
validity fast, and the pure-Python ``jsonschema`` one, the source of truth for error
reporting, explains why a document that failed is invalid. Tests check both agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:  # jsonschema and referencing are imported on first use: they cost
    # ~0.15 s at start-up and are needed only to explain a document that failed the
    # compiled check (every adapter process and CLI start pays the import otherwise).
    from importlib.abc import Traversable

    import jsonschema
    from referencing import Registry

#: Schema names (file stem without ``.schema.json``) of the persisted formats.
SHOT = "shot"
SEQUENCE = "sequence"
PROJECT = "project"


@cache
def _package_files() -> Traversable:
    """The ``schemas`` package's files: its folder when it is one (importlib.resources
    and the tempfile and zipfile machinery it imports cost every command ~10 ms of
    start-up), else importlib.resources' view of it."""
    import schemas

    folder = Path(schemas.__file__).parent
    if folder.is_dir():
        return folder
    from importlib import resources

    return resources.files("schemas")


def schema_names() -> list[str]:
    """Every schema shipped in the ``schemas`` package."""
    names = []
    for entry in _package_files().iterdir():
        if entry.name.endswith(".schema.json"):
            names.append(entry.name[: -len(".schema.json")])
    return sorted(names)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema ``schemas/<name>.schema.json``."""
    text = _package_files().joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_id(name: str) -> str:
    """The ``$id`` of schema ``name``."""
    return str(load_schema(name)["$id"])


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources_ = [
        (schema_id(n), Resource.from_contents(load_schema(n), default_specification=DRAFT202012))
        for n in schema_names()
    ]
    registry: Registry[Any] = Registry().with_resources(resources_)
    return registry


# Patterns the compiled validator checks in an equivalent form without lookaheads.
# jsonschema-rs runs a pattern with lookaheads on a backtracking engine (fancy-regex)
# and one without on the linear regex engine: for the identifier pattern, which
# every shot's id and sequencePlanId go through, that was ~25% of validating a
# clean sequence file. The schemas keep the readable form (and jsonschema, which
# explains failures, uses it); tests/foundation/test_fast_patterns.py checks each
# pair accepts the same strings.
_N = r"[^./\\\x00]"  # an identifier character other than '.'
FAST_PATTERNS: dict[str, str] = {
    # Starts with a non-dot; a letter is not followed by ':'; no '..' anywhere.
    r"^(?!\.)(?![A-Za-z]:)(?![\s\S]*\.\.)[^/\\\x00]+$": (
        rf"^(?:[^./\\\x00A-Za-z](?:{_N}|\.{_N})*\.?"
        rf"|[A-Za-z](?:(?:[^./\\\x00:]|\.{_N})(?:{_N}|\.{_N})*\.?|\.)?)$"
    ),
}


def _with_fast_patterns(value: Any) -> Any:
    """A copy of schema ``value`` with each :data:`FAST_PATTERNS` key replaced."""
    if isinstance(value, dict):
        out = {k: _with_fast_patterns(v) for k, v in value.items()}
        pattern = out.get("pattern")
        if isinstance(pattern, str) and pattern in FAST_PATTERNS:
            out["pattern"] = FAST_PATTERNS[pattern]
        return out
    if isinstance(value, list):
        return [_with_fast_patterns(v) for v in value]
    return value


@cache
def fast_schema(name: str) -> dict[str, Any]:
    """Schema ``name`` as the compiled validator gets it: :data:`FAST_PATTERNS`
    applied (the same verdict on every document, faster)."""
    schema: dict[str, Any] = _with_fast_patterns(load_schema(name))
    return schema


@cache
def _rs_registry() -> Any:
    return jsonschema_rs.Registry([(schema_id(n), fast_schema(n)) for n in schema_names()])


@cache
def detailed_validator(name: str) -> jsonschema.protocols.Validator:
    """A ``jsonschema`` validator for ``name`` (formats asserted), for error reports."""
    import jsonschema

    cls = jsonschema.validators.validator_for(load_schema(name))
    validator: jsonschema.protocols.Validator = cls(
        load_schema(name),
        registry=_registry(),
        format_checker=cls.FORMAT_CHECKER,
    )
    return validator


@cache
def fast_validator(name: str) -> Any:
    """A compiled jsonschema-rs validator for ``name`` (formats asserted)."""
    return jsonschema_rs.validator_for(
        fast_schema(name), registry=_rs_registry(), validate_formats=True
    )


def is_valid(name: str, instance: Any) -> bool:
    """Whether ``instance`` is valid against schema ``name`` (fast path)."""
    return bool(fast_validator(name).is_valid(instance))


def iter_errors(name: str, instance: Any) -> Iterator[jsonschema.ValidationError]:
    """Every violation of schema ``name`` in ``instance``, in document order."""
    errors = detailed_validator(name).iter_errors(instance)
    return iter(sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]))


@cache
def shot_arrays(name: str) -> tuple[str, ...]:
    """Properties of schema ``name`` that are plain arrays of shots (``items`` a bare
    $ref to shot.schema.json and nothing else that an empty array could violate)."""
    out = []
    for prop, sub in load_schema(name).get("properties", {}).items():
        if (
            isinstance(sub, dict)
            and sub.get("items") == {"$ref": f"{SHOT}.schema.json"}
            and set(sub) <= {"type", "items", "description"}
        ):
            out.append(prop)
    return tuple(out)


def shot_arrays_in(name: str, doc: Any) -> list[str]:
    """The :func:`shot_arrays` of ``name`` that ``doc`` holds as lists."""
    if not isinstance(doc, dict):
        return []
    return [a for a in shot_arrays(name) if type(doc.get(a)) is list]


def first_error(name: str, instance: Any) -> jsonschema.ValidationError | None:
    """The most relevant violation (``jsonschema.exceptions.best_match``), or ``None``.

    Shots are checked one by one (the shot arrays' only rule is ``items``): the
    rest of the document first, then the first shot the compiled validator rejects,
    explained alone, so a file of 100k bad shots costs one explanation, not 100k.
    The error's ``absolute_path`` is its location in ``instance``.
    """
    if is_valid(name, instance):
        return None
    import jsonschema.exceptions

    arrays = shot_arrays_in(name, instance)
    shell = {**instance, **{a: [] for a in arrays}} if arrays else instance
    if not arrays or not is_valid(name, shell):
        best: jsonschema.ValidationError | None = jsonschema.exceptions.best_match(
            detailed_validator(name).iter_errors(shell)
        )
        return best
    for array in arrays:
        for index, item in enumerate(instance[array]):
            if not is_valid(SHOT, item):
                err: jsonschema.ValidationError | None = jsonschema.exceptions.best_match(
                    detailed_validator(SHOT).iter_errors(item)
                )
                if err is not None:
                    err.path.extendleft([index, array])
                    return err
    # Unreachable while the arrays' only rule is ``items``; never call it valid.
    fallback: jsonschema.ValidationError | None = jsonschema.exceptions.best_match(
        detailed_validator(name).iter_errors(instance)
    )
    return fallback
