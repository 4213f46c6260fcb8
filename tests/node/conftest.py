"""Driving conformance/adapters/node/adapter.mjs over stdio, directly (no harness).

Every response line is decoded strictly and checked against the adapter protocol schema
(``conformance.protocol.messages``), so a test that reads a result has also proved the
line was a valid protocol v1 response to that op.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.protocol import messages

REPO = Path(__file__).resolve().parents[2]
ADAPTER = REPO / "conformance" / "adapters" / "node" / "adapter.mjs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_SERVICE = REPO / "examples" / "node-service" / "ProjectService.mjs"
JS_IMPLS = REPO / "tests" / "suite" / "js"
DEMO_PROJECT = REPO / "examples" / "demo-project"
#: Seconds to wait for one response line; generous, only a hang guard.
LINE_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def node() -> str:
    """The node executable; the Node tests are skipped only when it is missing."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node (Node.js 20) is not installed, so the Node adapter cannot run")
    return found


class AdapterProcess:
    """One running adapter.mjs, spoken to line by line."""

    def __init__(self, node: str, args: list[str], tmp: Path, cwd: Path = REPO) -> None:
        self.stderr_path = tmp / f"adapter-stderr-{os.getpid()}-{id(self)}.txt"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [node, str(ADAPTER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
        )
        self._next_id = 0
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        # A thread owns stdout: a selector on the pipe would miss lines already sitting
        # in the reader's buffer when several responses arrive in one chunk.
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self._lines.put(line)
        self._lines.put(b"")

    def read_line(self) -> bytes:
        """One stdout line (b"" at EOF); fails the test after LINE_TIMEOUT seconds of silence."""
        try:
            return self._lines.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            self.proc.kill()
            pytest.fail(f"adapter sent no line within {LINE_TIMEOUT} s; stderr:\n{self.stderr()}")

    def send_raw(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def response(self, op: str | None, *, shape: bool = True) -> dict[str, Any]:
        """Read, strictly decode and schema-check one response.

        With ``shape`` (and a known ``op``) a success result must also have the op's
        result shape; without it only the envelope is checked (for fixtures that return
        odd values on purpose).
        """
        line = self.read_line()
        assert line.endswith(b"\n"), f"expected one newline-terminated line, got {line!r}"
        message = messages.decode(line)
        problem = messages.response_problem(message, op if shape and op else "")
        assert problem is None, f"invalid response {line!r}: {problem}"
        assert isinstance(message, dict)
        return message

    def request(self, op: str, *, shape: bool = True, **args: Any) -> dict[str, Any]:
        """Send ``{"id", "op", "args"}`` and return the (checked) response."""
        self._next_id += 1
        request_id = self._next_id
        self.send_raw(messages.encode(messages.request(request_id, op, args)))
        response = self.response(op, shape=shape)
        assert response["id"] == request_id
        return response

    def result(self, op: str, **args: Any) -> Any:
        """The result of a call that must succeed."""
        response = self.request(op, **args)
        assert response["ok"] is True, f"{op} failed: {response['error']}"
        return response["result"]

    def error(self, op: str, **args: Any) -> dict[str, Any]:
        """The error object of a call that must fail."""
        response = self.request(op, **args)
        assert response["ok"] is False, f"{op} succeeded: {response['result']!r}"
        error: dict[str, Any] = response["error"]
        return error

    def wait(self, timeout: float = LINE_TIMEOUT) -> int:
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text("utf-8", errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(LINE_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(LINE_TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()

    def remaining_stdout(self) -> bytes:
        """Everything the adapter wrote after the lines read so far (after it exited)."""
        self._reader.join(LINE_TIMEOUT)
        return b"".join(iter(self._lines.get_nowait, b""))


@pytest.fixture
def start_adapter(node: str, tmp_path: Path) -> Iterator[Any]:
    """``start_adapter(*args, cwd=REPO)`` runs adapter.mjs; every one is closed afterwards."""
    started: list[AdapterProcess] = []

    def start(*args: str, cwd: Path = REPO) -> AdapterProcess:
        adapter = AdapterProcess(node, list(args), tmp_path, cwd)
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        adapter.close()


@pytest.fixture
def run_adapter(node: str) -> Any:
    """``run_adapter(args, stdin)`` runs adapter.mjs to completion (start-up failures, EOF)."""

    def run(
        args: list[str], stdin: bytes = b"", cwd: Path = REPO
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [node, str(ADAPTER), *args],
            input=stdin,
            capture_output=True,
            cwd=cwd,
            timeout=LINE_TIMEOUT,
        )

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of examples/demo-project."""
    target = tmp_path / "project"
    shutil.copytree(DEMO_PROJECT, target)
    return target


def _module_adapter(
    node: str, tmp_path_factory: pytest.TempPathFactory, module: str, export: str
) -> Iterator[AdapterProcess]:
    """One adapter serving ``export`` of tests/node/fixtures/``module``, closed after."""
    adapter = AdapterProcess(
        node,
        ["--module", f"tests/node/fixtures/{module}", "--export", export],
        tmp_path_factory.mktemp(f"{Path(module).stem}-adapter"),
    )
    yield adapter
    adapter.close()


@pytest.fixture(scope="module")
def fixed_clock_adapter(
    node: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AdapterProcess]:
    """The example Node service with a fixed clock (fixtures/fixed-clock.mjs), one per module."""
    yield from _module_adapter(node, tmp_path_factory, "fixed-clock.mjs", "fixedClockService")


@pytest.fixture(scope="module")
def behaviours_adapter(
    node: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AdapterProcess]:
    """One fixtures/behaviours.mjs adapter shared by a module's stateless tests."""
    yield from _module_adapter(node, tmp_path_factory, "behaviours.mjs", "BehaviourService")
