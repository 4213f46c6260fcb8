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
import json
import os
import signal
import sys
import time
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


def main() -> int:  # noqa: C901
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--trigger", default="get_shots")
    parser.add_argument("--once", type=Path)
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--size", type=float, default=20.0, help="payload in MB")
    parser.add_argument("--pidfile", type=Path)
    options = parser.parse_args()
    size = int(options.size * 1024 * 1024)
    note_pid(options.pidfile, os.getpid())
    mode = options.mode
    if options.once is not None and options.once.exists():
        mode = "ok"

    def misbehave_now() -> bool:
        if options.once is not None:
            options.once.touch()
        return True

    print(f"fake adapter pid {os.getpid()} mode {mode}", file=sys.stderr, flush=True)
    if mode == "slow-start":
        misbehave_now()  # with --once, only the first process stalls
        time.sleep(options.delay)
    for line in sys.stdin:
        request = json.loads(line)
        rid, op, args = request["id"], request["op"], request["args"]
        if op == "hello":
            if mode == "bad-hello":
                send({"id": rid, "ok": True, "result": {"name": "fake"}})
                continue
            if mode == "wrong-protocol":
                send({"id": rid, "ok": True, "result": {**result_for(op, args), "protocol": 2}})  # type: ignore[dict-item]
                continue
            send({"id": rid, "ok": True, "result": result_for(op, args)})
            if mode == "exit-after-hello" and misbehave_now():
                print("exiting right after hello", file=sys.stderr, flush=True)
                return 0
            continue
        if op == "shutdown":
            send({"id": rid, "ok": True, "result": None})
            if mode == "no-exit-on-shutdown":
                time.sleep(3600)
            if mode == "ignore-term-after-shutdown":
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                print("ignoring SIGTERM", file=sys.stderr, flush=True)
                time.sleep(3600)
            return 0
        if mode == "silent-after-hello":
            print(f"silent on {op}", file=sys.stderr, flush=True)
            time.sleep(3600)
        if (
            op == options.trigger
            and mode not in ("ok", "slow-start", "exit-after-hello")
            and misbehave_now()
        ):
            if mode == "hang":
                print(f"hanging on {op}", file=sys.stderr, flush=True)
                time.sleep(3600)
            elif mode == "setsid-grandchild":
                # A helper that leaves the process group and keeps our pipes open.
                child = os.fork()
                if child == 0:
                    os.setsid()
                    time.sleep(3600)
                    os._exit(0)
                note_pid(options.pidfile, child)
                print(f"grandchild {child} holds the pipes", file=sys.stderr, flush=True)
                time.sleep(3600)
            elif mode == "huge-json":
                write_big(sys.stdout, f'{{"id": {rid}, "ok": true, "result": [{{"id": "'.encode(),
                          size, b"x", b'"}]}\n')
                continue
            elif mode == "huge-line":
                write_big(sys.stdout, b"", size, b"not json ", b"\n")
                continue
            elif mode == "stderr-volume":
                write_big(sys.stderr, b"", size, b"e" * 1023 + b"\n", b"END-OF-VOLUME\n")
            elif mode == "crash-on-op":
                print(f"Traceback: boom while handling {op}", file=sys.stderr, flush=True)
                return 3
            elif mode == "garbage":
                sys.stdout.write("this is not json\n")
                sys.stdout.flush()
                continue
            elif mode == "wrong-id":
                send({"id": rid + 100, "ok": True, "result": result_for(op, args)})
                continue
            elif mode in ("partial-line", "partial-exit"):
                sys.stdout.write(f'{{"id": {rid}, "ok": tr')
                sys.stdout.flush()
                if mode == "partial-exit":
                    print("died mid-line", file=sys.stderr, flush=True)
                    return 4
                time.sleep(3600)
            elif mode == "block-buffered":
                # A complete response that is never flushed: the classic buffering bug.
                # (Its own buffered stream: PYTHONUNBUFFERED may be set in the environment.)
                out = open(1, "w", buffering=65536, closefd=False)  # noqa: SIM115
                out.write(
                    json.dumps({"id": rid, "ok": True, "result": result_for(op, args)}) + "\n"
                )
                time.sleep(3600)
            elif mode == "stderr-flood":
                chunk = "x" * 1023 + "\n"
                for _ in range(2048):  # 2 MB, far beyond any pipe buffer
                    sys.stderr.write(chunk)
                sys.stderr.write("END-OF-FLOOD\n")
                sys.stderr.flush()
            elif mode == "bad-result":
                send({"id": rid, "ok": True, "result": {"not_an_id": 1}})
                continue
        send({"id": rid, "ok": True, "result": result_for(op, args)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
