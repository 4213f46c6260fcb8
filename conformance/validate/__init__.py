"""``seqcheck validate`` as a library: check project folders against the spec.

>>> from conformance.validate import validate_project
>>> report = validate_project("examples/demo-project")
>>> report.ok
True

:func:`validate_project` returns a :class:`ValidationReport` (findings sorted by file
and position, :attr:`~ValidationReport.counts` per :class:`Severity`);
:func:`validate_projects` validates many (optionally searching folders recursively)
and returns a list of reports, in order, serially or on ``jobs`` processes. Finding
codes are listed in :data:`CODES`; ``seqcheck explain CODE`` prints one.
"""

from conformance.validate.batch import default_jobs, validate_many, validate_projects
from conformance.validate.codes import CODES, CodeInfo, Severity
from conformance.validate.discovery import (
    find_projects,
    is_project,
    project_holding,
    project_roots_for_changed,
    resolve_projects,
    special_file_kind,
)
from conformance.validate.engine import validate_project
from conformance.validate.finding import Finding
from conformance.validate.report import ValidationReport

__all__ = [
    "CODES",
    "CodeInfo",
    "Finding",
    "Severity",
    "ValidationReport",
    "default_jobs",
    "find_projects",
    "is_project",
    "project_holding",
    "project_roots_for_changed",
    "resolve_projects",
    "special_file_kind",
    "validate_many",
    "validate_project",
    "validate_projects",
]
