"""The one error type of seqcheck and its stable error codes.

Every failure of the persistence API (reference store, adapters, migrator) is a
:class:`SeqcheckError` with a :class:`ErrorCode`. Codes are part of the spec and the
adapter protocol: never rename one, only add.
"""

from __future__ import annotations

import contextlib
import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.text_enum import TextEnum


class ErrorCode(TextEnum):
    """Stable, protocol-visible error codes (spec section "Error model")."""

    PROJECT_NOT_FOUND = "PROJECT_NOT_FOUND"
    SEQUENCE_NOT_FOUND = "SEQUENCE_NOT_FOUND"
    SHOT_NOT_FOUND = "SHOT_NOT_FOUND"
    INVALID_ID = "INVALID_ID"
    INVALID_UPDATE = "INVALID_UPDATE"
    CORRUPT_FILE = "CORRUPT_FILE"
    SCHEMA_VIOLATION = "SCHEMA_VIOLATION"
    DUPLICATE_SEQUENCE_ID = "DUPLICATE_SEQUENCE_ID"
    IO_ERROR = "IO_ERROR"
    LOCK_TIMEOUT = "LOCK_TIMEOUT"
    # Adapter protocol only: the implementation does not offer this operation.
    UNSUPPORTED = "UNSUPPORTED"
    # Adapter protocol only: the implementation failed with an error that carries no
    # spec code (a plain thrown Error). Never accepted where the spec demands a code.
    INTERNAL_ERROR = "INTERNAL_ERROR"



class SeqcheckError(Exception):
    """A failure with a stable :attr:`code`, the file involved and a JSON pointer.

    ``message`` says what was expected, what was found and what to do; ``file`` is
    the path of the file concerned (when one is), ``pointer`` an RFC 6901 JSON
    pointer into it (``""`` is the whole document).
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        file: str | Path | None = None,
        pointer: str | None = None,
    ) -> None:
        self.code = ErrorCode(code)
        self.message = message
        self.file = str(file) if file is not None else None
        self.pointer = pointer
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f" [{self.file}"
            if self.pointer is not None:
                where += f" at {self.pointer or '/'}"
            where += "]"
        return f"{self.code.value}: {self.message}{where}"

    def to_dict(self) -> dict[str, Any]:
        """The error as the adapter protocol's ``error`` object."""
        out: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.file is not None:
            out["file"] = self.file
        if self.pointer is not None:
            out["pointer"] = self.pointer
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SeqcheckError:
        """Rebuild an error from the protocol's ``error`` object."""
        return cls(
            ErrorCode(data["code"]),
            str(data.get("message", "")),
            file=data.get("file"),
            pointer=data.get("pointer"),
        )


def json_pointer(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Build an RFC 6901 pointer from path parts (``("shots", 3, "id")`` -> ``/shots/3/id``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class HeldOpenError(OSError):
    """The system kept refusing to replace a file that another program held open
    (Windows), for the whole retry budget of the atomic write."""


def os_failure_hint(exc: OSError) -> str:
    """Why the system refused an operation and what the user can do, then the system's
    own words and error name, as one clause for a message (``"could not write the
    file: " + hint``)."""
    if isinstance(exc, HeldOpenError):
        hint = (
            "another program kept the file open for the whole retry budget (Windows "
            "refuses to replace an open file); close it and try again"
        )
    elif exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        hint = "the disk is full; free some space and try again"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = "permission denied; check the permissions of the file and its folder"
    elif exc.errno == errno.EROFS:
        hint = "the file system is read-only; make it writable or work on a copy"
    else:
        hint = "the system refused it; check the file, its folder and the disk, then retry"
    said = json.dumps(exc.strerror or str(exc))
    name = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    return f"{hint} (the system said {said}{', ' + name if name else ''})"


def io_error(
    action: str,
    where: str | Path,
    exc: OSError,
    *,
    unchanged: bool = True,
    consequence: str | None = None,
) -> SeqcheckError:
    """The ``IO_ERROR`` for an OS failure while doing ``action`` on ``where``: what
    could not be done, why and what to do (:func:`os_failure_hint`), then the state
    left behind: ``consequence`` when given, else "The original file is unchanged."
    when ``unchanged``."""
    if consequence is None:
        consequence = "The original file is unchanged." if unchanged else ""
    tail = f" {consequence}" if consequence else ""
    return SeqcheckError(
        ErrorCode.IO_ERROR, f"could not {action}: {os_failure_hint(exc)}.{tail}", file=where
    )


@contextlib.contextmanager
def io_errors(
    action: str,
    where: str | Path,
    *,
    unchanged: bool = True,
    passing: tuple[type[OSError], ...] = (),
) -> Iterator[None]:
    """Inside the block, an :class:`OSError` becomes :func:`io_error` for ``action`` on
    ``where``; the ``passing`` kinds (e.g. :class:`FileNotFoundError`, to which the
    caller gives a meaning) and every other exception go through unchanged."""
    try:
        yield
    except passing:
        raise
    except OSError as exc:
        raise io_error(action, where, exc, unchanged=unchanged) from exc
