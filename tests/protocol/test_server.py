"""The stdio server (python -m conformance.adapters.python / .reference) on raw lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance.protocol import messages, python_command, reference_command

HERE = Path(__file__).parent


def converse(argv: list[str], lines: list[bytes]) -> tuple[list[dict[str, object]], int, str]:
    proc = subprocess.run(argv, input=b"".join(lines), capture_output=True, timeout=60, check=False)
    responses = [json.loads(line) for line in proc.stdout.splitlines()]
    return responses, proc.returncode, proc.stderr.decode("utf-8", "replace")


def test_garbage_and_blank_lines_then_eof() -> None:
    responses, code, _ = converse(
        reference_command(),
        [b"\n", b"not json\n", b'{"id": 7, "op": "hello", "args": {}}\n', b"   \n"],
    )
    assert code == 0  # end of input is a clean exit
    assert len(responses) == 2  # blank lines get no answer
    garbage, hello = responses
    assert garbage["id"] is None and garbage["ok"] is False
    assert garbage["error"]["code"] == "INTERNAL_ERROR"  # type: ignore[index]
    assert "could not parse the request line" in garbage["error"]["message"]  # type: ignore[index]
    assert hello["id"] == 7 and hello["ok"] is True
    for response in responses:
        assert messages.problem("response", response) is None


def test_shutdown_stops_reading() -> None:
    responses, code, _ = converse(
        reference_command(),
        [
            messages.encode(messages.request(1, "shutdown", {})),
            messages.encode(messages.request(2, "hello", {})),
        ],
    )
    assert code == 0
    assert responses == [{"id": 1, "ok": True, "result": None}]


def test_every_line_is_flushed_at_once() -> None:
    # Interactive: each response must arrive before the next request is written.
    proc = subprocess.Popen(
        reference_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    for rid in (1, 2, 3):
        proc.stdin.write(messages.encode(messages.request(rid, "hello", {})))
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == rid
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0
    proc.stdout.close()
    assert proc.stderr is not None
    proc.stderr.close()


def test_bad_factory_exits_2_with_a_message() -> None:
    responses, code, stderr = converse(python_command("no_such_pkg.mod:make"), [])
    assert responses == []
    assert code == 2
    assert 'cannot load implementation factory "no_such_pkg.mod:make"' in stderr


def test_usage_error_without_factory() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.adapters.python"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert b"--factory" in proc.stderr
    assert proc.stdout == b""  # usage goes to stderr, never into the protocol stream
