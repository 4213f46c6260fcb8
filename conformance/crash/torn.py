"""Torn reads (SEQ-ATOMIC-4): a reader process parsing the target in a loop while the
implementation updates it over and over. An in-place writer is caught by the reader
seeing an empty or half-written file; an atomic rename never shows one."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.crash.state import Workspace
from conformance.errors import SeqcheckError
from conformance.protocol import AdapterFault, open_adapter, process


@dataclass
class TornResult:
    """Counts of one torn-read check."""

    reads: int
    torn: int
    #: Up to five torn reads, described (size, first bytes, parse error).
    examples: list[str]
    #: Updates the implementation completed during the check.
    updates: int = 0
    #: Update failures (spec errors or adapter faults), described.
    errors: list[str] = field(default_factory=list)


#: Bound on the reader process's start ("ready") and on its exit after the stop file.
_READER_SECONDS = 30.0


def _wait_ready(reader: subprocess.Popen[bytes]) -> None:
    """Wait (bounded) for the reader's "ready" line."""
    assert reader.stdout is not None
    deadline = time.monotonic() + _READER_SECONDS
    line = b""
    while not line.endswith(b"\n") and len(line) < 64:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([reader.stdout], [], [], remaining)[0]:
            break
        chunk = os.read(reader.stdout.fileno(), 64 - len(line))
        if not chunk:
            break
        line += chunk
    if line != b"ready\n":
        process.stop(reader)
        raise RuntimeError(
            f"the reader process did not start within {_READER_SECONDS:g} s "
            f"(it wrote {json.dumps(line.decode('utf-8', 'replace'))})"
        )


def torn_reader_check(
    argv: Sequence[str],
    make_project: Callable[[Path], None],
    target_rel: str,
    sequence_id: Any,
    shot_id: Any,
    updates_list: Sequence[Any],
    *,
    seconds: float,
    timeout: float = 30.0,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> TornResult:
    """Update the target with each of ``updates_list`` in turn for ``seconds`` while a
    separate process parses it in a loop; count the reads that were not whole JSON."""
    if not updates_list:
        raise ValueError("updates_list is empty")
    with tempfile.TemporaryDirectory(prefix="seqcheck-torn-") as tmp:
        project, target = Workspace(Path(tmp), make_project, target_rel).fresh("torn")
        stop = Path(tmp) / "stop"
        reader = process.spawn(
            [sys.executable, "-m", "conformance.crash.reader", str(target), str(stop)],
            stdin=subprocess.DEVNULL,
        )
        done = 0
        errors: list[str] = []
        try:
            _wait_ready(reader)
            with open_adapter(list(argv), timeout=timeout, cwd=cwd, env=env) as impl:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    try:
                        impl.update_shot(
                            project, sequence_id, shot_id, updates_list[done % len(updates_list)]
                        )
                    except (SeqcheckError, AdapterFault) as exc:
                        errors.append(str(exc))
                        if len(errors) >= 5:
                            break
                    done += 1
        finally:
            stop.touch()
            got = process.collect(
                reader, b"", timeout=_READER_SECONDS, stdout_limit=1 << 20, stderr_limit=2000
            )
        lines = got.stdout.decode("utf-8", "replace").strip().splitlines()
        if got.exit_code != 0 or not lines or not lines[-1].startswith("{"):
            raise RuntimeError(
                f"the reader process failed (exit {got.exit_code}): "
                f"{got.stderr_tail.decode('utf-8', 'replace')[-500:]}"
            )
        summary = json.loads(lines[-1])
        return TornResult(summary["reads"], summary["torn"], summary["examples"], done, errors)
