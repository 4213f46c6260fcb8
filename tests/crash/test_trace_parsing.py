"""Parsing strace output and judging the write protocol, on hand-written traces."""

from __future__ import annotations

from pathlib import Path

from conformance.crash.strace import parse_trace, split_args, unquote
from conformance.crash.write_protocol import check_write_protocol

T = "/p/sequences/sequence_001.json"
TMP = "/p/sequences/.sequence_001.json.abc123.tmp"

GOOD = f"""\
100 openat(AT_FDCWD</w>, "{TMP}", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644) = 5<{TMP}>
100 write(5<{TMP}>, "{{\\n  \\"id\\": \\"001\\""..., 3715) = 3715
100 fsync(5<{TMP}> <unfinished ...>
101 write(9<anon_inode:[eventfd]>, "\\1\\0\\0\\0\\0\\0\\0\\0", 8) = 8
100 <... fsync resumed>) = 0
100 close(5<{TMP}>) = 0
100 rename("{TMP}", "{T}") = 0
100 openat(AT_FDCWD</w>, "/p/sequences", O_RDONLY|O_CLOEXEC) = 5</p/sequences>
100 fsync(5</p/sequences>) = 0
100 close(5</p/sequences>) = 0
"""


def test_unfinished_and_resumed_calls_are_joined() -> None:
    calls = parse_trace(GOOD)
    fsync = next(c for c in calls if c.name == "fsync")
    assert fsync.ret == "0" and fsync.fd_path(0) == TMP
    assert fsync.start < fsync.end  # another thread's line came in between
    assert [c.name for c in calls if c.tid == 100][:3] == ["openat", "write", "fsync"]
    assert fsync.ordinal == 1
    assert [c.ordinal for c in calls if c.name == "write"] == [1, 1]  # per thread


def test_paths_are_resolved_against_dirfds_and_cwd() -> None:
    calls = parse_trace(
        '7 renameat2(3</p/sequences>, ".a.tmp", AT_FDCWD</p>, "sequences/sequence_001.json", '
        "RENAME_NOREPLACE) = 0\n"
        '7 rename("rel.tmp", "/abs/x") = 0\n'
    )
    assert calls[0].path_args == ["/p/sequences/.a.tmp", T]
    assert calls[1].path_args == ["/p/rel.tmp", "/abs/x"]  # cwd from the AT_FDCWD annotation


def test_killed_call_and_lines_without_pid() -> None:
    calls = parse_trace(
        f'write(5<{TMP}>, "x", 1) = 1\nrename("{TMP}", "{T}") = ?\n+++ killed by SIGKILL +++\n'
    )
    assert [c.killed for c in calls] == [False, True]
    assert calls[1].tid == 0
    injected = parse_trace(f"9 fsync(5<{TMP}>) = -1 EIO (Input/output error) (INJECTED)\n")[0]
    assert injected.injected and injected.errno == "EIO" and not injected.ok


def test_killed_inside_an_unfinished_call() -> None:
    calls = parse_trace(f"5 fsync(4<{TMP}> <unfinished ...>\n5 +++ killed by SIGKILL +++\n")
    assert calls[0].name == "fsync" and calls[0].killed and calls[0].fd_path(0) == TMP


def test_strace_string_escapes_and_argument_splitting() -> None:
    assert unquote(r'"a\"b\\c\n\x41\101"...') == 'a"b\\c\nAA'
    assert split_args('3</a, b>, "x, y", {st_mode=S_IFREG, st_size=1}, [1, 2]') == [
        "3</a, b>",
        '"x, y"',
        "{st_mode=S_IFREG, st_size=1}",
        "[1, 2]",
    ]


def test_good_trace_has_no_violations() -> None:
    assert check_write_protocol(parse_trace(GOOD), Path(T)) == []


def test_fsync_after_rename_does_not_count() -> None:
    trace = f"""\
1 openat(AT_FDCWD</w>, "{TMP}", O_WRONLY|O_CREAT, 0644) = 5<{TMP}>
1 write(5<{TMP}>, "x", 1) = 1
1 rename("{TMP}", "{T}") = 0
1 fsync(5<{T}>) = 0
1 openat(AT_FDCWD</w>, "/p/sequences", O_RDONLY) = 6</p/sequences>
1 fsync(6</p/sequences>) = 0
"""
    assert check_write_protocol(parse_trace(trace), Path(T)) == [
        "temp file not fsynced before rename"
    ]


def test_temp_in_another_folder_and_copy_over_target() -> None:
    trace = f"""\
1 openat(AT_FDCWD</w>, "/tmp/x.tmp", O_WRONLY|O_CREAT, 0644) = 5</tmp/x.tmp>
1 write(5</tmp/x.tmp>, "x", 1) = 1
1 fsync(5</tmp/x.tmp>) = 0
1 rename("/tmp/x.tmp", "{T}") = 0
1 openat(AT_FDCWD</w>, "{T}", O_RDWR) = 7<{T}>
1 ftruncate(7<{T}>, 0) = 0
"""
    assert check_write_protocol(parse_trace(trace), Path(T)) == [
        "target opened for writing",
        "target truncated",
        "temp file not in the target's folder",
        "folder not fsynced after rename",
    ]


def test_sync_covers_everything_and_failed_calls_are_ignored() -> None:
    trace = f"""\
1 openat(AT_FDCWD</w>, "{T}", O_WRONLY|O_TRUNC) = -1 EACCES (Permission denied)
1 openat(AT_FDCWD</w>, "{TMP}", O_WRONLY|O_CREAT, 0644) = 5<{TMP}>
1 write(5<{TMP}>, "x", 1) = 1
1 syncfs(5<{TMP}>) = 0
1 rename("{TMP}", "{T}") = 0
1 sync() = 0
"""
    assert check_write_protocol(parse_trace(trace), Path(T)) == []
