"""Machine-readable output, described by ``schemas/validation-report.schema.json``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from conformance import __version__
from conformance.validate.codes import Severity
from conformance.validate.finding import Finding
from conformance.validate.report import ValidationReport
from conformance.validate.reporters import RenderOptions, display_path, finding_path

SCHEMA_ID = "https://schemas.seqcheck.dev/v1/validation-report.schema.json"


def _entry(finding: Finding, options: RenderOptions) -> dict[str, Any]:
    entry = finding.to_dict()
    entry["path"] = finding_path(finding, options.base)
    if options.verbose:
        entry["more"] = [_entry(m, options) for m in finding.more]
    return entry


def to_document(reports: Sequence[ValidationReport], options: RenderOptions) -> dict[str, Any]:
    """The report as a JSON-ready dict (see the schema for every field)."""
    projects = []
    for report in reports:
        findings = [_entry(f, options) for f in report.findings]
        projects.append(
            {
                "project": display_path(report.project, options.base),
                "ok": report.ok,
                "files_checked": report.files_checked,
                "counts": {s.value: n for s, n in report.counts.items()},
                "findings": findings,
            }
        )
    totals = {s.value: sum(r.counts[s] for r in reports) for s in Severity}
    return {
        "$schema": SCHEMA_ID,
        "tool": {"name": "seqcheck", "version": __version__},
        "summary": {
            "projects": len(reports),
            "files_checked": sum(r.files_checked for r in reports),
            "counts": totals,
            "ok": all(r.ok for r in reports),
        },
        "projects": projects,
    }


def render(reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """The JSON document, indented, with a trailing newline."""
    return json.dumps(to_document(reports, options), indent=2, ensure_ascii=False) + "\n"
