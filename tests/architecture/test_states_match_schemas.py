"""Every typed state that reaches a published document has exactly the values its JSON
Schema allows: a member added to an enum without the schema (or the reverse) fails here,
not in a user's validator."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import pytest

from conformance import schema_registry
from conformance.certify.model import Status, Verdict
from conformance.errors import ErrorCode
from conformance.requirements import Capability, Level
from conformance.suite.results import Outcome
from conformance.text_enum import TextEnum
from conformance.validate.codes import Severity
from migrate.model import (
    ApplyState,
    GroupResolution,
    MoveAction,
    OnConflict,
    OnDuplicate,
    PlanState,
    ProblemKind,
    StepAction,
)
from migrate.runs import EntryStatus

CASES: list[tuple[str, str, type[Enum]]] = [
    ("migration-plan", "/properties/state", PlanState),
    ("migration-plan", "/properties/options/properties/on_conflict", OnConflict),
    ("migration-plan", "/properties/options/properties/on_duplicate", OnDuplicate),
    ("migration-plan", "/properties/steps/items/properties/action", StepAction),
    ("migration-plan", "/properties/moves/items/properties/action", MoveAction),
    ("migration-plan", "/properties/conflicts/items/properties/resolution", OnConflict),
    ("migration-plan", "/properties/sequence_service/items/properties/resolution",
     GroupResolution),
    ("migration-run-manifest", "/properties/options/properties/on_conflict", OnConflict),
    ("migration-run-manifest", "/properties/options/properties/on_duplicate", OnDuplicate),
    ("migration-run-manifest", "/properties/steps/items/properties/action", StepAction),
    ("migration-output", "/$defs/apply/properties/state", ApplyState),
    ("migration-output", "/$defs/verify_report/properties/problems/items/properties/kind",
     ProblemKind),
    ("migration-output", "/$defs/history/properties/runs/items/properties/status", EntryStatus),
    ("certification-report", "/properties/verdict", Verdict),
    ("certification-report", "/properties/requirements/items/properties/status", Status),
    ("certification-report", "/properties/requirements/items/properties/level", Level),
    ("certification-report", "/properties/tests/items/properties/outcome", Outcome),
    ("adapter-protocol", "/$defs/error-code", ErrorCode),
    ("adapter-protocol", "/$defs/capability", Capability),
    ("validation-report", "/$defs/severity", Severity),
]


def _at(doc: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        doc = doc[part]
    return doc


@pytest.mark.parametrize(("schema", "pointer", "enum"), CASES,
                         ids=[f"{s}{p}" for s, p, _ in CASES])
def test_enum_values_are_the_schema_enum(schema: str, pointer: str, enum: type[Enum]) -> None:
    allowed = _at(schema_registry.load_schema(schema), pointer)["enum"]
    assert sorted(allowed) == sorted(m.value for m in enum)


_TEXT_ENUMS: list[type[TextEnum]] = sorted(
    {e for _, _, e in CASES if issubclass(e, TextEnum)}, key=lambda e: e.__name__)


@pytest.mark.parametrize("enum", _TEXT_ENUMS, ids=[e.__name__ for e in _TEXT_ENUMS])
def test_text_enums_print_as_their_value(enum: type[TextEnum]) -> None:
    for member in enum:
        assert str(member) == f"{member}" == member.value
        assert json.dumps(member) == json.dumps(member.value)
        assert json.dumps({"k": member}) == json.dumps({"k": member.value})
