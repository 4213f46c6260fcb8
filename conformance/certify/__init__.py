"""Certification: run the conformance suite and issue a per-requirement certificate.

>>> from conformance.certify import certify, Target        # doctest: +SKIP
>>> report = certify(Target(impl="reference", adapter=None))  # doctest: +SKIP
>>> report.verdict                                          # doctest: +SKIP
'certified'

The report (:class:`~conformance.certify.model.Report`) is the one source of the
table, JSON, JUnit and markdown renderings and of ``seqcheck certify``'s exit code.
Statuses and verdicts are typed (:class:`Status`, :class:`Verdict`); ``report.fix_first``
lists what to fix first (:class:`FixItem`: rule, finding, replayable reproduction).
"""

from conformance.certify.model import (
    FixItem,
    Report,
    RequirementResult,
    Status,
    Verdict,
    build_report,
)
from conformance.certify.runner import SuiteRunError, certify, run_suite
from conformance.target import Target

__all__ = [
    "FixItem",
    "Report",
    "RequirementResult",
    "Status",
    "SuiteRunError",
    "Target",
    "Verdict",
    "build_report",
    "certify",
    "run_suite",
]
