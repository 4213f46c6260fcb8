"""Every access to a path inside a project folder: the one path policy of seqcheck.

A project folder is untrusted input (a studio share, a pull request, a download), so
every read, write, lock, creation, rename and deletion of a path inside it goes
through :class:`ProjectFS`, which guarantees (spec SEQ-ID-5, ``SECURITY.md``):

* **Nothing outside the project is reached.** A path is walked one component at a
  time from the opened project folder with ``openat``-style calls (``dir_fd``,
  ``O_NOFOLLOW``); no name is ever handed to the kernel whole, so a link swapped in
  during the walk is met as a link, never followed. A symbolic link whose target stays
  inside the project is resolved by seqcheck itself, component by component, under
  the same rules (it is an ordinary file, as SEQ-ID-5 says); a link that would leave
  the project, absolute or through ``..``, is refused with :class:`LinkOutError`
  (``CORRUPT_FILE`` naming the link). ``..`` in a requested path is refused too.
* **Only regular files are read.** A file is opened ``O_NONBLOCK`` and checked with
  ``fstat`` on the descriptor; a FIFO, socket, device or folder is
  :class:`NotRegularFileError` and no byte of it is read (a FIFO never blocks).
* **Reads are bounded.** A file larger than :func:`conformance.limits.max_file_bytes`
  is :class:`FileTooLargeError`; a read never takes more than the bound plus one
  byte, even when ``stat`` lies (a device, a file growing while read).
* **One atomic write, one lock.** :meth:`ProjectFS.write_atomic` writes a temp file
  created ``O_EXCL | O_NOFOLLOW`` beside the target, fsyncs it, renames it over the
  target relative to the folder's descriptor and fsyncs the folder;
  :meth:`ProjectFS.lock` takes ``flock`` on the sidecar ``.<name>.lock``, which is
  opened ``O_NOFOLLOW`` and must be a regular file.
* **Errors are seqcheck errors.** Every failure is a :class:`SeqcheckError`
  (``CORRUPT_FILE`` for what the folder holds, ``IO_ERROR`` for what the system
  refused, ``LOCK_TIMEOUT``), except a missing file on a read, which is
  :class:`FileNotFoundError` so callers decide what absence means.

Where the platform has no ``dir_fd`` support (Windows) the same walk is done by path
with ``lstat`` checks before each step: links are still never followed out of the
project, but a swap racing with the walk is not excluded there (``SECURITY.md``).
"""

# This module is where seqcheck touches the file system by name, so it uses the os
# calls that take dir_fd (pathlib has no equivalent) and plain string paths.
# ruff: noqa: PTH100, PTH101, PTH102, PTH106, PTH108, PTH112, PTH115, PTH118

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from conformance import limits
from conformance.errors import ErrorCode, HeldOpenError, SeqcheckError, io_error, io_errors
from conformance.layout import lock_path, temp_name_for
from conformance.text_enum import TextEnum

try:  # POSIX
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

#: Default bound on waiting for a lock, in seconds.
LOCK_TIMEOUT_SECONDS = 10.0
#: Links followed while resolving one path before it counts as a loop (Linux: 40).
MAX_LINK_HOPS = 40
#: Depth of folders :meth:`ProjectFS.remove_tree` descends before refusing.
MAX_TREE_DEPTH = 64

# On Windows os.replace fails with PermissionError while another process (a virus
# scanner, an indexer, the app itself) holds the target open; that usually clears
# quickly, so retry with doubling delays: 8 retries, 0.01 s .. 1.28 s, 2.55 s in all.
_REPLACE_RETRIES = 8
_REPLACE_FIRST_DELAY = 0.01

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FLAGS = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC | _O_BINARY
# errno values an O_NOFOLLOW open gives for a link (Linux: ELOOP; FreeBSD: EMLINK).
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})
_READ_CHUNK = 1 << 20


class EntryKind(TextEnum):
    """What a directory entry is, seen without following links."""

    FILE = "file"
    FOLDER = "folder"
    LINK = "symbolic link"
    FIFO = "FIFO (named pipe)"
    SOCKET = "socket"
    CHAR_DEVICE = "character device"
    BLOCK_DEVICE = "block device"
    OTHER = "special file"



#: The kind of each file type of ``st_mode`` (``stat.S_IFMT``); anything else is OTHER.
_KIND_OF_TYPE = {
    stat.S_IFREG: EntryKind.FILE,
    stat.S_IFDIR: EntryKind.FOLDER,
    stat.S_IFLNK: EntryKind.LINK,
    stat.S_IFIFO: EntryKind.FIFO,
    stat.S_IFSOCK: EntryKind.SOCKET,
    stat.S_IFCHR: EntryKind.CHAR_DEVICE,
    stat.S_IFBLK: EntryKind.BLOCK_DEVICE,
}


def kind_of_mode(mode: int) -> EntryKind:
    """The :class:`EntryKind` of an ``st_mode`` value."""
    return _KIND_OF_TYPE.get(stat.S_IFMT(mode), EntryKind.OTHER)


class DirEntry(NamedTuple):
    """One entry of a folder listing: its name and what it is (links not followed).

    (NamedTuples, not dataclasses: a sweep of a large folder builds one per entry.)
    """

    name: str
    kind: EntryKind


class FileInfo(NamedTuple):
    """What a path leads to, inside-project links followed.

    ``signature`` is ``(inode, size, mtime_ns, ctime_ns)``: ctime too, because a copy
    that keeps its mtime (``cp -p``) onto a reused inode of the same size would
    otherwise look unchanged, and ctime cannot be set by programs.
    """

    kind: EntryKind
    size: int
    mode: int
    signature: tuple[int, int, int, int]


def _file_info(st: os.stat_result) -> FileInfo:
    return FileInfo(
        kind_of_mode(st.st_mode), st.st_size, st.st_mode,
        (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns),
    )


class LinkOutError(SeqcheckError):
    """A symbolic link that would lead outside the project (``CORRUPT_FILE``).

    ``file`` is the link itself; :attr:`target` is what it points to, as stored.
    """

    def __init__(self, link: Path, target: str) -> None:
        import json

        self.link = link
        self.target = target
        super().__init__(
            ErrorCode.CORRUPT_FILE,
            f"expected a file or folder inside the project, found a symbolic link to "
            f"{json.dumps(target)}, which is outside the project; nothing outside the "
            "project folder is ever read or written, so it was not followed. Replace "
            "the link with a copy of what it points to.",
            file=link,
        )


class NotRegularFileError(SeqcheckError):
    """A path that should be a regular file is a FIFO, socket, device or folder
    (``CORRUPT_FILE``); nothing was read from it."""

    def __init__(self, path: Path, kind: EntryKind, *, action: str = "read") -> None:
        self.path = path
        self.kind = kind
        super().__init__(
            ErrorCode.CORRUPT_FILE,
            f"expected a regular file, found a {kind}; it was not {action}. Replace it "
            "with the JSON file it stands for, or remove it.",
            file=path,
        )


class FileTooLargeError(SeqcheckError):
    """A file larger than the file-size limit (``CORRUPT_FILE``); it was not read.

    :attr:`size` is the size seen (``None`` when ``stat`` claimed less than the read
    found, e.g. a device or a file growing under us), :attr:`limit` the bound.
    """

    def __init__(self, path: Path, size: int | None, limit: int) -> None:
        self.path = path
        self.size = size
        self.limit = limit
        found = f"{size} bytes" if size is not None else "more than that"
        super().__init__(
            ErrorCode.CORRUPT_FILE,
            f"expected a file of at most {limit} bytes (the file-size limit), found "
            f"{found}; it was not read. Raise the limit with the environment variable "
            f"{limits.MAX_FILE_BYTES_ENV} if the file is genuine.",
            file=path,
        )


def _use_dir_fd() -> bool:
    # Checked per call: tests emulate Windows by patching os.name.
    return os.name != "nt" and os.open in os.supports_dir_fd


@dataclass
class _Dir:
    """An opened folder of the project: a descriptor (POSIX) or, without dir_fd
    support, its path. ``parts`` is where it is, relative to the project root."""

    fd: int | None
    where: str
    parts: tuple[str, ...]
    owned: bool = field(default=True)

    def join(self, name: str) -> str:
        return os.path.join(self.where, name)

    def close(self) -> None:
        if self.fd is not None and self.owned:
            os.close(self.fd)
            self.owned = False

    # -- name operations relative to this folder, never following a final link ----
    def lstat(self, name: str) -> os.stat_result:
        if self.fd is not None:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        return os.lstat(self.join(name))

    def readlink(self, name: str) -> str:
        if self.fd is not None:
            return os.readlink(name, dir_fd=self.fd)
        return os.readlink(self.join(name))

    def open(self, name: str, flags: int, mode: int | None = None) -> int:
        # No mode unless creating: pyfakefs applies a given mode to an existing file.
        if mode is None:
            if self.fd is not None:
                return os.open(name, flags, dir_fd=self.fd)
            return os.open(self.join(name), flags)
        if self.fd is not None:
            return os.open(name, flags, mode, dir_fd=self.fd)
        return os.open(self.join(name), flags, mode)

    def open_dir(self, name: str) -> _Dir:
        if self.fd is not None:
            return _Dir(os.open(name, _DIR_FLAGS, dir_fd=self.fd), "", (*self.parts, name))
        path = self.join(name)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            raise OSError(errno.ELOOP, "is a symbolic link", path)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", path)
        return _Dir(None, path, (*self.parts, name))

    def unlink(self, name: str) -> None:
        if self.fd is not None:
            os.unlink(name, dir_fd=self.fd)
        else:
            os.unlink(self.join(name))

    def rmdir(self, name: str) -> None:
        if self.fd is not None:
            os.rmdir(name, dir_fd=self.fd)
        else:
            os.rmdir(self.join(name))

    def mkdir(self, name: str) -> None:
        if self.fd is not None:
            os.mkdir(name, 0o777, dir_fd=self.fd)
        else:
            os.mkdir(self.join(name), 0o777)

    def writable(self, name: str) -> bool:
        if self.fd is not None:
            return os.access(name, os.W_OK, dir_fd=self.fd)
        return os.access(self.join(name), os.W_OK)

    def chmod(self, name: str, fd: int, mode: int) -> None:
        if self.fd is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        else:  # by path: os.fchmod does not exist on Windows
            os.chmod(self.join(name), mode)

    def entries(self) -> list[DirEntry]:
        """The folder's entries, links not followed."""
        return [entry for entry, _ in self.entries_with_info(None)]

    def entries_with_info(
        self, wanted: Callable[[str], bool] | None
    ) -> list[tuple[DirEntry, FileInfo | None]]:
        """The folder's entries, links not followed, with the ``lstat`` information of
        the non-link entries whose name is ``wanted`` (taken while the listing's
        descriptor is open: a descriptor scan cannot stat afterwards)."""
        out: list[tuple[DirEntry, FileInfo | None]] = []
        with os.scandir(self.fd if self.fd is not None else self.where) as it:
            for entry in it:
                try:
                    if entry.is_symlink():
                        kind = EntryKind.LINK
                    elif entry.is_file(follow_symlinks=False):
                        kind = EntryKind.FILE
                    elif entry.is_dir(follow_symlinks=False):
                        kind = EntryKind.FOLDER
                    else:
                        kind = kind_of_mode(entry.stat(follow_symlinks=False).st_mode)
                    info = None
                    if wanted is not None and kind is not EntryKind.LINK and wanted(entry.name):
                        info = _file_info(entry.stat(follow_symlinks=False))
                except FileNotFoundError:
                    continue  # removed since the listing
                out.append((DirEntry(entry.name, kind), info))
        return out

    def fsync(self) -> None:
        if os.name == "nt":  # pragma: no cover - folders cannot be opened on Windows
            return
        if self.fd is not None:
            os.fsync(self.fd)
            return
        fd = os.open(self.where, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace(src_dir: _Dir, src: str, dst_dir: _Dir, dst: str) -> None:
    """``os.replace`` of one entry by another, retried while Windows refuses."""
    delay = _REPLACE_FIRST_DELAY
    for attempt in range(_REPLACE_RETRIES + 1):
        try:
            if src_dir.fd is not None and dst_dir.fd is not None:
                os.replace(src, dst, src_dir_fd=src_dir.fd, dst_dir_fd=dst_dir.fd)
            else:
                os.replace(src_dir.join(src), dst_dir.join(dst))
            return
        except PermissionError as exc:
            if attempt == _REPLACE_RETRIES:
                raise HeldOpenError(exc.errno, exc.strerror) from exc
            time.sleep(delay)
            delay *= 2


@dataclass
class _Target:
    """A resolved path: the opened folder holding it and its name there."""

    folder: _Dir
    name: str
    #: The path as the caller named it (used in messages about the file).
    shown: Path
    root: Path
    #: The ``lstat`` mode of the last component when the walk took it (not a link).
    mode: int | None = None

    @property
    def real(self) -> Path:
        """Where it really is (inside-project links resolved), for messages and
        sidecars (built on demand: most calls never need it)."""
        return self.root.joinpath(*self.folder.parts, self.name)


class ProjectFS:
    """Every file-system access to one project folder, by project-relative path.

    Paths may be relative to the project (``"sequences/sequence_001.json"``, a
    :class:`PurePath`) or built from the root as given (``root / "sequences"``):
    an absolute path lexically inside the root, or, for a relative root, a relative
    path starting with the root's own components. ``..`` components are refused with
    ``CORRUPT_FILE``. The root itself is trusted as given (links in the path *to*
    the project are the user's choice); nothing below it is.
    """

    def __init__(
        self, root: str | os.PathLike[str], *, max_file_bytes: int | None = None
    ) -> None:
        self.root = Path(root)
        self._root_abs = os.path.abspath(self.root)
        # The root as given, when relative: paths built from it (root / "x") are
        # relative too and are recognised by this prefix.
        self._root_parts = () if self.root.is_absolute() else tuple(
            p for p in self.root.parts if p not in ("", ".")
        )
        # String prefixes of paths built from the root (POSIX separators only).
        self._prefixes: tuple[str, ...] = ()
        if os.sep == "/":
            given = str(self.root)
            self._prefixes = (self._root_abs.rstrip("/") + "/",) + (
                (given + "/",) if self._root_parts else ()
            )
        self._max_file_bytes = max_file_bytes
        # Display paths of the folders open_folder opened directly under the root,
        # each with its entries' display paths (see OpenFolder._shown): a store
        # opens the same folder for every call and names the same files in it.
        self._child_paths: dict[str, tuple[Path, dict[str, Path]]] = {}

    # -- paths -----------------------------------------------------------------------
    @property
    def max_file_bytes(self) -> int:
        """The file-size limit of this instance (the parameter, else the environment's
        or default limit of :func:`conformance.limits.max_file_bytes`)."""
        if self._max_file_bytes is not None:
            return self._max_file_bytes
        return limits.max_file_bytes()

    def parts(self, rel: str | os.PathLike[str]) -> tuple[str, ...]:
        """The components of ``rel`` below the root; ``CORRUPT_FILE`` for a path with
        ``..`` or an absolute path outside the root."""
        raw = os.fspath(rel)
        for prefix in self._prefixes:  # the common case, without PurePath's cost
            if raw.startswith(prefix) and "\\" not in raw:
                fast = [p for p in raw[len(prefix):].split("/") if p not in ("", ".")]
                if ".." not in fast:
                    return tuple(fast)
        path = PurePath(raw)
        if ".." in path.parts:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                "expected a path inside the project, found one with '..'; seqcheck "
                "never leaves the project folder.",
                file=raw,
            )
        given = self._root_parts
        if not path.is_absolute() and given and path.parts[: len(given)] == given:
            return tuple(p for p in path.parts[len(given):] if p not in ("", "."))
        if path.is_absolute():
            root = PurePath(self._root_abs).parts
            full = PurePath(os.path.abspath(raw)).parts
            if full[: len(root)] != root:
                raise SeqcheckError(
                    ErrorCode.CORRUPT_FILE,
                    f"expected a path inside the project folder {self.root}, found one "
                    "outside it; seqcheck never leaves the project folder.",
                    file=raw,
                )
            return tuple(p for p in full[len(root):] if p not in ("", "."))
        return tuple(p for p in path.parts if p not in ("", "."))

    def path(self, rel: str | os.PathLike[str]) -> Path:
        """The display path of ``rel``: the root joined with its components."""
        return self.root.joinpath(*self.parts(rel))

    # -- the walk ----------------------------------------------------------------------
    def _open_root(self) -> _Dir:
        try:
            if _use_dir_fd():
                flags = os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC
                return _Dir(os.open(self._root_abs, flags), "", ())
            if not os.path.isdir(self._root_abs):
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", self._root_abs)
            return _Dir(None, self._root_abs, ())
        except FileNotFoundError:
            raise
        except NotADirectoryError:
            raise SeqcheckError(
                ErrorCode.PROJECT_NOT_FOUND,
                "expected a project folder, found a file. Pass the folder that holds "
                "project.json.",
                file=self.root,
            ) from None
        except OSError as exc:
            raise io_error("open the project folder", self.root, exc, unchanged=False) from exc

    def _link_parts(self, target: str, link: Path) -> tuple[bool, tuple[str, ...]]:
        """``(absolute, components)`` of a link target; absolute targets must name a
        place under the root (as given or as the real path)."""
        path = PurePath(target)
        if not path.is_absolute():
            return False, path.parts
        for root in (self._root_abs, os.path.realpath(self._root_abs)):
            root_parts = PurePath(root).parts
            if path.parts[: len(root_parts)] == root_parts:
                return True, path.parts[len(root_parts):]
        raise LinkOutError(link, target)

    def _walk(self, rel: str | os.PathLike[str], *, follow_last: bool) -> _Target:
        """Open the folder holding ``rel``'s last component, links resolved inside the
        project (and the last one too when ``follow_last``). The caller closes
        ``result.folder``. Raises FileNotFoundError when a folder on the way is
        missing (a missing last component is not an error here), SeqcheckError for
        everything else."""
        parts = self.parts(rel)
        if not parts:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE, "expected a path below the project folder, found "
                "the project folder itself.", file=self.root,
            )
        shown = self.root.joinpath(*parts)
        stack = [self._open_root()]
        try:
            target = self._walk_from(stack, list(parts), shown, follow_last=follow_last)
        except (FileNotFoundError, SeqcheckError):
            for d in stack:
                d.close()
            raise
        except OSError as exc:  # e.g. a link replaced by a file between lstat and readlink
            for d in stack:
                d.close()
            if exc.errno == errno.EINVAL:
                raise SeqcheckError(
                    ErrorCode.CORRUPT_FILE,
                    "expected the path to stay the same while being read, found it "
                    "changed by another program. Retry once nothing else changes it.",
                    file=shown,
                ) from None
            raise io_error("open", shown, exc, unchanged=False) from exc
        except BaseException:
            for d in stack:
                d.close()
            raise
        for d in stack[:-1]:
            d.close()
        return target

    def _walk_from(
        self, stack: list[_Dir], pending: list[str], shown: Path, *, follow_last: bool
    ) -> _Target:
        hops = 0
        last_link: tuple[Path, str] | None = None
        while True:
            name = pending.pop(0)
            here = stack[-1]
            if name in ("", ".", ".."):
                if name == "..":  # only from a link target: parts() refuses it in rel
                    self._step_up(stack, last_link)
                if not pending:  # the path ends at a folder: name it in its parent
                    return self._folder_target(stack, shown)
                continue
            if not pending:  # the last component
                found = self._last_component(here, name, shown, follow_last=follow_last)
                if found is not None:
                    return found
            elif self._descend(stack, name):
                continue
            # A link: resolve it ourselves, inside the project only.
            hops += 1
            last_link = self._follow_link(stack, pending, name, hops)
            if not pending:  # a link to "" or "/<root>": the folder holding the link
                return self._folder_target(stack, shown)

    @staticmethod
    def _step_up(stack: list[_Dir], last_link: tuple[Path, str] | None) -> None:
        """Leave the current folder for its parent (a link target's ``..``); above the
        root is outside the project, which the link that led here is blamed for."""
        if len(stack) == 1:
            assert last_link is not None
            raise LinkOutError(*last_link)
        stack.pop().close()

    def _last_component(
        self, here: _Dir, name: str, shown: Path, *, follow_last: bool
    ) -> _Target | None:
        """The target named by the last component, or ``None`` when it is a link to
        resolve (only when ``follow_last``)."""
        if not follow_last:
            return _Target(here, name, shown, self.root)
        try:
            st = here.lstat(name)
        except FileNotFoundError:
            return _Target(here, name, shown, self.root)
        if not stat.S_ISLNK(st.st_mode):
            return _Target(here, name, shown, self.root, st.st_mode)
        return None

    def _descend(self, stack: list[_Dir], name: str) -> bool:
        """Open folder ``name`` of ``stack[-1]`` (``O_NOFOLLOW``) onto the stack; False
        when ``name`` is a link, to be resolved by the caller. FileNotFoundError when it
        is missing; ``CORRUPT_FILE`` when it is not a folder; ``IO_ERROR`` when the
        folder cannot be opened."""
        here = stack[-1]
        failure: OSError | None = None
        try:
            stack.append(here.open_dir(name))
        except FileNotFoundError:
            raise FileNotFoundError(
                errno.ENOENT, "No such file or folder",
                str(self.root.joinpath(*here.parts, name)),
            ) from None
        except OSError as exc:
            failure = exc
        if failure is None:
            return True
        kind = kind_of_mode(here.lstat(name).st_mode)
        if kind is EntryKind.LINK:
            return False
        path = self.root.joinpath(*here.parts, name)
        if kind is EntryKind.FOLDER:  # e.g. no permission to open it
            raise io_error("open the folder", path, failure, unchanged=False)
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE, f"expected a folder, found a {kind}.", file=path
        )

    def _follow_link(
        self, stack: list[_Dir], pending: list[str], name: str, hops: int
    ) -> tuple[Path, str]:
        """Put the target of link ``name`` (in ``stack[-1]``) in front of ``pending``,
        back at the root first for an absolute target; refuses a link out of the
        project and a loop. Returns the link and its target, as stored."""
        here = stack[-1]
        link_path = self.root.joinpath(*here.parts, name)
        if hops > MAX_LINK_HOPS:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected links to lead to a file, found more than {MAX_LINK_HOPS} "
                "links in a row (a loop). Remove the looping link.",
                file=link_path,
            )
        target = here.readlink(name)
        absolute, target_parts = self._link_parts(target, link_path)
        if absolute:
            while len(stack) > 1:
                stack.pop().close()
        pending[:0] = list(target_parts)
        return link_path, target

    def _folder_target(self, stack: list[_Dir], shown: Path) -> _Target:
        """The target for a path that resolved to the folder ``stack[-1]``."""
        if len(stack) == 1:
            raise NotRegularFileError(shown, EntryKind.FOLDER)
        folder = stack.pop()
        folder.close()
        return _Target(stack[-1], folder.parts[-1], shown, self.root)

    @contextlib.contextmanager
    def _target(self, rel: str | os.PathLike[str], *, follow_last: bool) -> Iterator[_Target]:
        target = self._walk(rel, follow_last=follow_last)
        try:
            yield target
        finally:
            target.folder.close()

    # -- reading -----------------------------------------------------------------------
    def read_bytes(self, rel: str | os.PathLike[str]) -> bytes:
        """The bytes of the regular file ``rel`` (inside-project links followed).

        Raises :class:`FileNotFoundError` when it (or a folder on the way) does not
        exist; :class:`LinkOutError`, :class:`NotRegularFileError` (nothing read,
        nothing blocks), :class:`FileTooLargeError` (at most the bound plus one byte
        read) or another ``CORRUPT_FILE``; ``IO_ERROR`` for an unreadable file.
        """
        with self._target(rel, follow_last=True) as t:
            limit = self.max_file_bytes
            fd, size = self._open_regular(t, limit)
            try:
                return self._read_bounded(fd, t.shown, size, limit)
            finally:
                os.close(fd)

    def read_bytes_or_none(self, rel: str | os.PathLike[str]) -> bytes | None:
        """Like :meth:`read_bytes`, but ``None`` when the file does not exist."""
        try:
            return self.read_bytes(rel)
        except FileNotFoundError:
            return None

    def holds(self, rel: str | os.PathLike[str], candidates: Sequence[bytes | None]) -> int | None:
        """Which of ``candidates`` the regular file ``rel`` holds byte for byte: the
        index of the first equal one (a ``None`` candidate stands for "no such
        file"), or ``None`` when it holds none of them.

        Read in chunks and compared as read, stopping at the first chunk that rules
        out every candidate: a file of many megabytes is compared without holding a
        copy of it. Raises as :meth:`read_bytes` does for anything but a missing
        file (links out, special files, a file over the size limit, ``IO_ERROR``).
        """
        try:
            with self._target(rel, follow_last=True) as t:
                fd, _size = self._open_regular(t)
                shown = t.shown
        except FileNotFoundError:
            return _absent_candidate(candidates)
        return _held_candidate(fd, shown, candidates)

    def _open_regular(self, t: _Target, limit: int | None = None) -> tuple[int, int]:
        """The descriptor of the regular file ``t`` and its size (``fstat``).
        ``limit``: :attr:`max_file_bytes`, when the caller already has it."""
        folder, name = t.folder, t.name
        try:
            # Refuse a FIFO or device before opening it at all (opening a device can
            # act on it); the fstat below is the check that counts.
            seen = t.mode if t.mode is not None else folder.lstat(name).st_mode
            kind = kind_of_mode(seen)
            if kind not in (EntryKind.FILE, EntryKind.LINK):
                raise NotRegularFileError(t.shown, kind)
            # Without O_CREAT the mode is ignored; the file's own is passed because
            # pyfakefs (the fault tests) applies it to the file on every os.open.
            fd = folder.open(name, _FILE_FLAGS, stat.S_IMODE(seen))
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "No such file", str(t.shown)) from None
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS:  # swapped for a link since the walk
                raise SeqcheckError(
                    ErrorCode.CORRUPT_FILE,
                    "expected a regular file, found it replaced by a symbolic link while "
                    "being read. Retry once nothing else changes the project.",
                    file=t.shown,
                ) from None
            if exc.errno == errno.EISDIR:
                raise NotRegularFileError(t.shown, EntryKind.FOLDER) from None
            raise io_error("read the file", t.shown, exc, unchanged=False) from exc
        try:
            st = os.fstat(fd)
            kind = kind_of_mode(st.st_mode)
            if kind is not EntryKind.FILE:
                raise NotRegularFileError(t.shown, kind)
            if limit is None:
                limit = self.max_file_bytes
            if st.st_size > limit:
                raise FileTooLargeError(t.shown, st.st_size, limit)
        except BaseException:
            os.close(fd)
            raise
        return fd, st.st_size

    def _read_bounded(
        self, fd: int, shown: Path, expected: int | None = None, limit: int | None = None
    ) -> bytes:
        # The limit read once per file read (it comes from the environment).
        if limit is None:
            limit = self.max_file_bytes
        chunks: list[bytes] = []
        got = 0
        try:
            if expected is None:
                expected = os.fstat(fd).st_size
            while got <= limit:
                # The whole file plus one byte (to see it end) in one read; chunks only
                # once it has grown past its size (a 1 MiB buffer for a small file
                # costs more than the read).
                want = min(limit + 1 - got, expected + 1 - got if got <= expected else _READ_CHUNK)
                chunk = os.read(fd, want)
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
                if len(chunk) < want and got <= expected:
                    # A regular file reads short only at its end: the whole file was
                    # read without asking again (one read instead of two). Still
                    # bounded: ``got`` never passes ``limit + 1``.
                    break
        except OSError as exc:
            raise io_error("read the file", shown, exc, unchanged=False) from exc
        if got > limit:
            raise FileTooLargeError(shown, None, limit)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    # -- inspecting ----------------------------------------------------------------------
    def kind(self, rel: str | os.PathLike[str]) -> EntryKind | None:
        """What ``rel`` itself is, without following a last link (``None``: absent).
        Links on the way to it are resolved inside the project."""
        try:
            with self._target(rel, follow_last=False) as t:
                return kind_of_mode(t.folder.lstat(t.name).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise io_error("inspect", self.path(rel), exc, unchanged=False) from exc

    def info(self, rel: str | os.PathLike[str]) -> FileInfo | None:
        """What ``rel`` leads to, inside-project links followed (``None``: absent).
        A link out of the project is :class:`LinkOutError`."""
        try:
            with self._target(rel, follow_last=True) as t:
                st = t.folder.lstat(t.name)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise io_error("inspect", self.path(rel), exc, unchanged=False) from exc
        return _file_info(st)

    def resolve(self, rel: str | os.PathLike[str]) -> Path:
        """Where ``rel`` really is (inside-project links resolved, the last one too),
        as a display path under the root; :class:`LinkOutError` for a link out."""
        with self._target(rel, follow_last=True) as t:
            return t.real

    def list_dir(self, rel: str | os.PathLike[str] = "") -> list[DirEntry]:
        """The entries of folder ``rel`` (``""``: the root), sorted by name, links not
        followed (a link is :attr:`EntryKind.LINK`). The folder itself may be reached
        through inside-project links. Raises FileNotFoundError when it does not
        exist, ``CORRUPT_FILE`` when it is not a folder or links out, ``IO_ERROR``
        when it cannot be listed."""
        return [entry for entry, _ in self.list_dir_info(rel, None)]

    def list_dir_info(
        self, rel: str | os.PathLike[str] = "", wanted: Callable[[str], bool] | None = None
    ) -> list[tuple[DirEntry, FileInfo | None]]:
        """Like :meth:`list_dir`, with the :class:`FileInfo` (from ``lstat``, one
        listing, no walk per entry) of each entry that is not a link and whose name
        ``wanted`` accepts; ``None`` for the others (resolve a link with
        :meth:`info`)."""
        with io_errors("list the folder", self.path(rel), unchanged=False,
                       passing=(FileNotFoundError,)):
            folder = self._open_folder(rel)
            try:
                out = folder.entries_with_info(wanted)
            finally:
                folder.close()
        return sorted(out, key=lambda e: e[0].name)

    def list_dir_or_none(self, rel: str | os.PathLike[str] = "") -> list[DirEntry] | None:
        """Like :meth:`list_dir`, but ``None`` when the folder does not exist."""
        try:
            return self.list_dir(rel)
        except FileNotFoundError:
            return None

    def _open_folder(self, rel: str | os.PathLike[str]) -> _Dir:
        """The opened folder ``rel`` (inside-project links followed); caller closes."""
        if not self.parts(rel):
            return self._open_root()
        with self._target(rel, follow_last=True) as t:
            try:
                return t.folder.open_dir(t.name)
            except FileNotFoundError:
                raise FileNotFoundError(errno.ENOENT, "No such folder", str(t.shown)) from None
            except OSError as exc:
                if exc.errno in _LINK_ERRNOS or exc.errno == errno.ENOTDIR:
                    kind = kind_of_mode(t.folder.lstat(t.name).st_mode)
                    if kind is EntryKind.FOLDER:
                        raise
                    raise SeqcheckError(
                        ErrorCode.CORRUPT_FILE,
                        f"expected a folder, found a {kind}.",
                        file=t.shown,
                    ) from None
                raise

    def open_folder(self, rel: str | os.PathLike[str]) -> contextlib.AbstractContextManager[
        OpenFolder
    ]:
        """Folder ``rel`` opened once for the calls of one operation (see
        :class:`OpenFolder`), closed on exit. Raises as :meth:`list_dir` does."""
        return _FolderOpening(self, rel)

    def _opened_folder(self, rel: str | os.PathLike[str]) -> OpenFolder:
        """:meth:`open_folder`'s folder, opened; the caller closes it."""
        folder = self._open_child_folder(rel) if isinstance(rel, str) else None
        if folder is not None:
            assert isinstance(rel, str)
            cached = self._child_paths.get(rel)
            if cached is None:
                if len(self._child_paths) >= _PATHS_CACHED:
                    self._child_paths.clear()
                cached = self._child_paths[rel] = (self.root / rel, {})
            return OpenFolder(self, folder, cached[0], cached[1])
        shown = self.path(rel)
        with io_errors("open the folder", shown, unchanged=False,
                       passing=(FileNotFoundError,)):
            folder = self._open_folder(rel)
        return OpenFolder(self, folder, shown)

    def _open_child_folder(self, name: str) -> _Dir | None:
        """The real folder ``name`` directly under the root, opened ``O_NOFOLLOW |
        O_DIRECTORY``; ``None`` for anything else (a link, absent, not a folder, no
        ``dir_fd``), which the general walk then resolves or reports."""
        if not name or name in (".", "..") or "/" in name or os.sep in name or (
            not _use_dir_fd()
        ):
            return None
        try:
            root = self._open_root()
        except (OSError, SeqcheckError):
            return None
        try:
            assert root.fd is not None
            return _Dir(os.open(name, _DIR_FLAGS, dir_fd=root.fd), "", (name,))
        except OSError:
            return None
        finally:
            root.close()

    # -- writing -------------------------------------------------------------------------
    def write_atomic(
        self, rel: str | os.PathLike[str], data: bytes, *,
        folder_syncs: FolderSyncs | None = None,
    ) -> FileInfo | None:
        """Replace the file ``rel`` with ``data`` atomically and durably: THE write.

        A crash at any instant leaves the target entirely old or entirely new; the
        target is never opened for writing (never truncated); a replaced file keeps
        its permission bits; on failure the temp file is removed and the target is
        untouched. Inside-project links are written through (the file they lead to
        is replaced); a link out is :class:`LinkOutError`; a FIFO, device or folder
        in the target's place is :class:`NotRegularFileError`. Raises ``IO_ERROR``
        (disk full, permission denied, read-only file or folder, a target held open
        on Windows past the retry budget).

        Returns the :class:`FileInfo` of the file now at the target's place when it
        is provably the one just written (same inode and mtime as the temp file had
        after its fsync), so a caller can remember its signature without reading it
        back; ``None`` when that cannot be told (something replaced or rewrote it
        in between).

        With ``folder_syncs`` the folder is not fsynced here but added to it: the new
        content is durable, its name (the rename) only once
        :meth:`FolderSyncs.flush` returns. For a writer that commits many files
        before recording them (a journal): one folder fsync per commit, not per file.
        """
        shown = self.path(rel)
        try:
            t = self._walk(rel, follow_last=True)
        except FileNotFoundError as exc:
            raise io_error("write the file (its folder does not exist)", shown, exc) from exc
        try:
            return self._write_in(t, data, folder_syncs)
        finally:
            t.folder.close()

    def add_folder_sync(self, rel: str | os.PathLike[str], folder_syncs: FolderSyncs) -> None:
        """Add the folder holding file ``rel`` (the one an inside link leads to) to
        ``folder_syncs``: for a file found already in place that an earlier,
        interrupted write may have renamed there without fsyncing its folder."""
        shown = self.path(rel)
        try:
            with self._target(rel, follow_last=True) as t:
                _sync_folder_of(t, folder_syncs)
        except FileNotFoundError as exc:
            raise io_error("open the folder of the file", shown, exc, unchanged=False) from exc

    def _write_in(self, t: _Target, data: bytes,
                  folder_syncs: FolderSyncs | None = None) -> FileInfo | None:
        folder, name = t.folder, t.name
        mode: int | None = None
        seen = t.mode  # the walk's lstat of the target, a moment ago
        if seen is None:
            with io_errors("inspect the file", t.real), contextlib.suppress(FileNotFoundError):
                seen = folder.lstat(name).st_mode
        if seen is not None:
            kind = kind_of_mode(seen)
            if kind is not EntryKind.FILE:
                raise NotRegularFileError(t.real, kind, action="replaced")
            # A rename replaces a read-only file as easily as any other on POSIX, so a
            # file the user made read-only is refused, as an in-place write would be.
            if not folder.writable(name):
                raise io_error(
                    "replace the file", t.real, PermissionError(errno.EACCES, "read-only")
                )
            mode = seen & 0o7777
        tmp = temp_name_for(name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC | _O_BINARY
        try:
            fd = folder.open(tmp, flags, 0o644)
        except OSError as exc:  # t.real only now: building it costs on every write
            raise io_error("create a temp file beside the target", t.real, exc) from exc
        try:
            try:
                if mode is not None:  # the replacement keeps the original's permissions
                    folder.chmod(tmp, fd, mode)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
                temp_st = os.fstat(fd)
            finally:
                os.close(fd)
            _replace(folder, tmp, folder, name)
        except OSError as exc:
            with contextlib.suppress(OSError):
                folder.unlink(tmp)
            raise io_error("write the file", t.real, exc) from exc
        except BaseException:
            with contextlib.suppress(OSError):
                folder.unlink(tmp)
            raise
        _sync_folder_of(t, folder_syncs)
        try:
            now = folder.lstat(name)
        except OSError:
            return None
        # A rename keeps the inode and mtime (only ctime moves): equal means ours.
        if (now.st_ino, now.st_mtime_ns, now.st_size) != (
            temp_st.st_ino, temp_st.st_mtime_ns, len(data)
        ) or not stat.S_ISREG(now.st_mode):
            return None
        return _file_info(now)

    @contextlib.contextmanager
    def lock(
        self, rel: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT_SECONDS
    ) -> Iterator[None]:
        """Hold the exclusive sidecar lock of file ``rel`` for a read-modify-write.

        The sidecar is ``.<name>.lock`` beside the file (beside the file an inside
        link leads to, so every name of one file shares one lock), created if absent
        and never unlinked: take it only when about to write. It is opened
        ``O_NOFOLLOW``; a sidecar that is a link, FIFO, device or folder is
        ``CORRUPT_FILE`` naming it. Uses ``flock`` (owned by the open file
        description, so closing another descriptor of the file does not drop it).
        Raises ``LOCK_TIMEOUT`` after ``timeout`` seconds, ``IO_ERROR`` when the
        sidecar cannot be created.
        """
        shown = self.path(rel)
        try:
            t = self._walk(rel, follow_last=True)
        except FileNotFoundError as exc:
            raise io_error("create the lock file (its folder does not exist)",
                           lock_path(shown), exc) from exc
        try:
            fd = self._open_sidecar(t)
        finally:
            t.folder.close()
        with _Held(fd, t, timeout):
            yield

    def lock_exists(self, rel: str | os.PathLike[str]) -> bool:
        """Whether the sidecar lock file of ``rel`` exists (beside the file an inside
        link leads to), as any kind of entry; nothing is created. Lets a writer check
        a change before taking a lock that would create the sidecar."""
        try:
            with self._target(rel, follow_last=True) as t:
                t.folder.lstat(_lock_name(t.name))
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise io_error("inspect the lock file", lock_path(self.path(rel)), exc) from exc
        return True

    def _open_sidecar(self, t: _Target, seen: int | None = None) -> int:
        """Open (create) the sidecar of ``t``. ``seen``: its ``lstat`` mode, when the
        caller took it a moment ago (:meth:`OpenFolder.lock_probe`)."""
        side_name = _lock_name(t.name)
        try:
            if seen is None:
                seen = t.folder.lstat(side_name).st_mode
            kind = kind_of_mode(seen)
        except FileNotFoundError:
            kind = EntryKind.FILE
        except OSError as exc:
            raise io_error("inspect the lock file", lock_path(t.real), exc) from exc
        if kind is not EntryKind.FILE:
            raise _bad_sidecar(lock_path(t.real), kind)
        flags = os.O_RDWR | os.O_CREAT | _O_NOFOLLOW | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC
        try:
            fd = t.folder.open(side_name, flags, 0o644)
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS:
                raise _bad_sidecar(lock_path(t.real), EntryKind.LINK) from None
            if exc.errno == errno.EISDIR:
                raise _bad_sidecar(lock_path(t.real), EntryKind.FOLDER) from None
            raise io_error("create the lock file", lock_path(t.real), exc) from exc
        try:
            kind = kind_of_mode(os.fstat(fd).st_mode)
        except OSError as exc:
            os.close(fd)
            raise io_error("inspect the lock file", lock_path(t.real), exc) from exc
        if kind is not EntryKind.FILE:
            os.close(fd)
            raise _bad_sidecar(lock_path(t.real), kind)
        return fd

    def mkdir(self, rel: str | os.PathLike[str], *, parents: bool = False) -> bool:
        """Create folder ``rel`` (and missing parents with ``parents``); ``True`` when
        created, ``False`` when it already is a folder (reached through inside links
        at most). Anything else in its place is ``CORRUPT_FILE``; a link out is
        :class:`LinkOutError`. The new folder's parent is fsynced."""
        parts = self.parts(rel)
        if parents:
            for i in range(1, len(parts)):
                self.mkdir(PurePath(*parts[:i]))
        shown = self.path(rel)
        try:
            with self._target(rel, follow_last=False) as t:
                try:
                    t.folder.mkdir(t.name)
                except FileExistsError:
                    pass
                else:
                    t.folder.fsync()
                    return True
        except FileNotFoundError as exc:
            raise io_error("create the folder (its parent does not exist)", shown, exc,
                           unchanged=False) from exc
        except OSError as exc:
            raise io_error("create the folder", shown, exc, unchanged=False) from exc
        found = self.info(rel)
        if found is None or found.kind is not EntryKind.FOLDER:
            what = "nothing (a dangling link)" if found is None else f"a {found.kind}"
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected a folder, found {what}. Move it away and try again.",
                file=shown,
            )
        return False

    def unlink(self, rel: str | os.PathLike[str], *, missing_ok: bool = True) -> bool:
        """Remove the entry ``rel`` (a file, or a link itself: links are never
        followed for removal); ``True`` when removed. A folder is ``CORRUPT_FILE``.
        The folder is fsynced so the removal is durable."""
        shown = self.path(rel)
        try:
            with self._target(rel, follow_last=False) as t:
                kind = kind_of_mode(t.folder.lstat(t.name).st_mode)
                if kind is EntryKind.FOLDER:
                    raise SeqcheckError(
                        ErrorCode.CORRUPT_FILE,
                        "expected a file to remove, found a folder; it was left alone.",
                        file=shown,
                    )
                t.folder.unlink(t.name)
                t.folder.fsync()
                return True
        except FileNotFoundError:
            if missing_ok:
                return False
            raise
        except OSError as exc:
            raise io_error("remove the file", shown, exc, unchanged=False) from exc

    def rmdir(self, rel: str | os.PathLike[str]) -> bool:
        """Remove the empty folder ``rel`` (never through a last link); ``True`` when
        removed, ``False`` when it is absent or not empty."""
        shown = self.path(rel)
        try:
            with self._target(rel, follow_last=False) as t:
                kind = kind_of_mode(t.folder.lstat(t.name).st_mode)
                if kind is not EntryKind.FOLDER:
                    raise SeqcheckError(
                        ErrorCode.CORRUPT_FILE,
                        f"expected a folder to remove, found a {kind}; it was left alone.",
                        file=shown,
                    )
                t.folder.rmdir(t.name)
                t.folder.fsync()
                return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                return False
            raise io_error("remove the folder", shown, exc, unchanged=False) from exc

    def replace(self, src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        """Rename entry ``src`` over ``dst`` (both inside the project; the entries
        themselves, links not followed), then fsync both folders."""
        with io_errors(f"rename the file to {json.dumps(str(self.path(dst)))}", self.path(src),
                       unchanged=False), \
                self._target(src, follow_last=False) as s, \
                self._target(dst, follow_last=False) as d:
            _replace(s.folder, s.name, d.folder, d.name)
            s.folder.fsync()
            d.folder.fsync()

    def remove_tree(self, rel: str | os.PathLike[str], *, marker: str) -> bool:
        """Delete folder ``rel`` and everything in it, only when it is a real folder
        reached without any link and holds the regular file ``marker`` (seqcheck's own
        manifest); ``True`` when removed, ``False`` when absent. Inside, links are
        removed as entries, never followed. Anything else is ``CORRUPT_FILE`` and
        nothing is deleted."""
        parts = self.parts(rel)
        shown = self.path(rel)
        if not parts:
            raise SeqcheckError(ErrorCode.CORRUPT_FILE, "refusing to delete the project "
                                "folder itself.", file=shown)
        root = self._open_root()
        stack = [root]
        try:
            for name in parts[:-1]:
                stack.append(self._strict_subdir(stack[-1], name))
            parent = stack[-1]
            try:
                top = self._strict_subdir(parent, parts[-1])
            except FileNotFoundError:
                return False
            try:
                try:
                    marker_kind = kind_of_mode(top.lstat(marker).st_mode)
                except FileNotFoundError:
                    marker_kind = None
                if marker_kind is not EntryKind.FILE:
                    raise SeqcheckError(
                        ErrorCode.CORRUPT_FILE,
                        f"expected seqcheck's own {marker} in the folder before deleting "
                        f"it, found {'none' if marker_kind is None else 'a ' + str(marker_kind)}; "
                        "nothing was deleted.",
                        file=shown,
                    )
                self._empty_folder(top, 0)
            finally:
                top.close()
            parent.rmdir(parts[-1])
            parent.fsync()
            return True
        except OSError as exc:
            raise io_error("delete the folder", shown, exc, unchanged=False) from exc
        finally:
            for d in stack:
                d.close()

    def _strict_subdir(self, here: _Dir, name: str) -> _Dir:
        path = self.root.joinpath(*here.parts, name)
        try:
            return here.open_dir(name)
        except FileNotFoundError:
            raise
        except OSError as exc:
            if exc.errno in _LINK_ERRNOS or exc.errno == errno.ENOTDIR:
                kind = kind_of_mode(here.lstat(name).st_mode)
                if kind is EntryKind.FOLDER:
                    raise
                raise SeqcheckError(
                    ErrorCode.CORRUPT_FILE,
                    f"expected a folder reached without links, found a {kind}; nothing "
                    "was deleted.",
                    file=path,
                ) from None
            raise

    def _empty_folder(self, folder: _Dir, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected folders at most {MAX_TREE_DEPTH} deep, found deeper.",
                file=self.root.joinpath(*folder.parts),
            )
        for entry in folder.entries():
            if entry.kind is EntryKind.FOLDER:
                sub = self._strict_subdir(folder, entry.name)
                try:
                    self._empty_folder(sub, depth + 1)
                finally:
                    sub.close()
                folder.rmdir(entry.name)
            else:
                folder.unlink(entry.name)


class OpenFolder:
    """A project folder opened once, for the calls of one operation on files in it.

    Each call names one entry of the folder and does what the :class:`ProjectFS`
    method of the same name does for ``folder/name``, with the same checks and
    errors, but without walking from the project root again: the folder was reached
    by that walk when it was opened and its descriptor still designates it, so only
    the last component is looked at (``O_NOFOLLOW``, ``lstat``). A name that is a
    symbolic link is handed to the :class:`ProjectFS` method, which resolves it
    inside the project or refuses it. Obtained from :meth:`ProjectFS.open_folder`;
    not usable after that block ends.
    """

    def __init__(
        self, fs: ProjectFS, folder: _Dir, shown: Path,
        shown_paths: dict[str, Path] | None = None,
    ) -> None:
        self._fs = fs
        # The descriptor, owned here (closed by close()), and a borrowed copy for
        # every _Target made here: their close() must not close it.
        self._owned = folder
        self._dir = _Dir(folder.fd, folder.where, folder.parts, owned=False)
        #: The folder's display path (as the caller named it).
        self.path = shown
        # Display paths of entries already named (shared by every opening of the
        # folder by one ProjectFS: a Path costs more to build than to look up).
        self._shown_paths: dict[str, Path] = {} if shown_paths is None else shown_paths

    def close(self) -> None:
        """Close the folder's descriptor (the end of :meth:`ProjectFS.open_folder`)."""
        self._owned.close()

    def _shown(self, name: str) -> Path:
        shown = self._shown_paths.get(name)
        if shown is not None:
            return shown
        if not name or name in (".", "..") or "/" in name or os.sep in name:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected a file name inside the folder, found {json.dumps(name)}.",
                file=self.path,
            )
        if len(self._shown_paths) >= _PATHS_CACHED:
            self._shown_paths.clear()
        shown = self._shown_paths[name] = self.path / name
        return shown

    def _target(self, name: str) -> tuple[_Target | None, Path]:
        """The entry as a walk would give it, or ``None`` when it is a link (then
        the caller asks :class:`ProjectFS`, which resolves links)."""
        shown = self._shown(name)
        try:
            st = self._dir.lstat(name)
        except FileNotFoundError:
            return _Target(self._dir, name, shown, self._fs.root), shown
        if stat.S_ISLNK(st.st_mode):
            return None, shown
        return _Target(self._dir, name, shown, self._fs.root, st.st_mode), shown

    def self_info(self) -> FileInfo:
        """The folder's own :class:`FileInfo` (``fstat`` of its descriptor)."""
        # try/except rather than io_errors: one context manager less per update.
        try:
            if self._dir.fd is not None:
                return _file_info(os.fstat(self._dir.fd))
            return _file_info(os.stat(self._dir.where))  # noqa: PTH116 - no dir_fd here
        except OSError as exc:
            raise io_error("inspect", self.path, exc, unchanged=False) from exc

    def info(self, name: str) -> FileInfo | None:
        """:meth:`ProjectFS.info` of ``folder/name``."""
        shown = self._shown(name)
        try:
            st = self._dir.lstat(name)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise io_error("inspect", shown, exc, unchanged=False) from exc
        if stat.S_ISLNK(st.st_mode):
            return self._fs.info(shown)
        return _file_info(st)

    def read_bytes(self, name: str) -> bytes:
        """:meth:`ProjectFS.read_bytes` of ``folder/name``."""
        try:
            t, shown = self._target(name)
        except OSError as exc:
            raise io_error("inspect", self._shown(name), exc, unchanged=False) from exc
        if t is None:
            return self._fs.read_bytes(shown)
        if t.mode is None:
            raise FileNotFoundError(errno.ENOENT, "No such file", str(shown))
        limit = self._fs.max_file_bytes
        fd, size = self._fs._open_regular(t, limit)
        try:
            return self._fs._read_bounded(fd, shown, size, limit)
        finally:
            os.close(fd)

    def read_bytes_or_none(self, name: str) -> bytes | None:
        """:meth:`ProjectFS.read_bytes_or_none` of ``folder/name``."""
        try:
            return self.read_bytes(name)
        except FileNotFoundError:
            return None

    def lock_exists(self, name: str) -> bool:
        """:meth:`ProjectFS.lock_exists` of ``folder/name``."""
        return self.lock_probe(name).exists

    def lock_probe(self, name: str) -> LockProbe:
        """:meth:`lock_exists` of ``folder/name``, with what it looked at: passed to
        :meth:`lock` right after, the lock looks at neither again."""
        side_name = _lock_name(name)
        try:
            t, shown = self._target(name)
            if t is None:
                return LockProbe(self._fs.lock_exists(shown), name)
            side_mode = self._dir.lstat(side_name).st_mode
        except FileNotFoundError:
            return LockProbe(False, name)
        except OSError as exc:
            raise io_error("inspect the lock file", lock_path(self.path / name), exc) from exc
        return LockProbe(True, name, t, side_mode)

    def lock(
        self, name: str, timeout: float = LOCK_TIMEOUT_SECONDS, *,
        probe: LockProbe | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        """:meth:`ProjectFS.lock` of ``folder/name``. ``probe``: :meth:`lock_probe`
        of ``name`` taken just before, when the sidecar existed (else ignored)."""
        return _FolderLock(self, name, timeout, probe)

    def holds(self, name: str, candidates: Sequence[bytes | None]) -> int | None:
        """:meth:`ProjectFS.holds` of ``folder/name``."""
        try:
            t, shown = self._target(name)
        except OSError as exc:
            raise io_error("inspect", self.path / name, exc, unchanged=False) from exc
        if t is None:
            return self._fs.holds(shown, candidates)
        if t.mode is None:
            return _absent_candidate(candidates)
        try:
            fd, _size = self._fs._open_regular(t)
        except FileNotFoundError:  # removed since the lstat
            return _absent_candidate(candidates)
        return _held_candidate(fd, shown, candidates)

    def add_folder_sync(self, name: str, folder_syncs: FolderSyncs) -> None:
        """:meth:`ProjectFS.add_folder_sync` of ``folder/name``."""
        try:
            t, shown = self._target(name)
        except OSError as exc:
            raise io_error("inspect", self.path / name, exc, unchanged=False) from exc
        if t is None:
            self._fs.add_folder_sync(shown, folder_syncs)
        else:
            _sync_folder_of(t, folder_syncs)

    def write_atomic(self, name: str, data: bytes, *,
                     folder_syncs: FolderSyncs | None = None) -> FileInfo | None:
        """:meth:`ProjectFS.write_atomic` of ``folder/name``."""
        try:
            t, shown = self._target(name)
        except OSError as exc:
            raise io_error("inspect the file", self._shown(name), exc) from exc
        if t is None:
            return self._fs.write_atomic(shown, data, folder_syncs=folder_syncs)
        return self._fs._write_in(t, data, folder_syncs)


class _FolderOpening:
    """:meth:`ProjectFS.open_folder`: opens on entering, closes on leaving (a
    class, not a generator: one per store call)."""

    __slots__ = ("_fs", "_opened", "_rel")

    def __init__(self, fs: ProjectFS, rel: str | os.PathLike[str]) -> None:
        self._fs, self._rel = fs, rel
        self._opened: OpenFolder | None = None

    def __enter__(self) -> OpenFolder:
        self._opened = self._fs._opened_folder(self._rel)
        return self._opened

    def __exit__(self, *exc: object) -> None:
        opened, self._opened = self._opened, None
        if opened is not None:
            opened.close()


class LockProbe(NamedTuple):
    """What :meth:`OpenFolder.lock_probe` found."""

    #: Whether the sidecar lock file exists (as any kind of entry).
    exists: bool
    #: The file name probed.
    name: str
    #: The file as the probe's walk found it (``None``: a link, or not looked at).
    target: _Target | None = None
    #: The sidecar's ``lstat`` mode.
    sidecar_mode: int | None = None


class _FolderLock:
    """:meth:`OpenFolder.lock`: resolves and takes the lock on entering, as
    :meth:`ProjectFS.lock` does; a class, not a generator: taken on every update."""

    __slots__ = ("_folder", "_held", "_name", "_probe", "_timeout")

    def __init__(
        self, folder: OpenFolder, name: str, timeout: float, probe: LockProbe | None
    ) -> None:
        self._folder, self._name, self._timeout, self._probe = folder, name, timeout, probe
        self._held: contextlib.AbstractContextManager[None] | None = None

    def __enter__(self) -> None:
        folder, name, probe = self._folder, self._name, self._probe
        if probe is not None and probe.exists and probe.target is not None and (
            probe.name == name
        ):
            t: _Target | None = probe.target
            shown = probe.target.shown
            seen = probe.sidecar_mode
        else:
            with io_errors("inspect", folder._shown(name), unchanged=False):
                t, shown = folder._target(name)
            seen = None
        held: contextlib.AbstractContextManager[None]
        if t is None:
            held = folder._fs.lock(shown, self._timeout)
        else:
            held = _Held(folder._fs._open_sidecar(t, seen), t, self._timeout)
        held.__enter__()
        self._held = held

    def __exit__(self, *exc: Any) -> bool | None:
        held, self._held = self._held, None
        return None if held is None else held.__exit__(*exc)


#: Display paths kept per cache (ProjectFS._child_paths, OpenFolder._shown_paths)
#: before it starts over.
_PATHS_CACHED = 4096


def _sync_folder_of(t: _Target, folder_syncs: FolderSyncs | None) -> None:
    """fsync the folder a write renamed ``t`` into, or leave it to ``folder_syncs``."""
    try:
        if folder_syncs is not None:
            folder_syncs.add(t.folder, t.real.parent)
        else:
            t.folder.fsync()
    except OSError as exc:
        # The new content is in place; only its durability is in doubt. Say so.
        raise io_error(
            "flush the folder to disk after writing the file", t.real, exc,
            consequence="The new content is in place but may be lost if the machine "
            "crashes now.",
        ) from exc


def _absent_candidate(candidates: Sequence[bytes | None]) -> int | None:
    return next((i for i, c in enumerate(candidates) if c is None), None)


def _held_candidate(fd: int, shown: Path, candidates: Sequence[bytes | None]) -> int | None:
    """:meth:`ProjectFS.holds` on the open regular file ``fd`` (closed here)."""
    try:
        wanted = {i: c for i, c in enumerate(candidates) if c is not None}
        live = list(wanted)
        offset = 0
        while live:
            chunk = os.read(fd, _READ_CHUNK)
            if not chunk:
                break
            end = offset + len(chunk)
            # bytes slices, not memoryview ones: those compare item by item.
            live = [i for i in live if wanted[i][offset:end] == chunk]
            offset = end
    except OSError as exc:
        raise io_error("read the file", shown, exc) from exc
    finally:
        os.close(fd)
    return next((i for i in live if len(wanted[i]) == offset), None)


class FolderSyncs:
    """Folders whose entries a deferred :meth:`ProjectFS.write_atomic` changed and
    that are not fsynced yet: :meth:`flush` fsyncs each once.

    Each folder is kept open (a duplicate descriptor; its path where there is no
    ``dir_fd``), so the very folder written into is fsynced even if its name is
    moved meanwhile. Use as a context manager (closes what it holds; it does not
    flush: leaving early means the caller records nothing as durable).
    """

    def __init__(self) -> None:
        # (st_dev, st_ino) -> the folder (descriptor owned here) and its display path.
        self._pending: dict[tuple[int, int] | str, tuple[_Dir, Path]] = {}

    def __enter__(self) -> FolderSyncs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, folder: _Dir, shown: Path) -> None:
        """Remember ``folder`` (shown as ``shown`` in errors) for the next flush.
        Raises OSError when it cannot be kept open."""
        if folder.fd is None:
            self._pending.setdefault(folder.where, (_Dir(None, folder.where, folder.parts),
                                                    shown))
            return
        st = os.fstat(folder.fd)
        key = (st.st_dev, st.st_ino)
        if key not in self._pending:
            self._pending[key] = (_Dir(os.dup(folder.fd), "", folder.parts), shown)

    def flush(self) -> None:
        """fsync every pending folder (then none is pending): from here the renames
        written into them survive a power loss. Raises ``IO_ERROR`` naming the
        folder that could not be flushed (it stays pending)."""
        while self._pending:
            key, (folder, shown) = next(iter(self._pending.items()))
            try:
                folder.fsync()
            except OSError as exc:
                raise io_error(
                    "flush the folder to disk after writing files into it", shown, exc,
                    consequence="The new content is in place but may be lost if the "
                    "machine crashes now.",
                ) from exc
            del self._pending[key]
            folder.close()

    def close(self) -> None:
        """Release every folder still pending, without syncing it."""
        for folder, _shown in self._pending.values():
            folder.close()
        self._pending.clear()


@functools.lru_cache(maxsize=1024)
def _lock_name(name: str) -> str:
    """The sidecar lock file's name for file ``name`` (:func:`layout.lock_path`)."""
    return lock_path(Path(name)).name


def _bad_sidecar(side: Path, kind: EntryKind) -> SeqcheckError:
    if kind is EntryKind.FOLDER:
        # A folder cannot be opened as a lock file: the OS refuses it (EISDIR), which
        # the spec's error table has always called IO_ERROR.
        return SeqcheckError(
            ErrorCode.IO_ERROR,
            "could not create the lock file: a folder is in its place. Remove the "
            "folder (seqcheck recreates the lock file). The original file is unchanged.",
            file=side,
        )
    # A link or special file is something the project holds that seqcheck will not use.
    return SeqcheckError(
        ErrorCode.CORRUPT_FILE,
        f"expected the lock file to be a regular file, found a {kind}; seqcheck never "
        "follows or writes through it. Remove it (seqcheck recreates it as a file).",
        file=side,
    )


class _Held:
    """Hold ``flock`` on the open sidecar ``fd`` of ``t``; close it afterwards.

    A class rather than a generator context manager: taken on every update."""

    __slots__ = ("_fd", "_t", "_timeout")

    def __init__(self, fd: int, t: _Target, timeout: float) -> None:
        self._fd, self._t, self._timeout = fd, t, timeout

    def __enter__(self) -> None:
        try:
            _acquire(self._fd, self._t, self._timeout)
        except BaseException:
            os.close(self._fd)
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            _release(self._fd)
        finally:
            os.close(self._fd)


def _acquire(fd: int, t: _Target, timeout: float) -> None:
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
                raise io_error("take the lock", lock_path(t.real), exc) from exc
        if time.monotonic() >= deadline:
            raise SeqcheckError(
                ErrorCode.LOCK_TIMEOUT,
                f"expected to lock the file within {timeout:g} s, but another writer "
                "held it the whole time. Retry; if it persists, find the process "
                "holding the lock.",
                file=lock_path(t.real),
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _release(fd: int) -> None:
    if _fcntl is not None:
        _fcntl.flock(fd, _fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def for_file(
    path: str | os.PathLike[str], project: str | os.PathLike[str] | None
) -> tuple[ProjectFS, Path]:
    """A :class:`ProjectFS` and the path to use with it for ``path``: rooted at
    ``project`` when given, else at the folder holding ``path`` (then only the last
    component is guarded: callers without a project root trust the folder path)."""
    p = Path(path)
    if project is not None:
        return ProjectFS(project), p
    return ProjectFS(p.parent), Path(p.name)


__all__ = [
    "LOCK_TIMEOUT_SECONDS",
    "MAX_LINK_HOPS",
    "DirEntry",
    "EntryKind",
    "FileInfo",
    "FileTooLargeError",
    "FolderSyncs",
    "LinkOutError",
    "LockProbe",
    "NotRegularFileError",
    "OpenFolder",
    "ProjectFS",
    "for_file",
    "io_error",
    "kind_of_mode",
    "temp_name_for",
]
