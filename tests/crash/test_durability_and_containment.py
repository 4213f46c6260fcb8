"""SEQ-DURABLE-1 and SEQ-ID-5 judged from hand-written traces, and "new" judged against
the same implementation's uninterrupted result."""

from __future__ import annotations

from pathlib import Path

from conformance.crash.state import classify, same_run_result
from conformance.crash.strace import parse_trace
from conformance.crash.write_protocol import (
    FLUSH_VIOLATIONS,
    check_durability,
    check_write_protocol,
    writes_outside,
)
from conformance.jsonio import dump_bytes

T = "/p/sequences/sequence_001.json"
TMP = "/p/sequences/.sequence_001.json.abc123.tmp"
OPEN_TMP = f'1 openat(AT_FDCWD</w>, "{TMP}", O_WRONLY|O_CREAT|O_EXCL, 0644) = 5<{TMP}>\n'
WRITE_TMP = f'1 write(5<{TMP}>, "{{}}", 2) = 2\n'
FSYNC_TMP = f"1 fsync(5<{TMP}>) = 0\n"
RENAME = f'1 close(5<{TMP}>) = 0\n1 rename("{TMP}", "{T}") = 0\n'
FSYNC_DIR = '1 openat(AT_FDCWD</w>, "/p/sequences", O_RDONLY) = 6</p/sequences>\n' \
            "1 fsync(6</p/sequences>) = 0\n"


def test_a_full_protocol_is_durable_and_follows_the_protocol() -> None:
    calls = parse_trace(OPEN_TMP + WRITE_TMP + FSYNC_TMP + RENAME + FSYNC_DIR)
    assert check_durability(calls, Path(T)) == []
    assert check_write_protocol(calls, Path(T)) == []


def test_no_fsync_fails_durability_only() -> None:
    calls = parse_trace(OPEN_TMP + WRITE_TMP + RENAME)
    durability = check_durability(calls, Path(T))
    assert durability == ["temp file not fsynced before rename", "folder not fsynced after rename"]
    protocol = [v for v in check_write_protocol(calls, Path(T)) if v not in FLUSH_VIOLATIONS]
    assert protocol == []  # SEQ-ATOMIC-2's own rules hold: one defect, one requirement


def test_folder_fsync_missing_is_reported() -> None:
    calls = parse_trace(OPEN_TMP + WRITE_TMP + FSYNC_TMP + RENAME)
    assert check_durability(calls, Path(T)) == ["folder not fsynced after rename"]


def test_in_place_write_without_fsync_is_not_durable() -> None:
    trace = (f'1 openat(AT_FDCWD</w>, "{T}", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 5<{T}>\n'
             f'1 write(5<{T}>, "{{}}", 2) = 2\n1 close(5<{T}>) = 0\n')
    assert check_durability(parse_trace(trace), Path(T)) == [
        "target rewritten in place and never fsynced"
    ]
    synced = trace.replace("1 close(", f"1 fsync(5<{T}>) = 0\n1 close(")
    assert check_durability(parse_trace(synced), Path(T)) == []


def test_writes_outside_the_project_are_listed() -> None:
    trace = (
        OPEN_TMP + WRITE_TMP + FSYNC_TMP + RENAME + FSYNC_DIR
        + '1 mkdir("/home/u/leak", 0777) = 0\n'
        + '1 openat(AT_FDCWD</w>, "/home/u/leak/s.json", O_WRONLY|O_CREAT|O_TRUNC, 0666)'
        + " = 7</home/u/leak/s.json>\n"
        + '1 write(7</home/u/leak/s.json>, "{}", 2) = 2\n'
        + '1 unlink("/tmp/victim") = 0\n'
        + '1 rename("/p/sequences/x", "/elsewhere/x") = 0\n'
    )
    found = writes_outside(parse_trace(trace), Path("/p"))
    assert found == [
        "mkdir(/home/u/leak)", "openat(/home/u/leak/s.json)", "write(/home/u/leak/s.json)",
        "unlink(/tmp/victim)", "rename(/elsewhere/x)",
    ]


def test_reads_pipes_and_dev_null_are_not_writes_outside() -> None:
    trace = (
        '1 openat(AT_FDCWD</w>, "/usr/lib/node/x.js", O_RDONLY) = 3</usr/lib/node/x.js>\n'
        '1 write(1<pipe:[1234]>, "{\\"id\\": 2}\\n", 10) = 10\n'
        '1 openat(AT_FDCWD</w>, "/dev/null", O_WRONLY) = 4</dev/null>\n'
        '1 write(4</dev/null>, "x", 1) = 1\n'
        '1 write(2</dev/pts/0>, "log", 3) = 3\n'
        '1 unlink("/p/sequences/.x.tmp") = -1 ENOENT (No such file or directory)\n'
    )
    assert writes_outside(parse_trace(trace), Path("/p")) == []


def test_new_is_what_the_same_implementation_wrote_up_to_its_timestamps(tmp_path: Path) -> None:
    before = {"id": "001", "shots": [{"id": "a", "notes": "old"}],
              "metadata": {"created_at": "2026-01-20T10:00:00.000Z"}}
    # This implementation also stamps created_at: each run has its own "now".
    after = {"id": "001", "shots": [{"id": "a", "notes": "new"}],
             "metadata": {"created_at": "2026-12-01T10:00:01.000Z",
                          "modified_at": "2026-12-01T10:00:01.000Z"}}
    killed_run = {"id": "001", "shots": [{"id": "a", "notes": "new"}],
                  "metadata": {"created_at": "2026-12-01T10:00:07.250Z",
                               "modified_at": "2026-12-01T10:00:07.250Z"}}
    target = tmp_path / "sequence_001.json"
    target.write_bytes(dump_bytes(killed_run))
    assert classify(target, before, after) == "new"
    mixed = {**killed_run, "shots": [{"id": "a", "notes": "half"}]}
    target.write_bytes(dump_bytes(mixed))
    assert classify(target, before, after) == "torn"
    assert not same_run_result({"n": 1}, {"n": 1.0})
    assert not same_run_result({"a": "x"}, {"a": "2026-12-01T10:00:07Z"})
