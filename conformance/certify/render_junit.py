"""The certificate as JUnit XML: one test case per requirement, for CI test viewers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.certify.model import Report, Status
from conformance.certify.render_text import first_line


def render_junit(report: Report) -> str:
    """JUnit XML: fail -> <failure>, error and not tested -> <error>, not claimed, n/a and
    skipped -> <skipped>;
    a SHOULD warning passes with the finding in <system-out>."""
    suite = ET.Element("testsuite", name="seqcheck-conformance")
    failures = errors = skipped = 0
    for r in report.requirements:
        case = ET.SubElement(
            suite, "testcase", classname=f"seqcheck.{r.section}", name=f"{r.id} {r.title}",
        )
        detail = "\n\n".join(f"{f.test}\n{f.reason}" for f in r.findings) or r.note
        summary = first_line(r.findings[0].reason) if r.findings else r.note
        if r.status is Status.FAIL:
            failures += 1
            ET.SubElement(case, "failure", message=summary[:300]).text = detail
        elif r.status in (Status.ERROR, Status.NOT_TESTED):
            errors += 1
            message = summary[:300] or r.status.value
            ET.SubElement(case, "error", message=message).text = detail
        elif r.status in (Status.NOT_CLAIMED, Status.NOT_APPLICABLE, Status.SKIPPED):
            skipped += 1
            ET.SubElement(case, "skipped", message=f"{r.status.value}: {r.note}")
        elif r.status is Status.WARNING:
            ET.SubElement(case, "system-out").text = f"SHOULD warning: {detail}"
    suite.set("tests", str(len(report.requirements)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{report.duration_seconds:.3f}")
    props = ET.Element("properties")
    info = report.header["implementation"] or {}
    for key, value in (
        ("implementation", f"{info.get('name', '?')} {info.get('version', '')}".strip()),
        ("verdict", report.verdict.value),
        ("suite_version", report.header["suite"]["version"]),
        ("assurance", report.header["assurance"]),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    suite.insert(0, props)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


__all__ = ["render_junit"]
