"""SARIF 2.1.0 for code scanning (e.g. github/codeql-action/upload-sarif).

One run; every finding code is a rule of the driver; each finding is a result with
the file (URI relative to the current folder), line and column, and the JSON pointer
as a logical location.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from conformance import __version__
from conformance.validate.codes import CODES, Severity
from conformance.validate.report import ValidationReport
from conformance.validate.reporters import RenderOptions, expanded, finding_path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_RULE_INDEX = {code: i for i, code in enumerate(CODES)}


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": c.code,
            "name": "".join(part.title() for part in c.name.split("-")),
            "shortDescription": {"text": c.meaning},
            "help": {"text": f"{c.hint} 'seqcheck explain {c.code}' says why, with an example."},
            "defaultConfiguration": {"level": _LEVEL[c.severity]},
            "properties": {"tags": ["seqcheck", c.name]},
        }
        for c in CODES.values()
    ]


def to_document(reports: Sequence[ValidationReport], options: RenderOptions) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    results = []
    for report in reports:
        for finding in report.findings:
            path = finding_path(finding, options.base)
            for f in expanded(finding, options.verbose):
                # A URI reference relative to the folder seqcheck ran in (the checkout
                # root in CI): spaces and the like percent-encoded, '/' kept.
                physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path)}}
                if f.line is not None:
                    physical["region"] = {"startLine": f.line, "startColumn": f.column}
                results.append(
                    {
                        "ruleId": f.code,
                        "ruleIndex": _RULE_INDEX[f.code],
                        "level": _LEVEL[f.severity],
                        "message": {"text": f"{f.message} Hint: {f.hint}"},
                        "locations": [
                            {
                                "physicalLocation": physical,
                                "logicalLocations": [
                                    {"fullyQualifiedName": f.pointer or "/", "kind": "member"}
                                ],
                            }
                        ],
                        "properties": {"pointer": f.pointer, "rule": f.rule},
                    }
                )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "seqcheck",
                        "version": __version__,
                        "rules": _rules(),
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """The SARIF log, indented, with a trailing newline."""
    return json.dumps(to_document(reports, options), indent=2, ensure_ascii=False) + "\n"
