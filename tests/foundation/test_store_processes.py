"""The reference store across real processes on the real file system.

pyfakefs cannot show durability or locking (fsync and flock are no-ops there), so
these tests start separate Python processes: a restart (write in one, read in a fresh
one), racing writers released together, and a foreign lock holder. The race test has
a twin with the lock switched off that must lose updates, which proves the race test
can fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

SEQ = "sequences/sequence_001.json"
CHILD_TIMEOUT = 120

UPDATE_CHILD = """
import json, sys
from conformance.reference import ReferenceStore
root, seq, shot, updates = sys.argv[1:5]
print(json.dumps(ReferenceStore(root).update_shot(seq, shot, json.loads(updates))))
"""

READ_CHILD = """
import json, sys
from conformance.reference import ReferenceStore
store = ReferenceStore(sys.argv[1])
print(json.dumps({"shots": store.get_shots(sys.argv[2]),
                  "all": [s["id"] for s in store.get_all_sequences()]}))
"""

# One racing writer: announce readiness, wait for the shared "go" file, then update
# its own shot n times, each time adding one key. With "nolock" the store's lock is
# replaced by a no-op, which is what the app does (read-modify-write without a lock).
RACE_CHILD = """
import contextlib, sys, time
from pathlib import Path
import conformance.reference.store as store_module
from conformance.reference import ReferenceStore
root, shot, n, sync, mode = sys.argv[1:6]
if mode == "nolock":
    store_module.file_lock = lambda target, timeout=0, **where: contextlib.nullcontext()
store = ReferenceStore(root, lock_timeout=120)
Path(sync, "ready-" + shot).touch()
deadline = time.monotonic() + 120
while not Path(sync, "go").exists():
    if time.monotonic() > deadline:
        sys.exit("never released")
    time.sleep(0.0005)
for k in range(int(n)):
    store.update_shot("001", shot, {"x-%d" % k: k})
"""

HOLD_LOCK_CHILD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()  # hold until the parent closes our stdin
"""


def run_child(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True,
        timeout=CHILD_TIMEOUT, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_update_survives_a_restart(kit: Any, tmp_path: Path) -> None:
    root = kit.build_project(tmp_path / "p", {
        SEQ: {"id": "001", "order": 2, "shots": [{"id": "a", "x-keep": [1, 2.5, "é"]}]},
        "sequences/sequence_002.json": {"id": "000", "order": 1, "shots": []},
    })
    shot = json.loads(run_child(UPDATE_CHILD, str(root), "001", "a", '{"notes": "persisted ✓"}'))
    assert shot == {"id": "a", "x-keep": [1, 2.5, "é"], "notes": "persisted ✓"}
    # The bytes on disk, read by this (different) process...
    on_disk = json.loads((root / SEQ).read_bytes())
    assert on_disk["shots"] == [shot]
    # ...and a fresh process with a fresh store.
    seen = json.loads(run_child(READ_CHILD, str(root), "001"))
    assert seen == {"shots": [shot], "all": ["000", "001"]}


WRITERS = 4
UPDATES_EACH = 50


def race(root: Path, sync: Path, mode: str) -> dict[str, Any]:
    """Run WRITERS racing processes; return the final sequence document."""
    sync.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACE_CHILD, str(root), f"s{i}", str(UPDATES_EACH),
             str(sync), mode],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(WRITERS)
    ]
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        while len(list(sync.glob("ready-*"))) < WRITERS:
            assert time.monotonic() < deadline, "writers never got ready"
            assert all(p.poll() is None for p in procs), "a writer died before the start"
            time.sleep(0.01)
        (sync / "go").touch()  # release all writers at once
        for p in procs:
            _, err = p.communicate(timeout=CHILD_TIMEOUT)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    doc: dict[str, Any] = json.loads((root / SEQ).read_bytes())
    return doc


def lost_updates(doc: dict[str, Any]) -> int:
    expected = {f"x-{k}" for k in range(UPDATES_EACH)}
    return sum(len(expected - set(shot)) for shot in doc["shots"])


def race_project(kit: Any, base: Path) -> Path:
    shots = [{"id": f"s{i}", "sequencePlanId": "001"} for i in range(WRITERS)]
    return Path(kit.build_project(base, {SEQ: {"id": "001", "shots": shots, "x-top": "kept"}}))


def test_racing_writers_lose_no_update(kit: Any, tmp_path: Path) -> None:
    root = race_project(kit, tmp_path / "p")
    doc = race(root, tmp_path / "sync", "lock")
    assert lost_updates(doc) == 0
    assert [s["id"] for s in doc["shots"]] == [f"s{i}" for i in range(WRITERS)]
    for shot in doc["shots"]:  # every key, in the order the writer added them
        assert list(shot) == ["id", "sequencePlanId", *[f"x-{k}" for k in range(UPDATES_EACH)]]
    assert doc["x-top"] == "kept"
    assert not list((root / "sequences").glob("*.tmp"))


def test_race_test_has_teeth_without_the_lock(kit: Any, tmp_path: Path) -> None:
    """The same race with the lock replaced by a no-op must lose updates.

    Losing none by chance is possible on a quiet machine, so retry a few times; every
    run still has to leave a complete, parseable file (atomic rename).
    """
    for attempt in range(6):
        root = race_project(kit, tmp_path / f"p{attempt}")
        doc = race(root, tmp_path / f"sync{attempt}", "nolock")
        assert [s["id"] for s in doc["shots"]] == [f"s{i}" for i in range(WRITERS)]
        if lost_updates(doc) > 0:
            return
    pytest.fail("six unlocked races lost no update: the race test cannot tell a lock "
                "from no lock on this machine")


def test_lock_timeout_while_another_process_holds_the_lock(kit: Any, tmp_path: Path) -> None:
    root = kit.build_project(tmp_path / "p", {SEQ: {"id": "001", "shots": [{"id": "a"}]}})
    before = (root / SEQ).read_bytes()
    lock = root / "sequences" / ".sequence_001.json.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_CHILD, str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store = ReferenceStore(root, lock_timeout=0.2)
        with pytest.raises(SeqcheckError) as info:
            store.update_shot("001", "a", {"notes": "x"})
        assert info.value.code is ErrorCode.LOCK_TIMEOUT
        assert info.value.file == str(lock)
        assert (root / SEQ).read_bytes() == before
        assert sorted(p.name for p in (root / "sequences").iterdir()) == [
            ".sequence_001.json.lock", "sequence_001.json"]
        # Readers take no lock (SEQ-LOCK-2): reading works while the lock is held.
        assert store.get_shots("001") == [{"id": "a"}]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=CHILD_TIMEOUT)
    assert store.update_shot("001", "a", {"notes": "x"})["notes"] == "x"
    assert lock.exists()  # the sidecar is never unlinked
