"""Every file access of the migrator, by project-relative path, through ``ProjectFS``;
and cleaning what interrupted writes leave: created lock sidecars, stale temps.

The migrator names files by project-relative posix paths (``project.json``,
``sequences/sequence_002.json``, ``.seqcheck/runs/0001/manifest.json``); this module is
the only one in ``migrate/`` that turns such a path into a file operation, and it does
so only through :class:`conformance.projectfs.ProjectFS` (the one path policy:
``openat``-style walk, no link followed out of the project, regular files only, reads
bounded). So nothing outside the project is read, written, created or deleted, and no
backup ever holds bytes from outside (SEQ-ID-5, issue 13). The few things the
migrator needs beyond ``ProjectFS`` - a folder that must not be a link at all (the
records), folders created with their list - are small compositions here.

Removing the lock sidecars a run created (:func:`remove_created_sidecars`), so an undone
migration leaves nothing.

A sidecar (``.<name>.lock``) is removed only when the run's journal recorded that the
run created it (it is recorded *before* it is created), and only while holding its
lock. Why that is not always safe, and what remains, is explained in
conformance/spec/migration.md ("Lock sidecars"): a writer of another implementation
that opened the sidecar before the removal and waits for the lock would then lock a
removed file. The migrator therefore removes sidecars only when it ends a run
(rollback, or a clean failure undone), never mid-migration.

Removing temp files a killed migration or rollback left behind (:func:`remove_stale_temps`).

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
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import lock_path
from conformance.projectfs import EntryKind, FolderSyncs, OpenFolder, ProjectFS


def _fs(root: Path) -> ProjectFS:
    return ProjectFS(root)


def read(root: Path, rel: str) -> bytes | None:
    """The bytes of regular file ``rel``; ``None`` when it (or its folder) is missing."""
    return _fs(root).read_bytes_or_none(rel)


def kind(root: Path, rel: str) -> EntryKind | None:
    """What ``rel`` itself is (a last link is not followed); ``None``: absent."""
    return _fs(root).kind(rel)


def exists(root: Path, rel: str) -> bool:
    """Whether an entry named ``rel`` exists (a link counts, followed or not)."""
    return kind(root, rel) is not None


def is_dir(root: Path, rel: str) -> bool:
    """Whether ``rel`` is a real folder (not a link to one)."""
    return kind(root, rel) is EntryKind.FOLDER


def _in(folder: Folder | None, rel: str) -> str | None:
    """``rel``'s name in ``folder`` when ``rel`` is directly in it, else ``None``."""
    if folder is None:
        return None
    parent, _, name = rel.rpartition("/")
    return name if parent and parent == folder.rel else None


def write(root: Path, rel: str, data: bytes, *, folder_syncs: FolderSyncs | None = None,
          folder: Folder | None = None) -> None:
    """Replace (or create) regular file ``rel`` atomically and durably (with
    ``folder_syncs``: its name durable once that is flushed; through ``folder``, an
    opened folder (:func:`folder`) holding it, when given)."""
    name = _in(folder, rel)
    if folder is not None and name is not None:
        folder.opened.write_atomic(name, data, folder_syncs=folder_syncs)
    else:
        _fs(root).write_atomic(rel, data, folder_syncs=folder_syncs)


def add_folder_sync(root: Path, rel: str, folder_syncs: FolderSyncs, *,
                    folder: Folder | None = None) -> None:
    """Have ``folder_syncs`` fsync the folder holding file ``rel`` at its next flush.
    ``folder`` as for :func:`write`."""
    name = _in(folder, rel)
    if folder is not None and name is not None:
        folder.opened.add_folder_sync(name, folder_syncs)
    else:
        _fs(root).add_folder_sync(rel, folder_syncs)


def holds(root: Path, rel: str, candidates: Sequence[bytes | None], *,
          folder: Folder | None = None) -> int | None:
    """Which of ``candidates`` file ``rel`` holds (``None``: absent), compared in
    chunks; ``None`` when it holds none of them. ``folder`` as for :func:`write`."""
    name = _in(folder, rel)
    if folder is not None and name is not None:
        return folder.opened.holds(name, candidates)
    return _fs(root).holds(rel, candidates)


def remove(root: Path, rel: str) -> bool:
    """Delete file ``rel`` (a link itself, never its target); ``False`` when absent."""
    return _fs(root).unlink(rel, missing_ok=True)


def make_dirs(root: Path, rel: str) -> list[str]:
    """Create folder ``rel`` and its missing parents durably; return those created."""
    fs = _fs(root)
    parts = PurePosixPath(rel).parts
    created = []
    for index in range(len(parts)):
        sub = "/".join(parts[: index + 1])
        if fs.mkdir(sub):
            created.append(sub)
    return created


def remove_empty_dir(root: Path, rel: str) -> bool:
    """Remove folder ``rel`` if it exists and is empty; ``True`` when removed."""
    return _fs(root).rmdir(rel)


def list_names(root: Path, rel: str) -> list[str] | None:
    """Names in folder ``rel`` (sorted; ``""`` or ``"."``: the project folder itself);
    ``None`` when it does not exist."""
    entries = _fs(root).list_dir_or_none("" if rel in ("", ".") else rel)
    return None if entries is None else [e.name for e in entries]


def require_real_folder(root: Path, rel: str) -> bool:
    """Refuse ``rel`` being anything but a real folder (a link even inside the project,
    or a file) with ``CORRUPT_FILE`` naming it; ``False`` when it does not exist."""
    found = kind(root, rel)
    if found is None:
        return False
    if found is EntryKind.LINK:
        target = (root / rel).readlink()
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected {json.dumps(rel)} to be a folder inside the project, found a link "
            f"(to {json.dumps(str(target))}); seqcheck keeps its records only in a real "
            "folder of the project and never follows a link there. Remove the link; "
            "nothing was changed.",
            file=root / rel,
        )
    if found is not EntryKind.FOLDER:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected {json.dumps(rel)} to be a folder, found a {found}. Move it away; "
            "nothing was changed.",
            file=root / rel,
        )
    return True


def delete_folder(root: Path, rel: str, marker: str) -> None:
    """Delete folder ``rel`` and everything in it, links never followed, only when it
    is reached without any link and holds the regular file ``marker``."""
    _fs(root).remove_tree(rel, marker=marker)


def sidecar_of(rel: str) -> str:
    """The project-relative lock sidecar of ``rel``."""
    return lock_path(Path(rel)).as_posix()


@dataclass(frozen=True)
class Folder:
    """Folder ``rel`` of a project opened once (:func:`folder`), for many operations
    on the files directly in it (:class:`conformance.projectfs.OpenFolder`: the
    same path policy, without a walk from the project root per file)."""

    rel: str
    opened: OpenFolder


@contextmanager
def folder(root: Path, rel: str) -> Iterator[Folder]:
    """Folder ``rel`` opened for the block (see :class:`Folder`)."""
    with _fs(root).open_folder(rel) as opened:
        yield Folder(rel, opened)


@contextmanager
def lock(root: Path, rel: str, timeout: float) -> Iterator[None]:
    """Hold the sidecar lock of ``rel`` (a sidecar that is a link is refused)."""
    with _fs(root).lock(rel, timeout):
        yield


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
            if not exists(root, side):
                continue
            guard = (contextlib.nullcontext() if target in held
                     else lock(root, target, lock_timeout))
            with guard:
                if remove(root, side):
                    removed.append(side)
        except SeqcheckError:
            continue
    return removed


_TEMP_RE = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{12}\.tmp\Z")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temp file name of the atomic write."""
    return _TEMP_RE.match(name) is not None


def _stale(root: Path, folder: str, targets: set[str] | None) -> list[tuple[str, str]]:
    names = list_names(root, folder)
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
            guard: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
            if not targets[target] and exists(root, sidecar_of(target_rel)):
                guard = lock(root, target_rel, lock_timeout)
            with guard:
                if remove(root, temp):
                    removed.append(temp)
    for top in private:
        removed += _remove_private(root, top)
    return removed


def _remove_private(root: Path, folder: str) -> list[str]:
    removed = []
    for name in list_names(root, folder) or []:
        rel = f"{folder}/{name}"
        if is_dir(root, rel):
            removed += _remove_private(root, rel)
        elif _TEMP_RE.match(name) and remove(root, rel):
            removed.append(rel)
    return removed
