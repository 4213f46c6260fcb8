"""The compiled validator's lookahead-free patterns accept exactly what the schemas'
patterns accept (schema_registry.FAST_PATTERNS), as jsonschema-rs runs them."""

from __future__ import annotations

import functools
import itertools
import json
from importlib import resources
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import schema_registry

PAIRS = sorted(schema_registry.FAST_PATTERNS.items())
# Every character class the identifier rule names, and a few it does not.
ALPHABET = ["a", "Z", "1", ":", ".", "/", "\\", "\x00", "\n", "é"]


@functools.cache
def _matcher(pattern: str) -> Any:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


@pytest.mark.parametrize(("original", "fast"), PAIRS)
def test_same_verdict_on_every_short_string(original: str, fast: str) -> None:
    slow_v, fast_v = _matcher(original), _matcher(fast)
    differ = [
        s
        for n in range(6)
        for s in map("".join, itertools.product(ALPHABET, repeat=n))
        if slow_v.is_valid(s) != fast_v.is_valid(s)
    ]
    assert differ == []


@pytest.mark.parametrize(("original", "fast"), PAIRS)
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40) | st.text(alphabet="ab:./\\\x00", max_size=12))
def test_same_verdict_on_any_text(original: str, fast: str, text: str) -> None:
    assert _matcher(original).is_valid(text) == _matcher(fast).is_valid(text)


def _patterns(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["pattern"]} if isinstance(value.get("pattern"), str) else set()
        return found.union(*(_patterns(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_patterns(v) for v in value))
    return set()


def test_every_replacement_is_used_and_applied() -> None:
    shipped: set[str] = set()
    for name in schema_registry.schema_names():
        text = resources.files("schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
        shipped |= _patterns(json.loads(text))
        fast = _patterns(schema_registry.fast_schema(name))
        assert not fast & set(schema_registry.FAST_PATTERNS), name
    # A stale entry (its pattern edited in the schema) would silently do nothing.
    assert set(schema_registry.FAST_PATTERNS) <= shipped
    identifier = schema_registry.load_schema("shot")["$defs"]["identifier"]["pattern"]
    assert schema_registry.fast_schema("shot")["$defs"]["identifier"]["pattern"] == (
        schema_registry.FAST_PATTERNS[identifier]
    )
