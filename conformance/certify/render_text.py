"""The certificate as a terminal table (what ``seqcheck certify`` prints).

It opens with "What to fix first" (failed requirements, worst consequence first, each
with the spec's rule, what was found and a replayable reproduction), then the
requirement table. Titles and findings are never cut when the output is not a
terminal (CI logs keep every word); on a terminal they are cut to its width.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from typing import Literal

import click

from conformance.certify.model import FixItem, Report, RequirementResult, Status, Verdict

_STATUS_LABEL = {
    Status.PASS: "pass",
    Status.FAIL: "FAIL",
    Status.WARNING: "warning",
    Status.ERROR: "ERROR",
    Status.NOT_TESTED: "NOT TESTED",
    Status.NOT_CLAIMED: "not claimed",
    Status.NOT_APPLICABLE: "n/a",
    Status.SKIPPED: "skipped",
}
_STATUS_COLOR = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "red",
                 Status.WARNING: "yellow", Status.NOT_TESTED: "red"}
_INDENT = 35
#: Width used for a terminal whose size cannot be read.
_FALLBACK_WIDTH = 100
#: How many failures "What to fix first" shows in full in the text form.
_FIX_SHOWN = 10

Width = int | None | Literal["auto"]


def _clip(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: max(width - 3, 8)] + "..."


def first_line(text: str) -> str:
    """The first non-empty line of ``text`` (reasons can be long tracebacks)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def output_width(width: Width = "auto") -> int | None:
    """The width to cut lines to: ``None`` (never cut) unless stdout is a terminal, then
    the terminal's width; an explicit number is used as given."""
    if width != "auto":
        return width
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return None
    return shutil.get_terminal_size((_FALLBACK_WIDTH, 24)).columns


def describe_implementation(report: Report) -> str:
    """``name version (protocol N; capabilities: ...)`` or the start error."""
    info = report.header["implementation"]
    target = report.header["target"]
    if info is None:
        return f"{target['spec']} (did not start: {report.header['implementation_error']})"
    caps = ", ".join(info["capabilities"]) or "none"
    extra = ""
    mapping = info.get("error_mapping")
    if mapping:
        entries = mapping.get("entries")
        count = f"{len(entries)} " if isinstance(entries, (list, dict)) else ""
        extra += f"; error codes translated by the adapter ({count}mapping entries)"
    if info.get("start_stalls"):
        extra += f"; {info['start_stalls']} silent start(s) retried"
    return (f"{info['name']} {info['version']} (protocol {info['protocol']}; "
            f"capabilities: {caps}{extra})")


def verdict_line(report: Report) -> str:
    """One sentence: the verdict and, when not certified, what blocks it."""
    if report.verdict is Verdict.CERTIFIED:
        warn = report.counts.get(Status.WARNING.value, 0)
        extra = f" with {warn} SHOULD warning(s)" if warn else ""
        return f"CERTIFIED{extra}: every applicable MUST requirement passed."
    if report.verdict is Verdict.TIMED_OUT:
        cut = report.header.get("deadline") or {}
        return (f"TIMED OUT: the run passed its {cut.get('seconds', 0):g} s deadline "
                "(--timeout); what did not run is unproven, so it is not certified.")
    if report.verdict is Verdict.ADAPTER_BROKEN:
        return ("ADAPTER BROKEN: no test could run (every one errored); see the first "
                "error and the adapter's stderr.")
    blocking = [r for r in report.requirements if r.blocking]
    failed = [r.id for r in blocking if r.status is not Status.NOT_TESTED]
    untested = [r.id for r in blocking if r.status is Status.NOT_TESTED]
    parts = []
    if failed:
        parts.append(f"{len(failed)} MUST requirement(s) not met: {', '.join(failed)}")
    if untested:
        parts.append(f"{len(untested)} MUST requirement(s) not tested: {', '.join(untested)}")
    return f"NOT CERTIFIED: {'; '.join(parts)}."


def reproduction_json(item: FixItem) -> str:
    """The item's reproduction as compact JSON (one line), or a pointer to its test."""
    if item.reproduction is None:
        return f'{{"test": {json.dumps(item.test)}}}'
    return json.dumps(item.reproduction, ensure_ascii=False, separators=(", ", ": "))


def render_fix_first(report: Report, *, width: Width = "auto") -> list[str]:
    """The "What to fix first" section as lines (empty when nothing failed)."""
    if not report.fix_first:
        return []
    cut = output_width(width)
    out = ["What to fix first (worst consequence first):"]
    for n, item in enumerate(report.fix_first[:_FIX_SHOWN], 1):
        out.append(f"{n}. {item.id} [{item.consequence.label}] {item.title}")
        wrap = cut - 6 if cut is not None else None
        for label, text in (("rule", item.spec), ("found", first_line(item.finding))):
            body = f"{label}: {text}"
            if wrap is None:
                out.append(f"     {body}")
            else:
                out.extend(textwrap.wrap(body, wrap, initial_indent="     ",
                                         subsequent_indent="       "))
        out.append(f"     reproduce: {_clip(reproduction_json(item), cut and cut - 16)}")
    rest = len(report.fix_first) - _FIX_SHOWN
    if rest > 0:
        ids = ", ".join(i.id for i in report.fix_first[_FIX_SHOWN:])
        out.append(f"   ... and {rest} more: {ids} (all in the JSON certificate)")
    return [*out, ""]


def _row(r: RequirementResult, color: bool, cut: int | None) -> list[str]:
    label = f"{_STATUS_LABEL[r.status]:<11}"
    if color and r.status in _STATUS_COLOR:
        label = click.style(label, fg=_STATUS_COLOR[r.status], bold=r.status is not Status.WARNING)
    room = cut - _INDENT if cut is not None else None
    lines = [f"{r.id:<14} {r.level:<6} {label} {_clip(r.title, room)}"]
    for f in r.findings[:2]:
        text = f"-> {f.test.split('::')[-1]}: {first_line(f.reason)}"
        lines.append(f"{'':<{_INDENT - 1}}{_clip(text, room)}")
    if r.note and r.status is not Status.PASS:
        lines.append(f"{'':<{_INDENT - 1}}{_clip(f'({r.note})', room)}")
    if "ratio" in r.measurements:
        lines.append(f"{'':<{_INDENT - 1}}(latency ratio {r.measurements['ratio']}x, "
                     f"allowed {r.measurements.get('max_ratio', '?')}x)")
    return lines


def render_table(report: Report, *, color: bool = False, width: Width = "auto") -> str:
    """What to fix first, then the requirement table with a header, counts and verdict.

    ``width``: ``"auto"`` cuts long titles and findings to the terminal's width when
    stdout is a terminal and never otherwise; ``None`` never cuts; a number cuts there.
    """
    h = report.header
    cut = output_width(width)
    out = [
        f"Implementation: {describe_implementation(report)}",
        f"Suite {h['suite']['version']} ({h['suite']['depth']} profile), "
        f"seqcheck {h['tool']['version']}, assurance: {h['assurance']}",
        "",
        *render_fix_first(report, width=cut),
        f"{'REQUIREMENT':<14} {'LEVEL':<6} {'STATUS':<11} TITLE",
    ]
    for r in report.requirements:
        out.extend(_row(r, color, cut))
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
    tests = ", ".join(f"{n} {s}" for s, n in sorted(report.test_counts.items()))
    out += ["", f"Requirements: {counts}. Tests: {tests}. Time: {report.duration_seconds:.1f}s."]
    out.extend(f"Note: {n}" for n in h["notes"])
    out.append(verdict_line(report))
    return "\n".join(out)


__all__ = [
    "describe_implementation",
    "first_line",
    "output_width",
    "render_fix_first",
    "render_table",
    "reproduction_json",
    "verdict_line",
]
