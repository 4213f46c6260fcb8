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


def _document_order(f: Finding) -> tuple[int, int, tuple[tuple[int, int | str], ...]]:
    # Before positions are known: array items by index, object members by name.
    parts = tuple(
        (0, int(p)) if p.isdigit() else (1, p) for p in f.pointer.split("/")[1:]
    )
    return (f.line or 0, f.column or 0, parts)


def cap_per_code(
    findings: Iterable[Finding], limit: int | None
) -> tuple[list[Finding], list[Finding]]:
    """Split findings (of one or a few files) into those listed and the summaries of the rest:
    the first ``limit`` findings of each code in each file (in document order) are kept, the rest
    of each code become one summary finding of that code and severity saying how
    many were not listed. ``limit`` None keeps everything (``--verbose``).

    Per code, so that ``--select``/``--ignore`` and ``--fail-on`` still see every
    kind of problem a file has. Done before line/column are computed, so only listed
    findings pay for positions.
    """
    ordered = sorted(findings, key=_document_order)
    if limit is None:
        return ordered, []
    kept: list[Finding] = []
    counts: dict[tuple[str, str], int] = {}
    omitted: dict[tuple[str, str], list[Finding]] = {}
    for f in ordered:
        n = counts.get((f.file, f.code), 0)
        if n < limit:
            counts[f.file, f.code] = n + 1
            kept.append(f)
        else:
            omitted.setdefault((f.file, f.code), []).append(f)
    return kept, [_summary(group[0], len(group), limit) for group in omitted.values()]


def with_summaries(findings: list[Finding], summaries: list[Finding]) -> list[Finding]:
    """``findings`` (sorted by :meth:`Finding.sort_key`) with each summary placed
    after the last finding of its file."""
    by_file: dict[str, list[Finding]] = {}
    for summary in summaries:
        by_file.setdefault(summary.file, []).append(summary)
    if not by_file:
        return findings
    out: list[Finding] = []
    for i, f in enumerate(findings):
        out.append(f)
        if i + 1 == len(findings) or findings[i + 1].file != f.file:
            out.extend(by_file.pop(f.file, ()))
    for rest in by_file.values():  # files whose findings were all summarised
        out.extend(rest)
    return sorted(out, key=lambda f: f.file)  # stable: keeps the order within a file


def _summary(first: Finding, count: int, limit: int) -> Finding:
    name = CODES[first.code].name
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
            f"are; the next is at {first.pointer or '/'})."
        ),
        hint="Run 'seqcheck validate --verbose' to list every finding.",
    )
