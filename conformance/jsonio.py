"""Strict JSON reading and the canonical byte form every seqcheck writer produces.

Reading: UTF-8 with or without a byte-order mark; NaN/Infinity literals, duplicate
keys, unpaired surrogates and non-UTF-8 bytes are errors (a rewrite would otherwise
silently change the data). Writing: UTF-8 without BOM, 2-space indent, non-ASCII
kept as is, trailing newline; integers stay integers and floats round-trip.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import orjson

from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import for_file

BOM = b"\xef\xbb\xbf"


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs_no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() runs in C; only when it dropped a pair is there a duplicate to name.
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return out


# A parsed document can only hold an unpaired surrogate if the text escapes one
# (\uD800-\uDFFF): the UTF-8 decoder rejects encoded surrogates. NaN/Infinity
# literals are rejected while parsing, and an overflowing number (1e400) is flagged
# by the float hook. Without either the full walk is skipped.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Number tokens orjson may format differently from Python's json (exponent forms,
# and magnitudes below 1e-4, which Python writes with an exponent). A match inside a
# string is a false alarm that only costs the slow path.
_ORJSON_MAY_DIFFER = re.compile(rb"(?:^|: |\n *)-?(?:[0-9]+(?:\.[0-9]+)?[eE]|0\.0000)")
# Fast pre-check for that regex (which scans at ~100 ns/byte): with every digit mapped
# to "0" and "E" to "e", any match contains "0e" or "0.0000". bytes.translate and `in`
# run in C, so clean output (most of it) skips the regex.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789E", b"000000000e")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_bytes(data: bytes, *, file: str | Path | None = None) -> Any:
    """Parse ``data`` strictly; raise ``CORRUPT_FILE`` naming ``file`` and the location.

    Also returns documents that are not objects; callers check the shape they need.
    """
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected UTF-8 text, found an invalid byte at offset {exc.start}. "
            "Re-save the file as UTF-8.",
            file=file,
            pointer="",
        ) from None
    nonfinite = False

    def parse_float(literal: str) -> float:
        nonlocal nonfinite
        value = float(literal)
        if not math.isfinite(value):  # e.g. 1e400: no double holds it
            nonfinite = True
        return value

    try:
        doc = json.loads(
            text,
            object_pairs_hook=_pairs_no_duplicates,
            parse_constant=_reject_constant,
            parse_float=parse_float,
        )
    except _DuplicateKeyError as exc:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected unique keys in every object, found key {exc.key!r} twice. "
            "Remove one of the two entries (readers disagree on which one wins).",
            file=file,
            pointer="",
        ) from None
    except json.JSONDecodeError as exc:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected valid JSON, found a syntax error at line {exc.lineno} column "
            f"{exc.colno}: {exc.msg}. Restore the file from a backup or fix it by hand.",
            file=file,
            pointer="",
        ) from None
    except RecursionError:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            "expected JSON nested to a sane depth, found nesting too deep to read.",
            file=file,
            pointer="",
        ) from None
    except ValueError as exc:  # NaN/Infinity literals, over-long integers
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected standard JSON, found {exc}.",
            file=file,
            pointer="",
        ) from None
    problem = find_unwritable(doc) if nonfinite or _SURROGATE_ESCAPE.search(text) else None
    if problem is not None:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected JSON representable in UTF-8, found {problem[1]}.",
            file=file,
            pointer=problem[0],
        )
    return doc


def read_file_bytes(path: Path, *, project: str | os.PathLike[str] | None = None) -> bytes:
    """The bytes of ``path``; the one place read failures become seqcheck errors.

    Reads through :class:`conformance.projectfs.ProjectFS`: with ``project`` every
    component below the project folder is walked without following links out of it;
    without it only the last component is guarded (its folder is trusted as given).
    A missing file raises :class:`FileNotFoundError` (callers decide what absence
    means); a link out of the project, a folder, a FIFO, socket or device, or a file
    over the size limit is ``CORRUPT_FILE`` (nothing read from it); any other OS
    error is ``IO_ERROR``.
    """
    fs, rel = for_file(path, project)
    return fs.read_bytes(rel)


def read_file_bytes_or_none(
    path: Path, *, project: str | os.PathLike[str] | None = None
) -> bytes | None:
    """Like :func:`read_file_bytes`, but ``None`` when ``path`` does not exist."""
    try:
        return read_file_bytes(path, project=project)
    except FileNotFoundError:
        return None


def read_json(
    path: Path, *, project: str | os.PathLike[str] | None = None
) -> tuple[Any, bytes]:
    """Read and strictly parse ``path``; return the document and the raw bytes.

    A missing file raises :class:`FileNotFoundError` (callers map it to their own
    code); see :func:`read_file_bytes` for ``project`` and the other errors.
    """
    data = read_file_bytes(path, project=project)
    return parse_bytes(data, file=path), data


def find_unwritable(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str, str] | None:
    """Find a value that has no canonical JSON form (NaN, infinity, lone surrogate,
    non-string key, non-JSON type); return ``(pointer, description)`` or ``None``."""
    from conformance.errors import json_pointer

    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return json_pointer(where), f"a non-finite number ({item})"
        elif isinstance(item, str):
            if _has_lone_surrogate(item):
                return json_pointer(where), "a string with an unpaired surrogate"
        elif isinstance(item, dict):
            for key, sub in item.items():
                if not isinstance(key, str):
                    return json_pointer(where), f"a non-string object key {key!r}"
                if _has_lone_surrogate(key):
                    return json_pointer(where), "an object key with an unpaired surrogate"
                stack.append((sub, (*where, key)))
        elif isinstance(item, list):
            stack.extend((sub, (*where, i)) for i, sub in enumerate(item))
        else:
            return json_pointer(where), f"a value of type {type(item).__name__}"
    return None


def dump_bytes(doc: Any) -> bytes:
    """The canonical bytes of ``doc``: UTF-8, no BOM, 2-space indent, trailing newline."""
    return (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode(
        "utf-8"
    )


def dump_checked_bytes(doc: Any) -> bytes:
    """:func:`dump_bytes` of a document known to be writable, several times faster.

    ``doc`` must hold no NaN or infinity (orjson would write ``null``): a document
    from :func:`parse_bytes` merged with values checked by :func:`find_unwritable`
    qualifies. The bytes are exactly those of :func:`dump_bytes`: orjson is used
    only where its output is known to match; anything else (integers beyond 64
    bits, lone surrogates, floats orjson formats differently) takes the slow path.
    """
    try:
        out: bytes = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # orjson.JSONEncodeError: big integers, surrogates, odd types
        return dump_bytes(doc)
    folded = out.translate(_DIGITS_TO_ZERO)
    if (b"0e" in folded or b"0.0000" in folded) and _ORJSON_MAY_DIFFER.search(out):
        return dump_bytes(doc)
    return out
