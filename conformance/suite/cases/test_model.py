"""Group 9: random operations, restarts and error cases against an in-memory model.

The model is a dict of sequences; the oracle for "would this update be valid" is the
sequence schema itself. Each disagreement fails the requirement it breaks, with the
steps that led to it (shrunk to a minimal sequence of operations in the full profile;
the quick profile reports the failing run as found, at most 15 steps).
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
from conformance.suite.checks import RequirementFailure
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


def _machine(impl: Any, base: Path, profile: Any) -> type[RuleBasedStateMachine]:
    class Persistence(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.project = ProjectDir(Path(tempfile.mkdtemp(dir=base)))
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
            log = "\n  ".join(self.steps[-12:])
            raise RequirementFailure(requirement, f"{message}\n  steps:\n  {log}")

        def expect(self, requirement: str, code: ErrorCode, call: Any, *args: Any) -> None:
            try:
                result = call(*args)
            except SeqcheckError as exc:
                if exc.code is not code:
                    self.fail(requirement, f"expected {code.value}, got {exc.code.value}: "
                              f"{exc.message}")
                return
            self.fail(requirement, f"expected {code.value}, the call returned {result!r:.200}")

        # -- rules --------------------------------------------------------------------
        @rule(seq=st.sampled_from(sorted(SEQUENCES)), n=st.integers(1, 3), updates=valid_updates)
        def update(self, seq: str, n: int, updates: dict[str, Any]) -> None:
            shot_id = f"{seq}-s{n}"
            self.log(f"update_shot({seq!r}, {shot_id!r}, {updates!r})")
            doc = self.model[seq]
            index = next(i for i, s in enumerate(doc["shots"]) if s["id"] == shot_id)
            old = doc["shots"][index]
            merged = {**old, **copy.deepcopy(updates)}
            returned = impl.update_shot(self.project.path, seq, shot_id, updates)
            doc["shots"][index] = merged
            stored = self.stored_shots(seq)
            if _ordered(returned) != _ordered(stored[index]):
                self.fail("SEQ-UPDATE-5", f"returned {returned!r} but stored {stored[index]!r}")
            self.compare_shots(seq, stored)

        @rule(seq=st.sampled_from(sorted(SEQUENCES)), n=st.integers(1, 3), updates=bad_updates)
        def invalid_update(self, seq: str, n: int, updates: dict[str, Any]) -> None:
            shot_id = f"{seq}-s{n}"
            self.log(f"update_shot({seq!r}, {shot_id!r}, {updates!r})  # must fail")
            if "id" in updates:
                req, code = "SEQ-UPDATE-3", ErrorCode.INVALID_UPDATE
            elif "sequencePlanId" in updates:
                req, code = "SEQ-UPDATE-4", ErrorCode.INVALID_UPDATE
            else:
                probe = copy.deepcopy(self.model[seq])
                probe["shots"][n - 1].update(updates)
                assert not schema_registry.is_valid("sequence", probe)
                req, code = "SEQ-UPDATE-8", ErrorCode.SCHEMA_VIOLATION
            self.expect(req, code, impl.update_shot, self.project.path, seq, shot_id, updates)

        @rule(updates=valid_updates)
        def update_missing(self, updates: dict[str, Any]) -> None:
            self.log(f"update_shot({MISSING_SEQUENCE!r}, 'x', ...)  # must fail")
            self.expect("SEQ-UPDATE-9", ErrorCode.SEQUENCE_NOT_FOUND, impl.update_shot,
                        self.project.path, MISSING_SEQUENCE, "x", updates)
            self.expect("SEQ-UPDATE-9", ErrorCode.SHOT_NOT_FOUND, impl.update_shot,
                        self.project.path, "001", "no-such-shot", updates)

        @rule(seq=st.sampled_from([*sorted(SEQUENCES), MISSING_SEQUENCE]))
        def get_shots(self, seq: str) -> None:
            self.log(f"get_shots({seq!r})")
            if seq not in self.model:
                self.expect("SEQ-GET-2", ErrorCode.SEQUENCE_NOT_FOUND,
                            impl.get_shots, self.project.path, seq)
                return
            shots = impl.get_shots(self.project.path, seq)
            if _ordered(shots) != _ordered(self.model[seq]["shots"]):
                self.fail("SEQ-GET-1", f"get_shots({seq!r}) returned {shots!r:.300}, the model "
                          f"holds {self.model[seq]['shots']!r:.300}")

        @rule()
        def get_all(self) -> None:
            self.log("get_all_sequences()")
            ids = [s.get("id") for s in impl.get_all_sequences(self.project.path)]
            if ids != ["001", "abc", "1737000000000-seqa"]:
                self.fail("SEQ-ALL-1", f"get_all_sequences order {ids}")

        @rule(bad=st.sampled_from(UNSAFE))
        def unsafe_id(self, bad: str) -> None:
            self.log(f"get_shots({bad!r})  # must fail")
            self.expect("SEQ-ID-4", ErrorCode.INVALID_ID, impl.get_shots, self.project.path, bad)

        @rule()
        def restart(self) -> None:
            if self.restarts >= 2:  # restarts of a stdio adapter are costly; two prove it
                return
            self.restarts += 1
            self.log("restart()")
            impl.restart()
            for seq in self.model:
                shots = impl.get_shots(self.project.path, seq)
                if _ordered(shots) != _ordered(self.model[seq]["shots"]):
                    self.fail("SEQ-DURABLE-1", f"after a restart sequence {seq!r} reads back "
                              f"{shots!r:.300}")

        # -- the raw oracle --------------------------------------------------------------
        def stored_shots(self, seq: str) -> list[dict[str, Any]]:
            shots: list[dict[str, Any]] = self.project.read_sequence(SEQUENCES[seq][0])["shots"]
            return shots

        def compare_shots(self, seq: str, stored: list[dict[str, Any]]) -> None:
            expected = self.model[seq]["shots"]
            for want, got in zip(expected, stored, strict=False):
                if _ordered(want) == _ordered(got):
                    continue
                kept = all(got.get(k) == v for k, v in want.items() if k in got)
                if kept and set(got) < set(want):
                    self.fail("SEQ-UPDATE-6", f"fields of shot {want['id']!r} were lost: "
                              f"{sorted(set(want) - set(got))}")
                if want.get("notes") == got.get("notes") and set(want) == set(got):
                    self.fail("SEQ-UPDATE-6", f"shot {want['id']!r} changed order or values of "
                              "fields the update did not name")
                self.fail("SEQ-UPDATE-1", f"shot {want['id']!r} on disk is {got!r:.300}, the "
                          f"model holds {want!r:.300}")
            if len(expected) != len(stored):
                self.fail("SEQ-UPDATE-6", f"sequence {seq!r} has {len(stored)} shots on disk, "
                          f"expected {len(expected)}")

        @invariant()
        def files_match_model(self) -> None:
            for seq in self.model:
                self.compare_shots(seq, self.stored_shots(seq))

    Persistence.TestCase.settings = settings(
        max_examples=profile.examples, stateful_step_count=profile.steps, deadline=None,
        database=None, derandomize=profile.name == "quick", report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), print_blob=False,
        phases=list(Phase) if profile.shrink else [Phase.explicit, Phase.reuse, Phase.generate],
    )
    return Persistence


@pytest.mark.requirement("SEQ-UPDATE-1", "SEQ-UPDATE-3", "SEQ-UPDATE-4", "SEQ-UPDATE-5",
                         "SEQ-UPDATE-6", "SEQ-UPDATE-8", "SEQ-UPDATE-9", "SEQ-GET-1",
                         "SEQ-GET-2", "SEQ-ALL-1", "SEQ-ID-4", "SEQ-DURABLE-1")
def test_random_operations_agree_with_the_model(impl: Any, tmp_path: Path, profile: Any) -> None:
    machine = _machine(impl, tmp_path, profile)
    run_state_machine_as_test(machine, settings=machine.TestCase.settings)
