"""One finding of ``seqcheck validate``: what is wrong, where, and what to do."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from conformance.validate.codes import CODES, Severity

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    # U+DC80-U+DCFF stand for the undecodable bytes of a file name (os.fsdecode).
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` made encodable as UTF-8 (every report format needs it): an undecodable
    byte of a file name (``os.fsdecode`` gives U+DC80-U+DCFF) becomes ``\\xNN``, any
    other lone surrogate (from a JSON escape in a key) ``\\uXXXX``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(_escape_surrogate, text)
    return text


@dataclass(frozen=True)
class Finding:
    """A problem found in a project, located as precisely as the spec allows.

    ``file`` is the path of the file concerned relative to ``project``, with ``/``
    separators (``project.json``, ``sequences/sequence_001.json``); ``pointer`` an RFC
    6901 JSON pointer into it (``""`` is the whole document); ``line``/``column``
    (1-based) where the value at ``pointer`` starts, or ``None`` when the file could
    not be read that far. ``file``, ``pointer`` and the texts are always valid
    Unicode (see :func:`printable`): a file name that is not UTF-8 is shown with
    ``\\xNN`` escapes. ``rule`` is the JSON Schema keyword for schema findings, else
    the finding's rule name. ``more`` holds the other schema violations at the same
    location (shown with ``--verbose``); they are not counted separately.
    """

    code: str
    severity: Severity
    project: Path
    file: str
    pointer: str
    line: int | None
    column: int | None
    rule: str
    message: str
    hint: str
    more: tuple[Finding, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        """The code's kebab-case name (``duplicate-key``)."""
        return CODES[self.code].name

    @property
    def path(self) -> Path:
        """The file's path: ``project / file``."""
        return self.project / self.file

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order within a report: by file, then position, then pointer and code."""
        return (self.file, self.line or 0, self.column or 0, self.pointer, self.code)

    def to_dict(self) -> dict[str, object]:
        """The finding as a JSON object (``schemas/validation-report.schema.json``
        minus ``path``, which depends on where the report is shown)."""
        out: dict[str, object] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "file": self.file,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "more_count": len(self.more),
        }
        return out


@dataclass(frozen=True)
class FileRef:
    """The file being checked; makes findings that name it."""

    project: Path
    file: str

    def finding(
        self,
        code: str,
        pointer: str,
        message: str,
        *,
        rule: str | None = None,
        hint: str | None = None,
        line: int | None = None,
        column: int | None = None,
        more: tuple[Finding, ...] = (),
    ) -> Finding:
        """A finding of ``code`` in this file; severity and default hint come from the
        registry, the rule defaults to the code's name."""
        entry = CODES[code]
        return Finding(
            code=code,
            severity=entry.severity,
            project=self.project,
            file=printable(self.file),
            pointer=printable(pointer),
            line=line,
            column=column,
            rule=rule or entry.name,
            message=printable(message),
            hint=printable(hint or entry.hint),
            more=more,
        )
