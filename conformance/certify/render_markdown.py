"""The certificate as GitHub-flavoured markdown (fits ``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import json

from conformance.certify.model import Report, Status
from conformance.certify.render_text import describe_implementation, first_line, verdict_line

_ICON = {
    Status.PASS: "✅ pass", Status.FAIL: "❌ fail", Status.WARNING: "⚠️ warning",
    Status.ERROR: "💥 error", Status.NOT_CLAIMED: "— not claimed",
    Status.NOT_APPLICABLE: "— n/a", Status.SKIPPED: "⏭️ skipped",
    Status.NOT_TESTED: "❔ not tested",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fix_first(report: Report) -> list[str]:
    if not report.fix_first:
        return []
    out = ["", "### What to fix first", ""]
    for n, item in enumerate(report.fix_first, 1):
        out += [
            f"{n}. **{item.id}** ({item.consequence.label}): {_cell(item.title)}",
            f"   - Rule: {_cell(item.spec)}",
            f"   - Found (`{item.test.split('::')[-1]}`): {_cell(first_line(item.finding))}",
        ]
        if item.reproduction is not None:
            body = json.dumps(item.reproduction, indent=2, ensure_ascii=False)
            out += ["   <details><summary>Reproduction (files set up, calls made)</summary>",
                    "", "   ```json", *(f"   {line}" for line in body.splitlines()), "   ```",
                    "", "   </details>"]
    return out


def render_markdown(report: Report) -> str:
    """A heading with the verdict, the implementation, "What to fix first" and the
    requirement table."""
    h = report.header
    out = [
        f"## seqcheck certification: {report.verdict.value.replace('-', ' ')}",
        "",
        f"**{_cell(verdict_line(report))}**",
        "",
        f"- Implementation: {_cell(describe_implementation(report))}",
        f"- Suite {h['suite']['version']}, {h['suite']['depth']} profile; seqcheck "
        f"{h['tool']['version']}; assurance: {h['assurance']}",
    ]
    out.extend(f"- Note: {_cell(n)}" for n in h["notes"])
    out.extend(_fix_first(report))
    out += ["", "| Requirement | Level | Status | Title | Finding |", "|---|---|---|---|---|"]
    for r in report.requirements:
        finding = ""
        if r.findings:
            f = r.findings[0]
            finding = f"`{f.test.split('::')[-1]}`: {first_line(f.reason)[:200]}"
        elif r.note and r.status is not Status.PASS:
            finding = r.note
        if "ratio" in r.measurements:
            finding += f" latency ratio {r.measurements['ratio']}x (allowed " \
                       f"{r.measurements.get('max_ratio', '?')}x)"
        out.append(
            f"| {r.id} | {r.level} | {_ICON[r.status]} | {_cell(r.title)} | {_cell(finding)} |"
        )
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
    out += ["", f"Requirements: {counts}. Time: {report.duration_seconds:.1f}s.", ""]
    return "\n".join(out)


__all__ = ["render_markdown"]
