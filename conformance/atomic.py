"""The one atomic-write routine and the one file lock of seqcheck.

Everything that writes a project file (reference store, migrator) goes through
:func:`atomic_write_bytes` under :func:`file_lock`. The guarantees (spec section
"Durability and atomicity", "Concurrency"):

* a crash at any instant leaves the target entirely old or entirely new: the bytes go
  to a temp file in the same folder, which is flushed and fsynced, then renamed over
  the target with ``os.replace``, and the folder is fsynced so the rename survives;
* the target is never opened for writing, so it is never truncated;
* on any failure the temp file is removed and the target is untouched;
* read-modify-write cycles of separate processes are serialised by ``flock`` on a
  sidecar lock file (see :func:`conformance.layout.lock_path`) that is never unlinked.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from conformance.errors import ErrorCode, SeqcheckError
from conformance.layout import lock_path

#: Default bound on waiting for a lock, in seconds.
LOCK_TIMEOUT_SECONDS = 10.0
# On Windows os.replace fails with PermissionError while another process (a virus
# scanner, an indexer, the app itself) holds the target open; that usually clears
# quickly, so retry with doubling delays: 8 retries, 0.01 s .. 1.28 s, 2.55 s in all.
_REPLACE_RETRIES = 8
_REPLACE_FIRST_DELAY = 0.01

try:  # POSIX
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]


def _io_error(action: str, path: Path, exc: OSError) -> SeqcheckError:
    if isinstance(exc, _ReplaceRefused):
        hint = (
            "another program kept the file open for the whole retry budget (Windows "
            "refuses to replace an open file); close it and try again"
        )
    elif exc.errno == errno.ENOSPC:
        hint = "the disk is full; free some space and try again"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = "permission denied; check the permissions of the file and its folder"
    elif exc.errno == errno.EROFS:
        hint = "the file system is read-only"
    else:
        hint = exc.strerror or str(exc)
    return SeqcheckError(
        ErrorCode.IO_ERROR,
        f"could not {action}: {hint}. The original file is unchanged.",
        file=path,
    )


def fsync_dir(folder: Path) -> None:
    """Make a rename or creation inside ``folder`` durable (no-op where unsupported)."""
    if os.name == "nt":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_for(target: Path) -> Path:
    """A fresh temp name beside ``target``; the leading dot hides it from readers."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")


class _ReplaceRefused(OSError):
    """os.replace kept failing with PermissionError for the whole retry budget."""


def _replace_with_retry(src: Path, dst: Path) -> None:
    delay = _REPLACE_FIRST_DELAY
    for attempt in range(_REPLACE_RETRIES + 1):
        try:
            os.replace(src, dst)
            return
        except PermissionError as exc:
            if attempt == _REPLACE_RETRIES:
                raise _ReplaceRefused(exc.errno, exc.strerror) from exc
            time.sleep(delay)
            delay *= 2


def _check_writable(target: Path) -> int | None:
    """The permission bits of an existing ``target`` (``None`` if there is none).

    A rename replaces a read-only file as easily as any other on POSIX, so a file the
    user (or a tool) made read-only is refused explicitly, as an in-place write would be.
    """
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _io_error("inspect the file", target, exc) from exc
    if not os.access(target, os.W_OK):
        raise _io_error("replace the file", target, PermissionError(errno.EACCES, "read-only"))
    return st.st_mode & 0o7777


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically and durably.

    Raises ``IO_ERROR`` (disk full, permission denied, read-only folder, a target held
    open on Windows past the retry budget) with the target unchanged and no temp file
    left behind.
    """
    mode = _check_writable(target)
    tmp = temp_path_for(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    except OSError as exc:
        raise _io_error("create a temp file beside the target", target, exc) from exc
    try:
        try:
            if mode is not None:  # the replacement keeps the original's permissions
                tmp.chmod(mode)  # by path: os.fchmod does not exist on Windows
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        _replace_with_retry(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _io_error("write the file", target, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        fsync_dir(target.parent)
    except OSError as exc:
        # The new content is in place; only its durability is in doubt. Say so.
        raise SeqcheckError(
            ErrorCode.IO_ERROR,
            f"wrote the file but could not flush its folder to disk: "
            f"{exc.strerror or exc}. The change may be lost if the machine crashes now.",
            file=target,
        ) from exc


@contextlib.contextmanager
def file_lock(target: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the exclusive sidecar lock of ``target`` for a read-modify-write cycle.

    Uses ``flock`` (owned by the open file description, so it is not dropped when some
    other descriptor of the same file is closed, unlike ``fcntl``/``lockf`` locks).
    Raises ``LOCK_TIMEOUT`` after ``timeout`` seconds, ``IO_ERROR`` when the lock
    file cannot be created.
    """
    path = lock_path(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _io_error("create the lock file", path, exc) from exc
    try:
        _acquire(fd, path, timeout)
        try:
            yield
        finally:
            _release(fd)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            if _fcntl is not None:
                _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            else:  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return
        except BlockingIOError:
            pass
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise _io_error("take the lock", path, exc) from exc
        if time.monotonic() >= deadline:
            raise SeqcheckError(
                ErrorCode.LOCK_TIMEOUT,
                f"expected to lock the file within {timeout:g} s, but another writer "
                "held it the whole time. Retry; if it persists, find the process "
                "holding the lock.",
                file=path,
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _release(fd: int) -> None:
    if _fcntl is not None:
        _fcntl.flock(fd, _fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
