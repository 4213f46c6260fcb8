"""Undoing the steps of a migration that failed cleanly, so the project is as before.

A failed write (disk full, permission denied, a file edited meanwhile) raises inside
the migrating process, which can still put the project back in its old layout:
created files are removed first (that frees space), then rewritten files get their
original bytes back. project.json is always the last step, so it is never among the
steps to undo. "Unchanged" is then proven, not assumed: every file is read back and
compared with its original (absent for a created file); the ones that differ are
returned, so the caller says which and keeps the run's backup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from conformance.layout import PROJECT_FILE
from migrate import project_files
from migrate.model import FileChange


def undo_steps(root: Path, steps: Sequence[FileChange], lock_timeout: float) -> list[str]:
    """Give every file of ``steps`` its original state; return the paths that do not
    hold it afterwards (e.g. edited by another program after the migration wrote them:
    not ours to overwrite). Raises ``IO_ERROR`` when a write or removal fails."""
    ordered = [s for s in steps if s.original is None] + [
        s for s in steps if s.original is not None]
    for step in ordered:
        unlocked = step.path == PROJECT_FILE or step.original is None or step.data is None
        with contextlib.nullcontext() if unlocked else \
                project_files.lock(root, step.path, lock_timeout):
            current = project_files.read(root, step.path)
            if current != step.data:  # (for a removal step: absent is its result)
                continue
            if step.original is not None:
                project_files.write(root, step.path, step.original)
            else:
                project_files.remove(root, step.path)
    return [s.path for s in steps if project_files.read(root, s.path) != s.original]
