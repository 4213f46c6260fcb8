"""The journal of a run: how many steps are durable on disk, and the sidecars it created.

Protocol: step k's file is written atomically (fsynced, renamed, folder fsynced)
*before* the journal is rewritten, also atomically, to say ``completed = k``. So the
journal never claims a step the disk lacks. It is group-committed (rewritten at most
every ``apply.JOURNAL_INTERVAL`` seconds and after the last step), so it may lag
behind the disk; a resume redoes the lagging steps, and redoing a step finds its bytes
already in place (every step is idempotent). ``state`` becomes ``done`` after the last
step. The journal is first written once every backup is in place: a run folder
without one never touched the project. ``sidecars`` lists the lock sidecars the run
created, recorded *before* they are created (schemas/migration-run-journal.schema.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.jsonio import dump_bytes
from migrate import project_files
from migrate.run_records import RecordKind

JOURNAL = RecordKind.JOURNAL.file_name
JOURNAL_FORMAT = 1
IN_PROGRESS = "in-progress"
DONE = "done"


@dataclass
class Progress:
    """``completed`` of ``total`` steps are durable; ``done`` once all are;
    ``sidecars``: the lock sidecars (project-relative) this run created."""

    completed: int
    total: int
    done: bool
    sidecars: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Progress:
        """From a validated journal document."""
        return cls(doc["completed"], doc["total"], doc["state"] == DONE, list(doc["sidecars"]))

    def to_dict(self) -> dict[str, Any]:
        """The journal document."""
        return {"format": JOURNAL_FORMAT, "state": DONE if self.done else IN_PROGRESS,
                "completed": self.completed, "total": self.total,
                "sidecars": sorted(set(self.sidecars))}


def write(root: Path, run_rel: str, progress: Progress) -> None:
    """Record ``progress`` durably in run folder ``run_rel`` of project ``root``."""
    project_files.write(root, f"{run_rel}/{JOURNAL}", dump_bytes(progress.to_dict()))
