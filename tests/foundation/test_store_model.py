"""A long-lived store against a model of the folder, under changes made behind its back.

Hypothesis drives a state machine: another program writes (by rename or in place),
removes and renumbers sequence files, while one store keeps serving get_shots,
update_shot and save_shot. After every external change the folder's mtime is moved
(as any creation, removal or rename does; see test_store_index.py for the in-place
blind spot). Every answer must match what a fresh scan of the files says.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

SLOTS = ["sequence_001.json", "sequence_002.json", "sequence_003.json"]
SEQ_IDS = ["A", "B"]
SHOT_IDS = ["s1", "s2", "s3"]


class StoreAgainstFolder(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="seqcheck-model-"))
        self.folder = self.root / "sequences"
        self.folder.mkdir()
        self.store = ReferenceStore(self.root)
        self.counter = 0
        self.tick = self.folder.stat().st_mtime_ns

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the truth, read from disk -----------------------------------------------------
    def files(self) -> dict[str, dict[str, Any]]:
        return {
            p.name: json.loads(p.read_bytes())
            for p in sorted(self.folder.iterdir())
            if p.name in SLOTS
        }

    def holding_id(self, seq_id: str) -> list[str]:
        return [name for name, doc in self.files().items() if doc["id"] == seq_id]

    def touch_folder(self) -> None:
        self.tick = max(self.tick, self.folder.stat().st_mtime_ns) + 1_000_003
        os.utime(self.folder, ns=(self.tick, self.tick))

    # -- another program -----------------------------------------------------------
    @rule(slot=st.sampled_from(SLOTS), seq_id=st.sampled_from(SEQ_IDS),
          shots=st.lists(st.sampled_from(SHOT_IDS), unique=True, max_size=3),
          in_place=st.booleans())
    def put(self, slot: str, seq_id: str, shots: list[str], in_place: bool) -> None:
        data = json.dumps({"id": seq_id, "shots": [{"id": s} for s in shots]}).encode()
        target = self.folder / slot
        if in_place and target.exists():
            with target.open("r+b") as f:
                f.truncate(0)
                f.write(data)
        else:
            tmp = self.folder / f".{slot}.ext.tmp"
            tmp.write_bytes(data)
            tmp.replace(target)
        self.touch_folder()

    @rule(slot=st.sampled_from(SLOTS))
    def remove(self, slot: str) -> None:
        (self.folder / slot).unlink(missing_ok=True)
        self.touch_folder()

    @rule(src=st.sampled_from(SLOTS), dst=st.sampled_from(SLOTS))
    def renumber(self, src: str, dst: str) -> None:
        if (self.folder / src).exists() and src != dst:
            (self.folder / src).replace(self.folder / dst)
            self.touch_folder()

    # -- the store -----------------------------------------------------------------
    def expect(self, call: Any, code: ErrorCode) -> None:
        with pytest.raises(SeqcheckError) as info:
            call()
        assert info.value.code is code, info.value

    @rule(seq_id=st.sampled_from(SEQ_IDS))
    def get_shots(self, seq_id: str) -> None:
        names = self.holding_id(seq_id)
        if not names:
            self.expect(lambda: self.store.get_shots(seq_id), ErrorCode.SEQUENCE_NOT_FOUND)
        elif len(names) > 1:
            self.expect(lambda: self.store.get_shots(seq_id), ErrorCode.DUPLICATE_SEQUENCE_ID)
        else:
            assert self.store.get_shots(seq_id) == self.files()[names[0]]["shots"]

    @rule(seq_id=st.sampled_from(SEQ_IDS), shot_id=st.sampled_from(SHOT_IDS))
    def update_shot(self, seq_id: str, shot_id: str) -> None:
        self.counter += 1
        names = self.holding_id(seq_id)
        before = self.files()

        def call() -> Any:
            return self.store.update_shot(seq_id, shot_id, {"x-n": self.counter})

        if not names:
            self.expect(call, ErrorCode.SEQUENCE_NOT_FOUND)
        elif len(names) > 1:
            self.expect(call, ErrorCode.DUPLICATE_SEQUENCE_ID)
        elif shot_id not in [s["id"] for s in before[names[0]]["shots"]]:
            self.expect(call, ErrorCode.SHOT_NOT_FOUND)
        else:
            assert call()["x-n"] == self.counter
            after = self.files()
            shot = next(s for s in after[names[0]]["shots"] if s["id"] == shot_id)
            assert shot["x-n"] == self.counter
            assert {n: d for n, d in after.items() if n != names[0]} == {
                n: d for n, d in before.items() if n != names[0]}
            return
        assert self.files() == before

    @rule(shot_id=st.sampled_from(SHOT_IDS))
    def save_shot(self, shot_id: str) -> None:
        self.counter += 1
        files = self.files()
        holders = [n for n, d in files.items() if shot_id in [s["id"] for s in d["shots"]]]

        def call() -> Any:
            return self.store.save_shot(shot_id, {"x-n": self.counter})

        if not holders:
            self.expect(call, ErrorCode.SHOT_NOT_FOUND)  # no project.json either
        elif len(holders) > 1:
            self.expect(call, ErrorCode.CORRUPT_FILE)
        elif len(self.holding_id(files[holders[0]]["id"])) > 1:
            self.expect(call, ErrorCode.DUPLICATE_SEQUENCE_ID)
        else:
            assert call()["x-n"] == self.counter
            return
        assert self.files() == files

    @rule()  # a rule, not an invariant: listing sweeps the index, lookups must not need it
    def listing_matches(self) -> None:
        ids = [d["id"] for d in self.files().values()]
        if len(ids) != len(set(ids)):
            self.expect(self.store.get_all_sequences, ErrorCode.DUPLICATE_SEQUENCE_ID)
        else:
            assert [d["id"] for d in self.store.get_all_sequences()] == sorted(ids)


StoreAgainstFolder.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_store_against_folder = StoreAgainstFolder.TestCase


class DeepStoreAgainstFolder(StoreAgainstFolder):
    pass


DeepStoreAgainstFolder.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_store_against_folder_deep = pytest.mark.slow(DeepStoreAgainstFolder.TestCase)
