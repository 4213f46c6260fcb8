"""Every file access of the migrator, by project-relative path, never leaving the project.

The migrator names files by project-relative posix paths (``project.json``,
``sequences/sequence_002.json``, ``.seqcheck/runs/0001/manifest.json``); this module is
the only one in ``migrate/`` that turns such a path into a file operation. A path
component that is a link, or a file that is not a regular file, is refused with
``CORRUPT_FILE`` naming it: nothing outside the project is read, written, created or
deleted, and no backup ever holds bytes from outside (SEQ-ID-5, issue 13).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from conformance.atomic import atomic_write_bytes, file_lock, fsync_dir
from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import lock_path


def _link_error(root: Path, rel: str) -> SeqcheckError:
    return SeqcheckError(
        ErrorCode.CORRUPT_FILE,
        f"expected {json.dumps(rel)} to be a file or folder inside the project, found a "
        f"link (to {json.dumps(str((root / rel).readlink()))}); seqcheck never follows "
        "links in a project folder it writes. Replace the link by the real file or "
        "folder; nothing was changed.",
        file=root / rel,
    )


def _check(root: Path, rel: str, *, want_file: bool | None) -> os.stat_result | None:
    """lstat every component of ``rel`` under ``root``: no links; the last one (if it
    exists) a regular file (``want_file``), a folder (``want_file`` False) or either."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise SeqcheckError(ErrorCode.INTERNAL_ERROR,
                            f"not a normalized project-relative path: {rel!s}")
    cursor = root
    st: os.stat_result | None = None
    for index, part in enumerate(parts):
        cursor = cursor / part
        try:
            st = cursor.lstat()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except OSError as exc:
            raise SeqcheckError(ErrorCode.IO_ERROR,
                                f"could not inspect the path: {exc.strerror or exc}.",
                                file=cursor) from exc
        if stat.S_ISLNK(st.st_mode):
            raise _link_error(root, "/".join(parts[: index + 1]))
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(st.st_mode):
            return None
    assert st is not None
    if want_file is True and not stat.S_ISREG(st.st_mode):
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            "expected a regular file, found "
            + ("a folder" if stat.S_ISDIR(st.st_mode) else "a special file")
            + ". Remove or rename it; nothing was changed.",
            file=root / rel,
        )
    if want_file is False and not stat.S_ISDIR(st.st_mode):
        raise SeqcheckError(ErrorCode.CORRUPT_FILE, "expected a folder, found a file.",
                            file=root / rel)
    return st


def read(root: Path, rel: str) -> bytes | None:
    """The bytes of regular file ``rel``; ``None`` when it does not exist."""
    if _check(root, rel, want_file=True) is None:
        return None
    try:
        fd = os.open(root / rel, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _link_error(root, rel) from exc
        raise SeqcheckError(ErrorCode.IO_ERROR,
                            f"could not read the file: {exc.strerror or exc}.",
                            file=root / rel) from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise SeqcheckError(ErrorCode.CORRUPT_FILE, "expected a regular file.",
                                file=root / rel)
        return handle.read()


def exists(root: Path, rel: str) -> bool:
    """Whether ``rel`` exists (as anything but a link, which is refused)."""
    return _check(root, rel, want_file=None) is not None


def write(root: Path, rel: str, data: bytes) -> None:
    """Replace (or create) regular file ``rel`` atomically and durably."""
    _check(root, rel, want_file=True)
    parent = PurePosixPath(rel).parent
    if str(parent) != ".":
        _check(root, str(parent), want_file=False)
    atomic_write_bytes(root / rel, data)


def remove(root: Path, rel: str) -> bool:
    """Delete regular file ``rel``; ``False`` when it was already gone."""
    if _check(root, rel, want_file=True) is None:
        return False
    try:
        (root / rel).unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise SeqcheckError(ErrorCode.IO_ERROR,
                            f"could not remove the file: {exc.strerror or exc}.",
                            file=root / rel) from exc
    with contextlib.suppress(OSError):
        fsync_dir((root / rel).parent)
    return True


def make_dirs(root: Path, rel: str) -> list[str]:
    """Create folder ``rel`` and its missing parents durably; return those created."""
    parts = PurePosixPath(rel).parts
    created = []
    for index in range(len(parts)):
        sub = "/".join(parts[: index + 1])
        if _check(root, sub, want_file=False) is not None:
            continue
        try:
            (root / sub).mkdir()
            fsync_dir((root / sub).parent)
        except OSError as exc:
            raise SeqcheckError(ErrorCode.IO_ERROR,
                                f"could not create the folder: {exc.strerror or exc}.",
                                file=root / sub) from exc
        created.append(sub)
    return created


def remove_empty_dir(root: Path, rel: str) -> bool:
    """Remove folder ``rel`` if it exists and is empty; ``True`` when removed."""
    if _check(root, rel, want_file=False) is None:
        return False
    try:
        (root / rel).rmdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        fsync_dir((root / rel).parent)
    return True


def list_names(root: Path, rel: str) -> list[str] | None:
    """Names in folder ``rel`` (sorted; ``""`` or ``"."``: the project folder itself);
    ``None`` when it does not exist."""
    if rel in ("", "."):
        return sorted(p.name for p in root.iterdir())
    if _check(root, rel, want_file=False) is None:
        return None
    try:
        return sorted(p.name for p in (root / rel).iterdir())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SeqcheckError(ErrorCode.IO_ERROR,
                            f"could not list the folder: {exc.strerror or exc}.",
                            file=root / rel) from exc


def is_dir(root: Path, rel: str) -> bool:
    """Whether ``rel`` is a folder (not a link to one)."""
    st = _check(root, rel, want_file=None)
    return st is not None and stat.S_ISDIR(st.st_mode)


def delete_folder(root: Path, rel: str, marker: str) -> None:
    """Delete folder ``rel`` and everything in it, links not followed, but only when
    it holds the regular file ``marker`` (seqcheck's own manifest)."""
    if _check(root, f"{rel}/{marker}", want_file=True) is None:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected a seqcheck run folder holding {marker}, found none; it was left "
            "as it is.",
            file=root / rel,
        )
    try:
        # rmtree works on descriptors and never follows links where the platform
        # allows it (shutil.rmtree.avoids_symlink_attacks).
        shutil.rmtree(root / rel)
        fsync_dir((root / rel).parent)
    except OSError as exc:
        raise SeqcheckError(ErrorCode.IO_ERROR,
                            f"could not delete the run folder: {exc.strerror or exc}.",
                            file=root / rel) from exc


def sidecar(rel: str) -> str:
    """The lock sidecar of ``rel`` (project-relative)."""
    return lock_path(PurePosixPath(rel)).as_posix()  # type: ignore[arg-type]


@contextlib.contextmanager
def lock(root: Path, rel: str, timeout: float) -> Iterator[None]:
    """Hold the sidecar lock of ``rel`` (the sidecar must not be a link)."""
    _check(root, sidecar(rel), want_file=True)
    with file_lock(root / rel, timeout):
        yield
