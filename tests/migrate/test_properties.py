"""Properties over generated legacy projects.

hypothesis builds projects with shots under ``shots`` and ``storyboard``, named by
``sequencePlanId``, ``sequence_id``, both or neither (orphans); identical duplicates
across the arrays; pre-existing sequence files (some already holding identical or
conflicting copies); unicode everywhere; unknown fields with arbitrary JSON values.
For each: the plan predicts apply byte for byte, migrate + verify holds, a second
migrate changes no byte, and rollback restores every original byte.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from migrate import MigrateCode, MigrateError, Options, apply, plan, rollback
from tests.migrate.conftest import NOW, tree, write_project

SEQ_IDS = ["001", "002", "10", "seq-a", "Séq✓", "1737000000000-k3j9x2abc"]
ID_ALPHABET = "abcXYZ0159-_éßλ✓"

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=3),
    max_leaves=6,
)
unknown_fields = st.dictionaries(st.text(ID_ALPHABET, min_size=1, max_size=5).map("x-".__add__),
                                 json_values, max_size=2)


@dataclass
class Case:
    project: dict[str, Any]
    sequences: dict[str, dict[str, Any]]
    options: Options


def _member(draw: st.DrawFn, seq: str) -> dict[str, str]:
    how = draw(st.sampled_from(["plan", "wizard", "both"]))
    return {"plan": {"sequencePlanId": seq}, "wizard": {"sequence_id": seq},
            "both": {"sequencePlanId": seq, "sequence_id": seq}}[how]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    ids = iter(draw(st.lists(st.text(ID_ALPHABET, min_size=1, max_size=6), min_size=12,
                             max_size=30, unique=True)))
    existing = draw(st.lists(st.sampled_from(SEQ_IDS), unique=True, max_size=3))
    numbers = draw(st.lists(st.integers(1, 12), unique=True, min_size=len(existing),
                            max_size=len(existing)))
    files: dict[str, dict[str, Any]] = {}
    holder_of: dict[str, str] = {}
    for seq, number in zip(existing, numbers, strict=True):
        shots = []
        for _ in range(draw(st.integers(0, 2))):
            member = {"id": next(ids), **draw(st.sampled_from([{}, {"sequencePlanId": seq}]))}
            shots.append(member)
        doc: dict[str, Any] = {"id": seq, "name": f"Existing {seq}", "shots": shots,
                               **draw(unknown_fields)}
        if draw(st.booleans()):
            doc["order"] = number
        name = f"sequence_{number:03d}.json"
        files[name] = doc
        holder_of[seq] = name
    arrays: dict[str, list[Any]] = {"shots": [], "storyboard": []}
    on_conflict = draw(st.sampled_from(["stop", "keep-sequence", "keep-legacy"]))
    orphans = draw(st.none() | st.sampled_from(SEQ_IDS))
    for _ in range(draw(st.integers(1, 8))):
        shot_id = next(ids, None)
        if shot_id is None:
            break
        named = draw(st.sampled_from([*SEQ_IDS, None]))
        shot: dict[str, Any] = {"id": shot_id}
        if named is not None:
            shot.update(_member(draw, named))
        if draw(st.booleans()):
            shot["title"] = draw(st.text(max_size=8))
            shot["duration"] = draw(st.integers(1, 20))
        shot.update(draw(unknown_fields))
        array = draw(st.sampled_from(["shots", "storyboard"]))
        arrays[array].append(shot)
        target = named if named is not None else orphans
        if target is None:
            continue  # an orphan that stays: one copy only (the validator forbids two)
        if draw(st.integers(0, 3)) == 0:  # identical duplicate in the other array
            arrays["storyboard" if array == "shots" else "shots"].append(dict(shot))
        others = sorted(h for h in holder_of if h != target)
        kinds = ["none"] + (["identical", "conflict"] if target in holder_of else []) + (
            ["elsewhere"] if others else [])
        kind = draw(st.sampled_from(kinds))
        if kind in ("identical", "conflict"):
            copy = {**shot, "sequencePlanId": target}
            if kind == "conflict":
                copy["x-edited"] = "in the editor"
            files[holder_of[target]]["shots"].append(copy)
        elif kind == "elsewhere":  # a differing copy in another sequence's file
            other = draw(st.sampled_from(others))
            copy = {k: v for k, v in shot.items() if k != "sequence_id"}
            files[holder_of[other]]["shots"].append(
                {**copy, "sequencePlanId": other, "x-edited": "elsewhere"})
    project: dict[str, Any] = {"schema_version": "1.0", "project_name": "Générée ✓"}
    for array, listed in arrays.items():
        if not listed and not draw(st.booleans()):
            continue
        project[array] = listed
    project.update(draw(unknown_fields))
    return Case(project, files, Options(orphans=orphans, on_conflict=on_conflict))


def _check(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp) / "p", case.project, case.sequences)
        original = tree(root)
        predicted = plan(root, case.options, now=NOW)
        for move in predicted.moves:
            event(f"move:{move.action}")
        event(f"steps:{min(len(predicted.steps), 3)}")
        assert tree(root, records=True) == original  # the plan wrote nothing
        if predicted.blocked:
            event("blocked")
            with pytest.raises(MigrateError) as info:
                apply(root, case.options, now=NOW)
            assert info.value.migrate_code is MigrateCode.CONFLICT
            assert tree(root, records=True) == original
            return
        result = apply(root, case.options, now=NOW)
        migrated = tree(root)
        changed = {rel: data for rel, data in migrated.items() if original.get(rel) != data}
        assert {s.path: s.data for s in predicted.steps} == changed
        assert set(original) <= set(migrated)  # nothing removed
        assert result.verification is not None
        assert result.verification.ok, result.verification.problems
        if predicted.steps:
            assert result.state == "migrated"
        pj = json.loads(migrated["project.json"])
        moved = {m.shot_id for m in predicted.moves}
        left = [s["id"] for a in ("shots", "storyboard") for s in pj.get(a, [])]
        assert moved.isdisjoint(left)
        with_records = tree(root, records=True)
        again = apply(root, case.options, now="2031-05-05T05:05:05Z")
        assert again.steps_written == 0 and again.state in ("already-migrated",
                                                            "nothing-to-do")
        assert tree(root, records=True) == with_records
        if predicted.steps:
            rollback(root)
        assert tree(root) == original


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_generated_legacy_projects(case: Case) -> None:
    _check(case)


@pytest.mark.slow
@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_generated_legacy_projects_deep(case: Case) -> None:
    _check(case)


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.integers(1, 1200).map(lambda n: f"sequence_{n:03d}.json"), max_size=8),
    st.lists(st.sampled_from(["1", "7", "007", "12", "999", "1000", "seq", "x1"]), max_size=12),
)
def test_file_names_match_the_canonical_rule_with_every_name(
    taken: set[str], ids: list[str]
) -> None:
    """The planner's O(1) allocator answers exactly as canonical_sequence_file_name
    given every name in use."""
    from conformance.layout import canonical_sequence_file_name
    from migrate.plan import _FileNames

    names = _FileNames(taken | {"notes.txt", "sequence_backup.json"})
    used = set(taken)
    for seq_id in ids:
        expected = canonical_sequence_file_name(seq_id, used)
        assert names.allocate(seq_id) == expected
        used.add(expected)
