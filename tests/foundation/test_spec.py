"""The spec, the requirement registry and the schemas agree with each other."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance import schema_registry
from conformance.ids import id_problem
from conformance.requirements import REQUIREMENTS

SPEC = Path(__file__).resolve().parents[2] / "conformance" / "SPEC.md"
# A requirement is stated where a line starts with its bold ID and its level.
REQ_LINE = re.compile(r"^\*\*(SEQ-[A-Z]+-\d+)\*\* \((MUST|SHOULD)\b", re.MULTILINE)
EXAMPLE = re.compile(r"^<!-- example: (\w+) -->\n```json\n(.*?)\n```", re.MULTILINE | re.DOTALL)


def spec_text() -> str:
    return SPEC.read_text("utf-8")


def test_spec_states_exactly_the_registry_ids_with_their_levels() -> None:
    stated = REQ_LINE.findall(spec_text())
    ids = [i for i, _ in stated]
    assert len(ids) == len(set(ids)), "an ID is stated twice in SPEC.md"
    registry = {r.id: r.level.value for r in REQUIREMENTS if not r.retired}
    assert dict(stated) == registry


def test_spec_has_a_version_and_a_changelog() -> None:
    text = spec_text()
    assert re.search(r"^Spec version \d+\.\d+\.\d+$", text, re.MULTILINE)
    assert "## Changelog" in text


def test_spec_links_its_parts() -> None:
    text = spec_text()
    for part in ("spec/adapter-protocol.md", "spec/findings.md", "spec/migration.md"):
        assert f"]({part})" in text


def spec_examples() -> list[tuple[str, Any]]:
    return [(m.group(1), json.loads(m.group(2))) for m in EXAMPLE.finditer(spec_text())]


def test_spec_has_an_example_for_each_persisted_format() -> None:
    assert {name for name, _ in spec_examples()} >= {"sequence", "shot", "project"}


def _detailed_errors(name: str, doc: Any) -> list[str]:
    return [e.message for e in schema_registry.detailed_validator(name).iter_errors(doc)]


@pytest.mark.parametrize(
    ("name", "doc"), spec_examples(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_spec_examples_validate_with_both_validators(name: str, doc: Any) -> None:
    assert name in schema_registry.schema_names()
    assert _detailed_errors(name, doc) == []
    assert schema_registry.is_valid(name, doc)


def schema_examples() -> list[tuple[str, int, Any]]:
    out = []
    for name in schema_registry.schema_names():
        for i, doc in enumerate(schema_registry.load_schema(name).get("examples", [])):
            out.append((name, i, doc))
    return out


@pytest.mark.parametrize(("name", "index", "doc"), schema_examples())
def test_schema_examples_validate_with_both_validators(name: str, index: int, doc: Any) -> None:
    assert _detailed_errors(name, doc) == []
    assert schema_registry.is_valid(name, doc)


@pytest.mark.parametrize("name", ["shot", "sequence", "project"])
def test_persisted_schemas_are_complete(name: str) -> None:
    schema = schema_registry.load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://schemas.seqcheck.dev/v1/{name}.schema.json"
    assert schema["title"] and schema["description"] and schema["examples"]


# -- the identifier rule: the schema's pattern and ids.id_problem agree -------------

_TRICKY = st.sampled_from(
    ["/", "\\", "\x00", "..", ".", "C:", "c:", "z:", "é", "\n", "\r", "\u2028", "ß", "💥",
     ":", "a", "0", " ", "\t", "\ufeff", "\uff21:", "1:"]
)
identifier_text = st.lists(st.one_of(_TRICKY, st.text(max_size=3)), max_size=6).map("".join)


def _schema_accepts(value: str) -> tuple[bool, bool]:
    doc = {"id": value}
    return schema_registry.is_valid("shot", doc), _detailed_errors("shot", doc) == []


@settings(max_examples=300, deadline=None)
@given(identifier_text)
@example("a\n..b")  # '.' in a lookahead does not cross a newline
@example("x\r\n..")
@example("C:\\x")
@example(".hidden")
@example("seq..1")
@example("\uff21:wide")  # a fullwidth letter is not a drive prefix
@example("")
def test_identifier_pattern_agrees_with_id_problem(value: str) -> None:
    fast, detailed = _schema_accepts(value)
    expected = id_problem(value) is None
    assert fast == expected, (value, id_problem(value))
    assert detailed == expected, (value, id_problem(value))


@pytest.mark.parametrize(
    ("value", "safe"),
    [("001", True), ("1737000000000-seqa1b2c3", True), ("shot 1 (copy)", True), ("a.b", True),
     ("é:x", True), ("a/b", False), ("a\\b", False), ("a\x00", False), ("..", False),
     ("a..b", False), (".a", False), ("C:x", False), ("", False)],
)
def test_identifier_rule_on_known_values(value: str, safe: bool) -> None:
    assert (id_problem(value) is None) is safe
    assert _schema_accepts(value) == (safe, safe)


@pytest.mark.parametrize("value", [1, None, 1.5, ["a"], {"a": 1}, True])
def test_non_strings_are_not_identifiers(value: Any) -> None:
    assert id_problem(value) is not None
    assert _schema_accepts(value) == (False, False)
