"""The compiled validator (jsonschema-rs) and jsonschema agree on validity.

The validator decides validity with the compiled one and explains with jsonschema, so
a disagreement would either hide a violation or report a bogus one. Documents are
generated to be valid most of the time and broken in one or a few fields otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import schema_registry
from conformance.errors import json_pointer
from conformance.validate.finding import FileRef
from conformance.validate.schema_findings import schema_findings

finite = st.floats(allow_nan=False, allow_infinity=False)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), finite, st.text(max_size=5))
any_json = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
good_id = st.from_regex(r"\A[A-Za-z0-9_-][A-Za-z0-9_. -]{0,10}\Z").filter(lambda s: ".." not in s)
bad_id = st.sampled_from(["", "a/b", "..", ".hidden", "C:x", "a\\b", "x\x00", "a\n..b", 1, None])
dates = st.one_of(
    st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z"),
    st.sampled_from(
        [
            "2026-01-20",
            "yesterday",
            "2026-01-20T10:00:00",
            "2026-13-01T00:00:00Z",
            "2026-01-20T10:00:00+01:00",
            "2026-01-20t10:00:00z",
            1737000000.5,
        ]
    ),
)
shot_types = st.sampled_from(["wide", "medium", "pov", "dolly", "", 3])
statuses = st.sampled_from(["planned", "approved", "draft", None])


def maybe_bad(
    good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = any_json
) -> st.SearchStrategy[Any]:
    return st.one_of(good, good, good, bad)


numbers = st.one_of(st.integers(-3, 100), finite)
timing = st.fixed_dictionaries(
    {},
    optional={
        "duration": maybe_bad(st.floats(0, 100)),
        "inPoint": maybe_bad(st.floats(0, 100)),
        "outPoint": maybe_bad(numbers),
        "transition": maybe_bad(st.text(max_size=4)),
    },
)
parameters = st.fixed_dictionaries(
    {},
    optional={
        "width": maybe_bad(st.integers(1, 4096), st.integers(-5, 0)),
        "steps": maybe_bad(st.integers(1, 50), st.sampled_from([0, 1.5, "20"])),
        "cfgScale": maybe_bad(st.floats(0.1, 20), st.sampled_from([0, -1])),
        "seed": maybe_bad(st.one_of(st.none(), st.integers())),
        "extra": any_json,
    },
)
shots = st.fixed_dictionaries(
    {"id": maybe_bad(good_id, bad_id)},
    optional={
        "sequencePlanId": maybe_bad(good_id, bad_id),
        "number": maybe_bad(st.integers(1, 99), st.sampled_from([0, 1.5, "1"])),
        "type": shot_types,
        "status": statuses,
        "timing": maybe_bad(timing),
        "generation": maybe_bad(st.fixed_dictionaries({}, optional={"parameters": parameters})),
        "tags": maybe_bad(st.lists(st.text(max_size=3), max_size=2)),
        "duration": maybe_bad(st.floats(0.1, 50), st.sampled_from([0, -1])),
        "metadata": maybe_bad(
            st.fixed_dictionaries({}, optional={"sequence_id": st.text(max_size=4)})
        ),
        "unknownField": any_json,
    },
)
sequences = st.fixed_dictionaries(
    {"id": maybe_bad(good_id, bad_id), "shots": maybe_bad(st.lists(shots, max_size=3))},
    optional={
        "name": maybe_bad(st.text(max_size=5)),
        "duration": maybe_bad(st.floats(0, 100), st.sampled_from([-1, "5"])),
        "order": maybe_bad(st.integers(-2, 5), st.sampled_from([1.5, "1", True])),
        "metadata": maybe_bad(
            st.fixed_dictionaries(
                {}, optional={"created_at": dates, "modified_at": dates, "status": statuses}
            )
        ),
    },
)
projects = st.fixed_dictionaries(
    {
        "schema_version": maybe_bad(st.just("1.0")),
        "project_name": maybe_bad(st.text(min_size=1, max_size=5)),
    },
    optional={
        "created_at": dates,
        "capabilities": maybe_bad(
            st.dictionaries(st.sampled_from(["qa_engine", "x"]), st.booleans())
        ),
        "generation_status": maybe_bad(
            st.fixed_dictionaries({"grid": st.sampled_from(["done", "pending", "nope"])})
        ),
        "settings": maybe_bad(
            st.fixed_dictionaries({"default_resolution": st.sampled_from(["1920x1080", "big"])})
        ),
        "shots": maybe_bad(st.lists(shots, max_size=2)),
        "storyboard": maybe_bad(st.lists(shots, max_size=2)),
        "metadata": maybe_bad(st.fixed_dictionaries({"sequences": maybe_bad(st.integers(0, 5))})),
    },
)

REF = FileRef(Path("p"), "f.json")


def _agree(schema: str, doc: Any) -> bool:
    fast = schema_registry.is_valid(schema, doc)
    reference = not any(True for _ in schema_registry.detailed_validator(schema).iter_errors(doc))
    assert fast == reference, f"jsonschema-rs says {fast}, jsonschema says {reference}"
    findings = schema_findings(schema, doc, REF)
    assert (findings == []) == fast
    assert all(f.rule != "validator-disagreement" for f in findings)
    return fast


@settings(max_examples=150, deadline=None)
@given(doc=shots)
def test_shots_agree(doc: dict[str, Any]) -> None:
    _agree(schema_registry.SHOT, doc)


@settings(max_examples=150, deadline=None)
@given(doc=sequences)
def test_sequences_agree(doc: dict[str, Any]) -> None:
    _agree(schema_registry.SEQUENCE, doc)


@settings(max_examples=150, deadline=None)
@given(doc=projects)
def test_projects_agree(doc: dict[str, Any]) -> None:
    _agree(schema_registry.PROJECT, doc)


def test_generators_produce_both_outcomes() -> None:
    """Guard against a generator drifting to all-valid or all-invalid documents."""
    outcomes: set[bool] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(doc=sequences)
    def collect(doc: dict[str, Any]) -> None:
        outcomes.add(schema_registry.is_valid(schema_registry.SEQUENCE, doc))

    collect()
    assert outcomes == {True, False}


def _whole_document_violations(schema: str, doc: Any) -> set[tuple[str, str]]:
    return {
        (json_pointer(list(e.absolute_path)), str(e.validator))
        for e in schema_registry.detailed_validator(schema).iter_errors(doc)
    }


def _reported(schema: str, doc: Any) -> set[tuple[str, str]]:
    out = set()
    for f in schema_findings(schema, doc, REF):
        for g in (f, *f.more):
            out.add((g.pointer, g.rule))
    return out


@settings(max_examples=120, deadline=None)
@given(
    doc=st.one_of(sequences.map(lambda d: ("sequence", d)), projects.map(lambda d: ("project", d)))
)
def test_split_explanation_equals_whole_document(doc: tuple[str, dict[str, Any]]) -> None:
    """Explaining shots one by one (the fast path for big files) reports exactly the
    violations jsonschema finds in the whole document."""
    schema, instance = doc
    assert _reported(schema, instance) == _whole_document_violations(schema, instance)
