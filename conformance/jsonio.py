"""Strict JSON reading and the canonical byte form every seqcheck writer produces.

Reading: UTF-8 with or without a byte-order mark; NaN/Infinity literals, duplicate
keys, unpaired surrogates and non-UTF-8 bytes are errors (a rewrite would otherwise
silently change the data), and so is anything past the bounds of
:mod:`conformance.limits` (nesting depth, integer digits, string length). Writing:
UTF-8 without BOM, 2-space indent, non-ASCII kept as is, trailing newline; integers
stay integers and floats round-trip.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson

from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.limits import MAX_DEPTH, MAX_INT_DIGITS, MAX_STRING_CHARS
from conformance.projectfs import for_file

BOM = b"\xef\xbb\xbf"
_T = TypeVar("_T")


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


# Number tokens orjson may format differently from Python's json (exponent forms,
# and magnitudes below 1e-4, which Python writes with an exponent). A match inside a
# string is a false alarm that only costs the slow path.
_ORJSON_MAY_DIFFER = re.compile(rb"(?:^|: |\n *)-?(?:[0-9]+(?:\.[0-9]+)?[eE]|0\.0000)")
# Fast pre-check for that regex (which scans at ~100 ns/byte): with every digit mapped
# to "0" and "E" to "e", any match contains "0e" or "0.0000". bytes.translate and `in`
# run in C, so clean output (most of it) skips the regex.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789E", b"000000000e")
# orjson reads an integer literal beyond 64 bits (below -2**63 or above 2**64 - 1)
# as a float, silently rounded, and such literals are where the digit limit applies:
# a run of 19 digits (seen after _DIGITS_TO_ZERO) sends a file to the exact parser.
_LONG_DIGIT_RUN = b"0" * 19
# Smallest integer with more than MAX_INT_DIGITS digits; bit_length() screens first.
_TOO_MANY_DIGITS = 10**MAX_INT_DIGITS
_TOO_MANY_DIGITS_BITS = _TOO_MANY_DIGITS.bit_length() - 1


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class TooLongInteger:
    """Stands for an integer literal of more than :data:`MAX_INT_DIGITS` digits while
    parsing (Python cannot convert it), so the walk can report where it is."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def parse_int_bounded(literal: str) -> int | TooLongInteger:
    """``parse_int`` hook for :func:`json.loads`: the integer, or a
    :class:`TooLongInteger` past the digit limit (found later by
    :func:`find_unwritable`)."""
    digits = len(literal) - literal.startswith("-")
    if digits > MAX_INT_DIGITS:
        return TooLongInteger(digits)
    return int(literal)


_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_saved = 0


@contextmanager
def deep_recursion(frames_per_level: int = 1) -> Iterator[None]:
    """Let recursive code that uses ``frames_per_level`` recursion levels per JSON
    container (the stdlib's decoder: 1) reach :data:`MAX_DEPTH` from wherever it is
    called. Thread-safe: the limit is raised for as long as any thread needs it and
    restored when the last one leaves."""
    global _recursion_users, _recursion_saved
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    needed = depth + MAX_DEPTH * frames_per_level + 100
    with _recursion_lock:
        if _recursion_users == 0:
            _recursion_saved = sys.getrecursionlimit()
        _recursion_users += 1
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if _recursion_users == 0:
                sys.setrecursionlimit(_recursion_saved)


def orjson_read_is_exact(body: bytes, doc: Any) -> bool:
    """Whether ``doc``, orjson's parse of ``body``, is exactly what the strict reading
    gives. orjson silently collapses duplicate keys (last wins) and reads integers
    beyond 64 bits as (rounded) floats, and knows no string length limit:

    1. Proof for canonically formatted files (what the app's ``JSON.stringify(doc,
       null, 2)`` and seqcheck's writers produce): if the file is byte for byte
       orjson's 2-space rendering of ``doc``, no key was dropped (a rendered dict has
       none to drop) and every number reads back as written. One dumps, one memcmp.
    2. Otherwise count colons: every key is followed by exactly one ':' and orjson's
       output escapes no ':', so re-serialising gives as many colons as the file has
       unless a key (with its value) was dropped. A ':' written as the escape
       \\u003a makes this unprovable ("not exact"). And no run of 19 digits may
       occur (the integers orjson may misread).
    3. Either way, a file longer than :data:`MAX_STRING_CHARS` must show that no
       string in it can be that long.

    A document too deep for orjson's encoder (254 levels) is "not exact" (the exact
    parser decides).
    """
    try:
        pretty = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
        canonical = body.startswith(pretty) and body[len(pretty) :] in (b"", b"\n", b"\r\n")
        if not canonical:
            if b"\\u003" in body:  # \u003a / \u003A (and harmless \u0030-\u003f)
                return False
            if body.count(b":") != orjson.dumps(doc).count(b":"):
                return False
            if _has_long_digit_run(body):
                return False
    except orjson.JSONEncodeError:
        return False
    return not _may_hold_long_string(body)


_CHUNK = 1 << 24


def _has_long_digit_run(body: bytes) -> bool:
    # In chunks: no copy of a big file.
    overlap = len(_LONG_DIGIT_RUN) - 1
    return any(
        _LONG_DIGIT_RUN in body[start : start + _CHUNK + overlap].translate(_DIGITS_TO_ZERO)
        for start in range(0, len(body), _CHUNK)
    )


def _may_hold_long_string(body: bytes) -> bool:
    # A string of more than MAX_STRING_CHARS characters spans as many bytes, so it
    # covers a whole aligned block of half that size, in which every '"' is escaped
    # (preceded by a backslash). A block holding a '"' without one is no such block;
    # in real files the first '"' of a block already shows it.
    block = MAX_STRING_CHARS // 2
    if len(body) <= MAX_STRING_CHARS:
        return False
    for start in range(0, len(body) - block + 1, block):
        end = start + block
        quote = body.find(b'"', start, end)
        while quote > 0 and body[quote - 1] == 0x5C:  # an escaped quote: look on
            quote = body.find(b'"', quote + 1, end)
        if quote < 0:
            return True
    return False


def parse_bytes(data: bytes, *, file: str | Path | None = None) -> Any:
    """Parse ``data`` strictly; raise ``CORRUPT_FILE`` naming ``file`` and the location.

    Also returns documents that are not objects; callers check the shape they need.
    Files orjson reads exactly as the strict rules do (the common case) cost one
    orjson parse; the rest go through the stdlib's parser with checking hooks.
    """
    body = data[len(BOM) :] if data.startswith(BOM) else data
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise _too_deep(file, exc.lineno, exc.colno) from None
    else:
        if orjson_read_is_exact(body, doc):
            return doc
    return _parse_exact(body, file)


def _too_deep(file: str | Path | None, line: int, column: int) -> SeqcheckError:
    return SeqcheckError(
        ErrorCode.CORRUPT_FILE,
        f"expected JSON nested at most {MAX_DEPTH} levels deep, found deeper nesting at "
        f"line {line} column {column}. Flatten the data or restore the file from a backup.",
        file=file,
        pointer="",
    )


def _parse_exact(body: bytes, file: str | Path | None) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected UTF-8 text, found an invalid byte at offset {exc.start}. "
            "Re-save the file as UTF-8.",
            file=file,
            pointer="",
        ) from None
    try:
        with deep_recursion():
            doc = json.loads(
                text,
                object_pairs_hook=_pairs_no_duplicates,
                parse_constant=_reject_constant,
                parse_int=parse_int_bounded,
            )
    except _DuplicateKeyError as exc:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected unique keys in every object, found key {json.dumps(exc.key)} "
            "twice. Remove one of the two entries (readers disagree on which one wins).",
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
        # Only past MAX_DEPTH (orjson, which stops there, reported a syntax error
        # before the nesting bound in this text).
        raise _too_deep(file, 0, 0) from None
    except ValueError as exc:  # NaN/Infinity literals
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected standard JSON, found {exc}.",
            file=file,
            pointer="",
        ) from None
    # Walks the whole document: 1e400 (read as infinity), unpaired surrogates,
    # integers and strings past their limits are only found this way.
    problem = find_unwritable(doc)
    if problem is not None:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected JSON within seqcheck's limits and representable in UTF-8, found "
            f"{problem[1]}.",
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


_CLOSE = object()  # marks the end of a container's children (encode_exact)
_JSON_TYPES = (bool, int, float, str, dict, list)
# A stack entry of find_unwritable: (value, level, key in its parent, parent's entry).
_Entry = tuple[Any, int, "str | int | None", Any]


def _inside_itself(entry: _Entry) -> bool:
    parent = entry[3]
    while parent is not None:
        if parent[0] is entry[0]:
            return True
        parent = parent[3]
    return False


def _pointer_of(entry: _Entry, path: tuple[str | int, ...]) -> str:
    keys: list[str | int] = []
    while entry[3] is not None:
        keys.append(entry[2])  # type: ignore[arg-type]
        entry = entry[3]
    return json_pointer([*path, *reversed(keys)])


def find_unwritable(
    value: Any, path: tuple[str | int, ...] = (), *, depth: int = 0
) -> tuple[str, str] | None:
    """Find a value that has no canonical JSON form, or one past a limit of
    :mod:`conformance.limits`; return ``(pointer, description)`` or ``None``.

    Checked: NaN and infinity, unpaired surrogates (in strings and keys), non-string
    keys, non-JSON types, integers of more than :data:`MAX_INT_DIGITS` digits,
    strings of more than :data:`MAX_STRING_CHARS` characters, nesting deeper than
    :data:`MAX_DEPTH` and reference cycles (a container inside itself). ``depth`` is
    the number of containers that will enclose ``value`` in the document it becomes
    part of (0 for a whole document). Iterative and depth-first: a cycle is found
    when it reaches the depth bound, after at most MAX_DEPTH steps down it; any
    other input ends in time linear in its size (a shared container is walked once
    per reference). The pointer is built only for the problem found (each value's
    entry links to its container's).
    """
    stack: list[_Entry] = [(value, depth, None, None)]
    while stack:
        entry = stack.pop()
        item = entry[0]
        kind = type(item)
        if kind not in _JSON_TYPES and item is not None:
            kind = next((t for t in _JSON_TYPES if isinstance(item, t)), kind)
        if kind is dict or kind is list:
            problem = _push_children(stack, entry, kind is dict)
        elif item is None or kind is bool:
            continue
        else:
            problem = _scalar_problem(kind, item)
        if problem is not None:
            return _pointer_of(entry, path), problem
    return None


def _scalar_problem(kind: type, item: Any) -> str | None:
    """What keeps a non-container ``item`` (of JSON type ``kind``) out of a document."""
    if kind is str:
        if len(item) > MAX_STRING_CHARS:
            return _long_string(len(item))
        if not item.isascii() and _has_lone_surrogate(item):
            return "a string with an unpaired surrogate"
        return None
    if kind is int:
        if item.bit_length() > _TOO_MANY_DIGITS_BITS and abs(item) >= _TOO_MANY_DIGITS:
            return f"an integer of more than {MAX_INT_DIGITS} digits (the limit)"
        return None
    if kind is float:
        return None if math.isfinite(item) else f"a non-finite number ({item})"
    if isinstance(item, TooLongInteger):
        return f"an integer of {item.digits} digits (at most {MAX_INT_DIGITS} allowed)"
    return f"a value of type {type(item).__name__}"


def _key_problem(key: Any) -> str | None:
    if type(key) is not str:
        return f"a non-string object key of type {type(key).__name__}"
    if len(key) > MAX_STRING_CHARS:
        return "an object key: " + _long_string(len(key))
    if not key.isascii() and _has_lone_surrogate(key):
        return "an object key with an unpaired surrogate"
    return None


def _push_children(stack: list[_Entry], entry: _Entry, is_dict: bool) -> str | None:
    """Queue the members of container ``entry``; or what is wrong with the container
    itself (too deep, inside itself) or with one of its keys."""
    if entry[1] >= MAX_DEPTH:
        # A cycle is endless nesting: it ends here too, depth-first, at once.
        if _inside_itself(entry):
            return "a reference cycle (a container inside itself)"
        return f"nesting deeper than {MAX_DEPTH} levels"
    item, level = entry[0], entry[1] + 1
    if not is_dict:
        stack.extend([(sub, level, i, entry) for i, sub in enumerate(item)])
        return None
    for key, sub in item.items():
        problem = _key_problem(key)
        if problem is not None:
            return problem
        stack.append((sub, level, key, entry))
    return None


def copy_value(value: _T) -> _T:
    """A deep copy of a JSON value (dicts, lists, scalars), iterative, so it reaches
    :data:`MAX_DEPTH` where :func:`copy.deepcopy` hits Python's recursion limit.
    ``value`` must be free of cycles (see :func:`find_unwritable`)."""
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, sub in items:
            if isinstance(sub, (dict, list)):
                sub_copy: Any = {} if isinstance(sub, dict) else []
                stack.append((sub, sub_copy))
            else:
                sub_copy = sub
            if isinstance(target, dict):
                target[key] = sub_copy
            else:
                target.append(sub_copy)
    copied: _T = root
    return copied


def json_equal(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same data: iterative (any depth up to the
    limits, where ``==`` hits Python's recursion limit near 1000 levels) and strict
    about types, as the canonical bytes are (``1``, ``1.0`` and ``true`` differ, and
    so do ``0.0`` and ``-0.0``); object key order is not compared."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif isinstance(x, float):
            if x != y or math.copysign(1.0, x) != math.copysign(1.0, y):
                return False
        elif x != y:
            return False
    return True


def _long_string(length: int) -> str:
    return f"a string of {length} characters (at most {MAX_STRING_CHARS} allowed)"


def dump_bytes(doc: Any) -> bytes:
    """The canonical bytes of ``doc``: UTF-8, no BOM, 2-space indent, trailing newline.

    Exactly ``json.dumps(doc, indent=2, ensure_ascii=False) + "\\n"`` in UTF-8 for
    every document within the limits. Raises :class:`ValueError` naming the pointer
    of a value with no canonical form (see :func:`find_unwritable`): NaN, a lone
    surrogate, a non-JSON type, a cycle, or a value past a limit.
    """
    problem = find_unwritable(doc)
    if problem is not None:
        raise ValueError(f"{problem[1]} at {problem[0] or '/'} has no canonical JSON form")
    return dump_checked_bytes(doc)


def dump_checked_bytes(doc: Any) -> bytes:
    """:func:`dump_bytes` of a document known to be writable, without the check.

    ``doc`` must hold no NaN or infinity (orjson would write ``null``): a document
    from :func:`parse_bytes` merged with values checked by :func:`find_unwritable`
    qualifies. The bytes are exactly those of :func:`dump_bytes`: orjson is used
    only where its output is known to match; anything else (integers beyond 64
    bits, nesting past orjson's 254 levels, floats orjson formats differently)
    takes the exact encoder.
    """
    try:
        out: bytes = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # big integers, deep nesting, surrogates, odd types
        return encode_exact(doc)
    folded = out.translate(_DIGITS_TO_ZERO)
    if (b"0e" in folded or b"0.0000" in folded) and _ORJSON_MAY_DIFFER.search(out):
        return encode_exact(doc)
    return out


_encode_string = json.encoder.encode_basestring  # the C one when available, as json uses


def _key_text(key: Any) -> str:
    # json.dumps's coercion of non-string keys, for byte-identical output.
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float_text(key)
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return float.__repr__(value)


def encode_exact(doc: Any) -> bytes:
    """The canonical bytes of ``doc`` by the exact (pure Python, iterative) encoder.

    Byte-identical to ``json.dumps(doc, indent=2, ensure_ascii=False) + "\\n"``
    wherever that succeeds, and also past Python's recursion limit, up to
    :data:`MAX_DEPTH` levels (deeper, or a cycle: :class:`ValueError`).
    """
    parts: list[str] = []
    put = parts.append
    # Open containers: [children iterator, is object, indent of the children].
    frames: list[tuple[Iterator[Any], bool, str]] = []
    first = False  # the next child is the first of its container
    value = doc
    while True:
        if isinstance(value, str):
            put(_encode_string(value))
        elif value is None:
            put("null")
        elif value is True:
            put("true")
        elif value is False:
            put("false")
        elif isinstance(value, int):
            put(int.__repr__(value))
        elif isinstance(value, float):
            put(_float_text(value))
        elif isinstance(value, (list, tuple, dict)):
            is_object = isinstance(value, dict)
            if not value:
                put("{}" if is_object else "[]")
            else:
                if len(frames) >= MAX_DEPTH:
                    raise ValueError(
                        f"nesting deeper than {MAX_DEPTH} levels (or a reference cycle)"
                    )
                put("{" if is_object else "[")
                children: Iterator[Any] = (
                    iter(value.items()) if isinstance(value, dict) else iter(value)
                )
                frames.append((children, is_object, "\n" + "  " * (len(frames) + 1)))
                first = True
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        # Move on to the next value to write, closing finished containers.
        while frames:
            open_children, is_object, indent = frames[-1]
            child: Any = next(open_children, _CLOSE)
            if child is _CLOSE:
                frames.pop()
                put(indent[:-2] + ("}" if is_object else "]"))
                first = False
                continue
            put(indent if first else "," + indent)
            first = False
            if is_object:
                put(_encode_string(_key_text(child[0])) + ": ")
                value = child[1]
            else:
                value = child
            break
        else:
            put("\n")
            return "".join(parts).encode("utf-8")
