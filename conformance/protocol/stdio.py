"""The stdio transport: one supervised adapter process speaking protocol v1.

Supervision, so that no adapter misbehaviour can crash, hang or swell the harness:

* the adapter is started by :func:`conformance.protocol.process.spawn` (own session,
  killed by the kernel if seqcheck dies) with stdin/stdout/stderr pipes;
* a reader thread splits stdout into lines of at most :data:`MAX_RESPONSE_BYTES`, so
  every wait has a deadline (per-request timeout) and memory stays bounded;
* a second thread drains stderr continuously into a ring buffer (``stderr_tail``), so a
  chatty adapter never blocks on a full pipe and every fault carries its last words;
* any fault ends the process (:func:`conformance.protocol.process.stop`: SIGTERM, grace,
  SIGKILL, pipes closed by us); :class:`conformance.protocol.Implementation` starts a
  fresh one on the next call.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shlex
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from conformance.limits import MAX_RESPONSE_BYTES, STDERR_TAIL_BYTES
from conformance.protocol import messages, process
from conformance.protocol.faults import AdapterFault, FaultKind
from conformance.protocol.limits import (
    EXIT_GRACE_SECONDS,
    LINGER_GRACE_SECONDS,
    STOP_GRACE_SECONDS,
)

_POSIX = os.name == "posix"
#: Commands seen to linger after ``shutdown`` in this process (see LINGER_GRACE_SECONDS).
_lingering: set[tuple[str, ...]] = set()


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes as they arrive, until end of file or a read error (either
    ends the stream for its reader thread)."""
    fd = stream.fileno()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        yield chunk


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
        for chunk in _chunks(self._stream):
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

    def __init__(self, partial: bytes) -> None:
        self.partial = partial


class _TooLarge:
    """Marker: a line passed :data:`MAX_RESPONSE_BYTES`; ``start`` is its first bytes."""

    def __init__(self, start: bytes) -> None:
        self.start = start


#: Complete lines buffered ahead of the reader: with the line bound, this bounds memory.
_QUEUED_LINES = 2


class LineReader:
    """Splits a stream into lines in a thread; :meth:`next_line` waits with a deadline.

    Memory stays bounded whatever the stream holds: a line is read in chunks and, once
    it passes :data:`MAX_RESPONSE_BYTES` without a newline, reported as too large and
    no longer read; at most a couple of complete lines wait in the queue (the thread
    stops reading while it is full, which blocks the writer, not us).
    """

    def __init__(self, stream: IO[bytes], limit: int | None = None) -> None:
        self._stream = stream
        self._limit = MAX_RESPONSE_BYTES if limit is None else limit
        self._lines: queue.Queue[bytes | _Eof | _TooLarge] = queue.Queue(_QUEUED_LINES)
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="adapter-stdout", daemon=True)
        self._thread.start()

    def _put(self, item: bytes | _Eof | _TooLarge) -> bool:
        while not self._closed.is_set():
            try:
                self._lines.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        for chunk in _chunks(self._stream):
            if not self._take(chunk):
                return
        with self._lock:
            partial = bytes(self._pending)
        self._put(_Eof(partial))

    def _take(self, chunk: bytes) -> bool:
        """Queue the lines ``chunk`` completes; False once reading should stop (a line
        too large, or the reader closed)."""
        with self._lock:
            start = len(self._pending)
            self._pending += chunk
            # Scan only the new bytes for newlines: big responses stay linear.
            cut = self._pending.find(b"\n", start)
            lines = []
            while cut != -1:
                lines.append(bytes(self._pending[:cut]))
                del self._pending[: cut + 1]
                cut = self._pending.find(b"\n")
            too_large = len(self._pending) > self._limit
            if too_large:
                head = bytes(self._pending[:200])
                self._pending.clear()
        for line in lines:
            if len(line) > self._limit:
                self._put(_TooLarge(line[:200]))
                return False
            if not self._put(line):
                return False
        if too_large:
            self._put(_TooLarge(head))
            return False
        return True

    def close(self) -> None:
        """Let the thread end (it stops waiting for room in the queue)."""
        self._closed.set()

    def pending(self) -> bytes:
        """Bytes received after the last newline (an unterminated line so far)."""
        with self._lock:
            return bytes(self._pending[:200])

    def next_line(self, deadline: float) -> bytes | _Eof | _TooLarge | None:
        """The next line, an end marker, or ``None`` when ``deadline`` passed first."""
        remaining = deadline - time.monotonic()
        try:
            return (
                self._lines.get(timeout=max(remaining, 0.0))
                if remaining > 0
                else self._lines.get_nowait()
            )
        except queue.Empty:
            return None


def _preview(data: bytes, limit: int = 200) -> str:
    text = json.dumps(data[:limit].decode("utf-8", errors="replace"), ensure_ascii=False)
    return text + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def _stop_quietly(proc: subprocess.Popen[bytes]) -> None:
    """Finalizer of an abandoned transport: stop its adapter (collected or at exit)."""
    if proc.poll() is None:
        process.stop(proc)


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
        """The last :data:`STDERR_TAIL_BYTES` of the current (or last) adapter's stderr."""
        return self._stderr.text() if self._stderr is not None else ""

    def exit_status(self) -> int | None:
        """Exit status of the last adapter process that ended (``None`` if unknown)."""
        return self._last_exit

    def start(self) -> None:
        """Start a fresh adapter process (AdapterFault ``start-failed`` if it cannot run)."""
        self.stop()
        try:
            proc = process.spawn(self.argv, cwd=self.cwd, env=self.env)
        except OSError as exc:
            raise AdapterFault(
                FaultKind.START_FAILED,
                f"could not run {shlex.join(self.argv)}: {exc.strerror or exc}",
            ) from exc
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        if _POSIX:
            os.set_blocking(proc.stdin.fileno(), False)
        self._proc = proc
        # An Implementation dropped without close() (a test that failed half-way) must
        # not leave a hung adapter behind: stop it when collected or at interpreter exit.
        self._finalizer = weakref.finalize(self, _stop_quietly, proc)
        self._reader = LineReader(proc.stdout)
        self._stderr = StderrTail(proc.stderr)

    def _end(self, code: int | None) -> int | None:
        """Forget the ended process: complete the stderr tail, release the threads."""
        proc = self._proc
        if proc is None:
            return self._last_exit
        if self._stderr is not None:
            self._stderr.join(1.0)
        if self._reader is not None:
            self._reader.close()
        process.release(proc)
        self._proc = None
        self._last_exit = code
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        return code

    def stop(self) -> None:
        """Stop the adapter if it is running (SIGTERM, grace, SIGKILL; no questions asked)."""
        if self._proc is not None:
            self._end(process.stop(self._proc, release_pipes=False))

    def finish(self) -> int | None:
        """After ``shutdown`` was answered: wait for a voluntary exit; return its status.

        ``None`` means the adapter did not exit within :data:`EXIT_GRACE_SECONDS` and
        was stopped. A command seen lingering once is then given only
        :data:`LINGER_GRACE_SECONDS` and then killed without a SIGTERM grace: the fault
        was reported, a run must not pay for it at every restart.
        """
        proc = self._proc
        if proc is None:
            return self._last_exit
        key = tuple(self.argv)
        known = key in _lingering
        code = process.wait_exit(proc, LINGER_GRACE_SECONDS if known else EXIT_GRACE_SECONDS)
        if code is None:
            _lingering.add(key)
            # Once it has been seen to ignore shutdown (and SIGTERM), SIGKILL at once.
            process.stop(proc, grace=0 if known else STOP_GRACE_SECONDS, release_pipes=False)
        else:
            # The leader exited: members it left in the group would keep our pipes open.
            process.signal_group(proc, signal.SIGKILL)
        return self._end(code)

    def _fault(self, kind: FaultKind, detail: str) -> AdapterFault:
        """End the process and build the fault with its stderr tail and exit status."""
        if self._proc is not None:
            if kind is not FaultKind.CRASH:
                code = process.stop(self._proc, release_pipes=False)
            else:  # it crashed: reap it (bounded), then stop whatever it left
                code = process.wait_exit(self._proc, EXIT_GRACE_SECONDS)
                stopped = process.stop(self._proc, grace=0, release_pipes=False)
                code = stopped if code is None else code
            self._end(code)
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
                    FaultKind.CRASH, f"the adapter closed its stdin before reading the {op} request"
                ) from None
            view = view[written:]
            if view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._fault(
                        FaultKind.TIMEOUT,
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
        for a non-JSON, schema-invalid or too large (over :data:`MAX_RESPONSE_BYTES`)
        line, ``wrong-id`` for another request's id.
        """
        if self._proc is None:
            self.start()
        proc, reader = self._proc, self._reader
        assert proc is not None and reader is not None
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        if proc.poll() is not None:
            raise self._fault(
                FaultKind.CRASH,
                f"the adapter had already exited when the {op} request was to be sent",
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
            raise self._fault(FaultKind.TIMEOUT, f"no response to {op} within {limit:g} s{hint}")
        if isinstance(line, _TooLarge):
            raise self._fault(
                FaultKind.MALFORMED,
                f"too large: answered {op} with a line longer than the {MAX_RESPONSE_BYTES} "
                f"byte bound, starting {_preview(line.start)}",
            )
        if isinstance(line, _Eof):
            tail = (
                f" after writing an unterminated line {_preview(line.partial)}"
                if line.partial
                else ""
            )
            raise self._fault(
                FaultKind.CRASH, f"the adapter closed stdout or died while handling {op}{tail}"
            )
        try:
            response = messages.decode(line)
        except messages.MessageError as exc:
            raise self._fault(
                FaultKind.MALFORMED, f"answered {op} with a line that is {exc}: {_preview(line)}"
            ) from None
        if isinstance(response, dict):
            got = response.get("id")
            if got != request["id"] and not (got is None and response.get("ok") is False):
                raise self._fault(
                    FaultKind.WRONG_ID,
                    f"answered the {op} request id {request['id']} with id "
                    f"{json.dumps(got) if _jsonable(got) else type(got).__name__}: "
                    f"{_preview(line)}",
                )
        problem = messages.response_problem(response, op)
        if problem is not None:
            raise self._fault(
                FaultKind.MALFORMED,
                f"answered {op} with an invalid response {problem}: {_preview(line)}",
            )
        result: dict[str, Any] = response
        return result

    def command(self) -> list[str]:
        """The adapter's argv."""
        return list(self.argv)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
