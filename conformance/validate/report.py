"""The result of validating one project: its findings and their counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from conformance.validate.codes import CODES, Severity
from conformance.validate.finding import Finding


@dataclass
class ValidationReport:
    """Every finding in one project, sorted by file and position.

    ``files_checked`` counts the JSON files read (project.json and sequence files).
    """

    project: Path
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0

    @property
    def counts(self) -> dict[Severity, int]:
        """Number of findings per severity (every severity present, possibly 0)."""
        out = {s: 0 for s in Severity}
        for f in self.findings:
            out[f.severity] += 1
        return out

    @property
    def errors(self) -> list[Finding]:
        """Findings of severity error."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """Findings of severity warning."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def infos(self) -> list[Finding]:
        """Findings of severity info."""
        return [f for f in self.findings if f.severity is Severity.INFO]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings and infos allowed)."""
        return not self.errors

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        """Findings whose severity is ``threshold`` or worse (``--fail-on``)."""
        return [f for f in self.findings if f.severity.rank >= threshold.rank]

    def filtered(
        self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
    ) -> ValidationReport:
        """A copy keeping findings whose code is in ``select`` (all when None) and not
        in ``ignore``. Codes must be exact; see :func:`codes.matching_codes`."""
        keep = set(select) if select is not None else None
        drop = set(ignore or ())
        findings = [
            f
            for f in self.findings
            if (keep is None or f.code in keep) and f.code not in drop
        ]
        return ValidationReport(self.project, findings, self.files_checked)


def cap_per_file(findings: list[Finding], limit: int | None) -> list[Finding]:
    """Keep the first ``limit`` findings of each code in each file (``findings`` are
    sorted); the rest of each such group becomes one summary finding of the same code
    and severity, at the end of its file, saying how many were not listed.

    Per code, so that ``--select``/``--ignore`` and ``--fail-on`` still see every kind
    of problem a file has. ``limit`` None keeps everything (``--verbose``).
    """
    if limit is None:
        return findings
    out: list[Finding] = []
    kept: dict[str, int] = {}
    omitted: dict[str, int] = {}
    first_omitted: dict[str, Finding] = {}

    def flush() -> None:
        for code, count in omitted.items():
            out.append(_summary(first_omitted[code], count, limit))
        kept.clear()
        omitted.clear()
        first_omitted.clear()

    current = None
    for f in findings:
        if f.file != current:
            flush()
            current = f.file
        n = kept.get(f.code, 0)
        if n < limit:
            kept[f.code] = n + 1
            out.append(f)
        else:
            omitted[f.code] = omitted.get(f.code, 0) + 1
            first_omitted.setdefault(f.code, f)
    flush()
    return out


def _summary(first: Finding, count: int, limit: int) -> Finding:
    name = CODES[first.code].name
    where = f"line {first.line}" if first.line is not None else first.pointer or "/"
    return Finding(
        code=first.code,
        severity=first.severity,
        project=first.project,
        file=first.file,
        pointer="",
        line=None,
        column=None,
        rule=first.rule,
        message=(
            f"+{count} more {name} findings in this file, not listed (the first {limit} "
            f"are; the next is at {where})."
        ),
        hint="Run 'seqcheck validate --verbose' to list every finding.",
    )
