"""One finding of ``seqcheck validate``: what is wrong, where, and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance.validate.codes import CODES, Severity


@dataclass(frozen=True)
class Finding:
    """A problem found in a project, located as precisely as the spec allows.

    ``file`` is the path of the file concerned relative to ``project``, with ``/``
    separators (``project.json``, ``sequences/sequence_001.json``); ``pointer`` an RFC
    6901 JSON pointer into it (``""`` is the whole document); ``line``/``column``
    (1-based) where the value at ``pointer`` starts, or ``None`` when the file could
    not be read that far. ``rule`` is the JSON Schema keyword for schema findings, else
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
            file=self.file,
            pointer=pointer,
            line=line,
            column=column,
            rule=rule or entry.name,
            message=message,
            hint=hint or entry.hint,
            more=more,
        )
