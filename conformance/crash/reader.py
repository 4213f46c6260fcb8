"""The reader process of :func:`conformance.crash.torn_reader_check`.

    python -m conformance.crash.reader TARGET STOPFILE

Parses TARGET with seqcheck's strict parser in a tight loop until STOPFILE exists,
then prints one JSON line: ``{"reads": N, "torn": N, "examples": [...]}``. Prints
``ready`` first, so the caller starts writing only once reading has begun.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conformance.errors import SeqcheckError
from conformance.jsonio import parse_bytes

MAX_EXAMPLES = 5


def main(argv: list[str]) -> int:
    """Read until told to stop; report counts."""
    target_file, stop_file = Path(argv[0]), Path(argv[1])
    reads = torn = 0
    examples: list[str] = []
    print("ready", flush=True)
    while True:
        for _ in range(50):  # check the stop file only now and then: reads stay tight
            reads += 1
            try:
                data = target_file.read_bytes()
                parse_bytes(data)
                continue
            except FileNotFoundError:
                problem, data = "file missing", b""
            except SeqcheckError as exc:
                problem = exc.message
            torn += 1
            if len(examples) < MAX_EXAMPLES:
                examples.append(f"read {reads}: {len(data)} bytes {data[:40]!r}...: {problem}")
        if stop_file.exists():
            break
    print(json.dumps({"reads": reads, "torn": torn, "examples": examples}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
