"""The certificate as a terminal table (what ``seqcheck certify`` prints)."""

from __future__ import annotations

import click

from conformance.certify.model import Report, RequirementResult

_STATUS_LABEL = {
    "pass": "pass",
    "fail": "FAIL",
    "warning": "warning",
    "error": "ERROR",
    "not-claimed": "not claimed",
    "not-applicable": "n/a",
    "skipped": "skipped",
    "untested": "UNTESTED",
}
_STATUS_COLOR = {"pass": "green", "fail": "red", "error": "red", "warning": "yellow",
                 "untested": "red"}
_TITLE_WIDTH = 72


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def first_line(text: str) -> str:
    """The first non-empty line of ``text`` (reasons can be long tracebacks)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def describe_implementation(report: Report) -> str:
    """``name version (protocol N; capabilities: ...)`` or the start error."""
    info = report.header["implementation"]
    target = report.header["target"]
    if info is None:
        return f"{target['spec']} (did not start: {report.header['implementation_error']})"
    caps = ", ".join(info["capabilities"]) or "none"
    return f"{info['name']} {info['version']} (protocol {info['protocol']}; capabilities: {caps})"


def verdict_line(report: Report) -> str:
    """One sentence: the verdict and, when not certified, what blocks it."""
    if report.verdict == "certified":
        warn = report.counts.get("warning", 0)
        extra = f" with {warn} SHOULD warning(s)" if warn else ""
        return f"CERTIFIED{extra}: every applicable MUST requirement passed."
    if report.verdict == "adapter-broken":
        return ("ADAPTER BROKEN: no test could run (every one errored); see the first "
                "error and the adapter's stderr.")
    blocking = [r.id for r in report.requirements if r.blocking]
    return f"NOT CERTIFIED: {len(blocking)} MUST requirement(s) not met: {', '.join(blocking)}."


def _row(r: RequirementResult, color: bool) -> list[str]:
    label = f"{_STATUS_LABEL[r.status]:<11}"
    if color and r.status in _STATUS_COLOR:
        label = click.style(label, fg=_STATUS_COLOR[r.status], bold=r.status != "warning")
    lines = [f"{r.id:<14} {r.level:<6} {label} {_clip(r.title, _TITLE_WIDTH)}"]
    for f in r.findings[:2]:
        lines.append(f"{'':<34}-> {f.test.split('::')[-1]}: {_clip(first_line(f.reason), 100)}")
    if r.note and r.status not in ("pass",):
        lines.append(f"{'':<34}({_clip(r.note, 100)})")
    if "ratio" in r.measurements:
        lines.append(f"{'':<34}(latency ratio {r.measurements['ratio']}x, "
                     f"allowed {r.measurements.get('max_ratio', '?')}x)")
    return lines


def render_table(report: Report, *, color: bool = False) -> str:
    """The requirement table with a header line, counts and the verdict."""
    h = report.header
    out = [
        f"Implementation: {describe_implementation(report)}",
        f"Suite {h['suite']['version']} ({h['suite']['depth']} profile), "
        f"seqcheck {h['tool']['version']}, assurance: {h['assurance']}",
        "",
        f"{'REQUIREMENT':<14} {'LEVEL':<6} {'STATUS':<11} TITLE",
    ]
    for r in report.requirements:
        out.extend(_row(r, color))
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
    tests = ", ".join(f"{n} {s}" for s, n in sorted(report.test_counts.items()))
    out += ["", f"Requirements: {counts}. Tests: {tests}. Time: {report.duration_seconds:.1f}s."]
    out.extend(f"Note: {n}" for n in h["notes"])
    out.append(verdict_line(report))
    return "\n".join(out)


__all__ = ["describe_implementation", "first_line", "render_table", "verdict_line"]
