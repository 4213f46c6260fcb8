"""Removing temp files a killed migration left behind.

:func:`conformance.atomic.atomic_write_bytes` writes ``.<name>.<12 hex>.tmp`` beside
its target and renames it; a process killed between the two leaves the temp file.
A writer creates a target's temp only while holding the target's lock, so a temp
found while *we* hold that lock is stale and safe to delete. Resuming removes them so
that an interrupted-then-resumed migration ends byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from conformance.atomic import file_lock, fsync_dir
from conformance.errors import ErrorCode, SeqcheckError

_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{12}\.tmp$")


def _stale(folder: Path, targets: set[str] | None) -> list[tuple[Path, str]]:
    try:
        with os.scandir(folder) as entries:
            found = [(Path(e.path), m["target"]) for e in entries
                     if (m := _TEMP_RE.match(e.name)) is not None]
    except FileNotFoundError:
        return []
    return [(p, t) for p, t in found if targets is None or t in targets]


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SeqcheckError(
            ErrorCode.IO_ERROR,
            f"could not remove a temp file left by an interrupted write: "
            f"{exc.strerror or exc}.",
            file=path,
        ) from exc
    with contextlib.suppress(OSError):
        fsync_dir(path.parent)


def remove_stale_temps(root: Path, locked: set[str], lock_per_file: Iterable[str],
                       private: Iterable[Path], lock_timeout: float) -> None:
    """Delete stale temps of our targets.

    ``locked``: project-relative paths whose lock the caller already holds;
    ``lock_per_file``: project-relative paths whose lock is taken here for the
    deletion; ``private``: folders only seqcheck writes (the run folder), cleaned
    recursively without locks.
    """
    by_folder: dict[Path, dict[str, bool]] = {}
    for rel in locked:
        by_folder.setdefault((root / rel).parent, {})[(root / rel).name] = True
    for rel in lock_per_file:
        by_folder.setdefault((root / rel).parent, {}).setdefault((root / rel).name, False)
    for folder, targets in by_folder.items():
        for path, target in _stale(folder, set(targets)):
            if targets[target]:
                _unlink(path)
            else:
                with file_lock(folder / target, lock_timeout):
                    _unlink(path)
    for top in private:
        for walked, _dirs, _files in os.walk(top):
            for path, _target in _stale(Path(walked), None):
                _unlink(path)
