"""Where things are in a JSON text: JSON pointer -> line and column, duplicate keys,
NaN/Infinity literals.

Run only on files that already have findings (clean files never pay for it). The
scanner is iterative (an explicit stack, never Python recursion) and stops at
:data:`MAX_DEPTH` or at the first syntax error, so hostile input cannot crash it; what
it found up to that point is still returned.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from conformance.errors import json_pointer

#: Nesting bound for every seqcheck reader (the same as orjson's parser).
MAX_DEPTH = 1024

_WS = re.compile(r"[ \t\n\r]*")
# The unrolled form is linear and keeps sre from backtracking on huge strings.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SCALAR = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity"
)
_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})

# Scanner modes: what the next token may be.
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _AFTER = range(6)


def _escape(part: str) -> str:
    return json_pointer([part])


@dataclass
class ScanResult:
    """Offsets (in characters) found by :func:`scan`."""

    positions: dict[str, int] = field(default_factory=dict)
    #: ``(pointer of the repeated member, key, offset of the repeated key)``
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)
    #: ``(pointer, literal, offset)`` of every NaN / Infinity / -Infinity literal.
    non_finite: list[tuple[str, str, int]] = field(default_factory=list)
    #: ``False`` when the scan stopped early (syntax error or :data:`MAX_DEPTH`).
    complete: bool = True


class _Frame:
    __slots__ = ("index", "is_object", "key", "keys", "pointer")

    def __init__(self, is_object: bool, pointer: str) -> None:
        self.is_object = is_object
        self.pointer = pointer
        self.index = 0
        self.keys: set[str] = set()
        self.key = ""


def scan(text: str, wanted: Iterable[str] | None = None) -> ScanResult:
    """Scan ``text``; record the offset of each pointer in ``wanted`` (every value's
    when ``wanted`` is None), duplicate keys and non-finite literals.

    An object member's offset is that of its key (where an editor shows the member);
    an array item's and the root's is the start of the value.
    """
    want = None if wanted is None else set(wanted)
    result = ScanResult()
    stack: list[_Frame] = []
    mode = _VALUE
    pos = 0
    n = len(text)

    def record(pointer: str, offset: int) -> None:
        if (want is None or pointer in want) and pointer not in result.positions:
            result.positions[pointer] = offset

    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            result.complete = not stack and mode == _AFTER
            return result
        ch = text[pos]
        top = stack[-1] if stack else None
        if mode in (_VALUE, _VALUE_OR_CLOSE):
            if mode == _VALUE_OR_CLOSE and ch == "]":
                stack.pop()
                pos += 1
                mode = _AFTER
                continue
            if top is None:
                pointer = ""
            elif top.is_object:
                pointer = top.pointer + _escape(top.key)
            else:
                pointer = f"{top.pointer}/{top.index}"
                record(pointer, pos)
            if top is None:
                record(pointer, pos)
            if ch in "{[":
                if len(stack) >= MAX_DEPTH:
                    result.complete = False
                    return result
                stack.append(_Frame(ch == "{", pointer))
                pos += 1
                mode = _KEY_OR_CLOSE if ch == "{" else _VALUE_OR_CLOSE
                continue
            m = _STRING.match(text, pos) if ch == '"' else _SCALAR.match(text, pos)
            if m is None:
                result.complete = False
                return result
            if m.group() in _NON_FINITE:
                result.non_finite.append((pointer, m.group(), pos))
            pos = m.end()
            mode = _AFTER
        elif mode in (_KEY, _KEY_OR_CLOSE):
            assert top is not None
            if mode == _KEY_OR_CLOSE and ch == "}":
                stack.pop()
                pos += 1
                mode = _AFTER
                continue
            m = _STRING.match(text, pos) if ch == '"' else None
            if m is None:
                result.complete = False
                return result
            token = m.group()
            key = json.loads(token) if "\\" in token else token[1:-1]
            member = top.pointer + _escape(key)
            if key in top.keys:
                result.duplicates.append((member, key, pos))
            else:
                top.keys.add(key)
            top.key = key
            record(member, pos)
            pos = m.end()
            mode = _COLON
        elif mode == _COLON:
            if ch != ":":
                result.complete = False
                return result
            pos += 1
            mode = _VALUE
        else:  # _AFTER: a comma or the closer of the enclosing container
            if top is None:
                result.complete = False  # trailing data after the document
                return result
            if ch == ",":
                pos += 1
                if top.is_object:
                    mode = _KEY
                else:
                    top.index += 1
                    mode = _VALUE
            elif ch == ("}" if top.is_object else "]"):
                stack.pop()
                pos += 1
                mode = _AFTER
            else:
                result.complete = False
                return result


class LineIndex:
    """Maps character offsets of one text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))

    def line_col(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``offset``."""
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def parent_pointer(pointer: str) -> str:
    """The pointer of the container holding ``pointer`` (``""`` stays ``""``)."""
    return pointer[: pointer.rfind("/")] if pointer else ""


def locate(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Line and column of each pointer; a pointer missing from the text gets the
    position of its nearest existing ancestor (a "required" error names an object
    whose member is absent), or none when the scan never got that far."""
    wanted: set[str] = set()
    for p in pointers:
        while True:
            wanted.add(p)
            if not p:
                break
            p = parent_pointer(p)
    result = scan(text, wanted)
    index = LineIndex(text)
    out: dict[str, tuple[int, int]] = {}
    for p in pointers:
        q = p
        while q not in result.positions and q:
            q = parent_pointer(q)
        if q in result.positions:
            out[p] = index.line_col(result.positions[q])
    return out
