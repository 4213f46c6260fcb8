"""File level: read one file's bytes as a strict JSON document, or say why not.

The fast path is one orjson parse plus the proof that orjson read it exactly (see
:func:`conformance.jsonio.orjson_read_is_exact`). Only a file that orjson rejects or
may misread (duplicate keys, integers of 19+ digits, huge strings) goes through the
slow path,
which finds out exactly why (invalid UTF-8, NaN/Infinity, nesting, syntax, unpaired
surrogates, limits of :mod:`conformance.limits`) and where.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from conformance.jsonio import (
    BOM,
    deep_recursion,
    find_unwritable,
    orjson_read_is_exact,
    parse_int_bounded,
)
from conformance.limits import MAX_DEPTH
from conformance.validate.finding import FileRef, Finding
from conformance.validate.positions import LineIndex, scan


@dataclass
class Parsed:
    """The outcome of :func:`parse`: the document (when one could be built) and the
    file-level findings. ``usable`` is False when there is no document to check."""

    doc: Any = None
    usable: bool = False
    findings: list[Finding] = field(default_factory=list)


def _duplicate_findings(text: str, ref: FileRef) -> list[Finding]:
    result = scan(text, wanted=())
    index = LineIndex(text)
    out = []
    for pointer, key, offset in result.duplicates:
        line, col = index.line_col(offset)
        out.append(
            ref.finding(
                "SC105",
                pointer,
                f"expected unique keys in every object, found key "
                f"{json.dumps(key, ensure_ascii=False)} again "
                f"at {pointer or '/'}.",
                line=line,
                column=col,
            )
        )
    return out


def parse(raw: bytes, ref: FileRef) -> Parsed:
    """Parse ``raw`` (the whole file) strictly and report every file-level problem."""
    out = Parsed()
    body = raw
    if raw.startswith(BOM):
        out.findings.append(
            ref.finding(
                "SC103", "", "expected UTF-8 without byte-order mark, found a BOM.",
                line=1, column=1,
            )
        )
        body = raw[len(BOM):]
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            out.findings.append(
                ref.finding(
                    "SC107", "",
                    f"expected nesting of at most {MAX_DEPTH} levels, found deeper "
                    f"nesting at line {exc.lineno} column {exc.colno}.",
                    line=exc.lineno, column=exc.colno,
                )
            )
            return out
        return _slow_parse(body, ref, out)
    if not orjson_read_is_exact(body, doc):
        return _slow_parse(body, ref, out)
    out.doc, out.usable = doc, True
    return out


class _Collect:
    """object_pairs_hook / parse_constant for the slow path: note, never raise, so
    one parse reports every duplicate and non-finite literal."""

    def __init__(self) -> None:
        self.duplicates = False
        self.non_finite = False

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            self.duplicates = True
        return obj

    def constant(self, name: str) -> float:
        self.non_finite = True
        return float(name)


def _slow_parse(body: bytes, ref: FileRef, out: Parsed) -> Parsed:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = body[: exc.start].decode("utf-8", errors="replace")
        line, col = LineIndex(prefix).line_col(len(prefix))
        out.findings.append(
            ref.finding(
                "SC102", "",
                f"expected UTF-8 text, found the invalid byte 0x{body[exc.start]:02x} "
                f"at byte offset {exc.start}.",
                line=line, column=col,
            )
        )
        return out
    hooks = _Collect()
    try:
        with deep_recursion():
            doc = json.loads(
                text,
                object_pairs_hook=hooks.pairs,
                parse_constant=hooks.constant,
                parse_int=parse_int_bounded,
            )
    except json.JSONDecodeError as exc:
        out.findings.append(
            ref.finding(
                "SC104", "",
                f"expected valid JSON, found a syntax error: {exc.msg} "
                f"(line {exc.lineno} column {exc.colno}).",
                line=exc.lineno, column=exc.colno,
            )
        )
        return out
    except RecursionError:  # past MAX_DEPTH, after a syntax error orjson reported first
        out.findings.append(
            ref.finding(
                "SC107", "", f"expected nesting of at most {MAX_DEPTH} levels, found deeper."
            )
        )
        return out
    if hooks.duplicates:
        out.findings.extend(_duplicate_findings(text, ref))
    if hooks.non_finite:
        result = scan(text, wanted=())
        index = LineIndex(text)
        for pointer, literal, offset in result.non_finite:
            line, col = index.line_col(offset)
            out.findings.append(
                ref.finding(
                    "SC106", pointer,
                    f"expected a JSON number, found the literal {literal}.",
                    line=line, column=col,
                )
            )
    problem = find_unwritable(doc)
    if problem is not None and not hooks.non_finite:
        out.findings.append(
            ref.finding(
                _problem_code(problem[1]), problem[0],
                f"expected a value with a JSON form within seqcheck's limits, found "
                f"{problem[1]}.",
            )
        )
    # NaN/Infinity and unpaired surrogates are not JSON: like a syntax error, the file
    # gets no schema or project findings (the compiled validator cannot even take them).
    out.doc, out.usable = doc, not hooks.non_finite and problem is None
    return out


def _problem_code(description: str) -> str:
    """The finding code of a :func:`conformance.jsonio.find_unwritable` description."""
    if description.startswith("a non-finite"):  # 1e400 reads as infinity
        return "SC106"
    if description.startswith("an integer"):
        return "SC115"
    if "characters (at most" in description:
        return "SC116"
    return "SC109"
