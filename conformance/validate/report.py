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
    # A list comprehension, not a generator: this runs once per finding of a code
    # past the listing cap (175k times on the huge bench case).
    parts = tuple([(0, int(p)) if p.isdigit() else (1, p) for p in f.pointer.split("/")[1:]])
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
    findings = list(findings)
    if limit is None:
        return findings, []
    sizes: dict[tuple[str, str], int] = {}
    for f in findings:
        sizes[f.file, f.code] = sizes.get((f.file, f.code), 0) + 1
    over = {group for group, size in sizes.items() if size > limit}
    if not over:
        return findings, []
    kept = [f for f in findings if (f.file, f.code) not in over]
    omitted: dict[tuple[str, str], list[Finding]] = {}
    for f in sorted((f for f in findings if (f.file, f.code) in over), key=_document_order):
        group = omitted.setdefault((f.file, f.code), [])
        if len(group) < limit:
            kept.append(f)
        group.append(f)
    return kept, [
        _summary(group[limit], len(group) - limit, limit) for group in omitted.values()
    ]


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
        rule=name,
        message=(
            f"+{count} more {name} findings in this file, not listed (the first {limit} "
            f"are; the next is at {first.pointer or '/'})."
        ),
        hint="Run 'seqcheck validate --verbose' to list every finding.",
    )
