"""Group 9: random operations, restarts and error cases against an in-memory model.

The model is a dict of sequences; the oracle for "would this update be valid" is the
sequence schema itself. A disagreement is reported once per requirement, with the
shortest run of steps that led to it over all the runs explored (the minimal
reproduction), and the run goes on with that aspect taken from the implementation:
the model adopts what the implementation wrote or answered. So one defect (say the
listing order, SEQ-ALL-1) never keeps the other tagged requirements from being
exercised.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conformance import schema_registry
from conformance.errors import ErrorCode, SeqcheckError
from conformance.suite.checks import Inconclusive, as_json, soft
from conformance.suite.disk import ProjectDir
from conformance.suite.samples import sequence_doc

SEQUENCES = {"001": ("sequence_001.json", 1), "abc": ("sequence_002.json", 2),
             "1737000000000-seqa": ("sequence_007.json", None)}
MISSING_SEQUENCE = "404"
UNSAFE = ["../001", "a/b", "..", "C:x"]

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40),
                      st.sampled_from([0.5, -2.25, 1e10]), st.text(max_size=8))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6)
valid_updates = st.dictionaries(
    st.sampled_from(["notes", "x-a", "x-b", "x-c", "sceneId", "category"]), json_value,
    min_size=1, max_size=3,
).map(lambda d: {k: (v if k not in ("notes", "sceneId", "category") else str(v))
                 for k, v in d.items()})
bad_updates = st.sampled_from([{"number": 0}, {"type": "wideshot"}, {"timing": {"duration": -1}},
                               {"id": "moved"}, {"sequencePlanId": "elsewhere"}])


def _ordered(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Divergences:
    """The first-found, then shortest, reproduction of each requirement's divergence."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[list[str], str]] = {}

    def add(self, requirement: str, message: str, steps: list[str]) -> None:
        known = self.found.get(requirement)
        if known is None or len(steps) < len(known[0]):
            self.found[requirement] = (list(steps), message)

    def report(self) -> None:
        """Record every divergence as a soft failure of its requirement."""
        for requirement, (steps, message) in self.found.items():
            log = "\n  ".join(steps)
            soft(requirement, False,
                 f"{message}\n  minimal reproduction ({len(steps)} steps from the initial "
                 f"project):\n  {log}")


class Persistence(RuleBasedStateMachine):
    """The model-based run; :func:`_machine` binds it to one implementation and folder."""

    impl: Any
    base: Path
    divergences: Divergences

    def __init__(self) -> None:
        super().__init__()
        self.project = ProjectDir(Path(tempfile.mkdtemp(dir=self.base)))
        self.model: dict[str, dict[str, Any]] = {}
        self.steps: list[str] = []
        self.restarts = 0
        for seq_id, (name, order) in SEQUENCES.items():
            doc = sequence_doc(seq_id, order=order, unknown=seq_id == "abc")
            self.project.write_sequence(name, doc)
            self.model[seq_id] = doc

    # -- helpers ------------------------------------------------------------------
    def log(self, step: str) -> None:
        # note() prints the step log with hypothesis' report; the list goes into the
        # failure message, which is what the certificate shows.
        note(step)
        self.steps.append(step)

    def fail(self, requirement: str, message: str) -> None:
        # Noted, not raised: the run goes on (see the module docstring).
        self.divergences.add(requirement, message, self.steps)

    def adopt(self, seq: str) -> None:
        """Take sequence ``seq`` from what the implementation left on disk."""
        self.model[seq] = copy.deepcopy(self.project.read_sequence(SEQUENCES[seq][0]))

    def call(self, requirement: str, what: str, fn: Any, *args: Any) -> tuple[bool, Any]:
        """``(True, result)``, or ``(False, None)`` after noting a failed call."""
        try:
            return True, fn(*args)
        except SeqcheckError as exc:
            if exc.code is ErrorCode.UNSUPPORTED:
                raise Inconclusive(f"{what}: the operation is not offered "
                                   f"({exc.message})") from exc
            self.fail(requirement, f"{what} failed with {exc.code.value}: {exc.message}")
            return False, None

    def expect(self, requirement: str, code: ErrorCode, call: Any, *args: Any) -> bool:
        """Whether the call failed as it must (it did not change anything then)."""
        try:
            result = call(*args)
        except SeqcheckError as exc:
            if exc.code is ErrorCode.UNSUPPORTED:
                raise Inconclusive(f"the operation is not offered ({exc.message})") from exc
            if exc.code not in (code, ErrorCode.INTERNAL_ERROR):  # see checks.expect_error
                self.fail(requirement, f"expected {code.value}, got {exc.code.value}: "
                          f"{exc.message}")
            return True
        self.fail(requirement, f"expected {code.value}, the call returned "
                  f"{as_json(result, 200)}")
        return False

    # -- rules --------------------------------------------------------------------
    @rule(seq=st.sampled_from(sorted(SEQUENCES)), n=st.integers(1, 3), updates=valid_updates)
    def update(self, seq: str, n: int, updates: dict[str, Any]) -> None:
        shot_id = f"{seq}-s{n}"
        what = f"update_shot({as_json(seq)}, {as_json(shot_id)}, {as_json(updates)})"
        doc = self.model[seq]
        index = next((i for i, s in enumerate(doc["shots"]) if s.get("id") == shot_id), None)
        if index is None:
            return  # the implementation renamed or dropped it earlier (already reported)
        self.log(what)
        old = doc["shots"][index]
        merged = {**old, **copy.deepcopy(updates)}
        ok, returned = self.call("SEQ-UPDATE-1", what, self.impl.update_shot,
                                 self.project.path, seq, shot_id, updates)
        if not ok:
            self.adopt(seq)
            return
        doc["shots"][index] = merged
        stored = self.stored_shots(seq)
        if index < len(stored) and _ordered(returned) != _ordered(stored[index]):
            self.fail("SEQ-UPDATE-5", f"returned {as_json(returned, 200)} but stored "
                      f"{as_json(stored[index], 200)}")
        self.compare_shots(seq, stored)

    @rule(seq=st.sampled_from(sorted(SEQUENCES)), n=st.integers(1, 3), updates=bad_updates)
    def invalid_update(self, seq: str, n: int, updates: dict[str, Any]) -> None:
        shot_id = f"{seq}-s{n}"
        ids = [s.get("id") for s in self.model[seq]["shots"]]
        if shot_id not in ids:
            return  # the implementation renamed or dropped it earlier (already reported)
        self.log(f"update_shot({as_json(seq)}, {as_json(shot_id)}, {as_json(updates)})"
                 "  # must fail")
        if "id" in updates:
            req, code = "SEQ-UPDATE-3", ErrorCode.INVALID_UPDATE
        elif "sequencePlanId" in updates:
            req, code = "SEQ-UPDATE-4", ErrorCode.INVALID_UPDATE
        else:
            probe = copy.deepcopy(self.model[seq])
            probe["shots"][ids.index(shot_id)].update(updates)
            assert not schema_registry.is_valid("sequence", probe)
            req, code = "SEQ-UPDATE-8", ErrorCode.SCHEMA_VIOLATION
        if not self.expect(req, code, self.impl.update_shot, self.project.path, seq, shot_id,
                           updates):
            self.adopt(seq)  # it was written: go on from what the implementation wrote

    @rule(updates=valid_updates)
    def update_missing(self, updates: dict[str, Any]) -> None:
        self.log(f'update_shot({as_json(MISSING_SEQUENCE)}, "x", {as_json(updates)})'
                 "  # must fail")
        self.expect("SEQ-UPDATE-9", ErrorCode.SEQUENCE_NOT_FOUND, self.impl.update_shot,
                    self.project.path, MISSING_SEQUENCE, "x", updates)
        self.expect("SEQ-UPDATE-9", ErrorCode.SHOT_NOT_FOUND, self.impl.update_shot,
                    self.project.path, "001", "no-such-shot", updates)

    @rule(seq=st.sampled_from([*sorted(SEQUENCES), MISSING_SEQUENCE]))
    def get_shots(self, seq: str) -> None:
        what = f"get_shots({as_json(seq)})"
        self.log(what)
        if seq not in self.model:
            self.expect("SEQ-GET-2", ErrorCode.SEQUENCE_NOT_FOUND,
                        self.impl.get_shots, self.project.path, seq)
            return
        ok, shots = self.call("SEQ-GET-1", what, self.impl.get_shots, self.project.path, seq)
        if ok and _ordered(shots) != _ordered(self.model[seq]["shots"]):
            self.fail("SEQ-GET-1", f"{what} returned {as_json(shots, 300)}, the file "
                      f"holds {as_json(self.model[seq]['shots'], 300)}")

    @rule()
    def get_all(self) -> None:
        self.log("get_all_sequences()")
        ok, listed = self.call("SEQ-ALL-1", "get_all_sequences()", self.impl.get_all_sequences,
                               self.project.path)
        ids = [s.get("id") if isinstance(s, dict) else s for s in listed or []]
        if ok and ids != ["001", "abc", "1737000000000-seqa"]:
            self.fail("SEQ-ALL-1", "get_all_sequences order "
                      f'{as_json(ids)}, expected ["001", "abc", "1737000000000-seqa"]')

    @rule(bad=st.sampled_from(UNSAFE))
    def unsafe_id(self, bad: str) -> None:
        self.log(f"get_shots({as_json(bad)})  # must fail")
        self.expect("SEQ-ID-4", ErrorCode.INVALID_ID, self.impl.get_shots, self.project.path, bad)

    @rule()
    def restart(self) -> None:
        if self.restarts >= 2:  # restarts of a stdio adapter are costly; two prove it
            return
        self.restarts += 1
        self.log("restart()")
        self.impl.restart()
        for seq in self.model:
            what = f"get_shots({as_json(seq)}) after the restart"
            ok, shots = self.call("SEQ-DURABLE-1", what, self.impl.get_shots,
                                  self.project.path, seq)
            if ok and _ordered(shots) != _ordered(self.model[seq]["shots"]):
                self.fail("SEQ-DURABLE-1", f"after a restart sequence {as_json(seq)} reads "
                          f"back {as_json(shots, 300)}")

    # -- the raw oracle --------------------------------------------------------------
    def stored_shots(self, seq: str) -> list[dict[str, Any]]:
        shots: list[dict[str, Any]] = self.project.read_sequence(SEQUENCES[seq][0])["shots"]
        return shots

    def compare_shots(self, seq: str, stored: list[dict[str, Any]]) -> None:
        """Note how the file differs from the model (one requirement per kind of
        difference), then adopt the file: the run goes on from what was written."""
        expected = self.model[seq]["shots"]
        diverged = len(expected) != len(stored)
        for want, got in zip(expected, stored, strict=False):
            if _ordered(want) == _ordered(got):
                continue
            diverged = True
            kept = all(got.get(k) == v for k, v in want.items() if k in got)
            if kept and set(got) < set(want):
                self.fail("SEQ-UPDATE-6", f"fields of shot {as_json(want['id'])} were lost: "
                          f"{as_json(sorted(set(want) - set(got)))}")
            elif want.get("notes") == got.get("notes") and set(want) == set(got):
                self.fail("SEQ-UPDATE-6", f"shot {as_json(want['id'])} changed order or "
                          "values of fields the update did not name")
            else:
                self.fail("SEQ-UPDATE-1", f"shot {as_json(want['id'])} on disk is "
                          f"{as_json(got, 300)}, the model holds {as_json(want, 300)}")
        if len(expected) != len(stored):
            self.fail("SEQ-UPDATE-6", f"sequence {as_json(seq)} has {len(stored)} shots on "
                      f"disk, expected {len(expected)}")
        if diverged:
            self.adopt(seq)

    @invariant()
    def files_match_model(self) -> None:
        for seq in self.model:
            self.compare_shots(seq, self.stored_shots(seq))


def _machine(
    impl: Any, base: Path, profile: Any, divergences: Divergences
) -> type[RuleBasedStateMachine]:
    machine: type[Persistence] = type(
        "Persistence", (Persistence,),
        {"impl": impl, "base": base, "divergences": divergences},
    )
    machine.TestCase.settings = settings(
        max_examples=profile.examples, stateful_step_count=profile.steps, deadline=None,
        database=None, derandomize=profile.name == "quick", report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), print_blob=False,
        phases=list(Phase) if profile.shrink else [Phase.explicit, Phase.reuse, Phase.generate],
    )
    return machine


@pytest.mark.requirement("SEQ-UPDATE-1", "SEQ-UPDATE-3", "SEQ-UPDATE-4", "SEQ-UPDATE-5",
                         "SEQ-UPDATE-6", "SEQ-UPDATE-8", "SEQ-UPDATE-9", "SEQ-GET-1",
                         "SEQ-GET-2", "SEQ-ALL-1", "SEQ-ID-4", "SEQ-DURABLE-1")
def test_random_operations_agree_with_the_model(impl: Any, tmp_path: Path, profile: Any) -> None:
    divergences = Divergences()
    machine = _machine(impl, tmp_path, profile, divergences)
    run_state_machine_as_test(machine, settings=machine.TestCase.settings)
    divergences.report()
