"""Validating a project: read each file once, in order, and run every rule on it.

Flow per project: project.json (file, schema and legacy-shot rules), then each entry
of ``sequences/`` in name order (stray files; file, schema, per-file and cross-file
rules), then the rules that need every file. A file's document is dropped as soon as
its rules have run; line and column are computed only for files with findings.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from conformance import field_shapes, layout, schema_registry
from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import BOM
from conformance.limits import MAX_FINDINGS_PER_FILE
from conformance.projectfs import (
    EntryKind,
    FileTooLargeError,
    LinkOutError,
    NotRegularFileError,
    OpenFolder,
    ProjectFS,
)
from conformance.validate import file_pool
from conformance.validate.discovery import resolve_projects
from conformance.validate.finding import FileRef, Finding
from conformance.validate.gc_pause import cyclic_gc_paused
from conformance.validate.parsing import parse
from conformance.validate.positions import locate
from conformance.validate.project_rules import ProjectRules, SequenceFacts
from conformance.validate.report import ValidationReport, cap_per_code, with_summaries
from conformance.validate.schema_findings import schema_findings
from conformance.validate.shot_rules import sequence_findings, shape_findings


def _read(path: Path, ref: FileRef, folder: OpenFolder | None = None) -> bytes | Finding:
    """The file's bytes, read through the project's one path policy, or the finding
    saying why it was not read (nothing outside the project, no FIFO or device, no
    file over the size limit is ever read). ``folder``: the open folder ``path`` is
    directly in (same checks, without a walk from the project root per file)."""
    try:
        if folder is not None:
            data = folder.read_bytes_or_none(path.name)
            if data is None:
                raise FileNotFoundError(path)  # reported below, as a read by path is
            return data
        return ProjectFS(ref.project).read_bytes(path)
    except FileNotFoundError:
        return ref.finding(
            "SC101", "", "expected a readable file, found nothing (it was removed, or it "
            "is a link to a file that does not exist)."
        )
    except LinkOutError as err:
        return _link_out(ref, err)
    except NotRegularFileError as err:
        if err.kind is EntryKind.FOLDER:
            return ref.finding("SC101", "", "expected a JSON file, found a folder.")
        return ref.finding(
            "SC110", "", f"expected a regular file, found a {err.kind}; it was not read."
        )
    except FileTooLargeError as err:
        found = f"{err.size} bytes" if err.size is not None else "more than that"
        return ref.finding(
            "SC111", "",
            f"expected at most {err.limit} bytes (the file-size limit), found {found}; "
            "it was not read.",
        )
    except SeqcheckError as err:
        if err.code is ErrorCode.IO_ERROR:
            return ref.finding("SC101", "", f"expected a readable file, but {err.message}")
        return ref.finding("SC101", "", err.message)


def _link_out(ref: FileRef, err: LinkOutError) -> Finding:
    link = err.link.relative_to(ref.project).as_posix()
    where = link if link != ref.file else None
    via = f" ({json.dumps(where)} on the way)" if where else ""
    return ref.finding(
        "SC315", "",
        f"expected a file inside the project, found a link to {json.dumps(err.target)}"
        f"{via}, outside it; it was not read.",
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


def _is_candidate(name: str) -> bool:
    """Whether entry ``name`` of sequences/ is checked as a sequence file (else it
    is a stray file, or the lock file of one)."""
    return not _is_lock_file(name) and (
        layout.is_sequence_file_name(name) or field_shapes.may_be_app_sequence_file(name)
    )


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


@dataclass
class _Checked:
    """One sequence file's outcome: the findings listed for it (capped, with
    positions), the summaries of those not listed (see :func:`cap_per_code`), the
    findings about other files (project.json copies), and the file's facts for the
    cross-file rules (``None`` when it has no document to take them from)."""

    here: list[Finding]
    summaries: list[Finding]
    elsewhere: list[Finding]
    facts: SequenceFacts | None


#: The cross-file step of :func:`_check_sequence_file`: ProjectRules.merge, or in a
#: worker process none (the parent merges the facts).
_Merge = Callable[[SequenceFacts], list[Finding]]


def _check_sequence_file(
    project: Path, name: str, rules: ProjectRules, limit: int | None, merge: _Merge | None,
    folder: OpenFolder | None,
) -> _Checked | None:
    """Every finding of one sequence file; ``merge`` adds the cross-file ones.

    ``None`` for a ``sequence_*.json`` name outside the layout that is not the app's
    id-prefix file of the sequence it holds (field_shapes): a stray file."""
    file = f"{layout.SEQUENCES_DIR}/{name}"
    ref = FileRef(project, file)
    canonical_name = layout.is_sequence_file_name(name)
    raw = _read(layout.sequences_dir(project) / name, ref, folder)
    if isinstance(raw, Finding):
        return _Checked([raw], [], [], None) if canonical_name else None
    parsed = parse(raw, ref)
    if not canonical_name and not (
        parsed.usable and field_shapes.is_id_prefix_file(name, parsed.doc)
    ):
        return None
    here = parsed.findings
    elsewhere: list[Finding] = []
    facts = None
    if parsed.usable:
        if not isinstance(parsed.doc, dict):
            here.append(_not_object(ref, parsed.doc))
        else:
            doc = parsed.doc
            here.extend(shape_findings(doc, ref, name))
            if field_shapes.is_reference_shape(doc):
                # SC316 explains the missing 'shots'; the rest of the schema still applies.
                here.extend(
                    schema_findings(schema_registry.SEQUENCE, {**doc, "shots": []}, ref, limit)
                )
            else:
                here.extend(schema_findings(schema_registry.SEQUENCE, doc, ref, limit))
                here.extend(sequence_findings(doc, ref, name))
            facts = rules.facts(file, doc)
            if merge is not None:
                for f in merge(facts):
                    (here if f.file == file else elsewhere).append(f)
    listed, summaries = cap_per_code(here, limit)
    return _Checked(_with_positions(listed, raw), summaries, elsewhere, facts)


#: Below this many bytes of sequence files a project is checked in one process:
#: forking and starting workers (~30 ms) would cost more than they save.
_MIN_PARALLEL_BYTES = 8 << 20


#: What a worker needs besides the file name (inherited through fork, not pickled).
_WorkerState = tuple[Path, ProjectRules, "int | None", "OpenFolder | None"]


def _in_worker(state: _WorkerState, name: str) -> _Checked | None:
    project, rules, limit, folder = state
    return _check_sequence_file(project, name, rules, limit, None, folder)


def _big_enough_to_share(project: Path, names: list[str]) -> bool:
    """Whether the sequence files hold at least :data:`_MIN_PARALLEL_BYTES` (sizes from
    lstat, summed only until the answer is known; nothing is read here)."""
    folder = layout.sequences_dir(project)
    total = 0
    for name in names:
        if total >= _MIN_PARALLEL_BYTES:
            return True
        with contextlib.suppress(OSError):
            total += os.lstat(folder / name).st_size
    return total >= _MIN_PARALLEL_BYTES


def _merged(cross: list[Finding]) -> _Merge:
    """A merge step that gives the cross-file findings already found."""
    return lambda _facts: cross


def _checked_files(
    project: Path, names: list[str], rules: ProjectRules, limit: int | None, jobs: int,
    folder: OpenFolder | None,
) -> Generator[_Checked | None, None, None]:
    """:func:`_check_sequence_file` of each name, in order, with the cross-file
    rules applied in that order: on ``jobs`` worker processes for a big project (the
    workers check files and take their facts; the parent merges the facts), else
    here. Both give the same findings, in the same order."""
    if (
        jobs <= 1
        or len(names) < 2
        or not file_pool.can_fork()
        or not _big_enough_to_share(project, names)
    ):
        for name in names:
            yield _check_sequence_file(project, name, rules, limit, rules.merge, folder)
        return
    state: _WorkerState = (project, rules, limit, folder)
    results = file_pool.map_forked(_in_worker, state, names, jobs)
    try:
        for name, checked in zip(names, results, strict=True):
            if checked is None or checked.facts is None:
                yield checked
                continue
            cross = rules.merge(checked.facts)
            if any(f.file == checked.facts.file for f in cross):
                # A cross-file finding in this file (SC302/SC303/SC309, rare): check
                # it again here, so it is capped and located with the file's own.
                yield _check_sequence_file(
                    project, name, rules, limit, _merged(cross), folder
                )
            else:
                yield replace(checked, elsewhere=cross) if cross else checked
    finally:
        results.close()


def _collect(
    project: Path,
    entries: list[str],
    checked_files: Iterator[_Checked | None],
    report: ValidationReport,
    findings: list[Finding],
    summaries: list[Finding],
    project_findings: list[Finding],
) -> None:
    """Add what each entry of sequences/ gives (in name order) to the lists."""
    for name in entries:
        if _is_lock_file(name):
            continue
        checked = next(checked_files) if _is_candidate(name) else None
        if checked is None:
            findings.append(
                FileRef(project, f"{layout.SEQUENCES_DIR}/{name}").finding(
                    "SC313", "",
                    "expected only sequence files (sequence_NNN.json) in "
                    f"sequences/, found {json.dumps(name, ensure_ascii=False)}.",
                )
            )
            continue
        report.files_checked += 1
        findings.extend(checked.here)
        summaries.extend(checked.summaries)
        project_findings.extend(checked.elsewhere)


def _open_sequences(fs: ProjectFS, stack: contextlib.ExitStack) -> OpenFolder | None:
    """sequences/ opened once for reading its files, or ``None`` when it cannot be
    (then each file is read by path, which reports why)."""
    try:
        return stack.enter_context(fs.open_folder(layout.SEQUENCES_DIR))
    except (FileNotFoundError, SeqcheckError):
        return None


def validate_project(
    path: str | os.PathLike[str],
    *,
    max_findings_per_file: int | None = MAX_FINDINGS_PER_FILE,
    jobs: int = 1,
) -> ValidationReport:
    """Validate the project folder ``path``: every file-, schema- and project-level
    rule of ``conformance/spec/findings.md``.

    Each file lists at most ``max_findings_per_file`` findings of each code; the rest
    of a code are summed up in one finding saying how many (see
    :func:`conformance.validate.report.cap_per_code`). ``None`` lists every finding.

    ``jobs`` > 1 lets a big project's sequence files be checked on that many forked
    processes (see :func:`file_pool.can_fork`; else serially), with
    the same report.

    A file that cannot be read or parsed becomes a finding and validation goes on.
    Raises ``SeqcheckError(PROJECT_NOT_FOUND)`` when ``path`` is not a project folder
    (see :func:`conformance.validate.discovery.is_project`).
    """
    project = resolve_projects([path], recursive=False)[0]
    with cyclic_gc_paused():
        return _validate(project, max_findings_per_file, jobs)


def _validate(project: Path, limit: int | None, jobs: int) -> ValidationReport:
    rules = ProjectRules(project)
    report = ValidationReport(project)
    project_findings, report.files_checked = _check_project_file(project, rules, limit)
    findings: list[Finding] = []
    summaries: list[Finding] = []
    seq_ref = FileRef(project, layout.SEQUENCES_DIR)
    fs = ProjectFS(project)
    listing = None
    try:
        listing = fs.list_dir_or_none(layout.SEQUENCES_DIR)
    except LinkOutError as err:
        findings.append(
            seq_ref.finding(
                "SC315", "",
                "expected 'sequences' to be a folder inside the project, found a link "
                f"to {json.dumps(err.target)}; it was not read.",
            )
        )
    except SeqcheckError as err:
        if err.code is ErrorCode.CORRUPT_FILE:
            kind = fs.kind(layout.SEQUENCES_DIR)
            message = (
                err.message  # reached through links: say where it went wrong
                if kind is None or kind is EntryKind.LINK
                else f"expected 'sequences' to be a folder, found a {kind}."
            )
            findings.append(seq_ref.finding("SC314", "", message))
        else:
            findings.append(
                seq_ref.finding("SC101", "", f"expected a readable folder, but {err.message}")
            )
    entries = [entry.name for entry in listing or ()]
    candidates = [name for name in entries if _is_candidate(name)]
    with contextlib.ExitStack() as open_folder:
        folder = _open_sequences(fs, open_folder) if candidates else None
        checked_files = open_folder.enter_context(  # closed first: it may hold workers
            contextlib.closing(_checked_files(project, candidates, rules, limit, jobs, folder))
        )
        _collect(project, entries, checked_files, report, findings, summaries, project_findings)
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
