"""Undoing the steps of a migration that failed cleanly, so the project is as before.

A failed write (disk full, permission denied, a file edited meanwhile) raises inside
the migrating process, which can still put the project back in its old layout:
created files are removed first (that frees space), then rewritten files get their
original bytes back. project.json is always the last step, so it is never among the
steps to undo. If the undo fails too, the journal still says how far the migration
got and the same command resumes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from conformance.atomic import atomic_write_bytes, file_lock, fsync_dir
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import read_file_bytes_or_none
from conformance.layout import PROJECT_FILE
from migrate.model import FileChange


def undo_steps(root: Path, steps: Sequence[FileChange], lock_timeout: float) -> None:
    """Give every file of ``steps`` its original state; raise ``IO_ERROR`` if impossible.

    A file holding neither the step's result nor its original is left alone (it is
    not ours to overwrite).
    """
    ordered = [s for s in steps if s.original is None] + [
        s for s in steps if s.original is not None]
    for step in ordered:
        path = root / step.path
        lock = (contextlib.nullcontext() if step.path == PROJECT_FILE
                else file_lock(path, lock_timeout))
        with lock:
            current = read_file_bytes_or_none(path)
            if current != step.data:
                continue
            if step.original is not None:
                atomic_write_bytes(path, step.original)
                continue
            try:
                path.unlink()
                fsync_dir(path.parent)
            except OSError as exc:
                raise SeqcheckError(
                    ErrorCode.IO_ERROR,
                    f"could not remove the file: {exc.strerror or exc}.", file=path,
                ) from exc
