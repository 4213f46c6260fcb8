"""A fault-injecting fake adapter for testing the harness's supervision.

    python fake_adapter.py --mode MODE [--trigger OP] [--once FLAGFILE] [--delay S]
                           [--size MB] [--pidfile FILE]

Behaves as a correct minimal protocol v1 adapter except on requests for ``--trigger``
(default ``get_shots``), where it misbehaves as ``--mode`` says. With ``--once``, it
misbehaves only while FLAGFILE does not exist (and creates it), so the harness's
restart can be seen to recover. ``--size`` sets the payload of the huge-* and
stderr-volume modes; ``--pidfile`` appends the adapter's pid (and a grandchild's) to
FILE. Stands alone: imports nothing from seqcheck.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

MODES = (
    "ok",
    "hang",
    "crash-on-op",
    "garbage",
    "wrong-id",
    "partial-line",
    "partial-exit",
    "stderr-flood",
    "exit-after-hello",
    "slow-start",
    "bad-result",
    "bad-hello",
    "wrong-protocol",
    "no-exit-on-shutdown",
    "block-buffered",
    "setsid-grandchild",
    "silent-after-hello",
    "huge-json",
    "huge-line",
    "stderr-volume",
    "ignore-term-after-shutdown",
)


def write_big(stream: TextIO, head: bytes, size: int, fill: bytes, tail: bytes) -> None:
    """Write head + size bytes of fill + tail in 1 MB pieces (the fake stays small)."""
    stream.flush()
    out = stream.buffer
    out.write(head)
    piece = fill * (1024 * 1024 // len(fill))
    left = size
    while left > 0:
        out.write(piece[:left])
        left -= len(piece)
    out.write(tail)
    out.flush()


def note_pid(pidfile: Path | None, pid: int) -> None:
    if pidfile is not None:
        with pidfile.open("a") as f:
            f.write(f"{pid}\n")


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def result_for(op: str, args: dict[str, object]) -> object:
    if op == "hello":
        return {"name": "fake", "version": "1", "protocol": 1, "capabilities": []}
    if op == "get_shots":
        return [{"id": "s1"}]
    if op == "get_all_sequences":
        return []
    if op == "update_shot":
        updates = args.get("updates")
        return {"id": args.get("shot_id"), **(updates if isinstance(updates, dict) else {})}
    return None


class Then(enum.Enum):
    """What the request loop does after a handler (an ``int`` instead: exit with it)."""

    ANSWER = "send the correct result"
    NEXT = "read the next request"


Outcome = Then | int


@dataclass
class Fake:
    """The adapter's settings and its one bit of state (the ``--once`` flag file)."""

    mode: str
    trigger: str
    once: Path | None
    delay: float
    size: int
    pidfile: Path | None

    def misbehave_now(self) -> bool:
        if self.once is not None:
            self.once.touch()
        return True


def hang(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    print(f"hanging on {op}", file=sys.stderr, flush=True)
    time.sleep(3600)
    return Then.ANSWER


def setsid_grandchild(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    # A helper that leaves the process group and keeps our pipes open.
    child = os.fork()
    if child == 0:
        os.setsid()
        time.sleep(3600)
        os._exit(0)
    note_pid(fake.pidfile, child)
    print(f"grandchild {child} holds the pipes", file=sys.stderr, flush=True)
    time.sleep(3600)
    return Then.ANSWER


def huge_json(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    write_big(sys.stdout, f'{{"id": {rid}, "ok": true, "result": [{{"id": "'.encode(),
              fake.size, b"x", b'"}]}\n')
    return Then.NEXT


def huge_line(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    write_big(sys.stdout, b"", fake.size, b"not json ", b"\n")
    return Then.NEXT


def stderr_volume(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    write_big(sys.stderr, b"", fake.size, b"e" * 1023 + b"\n", b"END-OF-VOLUME\n")
    return Then.ANSWER


def crash_on_op(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    print(f"Traceback: boom while handling {op}", file=sys.stderr, flush=True)
    return 3


def garbage(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    sys.stdout.write("this is not json\n")
    sys.stdout.flush()
    return Then.NEXT


def wrong_id(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    send({"id": rid + 100, "ok": True, "result": result_for(op, args)})
    return Then.NEXT


def partial_line(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    sys.stdout.write(f'{{"id": {rid}, "ok": tr')
    sys.stdout.flush()
    if fake.mode == "partial-exit":
        print("died mid-line", file=sys.stderr, flush=True)
        return 4
    time.sleep(3600)
    return Then.ANSWER


def block_buffered(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    # A complete response that is never flushed: the classic buffering bug.
    # (Its own buffered stream: PYTHONUNBUFFERED may be set in the environment.)
    out = open(1, "w", buffering=65536, closefd=False)  # noqa: SIM115
    out.write(json.dumps({"id": rid, "ok": True, "result": result_for(op, args)}) + "\n")
    time.sleep(3600)
    return Then.ANSWER


def stderr_flood(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    chunk = "x" * 1023 + "\n"
    for _ in range(2048):  # 2 MB, far beyond any pipe buffer
        sys.stderr.write(chunk)
    sys.stderr.write("END-OF-FLOOD\n")
    sys.stderr.flush()
    return Then.ANSWER


def bad_result(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    send({"id": rid, "ok": True, "result": {"not_an_id": 1}})
    return Then.NEXT


#: How each mode misbehaves on a ``--trigger`` request (modes absent here answer it).
MISBEHAVIOURS: dict[str, Callable[[Fake, int, str, dict[str, object]], Outcome]] = {
    "hang": hang,
    "setsid-grandchild": setsid_grandchild,
    "huge-json": huge_json,
    "huge-line": huge_line,
    "stderr-volume": stderr_volume,
    "crash-on-op": crash_on_op,
    "garbage": garbage,
    "wrong-id": wrong_id,
    "partial-line": partial_line,
    "partial-exit": partial_line,
    "block-buffered": block_buffered,
    "stderr-flood": stderr_flood,
    "bad-result": bad_result,
}

#: Modes that never touch a ``--trigger`` request (nor the ``--once`` flag there).
TRIGGER_UNTOUCHED = ("ok", "slow-start", "exit-after-hello")


def on_hello(fake: Fake, rid: int, args: dict[str, object]) -> Outcome:
    if fake.mode == "bad-hello":
        send({"id": rid, "ok": True, "result": {"name": "fake"}})
        return Then.NEXT
    if fake.mode == "wrong-protocol":
        send({"id": rid, "ok": True, "result": {**result_for("hello", args), "protocol": 2}})  # type: ignore[dict-item]
        return Then.NEXT
    send({"id": rid, "ok": True, "result": result_for("hello", args)})
    if fake.mode == "exit-after-hello" and fake.misbehave_now():
        print("exiting right after hello", file=sys.stderr, flush=True)
        return 0
    return Then.NEXT


def on_shutdown(fake: Fake, rid: int) -> Outcome:
    send({"id": rid, "ok": True, "result": None})
    if fake.mode == "no-exit-on-shutdown":
        time.sleep(3600)
    if fake.mode == "ignore-term-after-shutdown":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring SIGTERM", file=sys.stderr, flush=True)
        time.sleep(3600)
    return 0


def handle(fake: Fake, rid: int, op: str, args: dict[str, object]) -> Outcome:
    if op == "hello":
        return on_hello(fake, rid, args)
    if op == "shutdown":
        return on_shutdown(fake, rid)
    if fake.mode == "silent-after-hello":
        print(f"silent on {op}", file=sys.stderr, flush=True)
        time.sleep(3600)
    if op == fake.trigger and fake.mode not in TRIGGER_UNTOUCHED and fake.misbehave_now():
        misbehave = MISBEHAVIOURS.get(fake.mode)
        if misbehave is not None:
            return misbehave(fake, rid, op, args)
    return Then.ANSWER


def parse_options() -> Fake:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--trigger", default="get_shots")
    parser.add_argument("--once", type=Path)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--size", type=float, default=20.0, help="payload in MB")
    parser.add_argument("--pidfile", type=Path)
    options = parser.parse_args()
    mode = options.mode
    if options.once is not None and options.once.exists():
        mode = "ok"
    return Fake(
        mode=mode, trigger=options.trigger, once=options.once, delay=options.delay,
        size=int(options.size * 1024 * 1024), pidfile=options.pidfile,
    )


def main() -> int:
    fake = parse_options()
    note_pid(fake.pidfile, os.getpid())
    print(f"fake adapter pid {os.getpid()} mode {fake.mode}", file=sys.stderr, flush=True)
    if fake.mode == "slow-start":
        fake.misbehave_now()  # with --once, only the first process stalls
        time.sleep(fake.delay)
    for line in sys.stdin:
        request = json.loads(line)
        rid, op = request["id"], request["op"]
        outcome = handle(fake, rid, op, request["args"])
        if not isinstance(outcome, Then):
            return outcome
        if outcome is Then.ANSWER:
            send({"id": rid, "ok": True, "result": result_for(op, request["args"])})
    return 0

if __name__ == "__main__":
    sys.exit(main())
