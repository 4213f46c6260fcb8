"""The one atomic-write routine and the one file lock of seqcheck, by path.

Thin wrappers over :class:`conformance.projectfs.ProjectFS`, which holds the logic
(:meth:`~conformance.projectfs.ProjectFS.write_atomic`,
:meth:`~conformance.projectfs.ProjectFS.lock`): a temp file created ``O_EXCL |
O_NOFOLLOW`` beside the target, fsynced, renamed over it relative to the folder's
descriptor, the folder fsynced; ``flock`` on a ``.<name>.lock`` sidecar opened
``O_NOFOLLOW`` that must be a regular file and is never unlinked.

Pass ``project=`` (the project folder) so that every component below it is walked
without following links out of it; without it only the last component is guarded
(the folder holding the file is trusted as given). New code uses ``ProjectFS``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from conformance.projectfs import LOCK_TIMEOUT_SECONDS, ProjectFS, for_file


def fsync_dir(folder: Path) -> None:
    """Make a rename or creation inside ``folder`` durable (no-op where unsupported)."""
    if os.name == "nt":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(
    target: Path, data: bytes, *, project: str | os.PathLike[str] | None = None
) -> None:
    """Replace ``target`` with ``data`` atomically and durably (see
    :meth:`ProjectFS.write_atomic`).

    Raises ``IO_ERROR`` (disk full, permission denied, read-only folder, a target held
    open on Windows past the retry budget) with the target unchanged and no temp file
    left behind; ``CORRUPT_FILE`` when the target is a link out of ``project`` (or
    out of its folder) or not a regular file.
    """
    fs, rel = for_file(target, project)
    fs.write_atomic(rel, data)


@contextlib.contextmanager
def file_lock(
    target: Path,
    timeout: float = LOCK_TIMEOUT_SECONDS,
    *,
    project: str | os.PathLike[str] | None = None,
) -> Iterator[None]:
    """Hold the exclusive sidecar lock of ``target`` for a read-modify-write cycle
    (see :meth:`ProjectFS.lock`).

    Raises ``LOCK_TIMEOUT`` after ``timeout`` seconds, ``IO_ERROR`` when the lock
    file cannot be created, ``CORRUPT_FILE`` when it is a link or not a regular file.
    """
    fs, rel = for_file(target, project)
    with fs.lock(rel, timeout):
        yield


__all__ = ["LOCK_TIMEOUT_SECONDS", "ProjectFS", "atomic_write_bytes", "file_lock", "fsync_dir"]
