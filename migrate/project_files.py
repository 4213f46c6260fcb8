"""Every file access of the migrator, by project-relative path, through ``ProjectFS``.

The migrator names files by project-relative posix paths (``project.json``,
``sequences/sequence_002.json``, ``.seqcheck/runs/0001/manifest.json``); this module is
the only one in ``migrate/`` that turns such a path into a file operation, and it does
so only through :class:`conformance.projectfs.ProjectFS` (the one path policy:
``openat``-style walk, no link followed out of the project, regular files only, reads
bounded). So nothing outside the project is read, written, created or deleted, and no
backup ever holds bytes from outside (SEQ-ID-5, issue 13). The few things the
migrator needs beyond ``ProjectFS`` - a folder that must not be a link at all (the
records), folders created with their list - are small compositions here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import lock_path
from conformance.projectfs import EntryKind, ProjectFS


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


def write(root: Path, rel: str, data: bytes) -> None:
    """Replace (or create) regular file ``rel`` atomically and durably."""
    _fs(root).write_atomic(rel, data)


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


def sidecar(rel: str) -> str:
    """The lock sidecar of ``rel`` (project-relative)."""
    return lock_path(Path(rel)).as_posix()


@contextmanager
def lock(root: Path, rel: str, timeout: float) -> Iterator[None]:
    """Hold the sidecar lock of ``rel`` (a sidecar that is a link is refused)."""
    with _fs(root).lock(rel, timeout):
        yield
