"""The journal of a run: how many steps are durable on disk.

Protocol: step k's file is written with :func:`conformance.atomic.atomic_write_bytes`
(fsynced, renamed, folder fsynced) *before* the journal is rewritten, also atomically,
to say ``completed = k``. So the journal never claims a step the disk lacks. It is
group-committed (rewritten at most every ``apply.JOURNAL_INTERVAL`` seconds and after
the last step), so it may lag behind the disk; a resume redoes the lagging steps, and
redoing a step finds its bytes already in place (every step is idempotent). ``state``
becomes ``done`` after the last step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conformance.atomic import atomic_write_bytes
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes, parse_bytes
from migrate.errors import MigrateCode, MigrateError

JOURNAL = "journal.json"
JOURNAL_FORMAT = 1
IN_PROGRESS = "in-progress"
DONE = "done"


@dataclass(frozen=True)
class Progress:
    """``completed`` of ``total`` steps are durable; ``done`` once all are."""

    completed: int
    total: int
    done: bool


def write(run_folder: Path, completed: int, total: int, *, done: bool) -> None:
    """Record durably that ``completed`` of ``total`` steps are on disk."""
    doc = {
        "format": JOURNAL_FORMAT,
        "state": DONE if done else IN_PROGRESS,
        "completed": completed,
        "total": total,
    }
    atomic_write_bytes(run_folder / JOURNAL, dump_bytes(doc))


def read(run_folder: Path, total: int) -> Progress:
    """The recorded progress; a missing journal means nothing ran yet."""
    path = run_folder / JOURNAL
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Progress(0, total, False)
    except OSError as exc:
        raise SeqcheckError(
            ErrorCode.IO_ERROR, f"could not read the journal: {exc.strerror or exc}.",
            file=path,
        ) from exc
    doc = parse_bytes(raw, file=path)
    completed = doc.get("completed") if isinstance(doc, dict) else None
    if (
        not isinstance(doc, dict)
        or not isinstance(completed, int)
        or not 0 <= completed <= total
        or doc.get("state") not in (IN_PROGRESS, DONE)
    ):
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            f"expected a journal with 'completed' between 0 and {total} and a state, "
            f"found {doc!r:.120}. Inspect .seqcheck/; the originals are in backup/.",
            file=path,
        )
    return Progress(completed, total, doc["state"] == DONE)
