"""The "passes ``seqcheck validate``" half of verification.

Uses the validator's library API (:func:`conformance.validate.validate_project`); only
findings of severity error fail a verification (warnings and infos are the
validator's business, shown by ``seqcheck validate``).
"""

from __future__ import annotations

from pathlib import Path

from conformance.validate import Severity, validate_project
from migrate.model import VerifyProblem

#: Shown in reports: which check decided validity.
VALIDATOR = "seqcheck validate"


def validation_problems(root: Path) -> tuple[str, list[VerifyProblem]]:
    """``(validator name, one problem per validation error)`` for project ``root``."""
    report = validate_project(root)
    problems = [
        VerifyProblem("validation", f"{f.code} {f.name}: {f.message}", f.file, f.pointer)
        for f in report.findings
        if f.severity is Severity.ERROR
    ]
    return VALIDATOR, problems
