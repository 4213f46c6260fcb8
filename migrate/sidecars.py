"""Removing the lock sidecars a run created, so an undone migration leaves nothing.

A sidecar (``.<name>.lock``) is removed only when the run's journal recorded that the
run created it (it is recorded *before* it is created), and only while holding its
lock. Why that is not always safe, and what remains, is explained in
conformance/spec/migration.md ("Lock sidecars"): a writer of another implementation
that opened the sidecar before the removal and waits for the lock would then lock a
removed file. The migrator therefore removes sidecars only when it ends a run
(rollback, or a clean failure undone), never mid-migration.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from conformance.errors import SeqcheckError
from migrate import project_files


def target_of(sidecar: str) -> str:
    """``sequences/.sequence_001.json.lock`` -> ``sequences/sequence_001.json``."""
    path = PurePosixPath(sidecar)
    return path.with_name(path.name[1:-len(".lock")]).as_posix()


def remove_created_sidecars(root: Path, sidecars: Iterable[str],
                            lock_timeout: float, *, held: set[str]) -> list[str]:
    """Remove ``sidecars`` (project-relative) under their locks; ``held``: targets whose
    lock the caller holds already. Returns the sidecars removed; one that cannot be
    removed (or locked) is left in place, harmlessly."""
    removed = []
    for side in sidecars:
        target = target_of(side)
        try:
            if not project_files.exists(root, side):
                continue
            lock = (contextlib.nullcontext() if target in held
                    else project_files.lock(root, target, lock_timeout))
            with lock:
                if project_files.remove(root, side):
                    removed.append(side)
        except SeqcheckError:
            continue
    return removed
