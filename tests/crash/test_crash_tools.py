"""The crash tools against the reference (all clean) and deliberately broken writers
(caught), in Python and in a multi-threaded Node process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conformance.crash import (
    TornResult,
    inject_fault,
    kill_point_sweep,
    random_kill_trials,
    strace_status,
    torn_reader_check,
    trace_update,
)
from conformance.protocol import python_command, reference_command

HERE = Path(__file__).parent
DEMO = HERE.parent.parent / "examples" / "demo-project"
TARGET = "sequences/sequence_001.json"
UPDATE: tuple[str, str, dict[str, Any]] = ("001", "shot-0001", {"notes": "after the crash?"})
USABLE, REASON = strace_status()
NODE = shutil.which("node")

pytestmark = [pytest.mark.needs_strace, pytest.mark.skipif(not USABLE, reason=REASON)]


def make_demo(folder: Path) -> None:
    shutil.copytree(DEMO, folder, dirs_exist_ok=True)


def broken(name: str) -> list[str]:
    return python_command(f"{HERE / 'broken_impls.py'}:{name}")


def node_store(mode: str) -> list[str]:
    assert NODE is not None
    return [NODE, str(HERE / "node_store.mjs"), mode]


needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def test_strace_status_is_usable_here() -> None:
    assert USABLE, REASON
    assert REASON == ""


# -- write protocol trace ---------------------------------------------------------------
def test_reference_follows_the_write_protocol(tmp_path: Path) -> None:
    make_demo(tmp_path)
    trace = trace_update(reference_command(), tmp_path, *UPDATE)
    assert trace.ok, trace.response
    assert trace.violations == []
    # The atomic write renames relative to the folder's descriptor (renameat).
    assert any(e.startswith(("rename(sequences/.sequence_001.json.",
                             "renameat(sequences, sequences/.sequence_001.json."))
               for e in trace.events)
    assert trace.response["result"]["notes"] == "after the crash?"


def test_in_place_writer_violates_the_write_protocol(tmp_path: Path) -> None:
    make_demo(tmp_path)
    trace = trace_update(broken("InPlaceStore"), tmp_path, *UPDATE)
    assert trace.ok  # it "works"...
    assert trace.violations == [  # ...and the trace says how it is unsafe
        "target opened with O_TRUNC",
        "target written in place",
        "no rename onto target",
    ]


def test_rename_without_fsync_is_caught_only_by_the_trace(tmp_path: Path) -> None:
    make_demo(tmp_path)
    trace = trace_update(broken("NoFsyncStore"), tmp_path, *UPDATE)
    assert trace.ok
    assert trace.violations == [
        "temp file not fsynced before rename",
        "folder not fsynced after rename",
    ]


# -- kill points --------------------------------------------------------------------------
def assert_old_or_new(result: Any) -> None:
    assert result.error is None, result.error
    assert result.outcomes
    for outcome in result.outcomes:
        assert outcome.state in ("old", "new"), outcome
        if outcome.success_reported:
            assert outcome.state == "new", outcome
    assert result.bad == []


def test_reference_kill_points_leave_old_or_new() -> None:
    result = kill_point_sweep(reference_command(), make_demo, TARGET, *UPDATE, max_points=5)
    assert_old_or_new(result)
    assert result.points_total >= 20
    assert len(result.outcomes) == 5
    assert all(o.exact for o in result.outcomes), [o.hit for o in result.outcomes if not o.exact]
    states = [o.state for o in result.outcomes]
    assert "old" in states and "new" in states  # the sample straddles the rename


@pytest.mark.slow
def test_reference_full_kill_point_sweep() -> None:
    result = kill_point_sweep(reference_command(), make_demo, TARGET, *UPDATE)
    assert_old_or_new(result)
    assert len(result.outcomes) == result.points_total
    assert all(o.exact for o in result.outcomes)


def test_in_place_writer_is_torn_at_a_kill_point() -> None:
    result = kill_point_sweep(broken("InPlaceStore"), make_demo, TARGET, *UPDATE, max_points=4)
    torn = [o for o in result.outcomes if o.state == "torn"]
    assert torn, result.outcomes
    assert all("write(sequences/sequence_001.json)" in o.syscall for o in torn)
    assert result.bad == torn


def test_rename_without_fsync_survives_kill_points() -> None:
    # A killed process leaves the page cache intact: kill points cannot see a missing
    # fsync, which is why trace_update exists (see the test above).
    result = kill_point_sweep(broken("NoFsyncStore"), make_demo, TARGET, *UPDATE, max_points=3)
    assert_old_or_new(result)


def test_failed_baseline_is_reported_not_swept() -> None:
    result = kill_point_sweep(reference_command(), make_demo, TARGET, "001", "no-such-shot", {})
    assert result.outcomes == []
    assert result.points_total == 0
    assert result.error is not None
    prefix = "the uninterrupted update did not succeed: "
    first_line = result.error.splitlines()[0]
    assert first_line.startswith(prefix), result.error
    error = json.loads(first_line[len(prefix):])
    assert error["code"] == "SHOT_NOT_FOUND", error
    assert "no-such-shot" in error["message"], error


# -- injected I/O errors ----------------------------------------------------------------
@pytest.mark.parametrize(("syscall", "errno_name"), [("write", "ENOSPC"), ("fsync", "EIO")])
def test_reference_fails_loudly_on_io_errors(syscall: str, errno_name: str) -> None:
    outcome = inject_fault(
        reference_command(), make_demo, TARGET, *UPDATE, syscall=syscall, errno_name=errno_name
    )
    assert outcome.error is None
    assert outcome.error_code == "IO_ERROR", outcome.response
    assert outcome.state == "old"
    assert outcome.temps_left == []
    assert outcome.injected.startswith(f"{syscall}(sequences/.sequence_001.json.")
    assert outcome.injected.endswith(errno_name)


def test_in_place_writer_on_a_full_disk_is_caught() -> None:
    outcome = inject_fault(
        broken("InPlaceStore"), make_demo, TARGET, *UPDATE, syscall="write", errno_name="ENOSPC"
    )
    assert outcome.injected.startswith("write(sequences/sequence_001.json)")
    # Python's buffered writer retries on close, so the file ends new, yet the error
    # that was raised has no spec code: either way not the IO_ERROR-and-intact pair.
    assert not (outcome.error_code == "IO_ERROR" and outcome.state == "old")


# -- torn readers and random kills ------------------------------------------------------
def torn_check(argv: list[str]) -> TornResult:
    """One second of a reader racing updates that alternate a long and a short note."""
    return torn_reader_check(
        argv, make_demo, TARGET, "001", "shot-0001",
        [{"notes": "x" * 20000}, {"notes": "short"}], seconds=1.0,
    )


def test_reader_never_sees_a_torn_reference_file() -> None:
    result = torn_check(reference_command())
    assert result.errors == []
    assert result.updates >= 5 and result.reads >= 100
    assert result.torn == 0, result.examples


def test_reader_sees_the_in_place_writer_tear() -> None:
    result = torn_check(broken("InPlaceStore"))
    assert result.torn > 0
    assert result.examples and "bytes" in result.examples[0]


def test_random_kills_of_the_reference_leave_old_or_new() -> None:
    result = random_kill_trials(reference_command(), make_demo, TARGET, *UPDATE, trials=3, seed=7)
    assert result.method == "random"
    assert_old_or_new(result)
    assert len(result.outcomes) == 3


# -- a multi-threaded runtime -------------------------------------------------------------
@needs_node
def test_node_kill_points_land_exactly() -> None:
    result = kill_point_sweep(node_store("atomic"), make_demo, TARGET, *UPDATE, max_points=5)
    assert_old_or_new(result)
    assert all(o.exact for o in result.outcomes), [(o.syscall, o.hit) for o in result.outcomes]


@needs_node
def test_node_in_place_writer_is_caught() -> None:
    result = kill_point_sweep(node_store("inplace"), make_demo, TARGET, *UPDATE, max_points=3)
    assert any(o.state == "torn" for o in result.outcomes), result.outcomes


@needs_node
def test_node_enospc_hits_the_temp_write_not_a_worker_thread(tmp_path: Path) -> None:
    outcome = inject_fault(
        node_store("atomic"), make_demo, TARGET, *UPDATE, syscall="write", errno_name="ENOSPC"
    )
    assert outcome.exact
    assert outcome.injected.startswith("write(sequences/.sequence_001.json.")
    assert outcome.error_code == "IO_ERROR"
    assert outcome.state == "old" and outcome.temps_left == []
    make_demo(tmp_path)
    assert trace_update(node_store("atomic"), tmp_path, *UPDATE).violations == []
    make_demo(tmp_path)
    assert (
        "target opened with O_TRUNC"
        in trace_update(node_store("inplace"), tmp_path, *UPDATE).violations
    )


def test_raw_when_expression_is_passed_to_strace() -> None:
    # Every fsync from the first on fails: the temp file's fsync is the process's first.
    outcome = inject_fault(
        reference_command(),
        make_demo,
        TARGET,
        *UPDATE,
        syscall="fsync",
        errno_name="EIO",
        when="1+",
    )
    assert outcome.error_code == "IO_ERROR"
    assert outcome.state == "old" and outcome.temps_left == []
    assert outcome.injected.startswith("fsync(sequences/.sequence_001.json.")
