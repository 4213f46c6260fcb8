"""Self-contained copies of the shipped JSON Schemas, for tools that work offline.

The shipped schemas reference each other by URL (``shot.schema.json`` resolved
against ``https://schemas.seqcheck.dev/v1/``), a host that is not served, so
check-jsonschema, ajv and editors fail with a network error when given one file. A
bundle inlines every schema reached through ``$ref`` under the root's ``$defs``
(``#/$defs/shot``), rewrites each ``$ref`` to a local JSON pointer, drops the
embedded schemas' own ``$id``/``$schema``, and gives the root a ``urn:`` ``$id`` that
no tool tries to download. Validation is unchanged: a test requires seqcheck,
check-jsonschema and ajv to agree on every fixture.

Only the keywords that hold subschemas are walked, so a property *named*
``$ref``, or ``$ref`` inside an ``enum``/``const``/``examples`` value, is data and
stays untouched. ``$anchor`` and ``$dynamicRef`` are refused: none of the shipped
schemas uses them, and bundling them would need more than pointer rewriting.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from conformance import schema_registry

#: Keywords whose value is one subschema.
_ONE = frozenset({
    "additionalProperties", "contains", "else", "if", "items", "not", "propertyNames",
    "then", "unevaluatedItems", "unevaluatedProperties", "additionalItems",
    "contentSchema",
})
#: Keywords whose value is a list of subschemas.
_LIST = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
#: Keywords whose value maps names to subschemas.
_MAP = frozenset({"$defs", "definitions", "dependentSchemas", "patternProperties",
                  "properties"})
#: Keywords a pointer rewrite cannot bundle.
_UNSUPPORTED = frozenset({"$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef",
                          "$recursiveAnchor"})


class BundleError(ValueError):
    """A schema that cannot be bundled (an unknown reference, an unsupported keyword)."""


def bundle_id(name: str) -> str:
    """The ``$id`` of the bundle of schema ``name``: a URN, never fetched."""
    return f"urn:seqcheck:schema:v1:{name}:bundle"


def _walk(schema: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    """Call ``visit`` on every subschema (dict) of ``schema``, the root included."""
    if not isinstance(schema, dict):
        return  # a boolean schema
    visit(schema)
    for key, value in schema.items():
        if key in _ONE:
            _walk(value, visit)
        elif key in _LIST and isinstance(value, list):
            for item in value:
                _walk(item, visit)
        elif key in _MAP and isinstance(value, dict):
            for item in value.values():
                _walk(item, visit)


def _name_of(url: str, by_id: Mapping[str, str]) -> str:
    """The schema (of ``by_id``: $id -> name) a reference's document URL names."""
    try:
        return by_id[url]
    except KeyError:
        raise BundleError(
            f"expected $ref to name one of the schemas being bundled "
            f"({', '.join(sorted(by_id.values()))}), found {json.dumps(url)}."
        ) from None


def _pointer_into(prefix: str, fragment: str) -> str:
    """The local ``$ref`` for ``fragment`` (a JSON pointer, or "") of a document
    embedded at ``prefix`` ("" for the root)."""
    if fragment and not fragment.startswith("/"):
        raise BundleError(
            f"expected a JSON-pointer fragment in $ref, found {json.dumps(fragment)} (an "
            "anchor); "
            "seqcheck's schemas use pointers only."
        )
    return "#" + prefix + fragment


def _key_for(name: str, taken: set[str]) -> str:
    key = name
    while key in taken:
        key = f"{key}.schema"
    return key


def _shipped() -> dict[str, dict[str, Any]]:
    return {n: schema_registry.load_schema(n) for n in schema_registry.schema_names()}


def bundle(name: str, source: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Schema ``name`` with every schema it references inlined under ``$defs`` and
    every ``$ref`` a local pointer; its ``$id`` is :func:`bundle_id`.

    ``source`` maps names to schemas (each with an absolute ``$id``); by default the
    schemas shipped with seqcheck. Raises :class:`BundleError` for a reference to a
    schema not in ``source`` or a keyword a bundle cannot keep."""
    schemas = source if source is not None else _shipped()
    by_id = {str(doc["$id"]): n for n, doc in schemas.items()}
    root = copy.deepcopy(dict(schemas[name]))
    taken = set(root.get("$defs", {}))
    #: schema name -> JSON pointer of where it lives in the bundle ("" for the root).
    placed: dict[str, str] = {name: ""}
    embedded: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, dict[str, Any]]] = [(name, root)]
    while todo:
        current, document = todo.pop()
        base = str(schemas[current]["$id"])

        def rewrite(sub: dict[str, Any], base: str = base) -> None:
            bad = _UNSUPPORTED & sub.keys()
            if bad:
                raise BundleError(
                    f"expected only $ref with JSON pointers, found {json.dumps(sorted(bad)[0])}, "
                    "which a bundle cannot keep."
                )
            ref = sub.get("$ref")
            if not isinstance(ref, str):
                return
            url, fragment = urldefrag(urljoin(base, ref))
            target = _name_of(url, by_id)
            if target not in placed:
                key = _key_for(target, taken)
                taken.add(key)
                placed[target] = f"/$defs/{key}"
                copied = copy.deepcopy(dict(schemas[target]))
                copied.pop("$id", None)
                copied.pop("$schema", None)
                embedded[key] = copied
                todo.append((target, copied))
            sub["$ref"] = _pointer_into(placed[target], unquote(fragment))

        # Each document is walked before it is placed in the root, so every $ref is
        # rewritten once, against its own document's base URL.
        _walk(document, rewrite)
    if embedded:
        root["$defs"] = {**root.get("$defs", {}), **embedded}
    root["$id"] = bundle_id(name)
    return root


def bundles() -> dict[str, dict[str, Any]]:
    """The bundle of every shipped schema, by name."""
    shipped = _shipped()
    return {name: bundle(name, shipped) for name in shipped}



def bundle_bytes(name: str) -> bytes:
    """The bundle of ``name`` as a file: 2-space indented UTF-8 JSON, trailing newline."""
    return (json.dumps(bundle(name), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
