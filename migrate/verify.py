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
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NamedTuple

from conformance.documents import LEGACY_ARRAYS, shot_sequence_id
from conformance.errors import SeqcheckError
from conformance.jsonio import json_equal
from conformance.layout import PROJECT_FILE
from migrate import runs
from migrate.errors import quote
from migrate.model import VerifyProblem, VerifyReport
from migrate.snapshot import Snapshot, project_root, read_snapshot
from migrate.validation import validation_problems


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


def _locations(snap: Snapshot) -> Iterator[_Location]:
    for array in LEGACY_ARRAYS:
        for index, shot in _shots(snap.project, array):
            yield _Location(PROJECT_FILE, f"/{array}/{index}", shot, None)
    for seq in snap.sequences:
        holder = seq.doc.get("id")
        for index, shot in _shots(seq.doc, "shots"):
            yield _Location(seq.path, f"/shots/{index}", shot,
                            holder if isinstance(holder, str) else None)


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


def _compare(original: Snapshot, current: Snapshot, problems: list[VerifyProblem]) -> int:
    copies: dict[str, list[dict[str, Any]]] = {}
    in_project: dict[str, int] = {}
    for loc in _locations(original):
        copies.setdefault(loc.shot["id"], []).append(loc.shot)
        if loc.file == PROJECT_FILE:
            in_project[loc.shot["id"]] = in_project.get(loc.shot["id"], 0) + 1
    found: dict[str, list[_Location]] = {}
    for loc in _locations(current):
        if loc.shot["id"] in copies:
            found.setdefault(loc.shot["id"], []).append(loc)
    for shot_id, originals in copies.items():
        locs = found.get(shot_id, [])
        if not locs:
            problems.append(VerifyProblem(
                "missing", f"shot {quote(shot_id)} of the original project is nowhere in the "
                "migrated project. Roll back with 'seqcheck migrate PROJECT --rollback'."))
            continue
        files = {loc.file for loc in locs}
        n_project = sum(1 for loc in locs if loc.file == PROJECT_FILE)
        if len(files) > 1 or len(locs) - n_project > 1 or n_project > in_project.get(shot_id, 0):
            where = ", ".join(f"{loc.file}#{loc.pointer}" for loc in locs)
            problems.append(VerifyProblem(
                "duplicated", f"expected shot {quote(shot_id)} exactly once, found it at {where}.",
                locs[1].file, locs[1].pointer))
        for loc in locs:
            if not _matches(loc, originals):
                problems.append(VerifyProblem(
                    "changed", f"expected shot {quote(shot_id)} with its original content (plus "
                    "sequencePlanId), found different content (edited since the migration?).",
                    loc.file, loc.pointer))
    return len(copies)


def _left_behind(current: Snapshot, problems: list[VerifyProblem]) -> None:
    for loc in _locations(current):
        if loc.file == PROJECT_FILE and shot_sequence_id(loc.shot) is not None:
            problems.append(VerifyProblem(
                "not-migrated", f"shot {quote(loc.shot.get('id'))} names sequence "
                f"{quote(shot_sequence_id(loc.shot))} but is still in project.json. Run "
                "'seqcheck migrate PROJECT'.", PROJECT_FILE, loc.pointer))


def verify(project: str | os.PathLike[str]) -> VerifyReport:
    """Check the migrated layout of ``project`` (see module doc); never writes."""
    root = project_root(project)
    run = runs.latest_run(root)
    validator, findings = validation_problems(root)
    report = VerifyReport(root, 0, validator)
    if run is not None:
        progress = run.progress()
        if not progress.done:
            report.problems.append(VerifyProblem(
                "incomplete", f"the migration (run {run.number}) stopped after "
                f"{progress.completed} of {progress.total} steps; run the same migrate "
                "command to finish it.", str(run.folder)))
    try:
        current = read_snapshot(root, checked=False)
    except SeqcheckError as exc:
        report.problems.append(VerifyProblem("unreadable", exc.message, exc.file, exc.pointer))
        report.problems.extend(findings)
        return report
    if run is not None:
        original = read_snapshot(run.backup, checked=False)
        damaged = sorted(rel for rel, raw in original.raw_files().items()
                         if runs.sha256(raw) != run.manifest["inputs"].get(rel, {}).get("sha256"))
        if damaged or set(original.raw_files()) != set(run.manifest["inputs"]):
            report.problems.append(VerifyProblem(
                "unreadable", "the run's backup does not match its manifest (damaged "
                f"records: {', '.join(damaged) or 'files missing'}); cannot compare.",
                str(run.backup)))
        else:
            report.checked_shots = _compare(original, current, report.problems)
    else:
        report.checked_shots = sum(1 for _ in _locations(current))
    _left_behind(current, report.problems)
    report.problems.extend(findings)
    return report
