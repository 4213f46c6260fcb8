"""LockingProjectService serialises writers of separate processes with the spec's lock.

The lock is flock on the sidecar ``.<name>.lock``, so it must exclude seqcheck's own
Python writers (conformance.atomic.file_lock) and other Node processes alike.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from conformance.atomic import file_lock

LOCKING = ["--module", "tests/node/fixtures/locking.mjs", "--export", "shortLockTimeout"]
SHOTS = ["shot-0001", "shot-0002", "shot-0003"]
UPDATES_PER_WRITER = 12


@pytest.fixture(autouse=True)
def flock_command() -> None:
    if shutil.which("flock") is None:
        pytest.skip("util-linux flock(1) is not installed, so LockingProjectService cannot lock")


def update(adapter: Any, project: Path, shot: str, updates: dict[str, Any]) -> dict[str, Any]:
    return adapter.request(  # type: ignore[no-any-return]
        "update_shot", project=str(project), sequence_id="001", shot_id=shot, updates=updates
    )


def test_declares_concurrent_writers(start_adapter: Any) -> None:
    capabilities = start_adapter(*LOCKING).result("hello")["capabilities"]
    assert capabilities == ["legacy-fallback", "save-shot", "concurrent-writers"]


def test_a_lock_held_by_a_python_writer_is_respected(start_adapter: Any, project: Path) -> None:
    adapter = start_adapter(*LOCKING)
    target = project / "sequences" / "sequence_001.json"
    before = target.read_bytes()
    with file_lock(target):
        error = update(adapter, project, "shot-0001", {"notes": "blocked"})["error"]
        assert error["code"] == "LOCK_TIMEOUT"
        assert error["file"] == str(project / "sequences" / ".sequence_001.json.lock")
        assert target.read_bytes() == before
        legacy = project / "project.json"
        with file_lock(legacy):
            response = adapter.request(
                "update_legacy_shot",
                project=str(project),
                shot_id="sb-title-card",
                updates={"title": "x"},
            )
            assert response["error"]["code"] == "LOCK_TIMEOUT"
    assert update(adapter, project, "shot-0001", {"notes": "after"})["result"]["notes"] == "after"
    assert (project / "sequences" / ".sequence_001.json.lock").exists()  # never unlinked


def test_racing_processes_lose_no_update(start_adapter: Any, project: Path) -> None:
    writers = [start_adapter(*LOCKING) for _ in SHOTS]
    barrier = threading.Barrier(len(writers))
    failures: list[str] = []

    def run(adapter: Any, shot: str) -> None:
        barrier.wait()
        for n in range(UPDATES_PER_WRITER):
            response = update(adapter, project, shot, {f"race-{n}": n})
            if not response["ok"]:
                failures.append(f"{shot}: {response['error']}")

    threads = [
        threading.Thread(target=run, args=(w, s)) for w, s in zip(writers, SHOTS, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    shots = {
        s["id"]: s
        for s in json.loads((project / "sequences" / "sequence_001.json").read_text("utf-8"))[
            "shots"
        ]
    }
    for shot in SHOTS:
        # a stale read-modify-write would have dropped another writer's new keys for good
        assert [k for k in shots[shot] if k.startswith("race-")] == [
            f"race-{n}" for n in range(UPDATES_PER_WRITER)
        ]
