"""Deliberately broken Python implementations: the crash tools must catch them.

Both are the reference store with its atomic write replaced, so everything else
(ids, merge, locking, errors) is right and only the write protocol is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

from conformance.reference import ReferenceStore
from conformance.reference import store as store_module

_real_atomic_write = store_module.atomic_write_bytes


def in_place_write(target: Path, data: bytes, **_where: object) -> None:
    """The classic bug: ``open(path, 'w').write(...)`` truncates, then writes."""
    with target.open("w", encoding="utf-8") as handle:
        handle.write(data.decode("utf-8"))


def rename_without_fsync(target: Path, data: bytes, **_where: object) -> None:
    """Temp file + rename, but no fsync of the temp file and none of the folder."""
    tmp = target.with_name(f".{target.name}.nofsync.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
    os.replace(tmp, target)


class _Patched(ReferenceStore):
    writer = staticmethod(_real_atomic_write)

    def update_shot(self, sequence_id: str, shot_id: str, updates: dict) -> dict:  # type: ignore[type-arg]
        store_module.atomic_write_bytes = self.writer
        try:
            return super().update_shot(sequence_id, shot_id, updates)
        finally:
            store_module.atomic_write_bytes = _real_atomic_write


class InPlaceStore(_Patched):
    writer = staticmethod(in_place_write)


class NoFsyncStore(_Patched):
    writer = staticmethod(rename_without_fsync)
