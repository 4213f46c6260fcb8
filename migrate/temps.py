"""Removing temp files a killed migration or rollback left behind.

The atomic write writes ``.<name>.<12 hex>.tmp`` beside its target and renames it; a
process killed between the two leaves the temp file. A writer creates a target's temp
only while holding the target's lock, so a temp found while *we* hold that lock is
stale and safe to delete. A file the migration creates is written without a lock
(see :mod:`migrate.apply`); its stale temps are removed under its lock only when its
sidecar already exists (then a writer could be using it), so cleaning never adds a
sidecar. Resuming and rolling back remove them, so that an interrupted-then-resumed
migration ends byte-identical to an uninterrupted one, and a rollback leaves exactly
the original files.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from migrate import project_files
from migrate.run_records import sidecar_of

_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{12}\.tmp\Z")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temp file name of the atomic write."""
    return _TEMP_RE.match(name) is not None


def _stale(root: Path, folder: str, targets: set[str] | None) -> list[tuple[str, str]]:
    names = project_files.list_names(root, folder)
    found = [(name, m["target"]) for name in names or []
             if (m := _TEMP_RE.match(name)) is not None]
    return [(f"{folder}/{n}" if folder != "." else n, t) for n, t in found
            if targets is None or t in targets]


def remove_stale_temps(root: Path, locked: set[str], lock_per_file: Iterable[str],
                       private: Iterable[str], lock_timeout: float) -> list[str]:
    """Delete stale temps of our targets; return the project-relative paths removed.

    ``locked``: project-relative paths whose lock the caller already holds;
    ``lock_per_file``: paths whose lock is taken here for the deletion (when their
    sidecar exists); ``private``: folders only seqcheck writes (the run folder),
    cleaned recursively without locks.
    """
    removed: list[str] = []
    by_folder: dict[str, dict[str, bool]] = {}
    for rel in locked:
        p = PurePosixPath(rel)
        by_folder.setdefault(str(p.parent), {})[p.name] = True
    for rel in lock_per_file:
        p = PurePosixPath(rel)
        by_folder.setdefault(str(p.parent), {}).setdefault(p.name, False)
    for folder, targets in by_folder.items():
        for temp, target in _stale(root, folder, set(targets)):
            target_rel = target if folder == "." else f"{folder}/{target}"
            lock: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
            if not targets[target] and project_files.exists(root, sidecar_of(target_rel)):
                lock = project_files.lock(root, target_rel, lock_timeout)
            with lock:
                if project_files.remove(root, temp):
                    removed.append(temp)
    for top in private:
        removed += _remove_private(root, top)
    return removed


def _remove_private(root: Path, folder: str) -> list[str]:
    removed = []
    for name in project_files.list_names(root, folder) or []:
        rel = f"{folder}/{name}"
        if project_files.is_dir(root, rel):
            removed += _remove_private(root, rel)
        elif _TEMP_RE.match(name) and project_files.remove(root, rel):
            removed.append(rel)
    return removed
