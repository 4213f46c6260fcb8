"""Proving a migration lost and duplicated nothing, and left a valid project.

Independent of the planner: it compares the run's backup (the originals) with the
project as it is now.

* every shot id of the original project.json and sequence files is present, in
  exactly one file (one sequence file, or project.json - where a shot left in
  project.json may keep the copies it had under both ``shots`` and ``storyboard``);
* each copy equals one of that id's original copies, or such a copy plus the
  ``sequencePlanId`` of the sequence now holding it;
* no shot in project.json still names a sequence (nothing left to migrate);
* the project passes ``seqcheck validate`` with no errors.

Without a run (a project never migrated by seqcheck) only the last two apply.

The "passes ``seqcheck validate``" half (:func:`validation_problems`):

Uses the validator's library API (:func:`conformance.validate.validate_project`); only
findings of severity error fail a verification (warnings and infos are the
validator's business, shown by ``seqcheck validate``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from conformance.documents import LEGACY_ARRAYS, shot_sequence_id
from conformance.errors import SeqcheckError
from conformance.jsonio import json_equal
from conformance.layout import PROJECT_FILE
from conformance.validate import Severity, validate_project
from conformance.validate.batch import default_jobs
from conformance.validate.gc_pause import cyclic_gc_paused
from migrate import runs
from migrate.errors import quote
from migrate.legacy_reader import LegacyProject
from migrate.model import ProblemKind, VerifyProblem, VerifyReport
from migrate.snapshot import SequenceInput, iter_sequences, project_root, read_project

#: Shown in reports: which check decided validity.
VALIDATOR = "seqcheck validate"


def validation_problems(root: Path, jobs: int = 1) -> tuple[str, list[VerifyProblem]]:
    """``(validator name, one problem per validation error)`` for project ``root``;
    ``jobs`` as for :func:`conformance.validate.validate_project`."""
    report = validate_project(root, jobs=jobs)
    problems = [
        VerifyProblem(ProblemKind.VALIDATION, f"{f.code} {f.name}: {f.message}", f.file, f.pointer)
        for f in report.findings
        if f.severity is Severity.ERROR
    ]
    return VALIDATOR, problems


class _Location(NamedTuple):
    file: str
    pointer: str
    shot: dict[str, Any]
    holder: str | None  # sequence id of the file holding it; None for project.json


def _shots(doc: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # Read leniently: a malformed shot is the validator's to report.
    shots = doc.get(key)
    if isinstance(shots, list):
        for index, shot in enumerate(shots):
            if isinstance(shot, dict) and isinstance(shot.get("id"), str):
                yield index, shot


def _legacy_shots(project: LegacyProject, array: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # As _shots, one shot parsed at a time.
    for index, shot in project.shots(array):
        if isinstance(shot, dict) and isinstance(shot.get("id"), str):
            yield index, shot


def _project_locations(project: dict[str, Any]) -> Iterator[_Location]:
    for array in LEGACY_ARRAYS:
        for index, shot in _shots(project, array):
            yield _Location(PROJECT_FILE, f"/{array}/{index}", shot, None)


def _sequence_locations(seq: SequenceInput) -> Iterator[_Location]:
    holder = seq.doc.get("id")
    for index, shot in _shots(seq.doc, "shots"):
        yield _Location(seq.path, f"/shots/{index}", shot,
                        holder if isinstance(holder, str) else None)


def _file_locations(project: dict[str, Any], sequences: Iterable[SequenceInput],
                    ) -> Iterator[list[_Location]]:
    """The shots of project.json, then of each sequence file: one list per file, so
    only one file's document need be held at a time."""
    yield list(_project_locations(project))
    for seq in sequences:
        yield list(_sequence_locations(seq))


def _matches(loc: _Location, copies: list[dict[str, Any]]) -> bool:
    # json_equal, not ==: iterative (a shot nested past ~1000 levels made == raise
    # RecursionError after the shot had moved) and strict about 1 / 1.0 / true.
    for original in copies:
        if json_equal(loc.shot, original):
            return True
        if (loc.holder is not None and "sequencePlanId" not in original
                and json_equal(loc.shot, {**original, "sequencePlanId": loc.holder})):
            return True
    return False


def _key(shot: dict[str, Any]) -> bytes | None:
    """A byte string equal for two shots exactly when :func:`json_equal` holds, or
    ``None`` when that cannot be promised (then json_equal decides).

    orjson with sorted keys writes every JSON value it accepts one way only, and two
    values that differ (in any type, key set, string, integer or float - ``1``,
    ``1.0``, ``true``; ``0.0``, ``-0.0``) differently: floats carry ``.`` or ``e``,
    floats are written shortest-round-trip, strings escaped one way. It refuses
    integers beyond 64 bits, nesting past 254 levels and lone surrogates (``None``
    here); it writes NaN and infinity as ``null``, so any key holding ``null`` (even
    inside a string) is ``None`` too. Property-tested against json_equal
    (tests/migrate/test_verify_keys.py)."""
    try:
        key = orjson.dumps(shot, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return None
    return None if b"null" in key else key


#: Flags of a single-copy entry of :class:`_Index` (its first byte).
_IN_PROJECT, _NO_PLAN_ID = 1, 2


@dataclass(slots=True)
class _Originals:
    """The original copies of one shot id: keys of every copy, keys of the copies
    without ``sequencePlanId``, the copies that have no key, and how many were in
    project.json."""

    keys: set[bytes] = field(default_factory=set)
    keys_no_plan_id: set[bytes] = field(default_factory=set)
    keyless: list[dict[str, Any]] = field(default_factory=list)
    in_project: int = 0

    @classmethod
    def from_entry(cls, entry: bytes) -> _Originals:
        """From a single-copy entry of :class:`_Index`."""
        key = entry[1:]
        return cls({key}, {key} if entry[0] & _NO_PLAN_ID else set(), [],
                   1 if entry[0] & _IN_PROJECT else 0)

    def add(self, loc: _Location) -> None:
        key = _key(loc.shot)
        if key is None:
            self.keyless.append(loc.shot)
        else:
            self.keys.add(key)
            if "sequencePlanId" not in loc.shot:
                self.keys_no_plan_id.add(key)
        if loc.file == PROJECT_FILE:
            self.in_project += 1

    def matched_by(self, loc: _Location) -> bool:
        """Whether ``loc``'s shot equals one original copy, or one without
        ``sequencePlanId`` plus the holder's id: :func:`_matches` over every copy.

        Equal values have equal keys (or both none), so a copy with a key matches
        only through the key sets, and a copy without one is in ``keyless``."""
        # The holder's form first when it can apply: a moved shot that had no
        # sequencePlanId (the common case) then costs one key, not two.
        if self.keys_no_plan_id and (form := _holder_form(loc)) is not None:
            rest = _key(form)
            if rest is not None and rest in self.keys_no_plan_id:
                return True
        key = _key(loc.shot)
        if key is not None and key in self.keys:
            return True
        return _matches(loc, self.keyless)


def _holder_form(loc: _Location) -> dict[str, Any] | None:
    """``loc``'s shot without its ``sequencePlanId`` when that is the holding
    sequence's id (a string): the form an original without one must equal."""
    plan_id = loc.shot.get("sequencePlanId")
    if loc.holder is None or type(plan_id) is not str or plan_id != loc.holder:
        return None
    form = dict(loc.shot)  # a C copy; the keys are sorted by _key anyway
    del form["sequencePlanId"]
    return form


class _Index:
    """Shot id -> its original copies, compactly: an id with one keyed copy (nearly
    all) is one bytes object, a flag byte then the key; any other id an
    :class:`_Originals`. One dict, so ids keep the order they were found in."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes | _Originals] = {}

    def add(self, loc: _Location) -> None:
        if self.add_new(loc.shot, loc.file == PROJECT_FILE):
            return
        shot_id = loc.shot["id"]
        entry = self.entries.get(shot_id)
        if entry is None:
            entry = _Originals()
        elif isinstance(entry, bytes):
            entry = _Originals.from_entry(entry)
        self.entries[shot_id] = entry
        entry.add(loc)

    def add_new(self, shot: dict[str, Any], in_project: bool) -> bool:
        """Index ``shot`` as a single-copy entry when its id is new and it has a key
        (nearly always; no location needed); ``False`` when :meth:`add` must."""
        shot_id = shot["id"]
        if shot_id in self.entries:
            return False
        key = _key(shot)
        if key is None:
            return False
        flags = (_IN_PROJECT if in_project else 0) | \
            (_NO_PLAN_ID if "sequencePlanId" not in shot else 0)
        self.entries[shot_id] = bytes((flags,)) + key
        return True

    def __contains__(self, shot_id: str) -> bool:
        return shot_id in self.entries

    def ids(self) -> Iterator[tuple[str, int]]:
        """Every id with how many of its copies were in project.json."""
        for shot_id, entry in self.entries.items():
            yield shot_id, (entry[0] & _IN_PROJECT if isinstance(entry, bytes)
                            else entry.in_project)

    def matched_by(self, loc: _Location) -> bool:
        """:meth:`_Originals.matched_by` for ``loc``'s id (which must be indexed)."""
        entry = self.entries[loc.shot["id"]]
        if not isinstance(entry, bytes):
            return entry.matched_by(loc)
        size = len(entry) - 1
        if entry[0] & _NO_PLAN_ID and (rest := _holder_form(loc)) is not None:
            key = _key(rest)
            if key is not None and len(key) == size and entry.endswith(key):
                return True
        key = _key(loc.shot)
        return key is not None and len(key) == size and entry.endswith(key)


class _Found(NamedTuple):
    file: str
    pointer: str
    matches: bool


def _original_index(run: runs.Run) -> tuple[_Index, str | None]:
    """Every original shot of the run's backup, and why the backup cannot be trusted
    (``None``: it can). Each backed-up file is hashed from the very bytes that are
    parsed, so the copies compared with are those the manifest's hashes name."""
    inputs = run.manifest["inputs"]
    index = _Index()
    seen: list[str] = []
    damaged: list[str] = []

    def note(rel: str, raw: bytes) -> None:
        seen.append(rel)
        if runs.sha256(raw) != inputs.get(rel, {}).get("sha256"):
            damaged.append(rel)

    # project.json is streamed where its layout allows: each shot is keyed as it is
    # parsed and let go, so the index grows while only the file's bytes are held.
    def visit(array: str, first: int, shots: list[dict[str, Any]]) -> None:
        for position, shot in enumerate(shots, start=first):
            if isinstance(shot.get("id"), str) and not index.add_new(shot, True):
                index.add(_Location(PROJECT_FILE, f"/{array}/{position}", shot, None))

    project, _findings = read_project(run.backup, checked=False, visit=visit, facts=False)
    note(PROJECT_FILE, project.raw)
    if not project.streamed:  # parsed whole: index it from the start
        index = _Index()
        for array in LEGACY_ARRAYS:
            for position, shot in _legacy_shots(project, array):
                index.add(_Location(PROJECT_FILE, f"/{array}/{position}", shot, None))
    del project
    for seq in _noting(iter_sequences(run.backup, checked=False), note):
        for loc in _sequence_locations(seq):
            index.add(loc)
    if damaged or set(seen) != set(inputs):
        return index, ", ".join(sorted(damaged)) or "files missing"
    return index, None


def _noting(sequences: Iterator[SequenceInput], note: Callable[[str, bytes], None]
            ) -> Iterator[SequenceInput]:
    for seq in sequences:
        note(seq.path, seq.raw)
        yield seq


def _read_current(root: Path, originals: _Index | None,
                  left: list[VerifyProblem]) -> tuple[int, dict[str, list[_Found]]]:
    """Read the project file by file: count its shots, note those left behind in
    project.json, and where each original shot id is found (matched or not).
    Raises SeqcheckError when a project file cannot be read."""
    count = 0
    found: dict[str, list[_Found]] = {}
    project, _findings = read_project(root, checked=False)
    for locs in _file_locations(project.document(), iter_sequences(root, checked=False)):
        count += len(locs)
        if locs and locs[0].file == PROJECT_FILE:
            _left_behind(locs, left)
        if originals is None:
            continue
        entries, matched_by = originals.entries, originals.matched_by
        for loc in locs:
            shot_id = loc.shot["id"]
            if shot_id in entries:
                at = _Found(loc.file, loc.pointer, matched_by(loc))
                listed = found.get(shot_id)
                if listed is None:
                    found[shot_id] = [at]
                else:
                    listed.append(at)
    return count, found


def _compare(originals: _Index, found: dict[str, list[_Found]],
             problems: list[VerifyProblem]) -> None:
    """Every original shot id found exactly once, with its original content."""
    for shot_id, in_project in originals.ids():
        locs = found.get(shot_id, [])
        if not locs:
            problems.append(VerifyProblem(
                ProblemKind.MISSING,
                f"shot {quote(shot_id)} of the original project is nowhere in the "
                "migrated project. Roll back with 'seqcheck migrate PROJECT --rollback'."))
            continue
        if len(locs) == 1 and locs[0].matches and locs[0].file != PROJECT_FILE:
            continue  # once, in a sequence file, unchanged: the common case, decided
        files = {loc.file for loc in locs}
        n_project = sum(1 for loc in locs if loc.file == PROJECT_FILE)
        if len(files) > 1 or len(locs) - n_project > 1 or n_project > in_project:
            where = ", ".join(f"{loc.file}#{loc.pointer}" for loc in locs)
            problems.append(VerifyProblem(
                ProblemKind.DUPLICATED,
                f"expected shot {quote(shot_id)} exactly once, found it at {where}.",
                locs[1].file, locs[1].pointer))
        for loc in locs:
            if not loc.matches:
                problems.append(VerifyProblem(
                    ProblemKind.CHANGED,
                    f"expected shot {quote(shot_id)} with its original content (plus "
                    "sequencePlanId), found different content (edited since the migration?).",
                    loc.file, loc.pointer))


def _left_behind(locs: list[_Location], problems: list[VerifyProblem]) -> None:
    for loc in locs:
        if loc.file == PROJECT_FILE and shot_sequence_id(loc.shot) is not None:
            problems.append(VerifyProblem(
                ProblemKind.NOT_MIGRATED, f"shot {quote(loc.shot.get('id'))} names sequence "
                f"{quote(shot_sequence_id(loc.shot))} but is still in project.json. Run "
                "'seqcheck migrate PROJECT'.", PROJECT_FILE, loc.pointer))


def verify(project: str | os.PathLike[str], *, jobs: int | None = None) -> VerifyReport:
    """Check the migrated layout of ``project`` (see module doc); never writes.

    ``jobs``: processes the validator may share a big project's sequence files over
    (``None``: the cores this process may use; serial inside a parallel batch's
    worker), with the same report as a serial check."""
    # Millions of parsed JSON containers, none in a cycle: collections only re-scan them.
    with cyclic_gc_paused():
        return _verify(project_root(project), default_jobs() if jobs is None else jobs)


def _verify(root: Path, jobs: int) -> VerifyReport:
    run = runs.latest_run(root)
    validator, findings = validation_problems(root, jobs)
    report = VerifyReport(root, 0, validator)
    if run is not None:
        progress = run.progress()
        if not progress.done:
            report.problems.append(VerifyProblem(
                ProblemKind.INCOMPLETE, f"the migration (run {run.number}) stopped after "
                f"{progress.completed} of {progress.total} steps; run the same migrate "
                "command to finish it.", str(run.folder)))
    # The backup first, reduced to an index of keys; then the project one file at a
    # time: at most one parsed document is held besides the index.
    originals, damage = _original_index(run) if run is not None else (None, None)
    left: list[VerifyProblem] = []
    try:
        count, found = _read_current(root, originals if damage is None else None, left)
    except SeqcheckError as exc:
        report.problems.append(
            VerifyProblem(ProblemKind.UNREADABLE, exc.message, exc.file, exc.pointer))
        report.problems.extend(findings)
        return report
    if run is None:
        report.checked_shots = count
    elif damage is not None:
        report.problems.append(VerifyProblem(
            ProblemKind.UNREADABLE, "the run's backup does not match its manifest (damaged "
            f"records: {damage}); cannot compare.", str(run.backup)))
    else:
        assert originals is not None
        _compare(originals, found, report.problems)
        report.checked_shots = len(originals.entries)
    report.problems.extend(left)
    report.problems.extend(findings)
    return report
