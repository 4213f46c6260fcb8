"""Running commands under strace and reading its output (``strace -f -y -qq``).

Only what the crash tools need: is strace usable here, the argv prefix for recording
and for injecting, and a parser turning the trace into :class:`Syscall` records with
the file paths each call touched (``-y`` annotates every descriptor with its path).
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: The syscall classes traced: everything taking a path or a descriptor. Memory,
#: futex and clock calls vary from run to run (GC, scheduling) and never touch files.
TRACE_SET = "%file,%desc"

#: Syscalls whose quoted string arguments are paths.
PATH_SYSCALLS = frozenset(
    {
        "open",
        "openat",
        "openat2",
        "creat",
        "stat",
        "lstat",
        "newfstatat",
        "statx",
        "access",
        "faccessat",
        "faccessat2",
        "chmod",
        "fchmodat",
        "chown",
        "fchownat",
        "lchown",
        "truncate",
        "unlink",
        "unlinkat",
        "rename",
        "renameat",
        "renameat2",
        "link",
        "linkat",
        "symlink",
        "symlinkat",
        "mkdir",
        "mkdirat",
        "rmdir",
        "utimensat",
        "readlink",
        "readlinkat",
        "chdir",
        "statfs",
        "getxattr",
        "lgetxattr",
        "setxattr",
        "lsetxattr",
        "mknod",
        "mknodat",
    }
)


@cache
def is_under(path: str, folder: str) -> bool:
    """Whether the traced ``path`` is ``folder`` or inside it (plain string test: strace
    reports resolved absolute paths)."""
    return path == folder or path.startswith(folder + os.sep)


def strace_binary() -> str | None:
    """Path of the strace executable, or ``None``."""
    return shutil.which("strace")


@cache
def strace_status() -> tuple[bool, str]:
    """Whether strace can trace here, and if not why (for a skip reason).

    Runs ``strace -f true``: strace may be installed and still fail when ptrace is
    forbidden (containers without CAP_SYS_PTRACE, Yama ptrace_scope 3).
    """
    binary = strace_binary()
    if binary is None:
        return False, "strace is not installed (Debian/Ubuntu: apt-get install strace)"
    true = shutil.which("true") or "/bin/true"
    try:
        proc = subprocess.run(
            [binary, "-f", "-qq", "-o", os.devnull, true],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"strace could not run: {exc}"
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return False, "strace cannot trace here (ptrace not permitted?): " + (
            reason[-1] if reason else f"exit status {proc.returncode}"
        )
    return True, ""


def strace_prefix(trace_file: Path, *extra: str, follow: bool = True) -> list[str]:
    """argv prefix running a command under strace, writing the trace to ``trace_file``.

    ``follow=False`` traces only the started process's main thread: strace counts
    ``when=`` per thread, so leaving other threads untraced is what makes an ordinal of
    the main thread exact in a multi-threaded runtime (Node's libuv pool, V8 workers).
    """
    binary = strace_binary()
    if binary is None:
        raise FileNotFoundError("strace is not installed")
    threads = ["-f"] if follow else []
    return [
        binary,
        *threads,
        "-y",
        "-qq",
        "-s",
        "64",
        "-e",
        f"trace={TRACE_SET}",
        "-o",
        str(trace_file),
        *extra,
    ]


@dataclass
class Syscall:
    """One system call from a trace."""

    #: Position of the call's start in the trace (calls sorted by it).
    start: int
    #: Position of its completion (= start unless it was interrupted by another thread's line).
    end: int
    tid: int
    name: str
    args: list[str]
    #: Raw result: ``"0"``, ``"-1"``, ``"?"`` (never returned) or an address.
    ret: str
    errno: str | None = None
    #: The 1-based count of this syscall name in this thread, as strace's ``when=`` counts.
    ordinal: int = 0
    #: Every path the call touched: descriptor annotations, path arguments, returned fd.
    paths: list[str] = field(default_factory=list)
    #: Just the path arguments (quoted strings), resolved against their dirfd or cwd.
    path_args: list[str] = field(default_factory=list)
    #: The process was killed during this call (injected signal or otherwise).
    killed: bool = False
    injected: bool = False

    @property
    def ok(self) -> bool:
        """Whether the call returned successfully."""
        return self.ret not in ("-1", "?")

    def fd_path(self, position: int = 0) -> str | None:
        """Path of the descriptor argument at ``position``, if annotated."""
        if position >= len(self.args):
            return None
        match = _FD_RE.match(self.args[position])
        return _strip_deleted(match.group(2)) if match else None


# "PID body" with -f; just "body" when only one thread is traced.
_LINE_RE = re.compile(r"^(?:(\d+)\s+)?(.*)$")
_CALL_RE = re.compile(
    r"^(?P<name>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+|\?|0x[0-9a-f]+)"
    r"(?:<(?P<retpath>[^>]*)>)?(?:\s+(?P<errno>E[A-Z0-9]+)\b)?(?P<rest>.*)$"
)
_UNFINISHED_RE = re.compile(r"^(?P<name>\w+)\((?P<args>.*?)\s*<unfinished \.\.\.>$")
_RESUMED_RE = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>(?P<rest>.*)$")
_FD_RE = re.compile(r"^(\d+|AT_FDCWD)<(.*)>$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", '"': '"', "\\": "\\"}


def unquote(token: str) -> str | None:
    """The value of a strace string literal token (``"..."`` possibly followed by ``...``)."""
    if not token.startswith('"'):
        return None
    out: list[str] = []
    raw = bytearray()
    i = 1
    while i < len(token):
        ch = token[i]
        if ch == '"':
            break
        if ch == "\\" and i + 1 < len(token):
            nxt = token[i + 1]
            if nxt == "x" and i + 3 < len(token):
                raw.append(int(token[i + 2 : i + 4], 16))
                i += 4
                continue
            if nxt.isdigit():
                digits = re.match(r"[0-7]{1,3}", token[i + 1 :])
                assert digits is not None
                raw.append(int(digits.group(0), 8))
                i += 1 + len(digits.group(0))
                continue
            out.append(raw.decode("utf-8", "replace"))
            raw.clear()
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(raw.decode("utf-8", "replace"))
        raw.clear()
        out.append(ch)
        i += 1
    out.append(raw.decode("utf-8", "replace"))
    return "".join(out)


def split_args(text: str) -> list[str]:
    """Split a strace argument list at top-level commas (strings and brackets respected)."""
    parts: list[str] = []
    depth = 0
    start = 0
    in_string = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "<" and i > 0 and (text[i - 1].isdigit() or text[i - 1] == "D"):
            # A -y annotation "5</path, with, commas>": skip to its closing '>'.
            close = text.find(">", i)
            if close != -1:
                i = close
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _resolve(path: str, base: str | None) -> str:
    # Trace paths are Linux paths whatever runs this: posixpath, not pathlib.
    if posixpath.isabs(path) or base is None:
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(base, path))


def _strip_deleted(path: str) -> str:
    return path[: -len(" (deleted)")] if path.endswith(" (deleted)") else path


def _paths_of(
    name: str, args: list[str], retpath: str | None, cwd: str | None
) -> tuple[list[str], list[str]]:
    """(every path touched, path arguments only) of one call."""
    paths: list[str] = []
    path_args: list[str] = []
    last_dir: str | None = cwd
    for token in args:
        fd = _FD_RE.match(token)
        if fd is not None:
            last_dir = _strip_deleted(fd.group(2))
            if fd.group(1) != "AT_FDCWD":
                paths.append(last_dir)
            continue
        if name in PATH_SYSCALLS:
            value = unquote(token)
            if value:
                resolved = _resolve(value, last_dir)
                paths.append(resolved)
                path_args.append(resolved)
                last_dir = cwd
    if retpath is not None:
        paths.append(_strip_deleted(retpath))
    return paths, path_args


def parse_trace(text: str, *, cwd: str | None = None) -> list[Syscall]:
    """Parse ``strace -f -y -qq`` output into calls sorted by start, with per-thread ordinals.

    ``cwd`` resolves relative path arguments when the trace never shows the working
    folder (``AT_FDCWD</dir>`` annotations update it as they appear).
    """
    parser = _TraceParser(cwd)
    for number, line in enumerate(text.splitlines()):
        parser.line(number, line)
    calls = parser.finish_all()
    calls.sort(key=lambda c: c.start)
    counts: dict[tuple[int, str], int] = {}
    for call in calls:
        key = (call.tid, call.name)
        counts[key] = counts.get(key, 0) + 1
        call.ordinal = counts[key]
    return calls


class _TraceParser:
    """The state of :func:`parse_trace`: calls so far, each thread's unfinished call,
    working folder and last call."""

    def __init__(self, cwd: str | None) -> None:
        self.cwd = cwd
        self.calls: list[Syscall] = []
        self.pending: dict[int, tuple[int, str]] = {}
        self.cwd_of: dict[int, str | None] = {}
        self.last_of: dict[int, Syscall] = {}

    def line(self, number: int, line: str) -> None:
        head = _LINE_RE.match(line)
        if head is None:
            return
        tid, body = int(head.group(1) or 0), head.group(2)
        if body.startswith("+++ killed by"):
            self._killed(tid, number)
            return
        if body.startswith(("+++", "---")):
            return
        unfinished = _UNFINISHED_RE.match(body)
        if unfinished is not None:
            self.pending[tid] = (
                number, f"{unfinished.group('name')}({unfinished.group('args')}"
            )
            return
        resumed = _RESUMED_RE.match(body)
        if resumed is None:
            self._finish(tid, number, number, body)
        elif tid in self.pending:
            start, partial = self.pending.pop(tid)
            # strace cuts after the last complete argument (comma included).
            self._finish(tid, start, number, partial + resumed.group("rest"))

    def finish_all(self) -> list[Syscall]:
        """The calls, with those still unfinished closed (traced process vanished)."""
        for tid, (start, partial) in self.pending.items():
            self._finish(tid, start, start, f"{partial}) = ?")
        self.pending.clear()
        return self.calls

    def _killed(self, tid: int, number: int) -> None:
        if tid in self.pending:  # killed inside a call that never resumed
            start, partial = self.pending.pop(tid)
            self._finish(tid, start, number, f"{partial}) = ?")
        call = self.last_of.get(tid)
        if call is not None and call.ret == "?":
            call.killed = True

    def _finish(self, tid: int, start: int, end: int, body: str) -> None:
        match = _CALL_RE.match(body)
        if match is None:
            return
        name = match.group("name")
        args = split_args(match.group("args"))
        for token in args:
            fd = _FD_RE.match(token)
            if fd is not None and fd.group(1) == "AT_FDCWD":
                self.cwd_of[tid] = fd.group(2)
        paths, path_args = _paths_of(
            name, args, match.group("retpath"), self.cwd_of.get(tid, self.cwd)
        )
        call = Syscall(
            start=start,
            end=end,
            tid=tid,
            name=name,
            args=args,
            ret=match.group("ret"),
            errno=match.group("errno"),
            paths=paths,
            path_args=path_args,
            injected="(INJECTED)" in match.group("rest"),
        )
        self.calls.append(call)
        self.last_of[tid] = call


def read_trace(path: Path, *, cwd: str | None = None) -> list[Syscall]:
    """:func:`parse_trace` of a trace file (empty if strace wrote none)."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return parse_trace(text, cwd=cwd)
