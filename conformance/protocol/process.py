"""Adapter processes: the one way seqcheck starts and stops a process it does not trust.

* :func:`spawn` runs it in its own session (so its whole process group can be
  signalled) and, on Linux, with ``PR_SET_PDEATHSIG``: the kernel kills it when the
  seqcheck process that started it dies, even by SIGKILL, so no adapter outlives
  certify. The death signal fires when the *thread* that forked exits, so every spawn
  goes through one long-lived launcher thread rather than the caller's (suite tests
  start adapters from short-lived worker threads).
* The kernel's death signal reaches only that process. Whatever else runs in its
  process group (an adapter under ``strace``: strace is the child, the adapter its
  tracee) is killed by a watchdog: one small process per seqcheck process, holding a
  pipe from it, that kills every registered group when the pipe closes, i.e. when
  seqcheck exits or is killed.
* :func:`stop` ends it in bounded time: SIGTERM to the group, a grace period, SIGKILL
  to the group, a bounded reap; then any process still holding its pipes (a
  grandchild that left the group with ``setsid()``) is killed, and seqcheck closes the
  pipes itself. Nothing here waits without a deadline.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from conformance.protocol.limits import REAP_SECONDS, STOP_GRACE_SECONDS

_POSIX = os.name == "posix"
_PR_SET_PDEATHSIG = 1
_launcher: ThreadPoolExecutor | None = None
_launcher_lock = threading.Lock()


def _prctl() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    return libc.prctl


_PRCTL = _prctl()


def _die_with_parent(parent: int) -> None:
    # Runs in the child between fork and exec: nothing but the syscall and a check.
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def _pool() -> ThreadPoolExecutor:
    global _launcher
    with _launcher_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seqcheck-launcher")
        return _launcher


# The watchdog: reads "+PGID" / "-PGID" lines; at end of input kills what is registered.
_WATCHDOG = """
import os, signal, sys
groups = set()
for line in sys.stdin:
    line = line.strip()
    if line[:1] == "+":
        groups.add(int(line[1:]))
    elif line[:1] == "-":
        groups.discard(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class _Watchdog:
    """The process that kills our adapters' process groups when we die."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = 0

    def _pipe(self) -> IO[bytes] | None:
        if self._proc is None or self._owner != os.getpid():  # first use, or after fork
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _WATCHDOG],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, start_new_session=True,
                )
            except OSError:
                self._proc = None
                return None
            self._owner = os.getpid()
        return self._proc.stdin

    def _send(self, line: str) -> None:
        with self._lock:
            pipe = self._pipe()
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.write(line.encode() + b"\n")
                    pipe.flush()

    def watch(self, pgid: int) -> None:
        """Kill group ``pgid`` if this process dies before :meth:`forget`."""
        self._send(f"+{pgid}")

    def forget(self, pgid: int) -> None:
        """``pgid`` ended (its id may be reused): no longer ours to kill."""
        self._send(f"-{pgid}")


_watchdog = _Watchdog()


def spawn(
    argv: Sequence[str],
    *,
    stdin: int | IO[Any] | None = subprocess.PIPE,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, killed by the kernel if this process dies.

    Raises OSError when it cannot be run (no such program, not executable).
    """
    parent = os.getpid()
    preexec = (lambda: _die_with_parent(parent)) if _PRCTL is not None else None

    def launch() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(argv),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            bufsize=0,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=_POSIX,
            preexec_fn=preexec,  # a lone prctl, see _die_with_parent
        )

    proc = launch() if preexec is None else _pool().submit(launch).result()
    if _POSIX:
        _watchdog.watch(proc.pid)
    return proc


def _ended(proc: subprocess.Popen[bytes]) -> None:
    if _POSIX:
        _watchdog.forget(proc.pid)


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to ``proc``'s process group (to ``proc`` alone off POSIX)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if _POSIX:
            os.killpg(proc.pid, sig)
        elif sig == getattr(signal, "SIGKILL", None):  # pragma: no cover - Windows
            proc.kill()
        else:  # pragma: no cover - Windows
            proc.terminate()


def _pipe_inodes(proc: subprocess.Popen[bytes]) -> set[int]:
    inodes = set()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None and not stream.closed:
            with contextlib.suppress(OSError, ValueError):
                inodes.add(os.fstat(stream.fileno()).st_ino)
    return inodes


def pipe_holders(inodes: set[int]) -> list[int]:
    """Other processes with one of these pipes open (found in ``/proc``; Linux only)."""
    if not inodes:
        return []
    wanted = {f"pipe:[{ino}]" for ino in inodes}
    me = os.getpid()
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            with contextlib.suppress(OSError):
                for fd in os.scandir(Path(entry.path) / "fd"):
                    with contextlib.suppress(OSError):
                        if str(Path(fd.path).readlink()) in wanted:
                            found.append(int(entry.name))
                            break
    return found


def _still_held(proc: subprocess.Popen[bytes]) -> bool:
    """Whether someone still writes to our end of stdout/stderr (no EOF yet)."""
    import select

    streams = [s for s in (proc.stdout, proc.stderr) if s is not None and not s.closed]
    for stream in streams:
        with contextlib.suppress(OSError, ValueError):
            ready, _, _ = select.select([stream], [], [], 0)
            if not ready:
                return True
    return False


def release(proc: subprocess.Popen[bytes]) -> None:
    """Kill whatever still holds ``proc``'s pipes, then close seqcheck's ends."""
    if _POSIX and _still_held(proc):
        for pid in pipe_holders(_pipe_inodes(proc)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def stop(
    proc: subprocess.Popen[bytes], *, grace: float = STOP_GRACE_SECONDS, release_pipes: bool = True
) -> int | None:
    """End ``proc`` and its group: SIGTERM, ``grace`` s, SIGKILL, a bounded reap.

    Returns its exit status (negative: the signal that ended it), ``None`` when it could
    not be reaped within :data:`REAP_SECONDS` after SIGKILL. With ``release_pipes``,
    pipe holders outside the group are killed and the pipes closed (see :func:`release`).
    """
    if proc.poll() is None and grace > 0:
        signal_group(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # Also when the leader is gone: members it left behind would keep our pipes open.
    signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
    code: int | None
    try:
        code = proc.wait(timeout=REAP_SECONDS)
    except subprocess.TimeoutExpired:
        code = None
    else:
        _ended(proc)
    if release_pipes:
        release(proc)
    return code


def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    """``proc``'s exit status if it exits within ``timeout`` s, else ``None``."""
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    _ended(proc)
    return code


@dataclass
class Collected:
    """What :func:`collect` gathered from a process, within its bounds."""

    #: The first ``stdout_limit`` bytes of stdout (the rest was read and dropped).
    stdout: bytes
    #: The last ``stderr_limit`` bytes of stderr.
    stderr_tail: bytes
    exit_code: int | None
    #: The deadline passed before the process ended (it was then stopped).
    timed_out: bool


#: After the process exits, how long its pipes may stay open (a grandchild holding
#: them) before the holders are killed.
_DRAIN_SECONDS = 1.0


class _Conversation:
    """One bounded exchange with a process: what is left to write, what was read, and
    the clocks that end it (the deadline, the drain after exit, the settle after
    ``finished``)."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        data: bytes,
        *,
        deadline: float,
        stdout_limit: int,
        stderr_limit: int,
        finished: Callable[[bytes], bool] | None,
        exit_grace: float,
    ) -> None:
        self.proc = proc
        self.pending = memoryview(data)
        self.out = bytearray()
        self.err = bytearray()
        self.deadline = deadline
        self.stdout_limit = stdout_limit
        self.stderr_limit = stderr_limit
        self.finished = finished
        self.exit_grace = exit_grace
        self.settle_by: float | None = None
        self.exited_at: float | None = None
        self.timed_out = False

    def _register(self, sel: selectors.BaseSelector) -> None:
        stdin = self.proc.stdin
        if stdin is not None and not stdin.closed:
            if self.pending:
                os.set_blocking(stdin.fileno(), False)
                sel.register(stdin, selectors.EVENT_WRITE)
            else:
                stdin.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                sel.register(stream, selectors.EVENT_READ)

    def _over(self, now: float) -> bool:
        """Whether to stop waiting for the pipes (``timed_out`` says if the deadline did it)."""
        if self.exited_at is None and self.proc.poll() is not None:
            self.exited_at = now
        if self.exited_at is not None and now - self.exited_at > _DRAIN_SECONDS:
            return True  # exited, but someone else keeps the pipes open
        if self.settle_by is not None and now >= self.settle_by:
            return True  # it said all it had to say but will not exit: stopped later
        if now >= self.deadline:
            self.timed_out = True
            return True
        return False

    def _write(self, sel: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
        try:
            self.pending = self.pending[os.write(key.fd, self.pending):]
        except (BrokenPipeError, ConnectionResetError):
            self.pending = self.pending[:0]
        stdin = self.proc.stdin
        if not self.pending and stdin is not None:
            sel.unregister(stdin)
            with contextlib.suppress(OSError):
                stdin.close()

    def _read(self, sel: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
        chunk = os.read(key.fd, 65536)
        if not chunk:
            sel.unregister(key.fileobj)
        elif key.fileobj is self.proc.stdout:
            self.out += chunk[: max(self.stdout_limit - len(self.out), 0)]
            if (
                self.settle_by is None and self.finished is not None and b"\n" in chunk
                and self.finished(bytes(self.out))
            ):
                self.settle_by = time.monotonic() + self.exit_grace
        else:
            self.err += chunk
            if len(self.err) > self.stderr_limit:
                del self.err[: len(self.err) - self.stderr_limit]

    def run(self) -> None:
        """Write and read until the pipes close or one of the clocks runs out."""
        sel = selectors.DefaultSelector()
        try:
            self._register(sel)
            while sel.get_map():
                now = time.monotonic()
                if self._over(now):
                    break
                wait = min(self.deadline - now, 0.1 if self.exited_at is None else _DRAIN_SECONDS)
                for key, _ in sel.select(wait):
                    if key.fileobj is self.proc.stdin:
                        self._write(sel, key)
                    else:
                        self._read(sel, key)
        finally:
            sel.close()

    def end(self) -> int | None:
        """Make sure the process and its group are gone; its exit status."""
        proc = self.proc
        if self.timed_out or (self.settle_by is not None and proc.poll() is None):
            return stop(proc, grace=0)
        code = wait_exit(proc, REAP_SECONDS)
        if code is None:  # it closed its pipes but will not exit
            return stop(proc, grace=0)
        signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
        release(proc)
        return code


def collect(
    proc: subprocess.Popen[bytes],
    data: bytes,
    *,
    timeout: float,
    stdout_limit: int,
    stderr_limit: int,
    finished: Callable[[bytes], bool] | None = None,
    exit_grace: float = REAP_SECONDS,
) -> Collected:
    """Feed ``data`` to ``proc``'s stdin (then close it) and gather its output, bounded.

    Unlike ``communicate()``, memory is bounded (stdout's head, stderr's tail) and every
    wait has a deadline: after ``timeout`` s the process is stopped; once it has exited,
    whoever still holds its pipes gets :data:`_DRAIN_SECONDS` and is then killed. When
    ``finished(stdout so far)`` says the conversation is over (e.g. shutdown answered),
    the process gets ``exit_grace`` s to exit before it is stopped (not a timeout).
    """
    talk = _Conversation(
        proc, data, deadline=time.monotonic() + timeout, stdout_limit=stdout_limit,
        stderr_limit=stderr_limit, finished=finished, exit_grace=exit_grace,
    )
    talk.run()
    code = talk.end()
    return Collected(bytes(talk.out), bytes(talk.err), code, talk.timed_out)


__all__ = [
    "Collected", "collect", "pipe_holders", "release", "signal_group", "spawn", "stop", "wait_exit",
]
