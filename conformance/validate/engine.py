"""Validating a project: read each file once, in order, and run every rule on it.

Flow per project: project.json (file, schema and legacy-shot rules), then each entry
of ``sequences/`` in name order (stray files; file, schema, per-file and cross-file
rules), then the rules that need every file. A file's document is dropped as soon as
its rules have run; line and column are computed only for files with findings.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from conformance import layout, schema_registry
from conformance.jsonio import BOM
from conformance.limits import MAX_FINDINGS_PER_FILE
from conformance.validate.discovery import resolve_projects
from conformance.validate.finding import FileRef, Finding
from conformance.validate.parsing import parse
from conformance.validate.positions import locate
from conformance.validate.project_rules import ProjectRules
from conformance.validate.report import ValidationReport, cap_per_code, with_summaries
from conformance.validate.schema_findings import schema_findings
from conformance.validate.shot_rules import sequence_findings

#: ``progress(done, total, project)`` called after each project of a batch.
Progress = Callable[[int, int, Path], None]


def _read(path: Path, ref: FileRef) -> bytes | Finding:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        return ref.finding("SC101", "", "expected a JSON file, found a folder.")
    except OSError as exc:
        return ref.finding(
            "SC101", "", f"expected a readable file, found: {exc.strerror or exc}."
        )


def _with_positions(findings: list[Finding], raw: bytes) -> list[Finding]:
    """Fill in line/column of findings that lack them, from the file's text."""
    todo = [f for f in findings if f.line is None]
    if not todo:
        return findings
    body = raw[len(BOM) :] if raw.startswith(BOM) else raw
    text = body.decode("utf-8", errors="replace")
    where = locate(text, {f.pointer for f in todo})
    out = []
    for f in findings:
        if f.line is None and f.pointer in where:
            line, col = where[f.pointer]
            more = tuple(
                _replace_pos(m, *where.get(m.pointer, (line, col))) for m in f.more
            )
            f = _replace_pos(f, line, col, more)
        out.append(f)
    return out


def _replace_pos(
    f: Finding, line: int, col: int, more: tuple[Finding, ...] | None = None
) -> Finding:
    return replace(f, line=line, column=col, more=f.more if more is None else more)


def _is_lock_file(name: str) -> bool:
    """The spec's sidecar lock of a sequence file: writers never unlink it, so it is
    not a stray file."""
    if not (name.startswith(".") and name.endswith(".lock")):
        return False
    target = name[1 : -len(".lock")]
    return layout.is_sequence_file_name(target) and layout.lock_path(Path(target)).name == name


def _check_project_file(
    project: Path, rules: ProjectRules, limit: int | None
) -> tuple[list[Finding], int]:
    ref = FileRef(project, layout.PROJECT_FILE)
    path = layout.project_file(project)
    if not os.path.lexists(path):
        return [
            ref.finding(
                "SC301", "",
                f"expected {layout.PROJECT_FILE} in the project folder, found none.",
            )
        ], 0
    raw = _read(path, ref)
    if isinstance(raw, Finding):
        return [raw], 0
    parsed = parse(raw, ref)
    findings = parsed.findings
    if parsed.usable:
        if not isinstance(parsed.doc, dict):
            findings.append(_not_object(ref, parsed.doc))
        else:
            findings.extend(schema_findings(schema_registry.PROJECT, parsed.doc, ref, limit))
            findings.extend(rules.add_project(parsed.doc))
    return findings, 1


def _not_object(ref: FileRef, doc: object) -> Finding:
    kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(doc), "a number"
    )
    return ref.finding("SC108", "", f"expected a JSON object at the top level, found {kind}.")


def _check_sequence_file(
    project: Path, name: str, rules: ProjectRules, limit: int | None
) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Findings listed for this file, summaries of those not listed (see
    :func:`cap_per_code`), and findings about other files (project.json copies)."""
    file = f"{layout.SEQUENCES_DIR}/{name}"
    ref = FileRef(project, file)
    raw = _read(layout.sequences_dir(project) / name, ref)
    if isinstance(raw, Finding):
        return [raw], [], []
    parsed = parse(raw, ref)
    here = parsed.findings
    elsewhere: list[Finding] = []
    if parsed.usable:
        if not isinstance(parsed.doc, dict):
            here.append(_not_object(ref, parsed.doc))
        else:
            doc = parsed.doc
            here.extend(schema_findings(schema_registry.SEQUENCE, doc, ref, limit))
            here.extend(sequence_findings(doc, ref, name))
            for f in rules.add_sequence(file, doc):
                (here if f.file == file else elsewhere).append(f)
    listed, summaries = cap_per_code(here, limit)
    return _with_positions(listed, raw), summaries, elsewhere


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """JSON documents are trees, freed by reference counting as soon as a file is
    done; the cyclic collector only re-scans their containers, which cost about a
    quarter of the run time on big projects. Paused for one project, then restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_project(
    path: str | os.PathLike[str], *, max_findings_per_file: int | None = MAX_FINDINGS_PER_FILE
) -> ValidationReport:
    """Validate the project folder ``path``: every file-, schema- and project-level
    rule of ``conformance/spec/findings.md``.

    Each file lists at most ``max_findings_per_file`` findings of each code; the rest
    of a code are summed up in one finding saying how many (see
    :func:`conformance.validate.report.cap_per_code`). ``None`` lists every finding.

    A file that cannot be read or parsed becomes a finding and validation goes on.
    Raises ``SeqcheckError(PROJECT_NOT_FOUND)`` when ``path`` is not a project folder
    (see :func:`conformance.validate.discovery.is_project`).
    """
    project = resolve_projects([path], recursive=False)[0]
    with _cyclic_gc_paused():
        return _validate(project, max_findings_per_file)


def _validate(project: Path, limit: int | None) -> ValidationReport:
    rules = ProjectRules(project)
    report = ValidationReport(project)
    project_findings, report.files_checked = _check_project_file(project, rules, limit)
    findings: list[Finding] = []
    summaries: list[Finding] = []
    seq_dir = layout.sequences_dir(project)
    if os.path.lexists(seq_dir):
        if seq_dir.is_symlink() and not layout.resolves_inside(project, seq_dir):
            findings.append(
                FileRef(project, layout.SEQUENCES_DIR).finding(
                    "SC315", "",
                    "expected 'sequences' to be a folder inside the project, found a link "
                    f"to {os.path.realpath(seq_dir)}; it was not read.",
                )
            )
        elif not seq_dir.is_dir():
            findings.append(
                FileRef(project, layout.SEQUENCES_DIR).finding(
                    "SC314", "", "expected 'sequences' to be a folder, found a file."
                )
            )
        else:
            try:
                names = sorted(p.name for p in seq_dir.iterdir())
            except OSError as exc:
                names = []
                findings.append(
                    FileRef(project, layout.SEQUENCES_DIR).finding(
                        "SC101", "",
                        f"expected a readable folder, found: {exc.strerror or exc}.",
                    )
                )
            for name in names:
                if _is_lock_file(name):
                    continue
                if not layout.is_sequence_file_name(name):
                    findings.append(
                        FileRef(project, f"{layout.SEQUENCES_DIR}/{name}").finding(
                            "SC313", "",
                            "expected only sequence files (sequence_NNN.json) in "
                            f"sequences/, found {json.dumps(name, ensure_ascii=False)}.",
                        )
                    )
                    continue
                entry = seq_dir / name
                if entry.is_symlink() and not layout.resolves_inside(project, entry):
                    findings.append(
                        FileRef(project, f"{layout.SEQUENCES_DIR}/{name}").finding(
                            "SC315", "",
                            "expected a sequence file inside the project, found a link to "
                            f"{os.path.realpath(entry)}; it was not read.",
                        )
                    )
                    continue
                here, omitted, elsewhere = _check_sequence_file(project, name, rules, limit)
                report.files_checked += 1
                findings.extend(here)
                summaries.extend(omitted)
                project_findings.extend(elsewhere)
    project_findings.extend(rules.finish())
    project_findings, omitted = cap_per_code(project_findings, limit)
    summaries.extend(omitted)
    if any(f.line is None and f.code != "SC301" for f in project_findings):
        # Re-read rather than keep project.json's bytes for the whole run.
        raw = _read(layout.project_file(project), FileRef(project, layout.PROJECT_FILE))
        if isinstance(raw, bytes):
            project_findings = _with_positions(project_findings, raw)
    findings.extend(project_findings)
    report.findings = with_summaries(sorted(findings, key=Finding.sort_key), summaries)
    return report


def validate_projects(
    paths: Iterable[str | os.PathLike[str]],
    *,
    recursive: bool = False,
    progress: Progress | None = None,
    max_findings_per_file: int | None = MAX_FINDINGS_PER_FILE,
) -> list[ValidationReport]:
    """Validate many projects: one :class:`ValidationReport` per project, in order.

    With ``recursive``, each path is searched for folders holding ``project.json``.
    Every path is resolved first, so a path that is not a project raises
    ``PROJECT_NOT_FOUND`` before any work is done. ``progress(done, total, project)``
    is called after each project. ``max_findings_per_file``: see
    :func:`validate_project`.
    """
    if isinstance(paths, (str, os.PathLike)):  # one path, not an iterable of characters
        paths = [paths]
    projects = resolve_projects(paths, recursive=recursive)
    reports = []
    for done, project in enumerate(projects, 1):
        reports.append(validate_project(project, max_findings_per_file=max_findings_per_file))
        if progress is not None:
            progress(done, len(projects), project)
    return reports
