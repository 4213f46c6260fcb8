"""Stdio server of the adapter protocol v1 for any Python implementation.

    python -m conformance.adapters.python --factory module:factory
    python -m conformance.adapters.python --factory path/to/impl.py:factory

Reads one request per line on stdin, answers each with one line on stdout (flushed at
once), exits 0 after ``shutdown`` or at end of input. Every request is served by
:func:`conformance.protocol.dispatch.handle`, exactly as in process.

The implementation cannot corrupt the protocol stream: before it is imported, file
descriptor 1 is pointed at stderr (so stray ``print()`` calls and child processes'
output land in the log) and responses go to a private duplicate of the real stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any

from conformance.protocol import messages
from conformance.protocol.dispatch import StoreCache, StoreFactory, describe_exception, handle


def _claim_stdout() -> IO[bytes]:
    """Keep the real stdout for protocol lines; send fd 1 and ``sys.stdout`` to stderr."""
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol_out


def serve(factory: StoreFactory, stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Answer requests from ``stdin`` on ``stdout`` until ``shutdown`` or EOF; return 0."""
    cache = StoreCache(factory)
    for line in stdin:
        if not line.strip():
            continue  # blank lines are ignored, as in any JSON Lines reader
        try:
            request: Any = messages.decode(line)
        except messages.MessageError as exc:
            request = None
            response = messages.internal_error(None, f"could not parse the request line: {exc}")
        else:
            response = handle(cache, request)
        try:
            data = messages.encode(response)
        except messages.MessageError as exc:  # handle() guards this; keep the stream valid anyway
            data = messages.encode(
                messages.internal_error(response.get("id"), describe_exception(exc))
            )
        stdout.write(data)
        stdout.flush()
        if isinstance(request, dict) and request.get("op") == "shutdown" and response["ok"]:
            return 0
    return 0


def main(argv: list[str] | None = None, factory: StoreFactory | None = None) -> int:
    """Entry point; ``factory`` given directly skips ``--factory`` (used by the reference)."""
    protocol_out = _claim_stdout()
    if factory is None:
        parser = argparse.ArgumentParser(
            prog="python -m conformance.adapters.python",
            description="Serve a Python seqcheck implementation over adapter protocol v1 (stdio).",
        )
        parser.add_argument(
            "--factory",
            required=True,
            help="module:attr or path/to/file.py:attr; factory(project_dir) returns the store",
        )
        options = parser.parse_args(argv)
        # Imported late: loading a factory runs user code, which must see the redirect.
        from conformance.protocol.factory import load_factory
        from conformance.protocol.faults import AdapterFault

        try:
            factory = load_factory(options.factory)
        except AdapterFault as fault:
            print(f"seqcheck adapter: {fault.detail}", file=sys.stderr)
            return 2
    return serve(factory, sys.stdin.buffer, protocol_out)


if __name__ == "__main__":
    sys.exit(main())
