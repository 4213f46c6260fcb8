"""Reading a project's inputs (project.json and every sequence file) strictly.

The same reader serves the live project folder and a run's backup folder, so a
resumed migration plans from exactly the bytes the first attempt saw. Every check
that can reject the input happens here, before anything is written: a bad project
is refused with the file, the JSON pointer and what to do.

:func:`shot_duration` and :func:`with_plan_id` are the facts about one shot the migrator
relies on: how long it lasts, how it is stored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import documents, field_shapes, schema_registry
from conformance.documents import (
    LEGACY_ARRAYS,
    check_sequence_doc,
    describe_schema_error,
)
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.ids import id_problem
from conformance.jsonio import parse_bytes
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR, is_sequence_file_name
from conformance.validate import Severity
from conformance.validate.finding import FileRef
from conformance.validate.parsing import parse
from migrate import project_files
from migrate.errors import quote
from migrate.legacy_reader import MISSING, LegacyProject, ShotFacts, Visit, facts_of, scan

Shot = dict[str, Any]


def shot_duration(shot: Shot) -> float:
    """Seconds a shot lasts for the migrator's sums (:func:`conformance.documents.shot_duration`),
    0 when unknown: migration rule 5 (conformance/spec/migration.md) counts a shot
    without a duration as lasting 0 s, where the validator calls such a sum unknown."""
    known = documents.shot_duration(shot)
    return 0 if known is None else known


def with_plan_id(shot: Shot, sequence_id: str) -> Shot:
    """The shot as stored in its sequence file: ``sequencePlanId`` added when missing."""
    if "sequencePlanId" in shot:
        return shot
    return {**shot, "sequencePlanId": sequence_id}


@dataclass(frozen=True)
class SequenceInput:
    """One sequence file as found: its name, bytes and document.

    ``doc`` has no ``id`` only for a born-broken file (see :mod:`migrate.repair`).
    """

    name: str
    raw: bytes
    doc: dict[str, Any]

    @property
    def path(self) -> str:
        """Project-relative posix path."""
        return f"{SEQUENCES_DIR}/{self.name}"

    @property
    def has_id(self) -> bool:
        """False for a born-broken file."""
        return "id" in self.doc

    @property
    def by_service(self) -> bool:
        """Written by the app's SequenceService or dashboard (field_shapes): to be
        brought into the canonical layout by ``--repair``."""
        return field_shapes.written_by_sequence_service(self.name, self.doc)

    @property
    def canonical_name(self) -> bool:
        """The name is a layout sequence file name (``sequence_NNN.json``)."""
        return is_sequence_file_name(self.name)


@dataclass(frozen=True)
class Snapshot:
    """The project's files at one instant: project.json and the sequence files."""

    project: LegacyProject  # project.json: its bytes, members and legacy shots
    sequences: tuple[SequenceInput, ...]  # sorted by file name
    had_sequences_dir: bool
    #: project.json schema findings the migration does not interpret:
    #: ``(pointer, message)``, carried over untouched and listed in the plan.
    project_findings: tuple[tuple[str, str], ...] = ()

    def raw_files(self) -> dict[str, bytes]:
        """Project-relative path -> original bytes, for every input file."""
        out = {PROJECT_FILE: self.project.raw}
        out.update((s.path, s.raw) for s in self.sequences)
        return out


def check_project_doc(doc: Any, file: Path) -> dict[str, Any]:
    """Refuse a project.json the migrator cannot move shots out of safely.

    Checks, in this order (first problem wins, with its pointer): an object; legacy
    arrays are arrays of objects; every legacy shot has a safe string ``id``; every
    membership field is a safe identifier. That is all the migrator interprets; the
    rest of the project schema is :func:`project_schema_findings`' (plan warnings).
    """
    if not isinstance(doc, dict):
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected project.json to hold a JSON object, found {type(doc).__name__}. "
            "Restore it from a backup; nothing was changed.",
            file=file,
            pointer="",
        )
    for array in LEGACY_ARRAYS:
        if array not in doc:
            continue
        shots = doc[array]
        if not isinstance(shots, list):
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected '{array}' to be an array of shots, found "
                f"{type(shots).__name__}. Fix it by hand; nothing was changed.",
                file=file,
                pointer=json_pointer([array]),
            )
        for index, shot in enumerate(shots):
            if not isinstance(shot, dict):
                raise SeqcheckError(
                    ErrorCode.CORRUPT_FILE,
                    f"expected each shot to be a JSON object, found {type(shot).__name__}.",
                    file=file,
                    pointer=json_pointer([array, index]),
                )
            _check_legacy_shot(facts_of(shot), file, array, index)
    return doc


def _check_legacy_shots(legacy: LegacyProject, file: Path) -> None:
    """:func:`check_project_doc`'s checks of each shot, on a streamed project.json
    (whose legacy arrays hold objects only), from the facts read while streaming.

    The many shots that name one sequence name it with the same string: a sequence
    id found safe once is not checked again (a shot whose id or membership is not
    plainly fine goes through :func:`_check_legacy_shot`, which says why)."""
    safe: set[str] = set()
    for array in legacy.arrays():
        for index, facts in enumerate(legacy.facts[array]):
            plan_id, seq_id = facts.plan_id, facts.sequence_id
            if (
                type(facts.id) is str
                and (plan_id is MISSING or (type(plan_id) is str and plan_id in safe))
                and (seq_id is MISSING or (type(seq_id) is str and seq_id in safe))
                and id_problem(facts.id) is None
            ):
                continue
            _check_legacy_shot(facts, file, array, index)
            # Checked: the membership fields it has are safe identifiers.
            safe.update(facts.members().values())


def project_schema_findings(doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Every violation of the project schema, ``(pointer, message)`` by location.

    Only the shots that move are interpreted, and they are checked where they land
    (as part of the sequence file they are written to); everything else is carried
    over byte for byte, so these are warnings, not refusals."""
    if schema_registry.is_valid(schema_registry.PROJECT, doc):
        return ()
    out: dict[str, str] = {}
    for err in schema_registry.iter_errors(schema_registry.PROJECT, doc):
        out.setdefault(json_pointer(list(err.absolute_path)), describe_schema_error(err))
    return tuple(sorted(out.items()))


# A project.json valid with any valid shots under "shots" (checked at first use).
_PROBE: dict[str, Any] = {"schema_version": "1.0", "project_name": "probe", "shots": []}


class _ShotValidity:
    """A scan's ``visit``: whether every legacy shot is valid against the shot schema.

    Each group is validated as the ``shots`` of a minimal valid project (one
    validator call per group, not per shot: the call costs more than a small shot),
    which the project schema allows exactly when each is a valid shot
    (:func:`schema_registry.shot_arrays`)."""

    def __init__(self) -> None:
        self.all_valid = True
        self.grouped = "shots" in schema_registry.shot_arrays(schema_registry.PROJECT) and \
            schema_registry.is_valid(schema_registry.PROJECT, _PROBE)

    def __call__(self, array: str, first: int, shots: list[Shot]) -> None:
        if not self.all_valid:
            return
        if self.grouped:
            self.all_valid = schema_registry.is_valid(schema_registry.PROJECT,
                                                      {**_PROBE, "shots": shots})
        else:
            self.all_valid = all(schema_registry.is_valid(schema_registry.SHOT, shot)
                                 for shot in shots)


def _streamed_findings(legacy: LegacyProject, shots_valid: bool) -> tuple[tuple[str, str], ...]:
    """:func:`project_schema_findings` of a streamed project.json. Its legacy arrays
    are plain arrays of shots in the schema (:func:`schema_registry.shot_arrays`), so
    it is valid exactly when its other members are (the arrays standing empty) and
    every shot is (``shots_valid``, checked while streaming); only an invalid
    project is parsed whole to list its findings."""
    plain = set(legacy.arrays()) <= set(schema_registry.shot_arrays(schema_registry.PROJECT))
    if plain and shots_valid and schema_registry.is_valid(schema_registry.PROJECT, legacy.head):
        return ()
    return project_schema_findings(legacy.document())


def _check_legacy_shot(facts: ShotFacts, file: Path, array: str, index: int) -> None:
    where: list[str | int] = [array, index]
    if not facts.has_id:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            "expected every shot to have an 'id', found a shot without one. A shot "
            "without an id cannot be tracked through the migration; give it a unique "
            "id first. Nothing was changed.",
            file=file,
            pointer=json_pointer(where),
        )
    problem = id_problem(facts.id)
    if problem is not None:
        raise SeqcheckError(
            ErrorCode.INVALID_ID,
            f"expected the shot id to be a safe identifier, but it {problem}. Nothing "
            "was changed.",
            file=file,
            pointer=json_pointer([*where, "id"]),
        )
    for member, value in facts.members().items():
        problem = id_problem(value)
        if problem is not None:
            raise SeqcheckError(
                ErrorCode.INVALID_ID,
                f"expected {member} to name a sequence with a safe identifier (it "
                f"becomes part of a file's identity), but {quote(value)} "
                f"{_phrase(problem)}. Fix the id; nothing was changed.",
                file=file,
                pointer=json_pointer([*where, member]),
            )


def _phrase(problem: str) -> str:
    # id_problem says "contains ..." / "expected ..."; make it read after a value.
    return problem if problem.startswith(("contains", "starts")) else f"is wrong: {problem}"


def _parse_fast(raw: bytes, file: Path) -> Any:
    """The validator's strict parse (orjson fast path, same values); any file-level
    error is re-read by :func:`parse_bytes` for its precise SeqcheckError."""
    parsed = parse(raw, FileRef(file.parent, file.name))
    if not parsed.usable or any(f.severity is Severity.ERROR for f in parsed.findings):
        return parse_bytes(raw, file=file)
    return parsed.doc


def _object(doc: Any, file: Path) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE, f"expected a JSON object, found {type(doc).__name__}.",
            file=file, pointer="",
        )
    return doc


def read_snapshot(root: Path, *, checked: bool = True) -> Snapshot:
    """Read ``root/project.json`` and ``root/sequences/sequence_*.json`` strictly.

    ``root`` is a project folder or a run's backup folder. Raises
    ``PROJECT_NOT_FOUND``, ``CORRUPT_FILE``, ``INVALID_ID``,
    ``DUPLICATE_SEQUENCE_ID`` or ``IO_ERROR``. Without ``checked`` only the strict
    parse (the validator's, faster) and "is an object" are checked - for
    verification, where the validator judges the rest and a backup was checked when
    it was taken.
    """
    project, findings = read_project(root, checked=checked)
    had_dir = project_files.list_names(root, SEQUENCES_DIR) is not None
    sequences = list(iter_sequences(root, checked=checked))
    if checked:
        _check_duplicates(sequences, root / SEQUENCES_DIR)
    return Snapshot(project, tuple(sequences), had_dir, findings)


def read_project(root: Path, *, checked: bool = True, visit: Visit | None = None,
                 facts: bool = True) -> tuple[LegacyProject, tuple[tuple[str, str], ...]]:
    """project.json of ``root`` and (``checked``) its schema findings, read as
    :func:`read_snapshot` reads it: streamed shot by shot where its layout allows
    (:mod:`migrate.legacy_reader`), else parsed whole - the same checks, errors and
    values either way. ``visit`` (unchecked reads only) is handed each legacy shot
    of a streamed read as it is parsed (see :func:`migrate.legacy_reader.scan`);
    without ``facts`` (unchecked reads only) a streamed read keeps no
    :attr:`LegacyProject.facts` (for a reader that only visits the shots)."""
    project_path = root / PROJECT_FILE
    project_raw = project_files.read(root, PROJECT_FILE)
    if project_raw is None:
        raise SeqcheckError(
            ErrorCode.PROJECT_NOT_FOUND,
            "expected project.json in the project folder, found none. Pass the folder "
            "that holds project.json.",
            file=project_path,
        )
    validity = _ShotValidity()
    streamed = scan(project_raw, validity if checked else visit, facts=facts or checked)
    if streamed is not None:
        if not checked:
            return streamed, ()
        _check_legacy_shots(streamed, project_path)
        return streamed, _streamed_findings(streamed, validity.all_valid)
    if checked:
        doc = check_project_doc(parse_bytes(project_raw, file=project_path), project_path)
        return LegacyProject.from_document(project_raw, doc), project_schema_findings(doc)
    doc = _object(_parse_fast(project_raw, project_path), project_path)
    return LegacyProject.from_document(project_raw, doc), ()


def iter_sequences(root: Path, *, checked: bool = True) -> Iterator[SequenceInput]:
    """The sequence files of ``root`` in name order, one at a time (so a caller that
    looks at each once holds one file's document, not all), read as
    :func:`read_snapshot` reads them (without its check of duplicate ids)."""
    folder = root / SEQUENCES_DIR
    listed = project_files.list_names(root, SEQUENCES_DIR)
    names = [n for n in listed or []
             if is_sequence_file_name(n) or field_shapes.may_be_app_sequence_file(n)]
    for name in names:
        path = folder / name
        if not is_sequence_file_name(name):
            # The app's id-prefix files are read; any other sequence_*.json is a stray
            # file (the validator's SC313) and is neither read further nor touched.
            candidate = _app_file(root, path, name)
            if candidate is not None:
                yield candidate
            continue
        raw = _read_sequence(root, path, name)
        doc = parse_bytes(raw, file=path) if checked else _object(_parse_fast(raw, path), path)
        if checked and not (isinstance(doc, dict) and "id" not in doc):
            # Files with an id must be valid; id-less ones are judged by repair.py.
            _check_sequence(doc, name, path)
        yield SequenceInput(name, raw, doc)


def _read_sequence(root: Path, path: Path, name: str) -> bytes:
    raw = project_files.read(root, f"{SEQUENCES_DIR}/{name}")
    if raw is None:
        raise SeqcheckError(ErrorCode.IO_ERROR, "the file disappeared while being read; "
                            "retry once nothing else changes the project.", file=path)
    return raw


def _app_file(root: Path, path: Path, name: str) -> SequenceInput | None:
    try:
        raw = _read_sequence(root, path, name)
        doc = parse_bytes(raw, file=path)
    except SeqcheckError:
        return None
    if not field_shapes.is_id_prefix_file(name, doc):
        return None
    _check_sequence(doc, name, path)
    return SequenceInput(name, raw, doc)


def _check_sequence(doc: Any, name: str, path: Path) -> None:
    """A sequence file must be valid: the reference shape except for its missing
    ``shots`` (repair resolves them), every other file entirely."""
    if field_shapes.is_reference_shape(doc):
        check_sequence_doc({**doc, "shots": []}, path)
    else:
        check_sequence_doc(doc, path)


def _check_duplicates(sequences: list[SequenceInput], folder: Path) -> None:
    """Two files with one id are refused unless the app's SequenceService wrote one of
    them (then ``--repair`` merges them, see migrate.repair)."""
    groups: dict[str, list[SequenceInput]] = {}
    for seq in sequences:
        if seq.has_id:
            groups.setdefault(seq.doc["id"], []).append(seq)
    for seq_id, group in groups.items():
        if len(group) > 1 and not any(s.by_service for s in group):
            raise SeqcheckError(
                ErrorCode.DUPLICATE_SEQUENCE_ID,
                f"expected one file with sequence id {json.dumps(seq_id)}, found "
                f"{len(group)}: {', '.join(s.name for s in group)}. Merge or renumber "
                "them before migrating; nothing was changed.",
                file=folder / group[1].name,
                pointer="/id",
            )


def project_root(path: str | os.PathLike[str]) -> Path:
    """``path`` as a project folder: it must be a folder holding project.json."""
    root = Path(path)
    if not root.is_dir():
        found = "nothing" if not root.exists() else "a file"
        raise SeqcheckError(
            ErrorCode.PROJECT_NOT_FOUND,
            f"expected a project folder, found {found}. Pass the folder that holds "
            "project.json.",
            file=root,
        )
    if not project_files.exists(root, PROJECT_FILE):
        raise SeqcheckError(
            ErrorCode.PROJECT_NOT_FOUND,
            "expected project.json in the project folder, found none. Pass the folder "
            "that holds project.json.",
            file=root / PROJECT_FILE,
        )
    return root
