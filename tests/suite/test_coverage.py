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
