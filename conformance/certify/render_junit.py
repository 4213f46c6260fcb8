"""The certificate as JUnit XML: one test case per requirement, for CI test viewers."""

from __future__ import annotations

from conformance.certify.model import Report, RequirementResult, Status
from conformance.certify.render_text import first_line
from conformance.junit_xml import Case, Result, Suite, testsuite_document

_SKIPPED = (Status.NOT_CLAIMED, Status.NOT_APPLICABLE, Status.SKIPPED)


def _case(r: RequirementResult) -> Case:
    classname, name = f"seqcheck.{r.section}", f"{r.id} {r.title}"
    detail = "\n\n".join(f"{f.test}\n{f.reason}" for f in r.findings) or r.note
    summary = first_line(r.findings[0].reason) if r.findings else r.note
    if r.status is Status.FAIL:
        return Case(classname, name, Result.FAILURE, summary[:300], detail=detail)
    if r.status in (Status.ERROR, Status.NOT_TESTED):
        message = summary[:300] or r.status.value
        return Case(classname, name, Result.ERROR, message, detail=detail)
    if r.status in _SKIPPED:
        return Case(classname, name, Result.SKIPPED, f"{r.status.value}: {r.note}")
    if r.status is Status.WARNING:
        return Case(classname, name, output=f"SHOULD warning: {detail}")
    return Case(classname, name)


def render_junit(report: Report) -> str:
    """JUnit XML: fail -> <failure>, error and not tested -> <error>, not claimed, n/a and
    skipped -> <skipped>;
    a SHOULD warning passes with the finding in <system-out>."""
    info = report.header["implementation"] or {}
    properties = [
        ("implementation", f"{info.get('name', '?')} {info.get('version', '')}".strip()),
        ("verdict", report.verdict.value),
        ("suite_version", report.header["suite"]["version"]),
        ("assurance", report.header["assurance"]),
    ]
    suite = Suite(
        "seqcheck-conformance",
        [_case(r) for r in report.requirements],
        properties=properties,
        count_skipped=True,
        time=report.duration_seconds,
    )
    return testsuite_document(suite)


__all__ = ["render_junit"]
