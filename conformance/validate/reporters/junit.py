"""JUnit XML for CI test tabs: one test suite per project, one test case per finding.

Findings at or above ``--fail-on`` are ``<failure>``s; findings below it are passing
test cases with the message in ``<system-out>``; a project without findings has one
passing test case, so every suite shows up.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.junit_xml import Case, Result, Suite, testsuites_document
from conformance.validate.finding import Finding
from conformance.validate.report import ValidationReport
from conformance.validate.reporters import (
    RenderOptions,
    display_path,
    expanded,
    finding_path,
)


def _case(finding: Finding, options: RenderOptions) -> Case:
    path = finding_path(finding, options.base)
    where = f"{path}:{finding.line}:{finding.column}" if finding.line else path
    body = "\n".join(
        f"{where}: {f.severity.value} {f.code} {f.message} (at {f.pointer or '/'}; "
        f"rule {f.rule})\nhint: {f.hint}"
        for f in expanded(finding, options.verbose)
    )
    name = f"{finding.code} {finding.name} at {finding.pointer or '/'}"
    if finding.severity.rank >= options.fail_on.rank:
        return Case(path, name, Result.FAILURE, finding.message, kind=finding.code, detail=body)
    return Case(path, name, output=body)


def _suite(report: ValidationReport, options: RenderOptions) -> Suite:
    project = display_path(report.project, options.base)
    cases = [_case(finding, options) for finding in report.findings]
    return Suite(project, cases or [Case(project, "no findings")])


def render(reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """The JUnit XML document (UTF-8 declaration, indented)."""
    return testsuites_document(
        "seqcheck validate", [_suite(report, options) for report in reports]
    )
