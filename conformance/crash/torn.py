"""Torn reads (SEQ-ATOMIC-4): a reader process parsing the target in a loop while the
implementation updates it over and over. An in-place writer is caught by the reader
seeing an empty or half-written file; an atomic rename never shows one."""

from __future__ import annotations

import json
import os
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
from conformance.protocol import AdapterFault, open_adapter


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
        reader = subprocess.Popen(
            [sys.executable, "-m", "conformance.crash.reader", str(target), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None
        done = 0
        errors: list[str] = []
        try:
            reader.stdout.readline()  # "ready"
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
            try:
                out, err = reader.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                reader.kill()
                out, err = reader.communicate()
        lines = out.strip().splitlines()
        if reader.returncode != 0 or not lines or not lines[-1].startswith("{"):
            raise RuntimeError(
                f"the reader process failed (exit {reader.returncode}): {err[-500:]}"
            )
        summary = json.loads(lines[-1])
        return TornResult(summary["reads"], summary["torn"], summary["examples"], done, errors)
