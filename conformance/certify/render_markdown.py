"""The certificate as GitHub-flavoured markdown (fits ``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

from conformance.certify.model import Report
from conformance.certify.render_text import describe_implementation, first_line, verdict_line

_ICON = {
    "pass": "✅ pass", "fail": "❌ fail", "warning": "⚠️ warning", "error": "💥 error",
    "not-claimed": "— not claimed", "not-applicable": "— n/a", "skipped": "⏭️ skipped",
    "untested": "❔ untested",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    """A heading with the verdict, the implementation, and the requirement table."""
    h = report.header
    out = [
        f"## seqcheck certification: {report.verdict.replace('-', ' ')}",
        "",
        f"**{_cell(verdict_line(report))}**",
        "",
        f"- Implementation: {_cell(describe_implementation(report))}",
        f"- Suite {h['suite']['version']}, {h['suite']['depth']} profile; seqcheck "
        f"{h['tool']['version']}; assurance: {h['assurance']}",
    ]
    out.extend(f"- Note: {_cell(n)}" for n in h["notes"])
    out += ["", "| Requirement | Level | Status | Title | Finding |", "|---|---|---|---|---|"]
    for r in report.requirements:
        finding = ""
        if r.findings:
            f = r.findings[0]
            finding = f"`{f.test.split('::')[-1]}`: {first_line(f.reason)[:200]}"
        elif r.note and r.status != "pass":
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
