"""Every requirement is proven by some suite test (or documented as out of scope)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from conformance.requirements import REQUIREMENTS
from conformance.suite import CASES_DIR
from conformance.suite.coverage import OUT_OF_SCOPE


def _tags() -> dict[str, list[str]]:
    """Test name -> requirement IDs, read from the marks of every suite test function."""
    tags: dict[str, list[str]] = {}
    for path in sorted(CASES_DIR.glob("test_*.py")):
        module = importlib.import_module(f"conformance.suite.cases.{path.stem}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            marks: list[Any] = getattr(fn, "pytestmark", [])
            ids = [a for m in marks if m.name == "requirement" for a in m.args]
            tags[f"{path.stem}::{name}"] = ids
    return tags


def test_every_suite_test_is_tagged() -> None:
    untagged = [name for name, ids in _tags().items() if not ids]
    assert not untagged


def test_every_requirement_is_covered_or_out_of_scope() -> None:
    covered = {rid for ids in _tags().values() for rid in ids}
    live = {r.id for r in REQUIREMENTS if not r.retired}
    assert live - covered == set(OUT_OF_SCOPE)
    assert not (covered & set(OUT_OF_SCOPE))


@pytest.mark.parametrize("rid", sorted(OUT_OF_SCOPE))
def test_out_of_scope_ids_exist(rid: str) -> None:
    assert rid in {r.id for r in REQUIREMENTS}


#: Rules of SPEC.md that are easy to leave untested inside a requirement that has tests
#: (the requirement passes while the rule is never exercised):
#: (requirement, words of the rule in SPEC.md, the suite test that exercises it).
RULES = [
    ("SEQ-ID-5", "symbolic link resolving outside the project",
     "test_security::test_links_out_of_the_project_are_not_followed"),
    ("SEQ-ID-5", "not even in the system temp folder", "test_crash::test_write_protocol_trace"),
    ("SEQ-ENC-2", "floats keep their exact value", "test_update::test_values_round_trip"),
    ("SEQ-DURABLE-1", "the folder was `fsync`ed after the rename",
     "test_crash::test_write_protocol_trace"),
    ("SEQ-ATOMIC-3", "no temp file is left", "test_crash::test_injected_write_failure"),
    ("SEQ-ID-6", '`"001"` is not `"1"`', "test_sequences::test_ids_are_compared_exactly"),
]


def _spec_paragraphs() -> str:
    from conformance.spec_prose import spec_markdown

    return " ".join(spec_markdown().split())


def test_every_requirement_has_a_suite_test_marked_with_it() -> None:
    """Every live requirement of conformance.requirements is the mark of some suite test,
    except the out-of-scope ones, which name the toolkit tests that prove them."""
    covered = {rid for ids in _tags().values() for rid in ids}
    for r in REQUIREMENTS:
        if r.retired:
            continue
        assert r.id in covered or r.id in OUT_OF_SCOPE, f"{r.id} has no suite test"


@pytest.mark.parametrize(("rid", "words", "test"), RULES, ids=[f"{r[0]}:{r[2]}" for r in RULES])
def test_rule_is_exercised(rid: str, words: str, test: str) -> None:
    spec = _spec_paragraphs()
    assert words in spec, f"SPEC.md no longer says {words!r}: update RULES"
    tags = _tags()
    assert test in tags, f"{test} does not exist"
    assert rid in tags[test], f"{test} is not marked with {rid}"
