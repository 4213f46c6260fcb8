"""Where things are in a JSON text: JSON pointer -> line and column, duplicate keys,
NaN/Infinity literals.

Run only on files that already have findings (clean files never pay for it). The
scanner is iterative (an explicit stack, never Python recursion) and stops at
:data:`MAX_DEPTH` or at the first syntax error, so hostile input cannot crash it; what
it found up to that point is still returned.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.errors import json_pointer
from conformance.limits import MAX_DEPTH

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
    # Called for every key of a scanned file (600k times in a 5 MB file of
    # duplicate keys): only a key that needs escaping pays for json_pointer.
    if "~" in part or "/" in part:
        return json_pointer([part])
    return "/" + part


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
    return _Scanner(text, None if wanted is None else set(wanted)).run()


_STOP = -1  # what a step returns when the scan cannot go on (syntax error, too deep)


class _Scanner:
    """One pass of :func:`scan`: each step reads the token at ``pos`` that the current
    mode allows and returns where the next token starts (or :data:`_STOP`)."""

    def __init__(self, text: str, want: set[str] | None) -> None:
        self.text = text
        self.want = want
        self.result = ScanResult()
        self.stack: list[_Frame] = []
        self.mode = _VALUE

    def run(self) -> ScanResult:
        text, n, result = self.text, len(self.text), self.result
        steps: dict[int, Callable[[int, str], int]] = {
            _VALUE: self._value, _VALUE_OR_CLOSE: self._value, _KEY: self._key,
            _KEY_OR_CLOSE: self._key, _COLON: self._colon, _AFTER: self._after,
        }
        pos = 0
        while True:
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                result.complete = not self.stack and self.mode == _AFTER
                return result
            pos = steps[self.mode](pos, text[pos])
            if pos == _STOP:
                result.complete = False
                return result

    def _record(self, pointer: str, offset: int) -> None:
        want, positions = self.want, self.result.positions
        if (want is None or pointer in want) and pointer not in positions:
            positions[pointer] = offset

    def _close(self, pos: int) -> int:
        self.stack.pop()
        self.mode = _AFTER
        return pos + 1

    def _value(self, pos: int, ch: str) -> int:
        stack = self.stack
        if self.mode == _VALUE_OR_CLOSE and ch == "]":
            return self._close(pos)
        top = stack[-1] if stack else None
        if top is None:
            pointer = ""
            self._record(pointer, pos)
        elif top.is_object:
            pointer = top.pointer + _escape(top.key)  # recorded at its key
        else:
            pointer = f"{top.pointer}/{top.index}"
            self._record(pointer, pos)
        if ch in "{[":
            if len(stack) >= MAX_DEPTH:
                return _STOP
            stack.append(_Frame(ch == "{", pointer))
            self.mode = _KEY_OR_CLOSE if ch == "{" else _VALUE_OR_CLOSE
            return pos + 1
        m = _STRING.match(self.text, pos) if ch == '"' else _SCALAR.match(self.text, pos)
        if m is None:
            return _STOP
        if m.group() in _NON_FINITE:
            self.result.non_finite.append((pointer, m.group(), pos))
        self.mode = _AFTER
        return m.end()

    def _key(self, pos: int, ch: str) -> int:
        if self.mode == _KEY_OR_CLOSE and ch == "}":
            return self._close(pos)
        m = _STRING.match(self.text, pos) if ch == '"' else None
        if m is None:
            return _STOP
        top = self.stack[-1]
        token = m.group()
        key = json.loads(token) if "\\" in token else token[1:-1]
        member = top.pointer + _escape(key)
        if key in top.keys:
            self.result.duplicates.append((member, key, pos))
        else:
            top.keys.add(key)
        top.key = key
        self._record(member, pos)
        self.mode = _COLON
        return m.end()

    def _colon(self, pos: int, ch: str) -> int:
        if ch != ":":
            return _STOP
        self.mode = _VALUE
        return pos + 1

    def _after(self, pos: int, ch: str) -> int:
        """A comma or the closer of the enclosing container."""
        if not self.stack:
            return _STOP  # trailing data after the document
        top = self.stack[-1]
        if ch == ",":
            if top.is_object:
                self.mode = _KEY
            else:
                top.index += 1
                self.mode = _VALUE
            return pos + 1
        if ch == ("}" if top.is_object else "]"):
            return self._close(pos)
        return _STOP


class LineIndex:
    """Maps character offsets of one text to 1-based (line, column), in time linear in
    the text however many offsets are looked up.

    Each lookup counts newlines (in C) from the nearest earlier offset already looked
    up, so offsets asked in increasing order (what :func:`line_cols` does) cost one
    pass over the text in total; no table of line starts is built, so a 200 MB file
    costs no extra memory.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        # Checkpoints in increasing offset order: offset, its line, and the offset of
        # the last newline before it (-1 on line 1).
        self._offsets = [0]
        self._lines = [1]
        self._newlines = [-1]

    def line_col(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``offset``."""
        i = bisect_right(self._offsets, offset) - 1
        base, line, newline = self._offsets[i], self._lines[i], self._newlines[i]
        count = self._text.count("\n", base, offset)
        if count:
            line += count
            newline = self._text.rfind("\n", base, offset)
        if offset > self._offsets[-1]:
            self._offsets.append(offset)
            self._lines.append(line)
            self._newlines.append(newline)
        return line, offset - newline

    def line_cols(self, offsets: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Line and column of every offset (looked up in increasing order)."""
        return {offset: self.line_col(offset) for offset in sorted(set(offsets))}


# The stdlib's C scanner skips a value far faster than any Python-level tokenizer;
# the parsed value is thrown away. It accepts NaN/Infinity, which is right here.
_SCAN_ONCE: Callable[[str, int], tuple[Any, int]] = (
    json.JSONDecoder().scan_once  # type: ignore[attr-defined]
)


def _skip_value(text: str, pos: int) -> int:
    """The offset just after the JSON value starting at ``pos``, or -1 if malformed."""
    try:
        return _SCAN_ONCE(text, pos)[1]
    except (StopIteration, ValueError, RecursionError):
        return -1


class _Navigator:
    """Finds values by pointer, remembering every member and item it walks past, so
    locating many pointers in one text costs about one pass over it."""

    def __init__(self, text: str) -> None:
        self.text = text
        root = _WS.match(text, 0).end()  # type: ignore[union-attr]
        self.values: dict[str, int] = {"": root} if root < len(text) else {}
        self.keys: dict[str, int] = {}
        # container pointer -> (index of the next child, offset to resume at, whether
        # a value starting there is still to be skipped), or None once the container
        # has been walked to its end (or found malformed).
        self.progress: dict[str, tuple[int, int, bool] | None] = {}

    def _ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def child(self, parent: str, part: str) -> str | None:
        """The pointer of child ``part`` of ``parent`` if it exists (located), else None."""
        text = self.text
        wanted = parent + _escape(part)
        if wanted in self.values:
            return wanted
        if parent not in self.values:
            return None
        start = self.values[parent]
        is_object = text[start] == "{"
        if not is_object and text[start] != "[":
            return None
        if parent in self.progress:
            state = self.progress[parent]
            if state is None:
                return None
        else:
            state = (0, start + 1, False)
        index, pos, pending = state
        while True:
            if pending:  # the previous child's value still has to be skipped
                end = _skip_value(text, pos)
                if end < 0:
                    self.progress[parent] = None
                    return None
                pos, pending = end, False
            pos = self._ws(pos)
            if text[pos : pos + 1] == ",":
                pos = self._ws(pos + 1)
            if pos >= len(text) or text[pos] in "}]":
                self.progress[parent] = None
                return None
            if is_object:
                m = _STRING.match(text, pos)
                if m is None:
                    self.progress[parent] = None
                    return None
                token = m.group()
                key = json.loads(token) if "\\" in token else token[1:-1]
                child = parent + _escape(key)
                self.keys.setdefault(child, pos)
                pos = self._ws(m.end())
                if text[pos : pos + 1] != ":":
                    self.progress[parent] = None
                    return None
                pos = self._ws(pos + 1)
            else:
                child = f"{parent}/{index}"
            self.values.setdefault(child, pos)
            index += 1
            pending = True
            if child == wanted:
                # Not skipped yet: the next pointer usually goes inside this value
                # (skipping a 200 MB "shots" array just to find it costs seconds).
                self.progress[parent] = (index, pos, True)
                return child

    def offset(self, pointer: str) -> int:
        """Where a located pointer shows: its key for a member, else its value."""
        return self.keys.get(pointer, self.values[pointer])


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def locate(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Line and column of each pointer; a pointer missing from the text gets the
    position of its nearest existing ancestor (a "required" error names an object
    whose member is absent), or none when the text is unreadable there."""
    nav = _Navigator(text)
    offsets: dict[str, int] = {}
    for pointer in pointers:
        if "" not in nav.values:
            break
        current = ""
        for part in pointer.split("/")[1:] if pointer else []:
            found = nav.child(current, _unescape(part))
            if found is None:
                break
            current = found
        offsets[pointer] = nav.offset(current)
    where = LineIndex(text).line_cols(offsets.values())
    return {pointer: where[offset] for pointer, offset in offsets.items()}
