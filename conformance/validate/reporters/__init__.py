"""Output formats of ``seqcheck validate``: one module per format, registered here.

Each module has ``render(reports, options) -> str``. Register a new format by adding
one line to :data:`REPORTERS`; the CLI's ``--format`` choices come from it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conformance.validate.codes import Severity
from conformance.validate.finding import Finding, printable
from conformance.validate.report import ValidationReport

#: format name -> module implementing ``render``.
REPORTERS: dict[str, str] = {
    "text": "conformance.validate.reporters.text",
    "json": "conformance.validate.reporters.json_report",
    "junit": "conformance.validate.reporters.junit",
    "sarif": "conformance.validate.reporters.sarif",
    "github": "conformance.validate.reporters.github",
}


@dataclass(frozen=True)
class RenderOptions:
    """How to render: ``base`` is the folder paths are shown relative to (the current
    folder by default); ``fail_on`` is the threshold findings fail at (JUnit marks
    only those as failures); ``color`` only matters to the text format."""

    base: Path = field(default_factory=Path.cwd)
    verbose: bool = False
    quiet: bool = False
    color: bool = False
    fail_on: Severity = Severity.ERROR


Renderer = Callable[[Sequence[ValidationReport], RenderOptions], str]


def get_renderer(name: str) -> Renderer:
    """The ``render`` function of format ``name`` (KeyError for an unknown format)."""
    module = importlib.import_module(REPORTERS[name])
    render: Renderer = module.render
    return render


def render(name: str, reports: Sequence[ValidationReport], options: RenderOptions) -> str:
    """Render ``reports`` in format ``name``."""
    return get_renderer(name)(reports, options)


def display_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when it is below it, else as given; always with
    ``/`` separators (SARIF URIs, annotations and golden files need one form), and
    encodable as UTF-8 (an undecodable byte of a folder name shows as ``\\xNN``)."""
    try:
        rel = os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return printable(path.as_posix())
    if rel == ".." or rel.startswith(".." + os.sep):
        return printable(path.as_posix())
    return printable(Path(rel).as_posix())


def finding_path(finding: Finding, base: Path) -> str:
    """The display path of the file a finding is about."""
    return display_path(finding.project / finding.file, base)


def expanded(finding: Finding, verbose: bool) -> list[Finding]:
    """The finding, followed by the violations folded into it when ``verbose``."""
    return [finding, *finding.more] if verbose else [finding]
