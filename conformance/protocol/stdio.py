"""The stdio transport: one supervised adapter process speaking protocol v1.

Supervision, so that no adapter misbehaviour can crash or hang the harness:

* the adapter runs in its own session (process group) with stdin/stdout/stderr pipes;
* a reader thread splits stdout into lines, so every wait has a deadline (per-request
  timeout); on timeout the whole process group is killed;
* a second thread drains stderr continuously into a ring buffer (``stderr_tail``), so a
  chatty adapter never blocks on a full pipe and every fault carries its last words;
* any fault ends the process; :class:`conformance.protocol.Implementation` starts a
  fresh one on the next call.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import shlex
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from conformance.protocol import messages
from conformance.protocol.faults import AdapterFault

#: How much of the adapter's stderr a fault report carries.
STDERR_TAIL_BYTES = 2048
#: A response line longer than this is treated as garbage (guards the harness's memory).
MAX_LINE_BYTES = 256 * 1024 * 1024
#: After ``shutdown`` (or EOF) how long an adapter may take to exit before it is killed.
EXIT_GRACE_SECONDS = 5.0
_POSIX = os.name == "posix"


class StderrTail:
    """Drains a stream in a thread, keeping its last :data:`STDERR_TAIL_BYTES` bytes."""

    def __init__(self, stream: IO[bytes], limit: int = STDERR_TAIL_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        self._buffer = bytearray()
        self._dropped = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="adapter-stderr", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd = self._stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            with self._lock:
                self._buffer += chunk
                excess = len(self._buffer) - self._limit
                if excess > 0:
                    del self._buffer[:excess]
                    self._dropped += excess

    def join(self, timeout: float) -> None:
        """Wait (bounded) for the stream to reach EOF, so the tail is complete."""
        self._thread.join(timeout)

    def text(self) -> str:
        """The tail as text (undecodable bytes replaced), noting what was cut off."""
        with self._lock:
            data, dropped = bytes(self._buffer), self._dropped
        text = data.decode("utf-8", errors="replace")
        return f"[... {dropped} earlier bytes omitted ...]\n{text}" if dropped else text


class _Eof:
    """Marker: stdout reached end of file, possibly after an unterminated line."""

    def __init__(self, partial: bytes, too_long: bool = False) -> None:
        self.partial = partial
        self.too_long = too_long


class LineReader:
    """Splits a stream into lines in a thread; :meth:`next_line` waits with a deadline."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lines: queue.Queue[bytes | _Eof] = queue.Queue()
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="adapter-stdout", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd = self._stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            with self._lock:
                if not chunk:
                    self._lines.put(_Eof(bytes(self._pending)))
                    return
                start = len(self._pending)
                self._pending += chunk
                # Scan only the new bytes for newlines: big responses stay linear.
                cut = self._pending.find(b"\n", start)
                while cut != -1:
                    self._lines.put(bytes(self._pending[:cut]))
                    del self._pending[: cut + 1]
                    cut = self._pending.find(b"\n")
                if len(self._pending) > MAX_LINE_BYTES:
                    self._lines.put(_Eof(bytes(self._pending[:200]), too_long=True))
                    return

    def pending(self) -> bytes:
        """Bytes received after the last newline (an unterminated line so far)."""
        with self._lock:
            return bytes(self._pending)

    def next_line(self, deadline: float) -> bytes | _Eof | None:
        """The next line, an :class:`_Eof`, or ``None`` when ``deadline`` passed first."""
        remaining = deadline - time.monotonic()
        try:
            return (
                self._lines.get(timeout=max(remaining, 0.0))
                if remaining > 0
                else self._lines.get_nowait()
            )
        except queue.Empty:
            return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill an adapter's process group if it still runs (abandoned transports, exit)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if _POSIX:
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def _preview(data: bytes, limit: int = 200) -> str:
    text = data[:limit].decode("utf-8", errors="replace")
    return repr(text) + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


class StdioTransport:
    """Runs ``argv`` as an adapter and exchanges protocol lines with it."""

    def __init__(
        self,
        argv: list[str],
        *,
        timeout: float = 30.0,
        start_timeout: float | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if not argv:
            raise ValueError("adapter command is empty")
        self.argv = list(argv)
        self.timeout = timeout
        #: Bound on the start-up ``hello`` (defaults to ``timeout``).
        self.start_timeout = timeout if start_timeout is None else start_timeout
        self.cwd = Path(cwd) if cwd is not None else None
        self.env = dict(env) if env is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: LineReader | None = None
        self._stderr: StderrTail | None = None
        self._last_exit: int | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # -- process lifecycle -----------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether an adapter process has been started and not yet ended by us."""
        return self._proc is not None

    @property
    def pid(self) -> int | None:
        """The adapter's process id while running."""
        return self._proc.pid if self._proc is not None else None

    @property
    def stderr_tail(self) -> str:
        """The last ~2 KB of the current (or last) adapter's stderr."""
        return self._stderr.text() if self._stderr is not None else ""

    def exit_status(self) -> int | None:
        """Exit status of the last adapter process that ended (``None`` if unknown)."""
        return self._last_exit

    def start(self) -> None:
        """Start a fresh adapter process (AdapterFault ``start-failed`` if it cannot run)."""
        self.stop()
        try:
            proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                cwd=self.cwd,
                env=self.env,
                # Own process group: a timeout kills the adapter and anything it spawned.
                start_new_session=_POSIX,
            )
        except OSError as exc:
            raise AdapterFault(
                "start-failed", f"could not run {shlex.join(self.argv)}: {exc.strerror or exc}"
            ) from exc
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        if _POSIX:
            os.set_blocking(proc.stdin.fileno(), False)
        self._proc = proc
        # An Implementation dropped without close() (a test that failed half-way) must
        # not leave a hung adapter behind: kill it when collected or at interpreter exit.
        self._finalizer = weakref.finalize(self, _kill_group, proc)
        self._reader = LineReader(proc.stdout)
        self._stderr = StderrTail(proc.stderr)

    def _kill(self) -> None:
        proc = self._proc
        if proc is None:
            return
        _kill_group(proc)
        self._reap(EXIT_GRACE_SECONDS)

    def _reap(self, grace: float) -> int | None:
        """Wait up to ``grace`` s for the process to exit, kill it if it does not, close pipes."""
        proc = self._proc
        if proc is None:
            return self._last_exit
        try:
            code: int | None = proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if _POSIX:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:  # pragma: no cover - Windows
                    proc.kill()
            proc.wait()
            code = None
        if _POSIX:
            # Grandchildren that outlived the adapter would keep our pipes open.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._stderr is not None:
            self._stderr.join(1.0)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._proc = None
        self._last_exit = code
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        return code

    def stop(self) -> None:
        """Kill the adapter if it is running (no questions asked)."""
        self._kill()

    def finish(self) -> int | None:
        """After ``shutdown`` was answered: wait for a voluntary exit; return its status.

        ``None`` means the adapter did not exit within :data:`EXIT_GRACE_SECONDS` and
        was killed.
        """
        return self._reap(EXIT_GRACE_SECONDS)

    def _fault(self, kind: str, detail: str) -> AdapterFault:
        """End the process and build the fault with its stderr tail and exit status."""
        if kind in ("timeout", "malformed", "wrong-id", "protocol"):
            self._kill()
        else:
            self._reap(EXIT_GRACE_SECONDS)
        return AdapterFault(kind, detail, stderr_tail=self.stderr_tail, exit_code=self._last_exit)

    # -- one exchange ------------------------------------------------------------------
    def _write(self, data: bytes, deadline: float, op: str) -> None:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        fd = proc.stdin.fileno()
        view = memoryview(data)
        while view:
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                written = 0
            except (BrokenPipeError, ConnectionResetError):
                raise self._fault(
                    "crash", f"the adapter closed its stdin before reading the {op} request"
                ) from None
            view = view[written:]
            if view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._fault(
                        "timeout",
                        f"the adapter stopped reading stdin; the {op} request could not "
                        f"be sent within {self.timeout:g} s",
                    )
                if _POSIX:
                    select.select([], [fd], [], remaining)

    def exchange(
        self, request: dict[str, Any], op: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send ``request`` and return the validated response to it.

        Raises AdapterFault (the process is then ended): ``crash`` if it died or closed
        stdout, ``timeout`` after ``timeout`` s (default: the transport's), ``malformed``
        for a non-JSON or schema-invalid line, ``wrong-id`` for another request's id.
        """
        if self._proc is None:
            self.start()
        proc, reader = self._proc, self._reader
        assert proc is not None and reader is not None
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        if proc.poll() is not None:
            raise self._fault(
                "crash", f"the adapter had already exited when the {op} request was to be sent"
            )
        self._write(messages.encode(request), deadline, op)
        line = reader.next_line(deadline)
        if line is None:
            partial = reader.pending()
            hint = (
                f"; it wrote an unterminated line {_preview(partial)} (is stdout block-buffered? "
                "flush after every response)"
                if partial
                else ""
            )
            raise self._fault("timeout", f"no response to {op} within {limit:g} s{hint}")
        if isinstance(line, _Eof):
            if line.too_long:
                raise self._fault(
                    "malformed",
                    f"answered {op} with a line longer than {MAX_LINE_BYTES} bytes "
                    f"starting {_preview(line.partial)}",
                )
            tail = (
                f" after writing an unterminated line {_preview(line.partial)}"
                if line.partial
                else ""
            )
            raise self._fault(
                "crash", f"the adapter closed stdout or died while handling {op}{tail}"
            )
        try:
            response = messages.decode(line)
        except messages.MessageError as exc:
            raise self._fault(
                "malformed", f"answered {op} with a line that is {exc}: {_preview(line)}"
            ) from None
        if isinstance(response, dict):
            got = response.get("id")
            if got != request["id"] and not (got is None and response.get("ok") is False):
                raise self._fault(
                    "wrong-id",
                    f"answered the {op} request id {request['id']} with id {got!r}: "
                    f"{_preview(line)}",
                )
        problem = messages.response_problem(response, op)
        if problem is not None:
            raise self._fault(
                "malformed", f"answered {op} with an invalid response {problem}: {_preview(line)}"
            )
        result: dict[str, Any] = response
        return result

    def command(self) -> list[str]:
        """The adapter's argv."""
        return list(self.argv)
