"""What an update costs, counted rather than timed (SEQ-SCALE-1, SEQ-SCALE-2).

Timings belong to tests/benchmarks/bench_store.py; here we count the expensive
operations: files parsed by the index, and the slow, explaining validator.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conformance import schema_registry
from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore
from conformance.reference import index as index_module


def many_sequences(kit: Any, tmp_path: Path, count: int) -> Path:
    files = {
        f"sequences/sequence_{i + 1:03d}.json": {
            "id": f"seq-{i}", "order": i, "shots": [{"id": f"shot-{i}-{n}"} for n in range(3)]}
        for i in range(count)
    }
    root: Path = kit.build_project(tmp_path / "p", files)
    return root


def test_warm_updates_parse_no_other_sequence_file(
    kit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = many_sequences(kit, tmp_path, 60)
    reads: list[str] = []
    real_read_entry = index_module._read_entry

    def counting_read_entry(fs: Any, path: Path, signature: Any) -> Any:
        reads.append(path.name)
        return real_read_entry(fs, path, signature)

    monkeypatch.setattr(index_module, "_read_entry", counting_read_entry)
    store = ReferenceStore(root)
    store.update_shot("seq-7", "shot-7-0", {"notes": "warm-up"})
    # The first lookup identifies every file once; the file the store wrote is not
    # read back (the write proved the file in place is the one written).
    assert sorted(reads) == [f"sequence_{i + 1:03d}.json" for i in range(60)]
    reads.clear()
    for k in range(40):
        store.update_shot(f"seq-{k % 5}", f"shot-{k % 5}-{k % 3}", {"notes": str(k)})
        store.get_shots(f"seq-{k % 7}")
    # Later lookups, and the full sweeps among them, re-read no file at all: the
    # store's own writes are known, the other 55 files unchanged.
    assert reads == []


def test_valid_update_never_runs_the_explaining_validator(
    kit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = many_sequences(kit, tmp_path, 3)

    def forbidden(name: str) -> Any:
        raise AssertionError(f"detailed validator used for a valid {name}")

    monkeypatch.setattr(schema_registry, "detailed_validator", forbidden)
    store = ReferenceStore(root)
    store.update_shot("seq-1", "shot-1-2", {"notes": "x", "timing": {"duration": 2.5}})
    store.get_all_sequences()
    # An invalid update is where the explanation is needed: it is asked for then.
    with pytest.raises(AssertionError, match="detailed validator used for a valid shot"):
        store.update_shot("seq-1", "shot-1-2", {"number": 0})


def test_invalid_update_is_explained_by_the_detailed_validator(
    kit: Any, tmp_path: Path
) -> None:
    root = many_sequences(kit, tmp_path, 1)
    with pytest.raises(SeqcheckError) as info:
        ReferenceStore(root).update_shot("seq-0", "shot-0-1", {"number": 0})
    assert info.value.code is ErrorCode.SCHEMA_VIOLATION
    assert "minimum" in info.value.message and info.value.pointer == "/shots/1/number"


def test_warm_update_looks_at_each_name_only_where_a_check_needs_it(
    kit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One warm update lstats its sidecar once (the probe, whose result the lock
    reuses) and its file five times: the index's signature check, the probe, the
    read under the lock, the write's check of what it replaces, and the write's
    proof that the file in place is the one written."""
    root = many_sequences(kit, tmp_path, 3)
    store = ReferenceStore(root)
    store.update_shot("seq-1", "shot-1-0", {"notes": "warm-up"})
    seen: list[str] = []
    real_stat = os.stat

    def recording_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if kwargs.get("dir_fd") is not None:
            seen.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", recording_stat)
    store.update_shot("seq-1", "shot-1-1", {"notes": "counted"})
    monkeypatch.undo()
    assert seen.count(".sequence_002.json.lock") == 1, seen
    assert seen.count("sequence_002.json") == 5, seen
    assert store.get_shots("seq-1")[1]["notes"] == "counted"
