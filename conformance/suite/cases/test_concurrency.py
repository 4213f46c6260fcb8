"""Group 8: several writer processes at once lose no update (capability concurrent-writers)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import parse_bytes
from conformance.layout import lock_path
from conformance.protocol import open_adapter
from conformance.suite.checks import as_json, expect_error, needed, require
from conformance.suite.samples import sequence_doc

SEQ = "001"
REL = "sequences/sequence_001.json"


def _big_sequence(project: Any, size: int) -> list[str]:
    """A sequence of 120 shots of about ``size`` bytes in all; its shot ids."""
    ids = [f"shot-{i:03d}" for i in range(120)]
    project.write_sequence("sequence_001.json", sequence_doc(SEQ, ids, padding=size // 120))
    return ids


class _Reader(threading.Thread):
    """Parses the target file in a loop; counts reads that are not complete JSON."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.reads = 0
        self.torn: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                self.torn.append("the file was missing")
                continue
            self.reads += 1
            try:
                parse_bytes(data)
            except SeqcheckError as exc:
                self.torn.append(f"{len(data)} bytes: {exc.message[:80]}")


def _writer(argv: list[str], project: str, shot: str, cycles: int, barrier: threading.Barrier,
            failures: list[str]) -> None:
    try:
        with open_adapter(argv) as adapter:
            barrier.wait()
            for i in range(cycles):
                # Read, modify, write: append this cycle's tag to the tags read back.
                shots = adapter.get_shots(project, SEQ)
                tags = next(s for s in shots if s["id"] == shot).get("tags", [])
                if tags != [f"c{j}" for j in range(i)]:
                    failures.append(f"{shot}: before cycle {i} its tags read back as "
                                    f"{tags[-5:]} (an earlier update was lost)")
                    return
                adapter.update_shot(project, SEQ, shot, {"tags": [*tags, f"c{i}"]})
    except Exception as exc:  # reported by the test thread
        failures.append(f"{shot}: writer failed: {type(exc).__name__}: {exc}")
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.abort()


@pytest.mark.requirement("SEQ-LOCK-1")
def test_concurrent_writers_lose_no_update(impl: Any, project: Any, profile: Any,
                                           record: Any) -> None:
    argv = impl.command()
    _big_sequence(project, 10_000)
    needed("a single update", impl.update_shot, project.path, SEQ, "shot-119", {"notes": "solo"})
    totals = []
    for rep in range(profile.repetitions):
        ids = _big_sequence(project, profile.sequence_bytes)
        shots = ids[rep * 7: rep * 7 + profile.writers]
        barrier = threading.Barrier(profile.writers + 1, timeout=120)
        failures: list[str] = []
        threads = [threading.Thread(target=_writer, args=(argv, project.path, s, profile.cycles,
                                                          barrier, failures)) for s in shots]
        reader = _Reader(project.root / REL)
        for t in threads:
            t.start()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        started = time.monotonic()
        reader.start()
        for t in threads:
            t.join()
        reader.stop.set()
        reader.join()
        totals.append(round(time.monotonic() - started, 3))
        require("SEQ-LOCK-1", not failures, "; ".join(failures[:4]))
        final = {s["id"]: s for s in project.read(REL)["shots"]}
        for shot in shots:
            tags = final[shot].get("tags", [])
            lost = [f"c{i}" for i in range(profile.cycles) if f"c{i}" not in tags]
            require("SEQ-LOCK-1", not lost,
                    f"repetition {rep + 1}: {len(lost)} of {profile.cycles} updates of {shot} "
                    f"were lost by concurrent writers (e.g. {lost[:5]})")
        require("SEQ-LOCK-1", not reader.torn,
                f"a reader saw {len(reader.torn)} torn file(s) of {reader.reads} reads while "
                f"writers wrote: {reader.torn[:3]}")
    record("writers", profile.writers)
    record("cycles_per_writer", profile.cycles)
    record("seconds_per_repetition", totals)


@contextlib.contextmanager
def _held_lock(target: Path) -> Iterator[int]:
    fd = os.open(lock_path(target), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield os.fstat(fd).st_ino
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@pytest.mark.requirement("SEQ-LOCK-2")
def test_writers_wait_for_the_sidecar_lock(impl: Any, project: Any, profile: Any) -> None:
    project.write_sequence("sequence_001.json", sequence_doc(SEQ, order=1))
    target = project.root / REL
    needed("an update with the lock free", impl.update_shot, project.path, SEQ, "001-s2",
           {"notes": "free"})
    outcome: list[Any] = []
    with _held_lock(target) as inode:
        before = project.raw(REL)
        worker = threading.Thread(target=lambda: outcome.append(
            _call(impl.update_shot, project.path, SEQ, "001-s1", {"notes": "waited"})))
        worker.start()
        worker.join(timeout=1.0)
        require("SEQ-LOCK-2", worker.is_alive(),
                f"update_shot returned ({as_json(outcome, 200)}) while another process held "
                f"{lock_path(target).name}: the writer does not take the sidecar flock")
        require("SEQ-LOCK-2", project.raw(REL) == before,
                "the file changed while another process held its lock")
    worker.join(timeout=60)
    # Judged on disk: what the call returns is SEQ-UPDATE-5's business.
    failed = [o for o in outcome if isinstance(o, SeqcheckError)]
    stored = project.read(REL)["shots"][0].get("notes")
    require("SEQ-LOCK-2", outcome and not failed and stored == "waited",
            "after the lock was released the update did not go through: "
            f"{failed[0] if failed else 'no answer'}; notes on disk {as_json(stored)}")
    require("SEQ-LOCK-2", lock_path(target).exists() and lock_path(target).stat().st_ino == inode,
            "the sidecar lock file was unlinked or replaced (it must never be)")


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except SeqcheckError as exc:
        return exc


@pytest.mark.requirement("SEQ-LOCK-2")
@pytest.mark.seqcheck_full  # waits out the lock timeout (10 s by default)
def test_lock_not_obtained_is_lock_timeout(impl: Any, project: Any) -> None:
    project.write_sequence("sequence_001.json", sequence_doc(SEQ, order=1))
    target = project.root / REL
    with _held_lock(target):
        before = project.raw(REL)
        expect_error("SEQ-LOCK-2", ErrorCode.LOCK_TIMEOUT,
                     impl.update_shot, project.path, SEQ, "001-s1", {"notes": "never"})
        require("SEQ-LOCK-2", project.raw(REL) == before, "the file changed without the lock")
