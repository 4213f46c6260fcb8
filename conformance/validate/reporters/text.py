"""Human-readable output: findings grouped by file, a summary line, colour on a TTY."""

from __future__ import annotations

from collections.abc import Sequence

import click

from conformance.validate.codes import Severity
from conformance.validate.report import ValidationReport
from conformance.validate.reporters import RenderOptions, expanded, finding_path

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(reports: Sequence[ValidationReport]) -> str:
    """One line: projects and files checked, and findings per severity."""
    files = sum(r.files_checked for r in reports)
    counts = {s: sum(r.counts[s] for r in reports) for s in Severity}
    head = f"{_plural(len(reports), 'project')}, {_plural(files, 'file')} checked"
    if not any(counts.values()):
        return f"{head}: no findings."
    return (
        f"{head}: {_plural(counts[Severity.ERROR], 'error')}, "
        f"{_plural(counts[Severity.WARNING], 'warning')}, "
        f"{_plural(counts[Severity.INFO], 'info')}."
    )


def render(reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """Findings grouped under their file's path; each with position, severity, code,
    message, JSON pointer and hint."""

    def style(text: str, **kw: object) -> str:
        return click.style(text, **kw) if options.color else text  # type: ignore[arg-type]

    lines: list[str] = []
    for report in reports:
        current = None
        for finding in report.findings:
            path = finding_path(finding, options.base)
            if path != current:
                if current is not None:
                    lines.append("")
                lines.append(style(path, bold=True))
                current = path
            for i, f in enumerate(expanded(finding, options.verbose)):
                where = f"{f.line}:{f.column}" if f.line is not None else "-"
                sev = style(f"{f.severity.value:<7}", fg=_COLOURS[f.severity])
                prefix = "  " if i == 0 else "    + "
                lines.append(
                    f"{prefix}{where:<9} {sev} {style(f.code, bold=True)} {f.message}"
                )
                indent = " " * (len(prefix) + 10)
                lines.append(f"{indent}at {f.pointer or '/'} [{f.rule}]")
                if i == 0:
                    lines.append(f"{indent}hint: {f.hint}")
        if current is not None:
            lines.append("")
    if not options.quiet:
        lines.append(summary(reports))
    return "\n".join(lines) + ("\n" if lines else "")
