"""JUnit XML for CI test tabs: one test suite per project, one test case per finding.

Findings at or above ``--fail-on`` are ``<failure>``s; findings below it are passing
test cases with the message in ``<system-out>``; a project without findings has one
passing test case, so every suite shows up.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from conformance.validate.report import ValidationReport
from conformance.validate.reporters import (
    RenderOptions,
    display_path,
    expanded,
    finding_path,
)


def render(reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """The JUnit XML document (UTF-8 declaration, indented)."""
    root = ET.Element("testsuites", name="seqcheck validate")
    total_tests = total_failures = 0
    for report in reports:
        project = display_path(report.project, options.base)
        suite = ET.SubElement(root, "testsuite", name=project)
        tests = failures = 0
        for finding in report.findings:
            tests += 1
            path = finding_path(finding, options.base)
            case = ET.SubElement(
                suite,
                "testcase",
                classname=path,
                name=f"{finding.code} {finding.name} at {finding.pointer or '/'}",
            )
            where = f"{path}:{finding.line}:{finding.column}" if finding.line else path
            body = "\n".join(
                f"{where}: {f.severity.value} {f.code} {f.message} (at {f.pointer or '/'}; "
                f"rule {f.rule})\nhint: {f.hint}"
                for f in expanded(finding, options.verbose)
            )
            if finding.severity.rank >= options.fail_on.rank:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=finding.message, type=finding.code
                )
                failure.text = body
            else:
                ET.SubElement(case, "system-out").text = body
        if not report.findings:
            tests += 1
            ET.SubElement(suite, "testcase", classname=project, name="no findings")
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
