"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice``
annotation per finding, shown on the file and line in the pull request."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.validate.codes import Severity
from conformance.validate.report import ValidationReport
from conformance.validate.reporters import RenderOptions, expanded, finding_path

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    # The escaping the Actions runner decodes (toolkit's command.ts).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """One annotation line per finding (and per folded violation with --verbose)."""
    lines = []
    for report in reports:
        for finding in report.findings:
            path = finding_path(finding, options.base)
            for f in expanded(finding, options.verbose):
                props = [f"file={_escape_property(path)}"]
                if f.line is not None:
                    props.append(f"line={f.line}")
                    props.append(f"col={f.column}")
                props.append(f"title={_escape_property(f'{f.code} {f.name}')}")
                text = f"{f.message} (at {f.pointer or '/'}) {f.hint}"
                lines.append(f"::{_COMMAND[f.severity]} {','.join(props)}::{_escape_data(text)}")
    return "".join(line + "\n" for line in lines)
