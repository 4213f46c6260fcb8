"""Turning a project snapshot into a :class:`~migrate.model.Plan` (pure: no I/O).

Rules (conformance/spec/migration.md, "What moves where"):

* Legacy shots are read from ``shots`` then ``storyboard``, in array order; copies
  with one id are one shot (identical copies are deduplicated; differing ones stop).
* A shot's sequence: ``sequencePlanId``, else ``sequence_id`` (both present and
  different: stop); in a repair, ``metadata.sequence_id``; else ``--orphans``; else it
  stays in project.json.
* A moved shot is appended, in legacy order, to the file whose ``id`` is its
  sequence; a missing file is created (name from
  :func:`conformance.layout.canonical_sequence_file_name`, ``order`` = highest
  existing order + rank of first appearance, ``name`` "Sequence <order>").
  ``sequencePlanId`` is added where missing; every other field is kept as is.
* A shot id a sequence file already holds: identical content is deduplicated,
  different content is a conflict (``--on-conflict`` decides or the plan is blocked).
* Steps: created files, then rewritten files (by name), then project.json last, so
  until the final step every shot is still in project.json.

:func:`plan` is the public entry: what a migration of a project would do, read-only.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import field_shapes, schema_registry
from conformance.documents import (
    check_sequence_doc,
    membership_problems,
    schema_error,
    touched_metadata,
)
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.ids import check_id, id_problem
from conformance.jsonio import dump_checked_bytes
from conformance.layout import (
    PROJECT_FILE,
    SEQUENCE_FILE_RE,
    SEQUENCES_DIR,
    canonical_sequence_file_name,
)
from migrate import model, runs
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.legacy_reader import MISSING, LegacyProject, ShotFacts
from migrate.model import Options, Plan
from migrate.records import RECORD_KEY, build_record, existing_record
from migrate.repair import (
    BornBroken,
    LegacyShot,
    ServiceGroup,
    find_born_broken,
    find_service_groups,
    merge_group,
    needs_repair_error,
    service_explanation,
    service_needs_repair_error,
)
from migrate.runs import migration_time
from migrate.snapshot import Snapshot, project_root, read_snapshot, shot_duration, with_plan_id

Shot = dict[str, Any]


#: Moves after which the legacy copy is what the sequence file holds.
_PLACES_LEGACY_COPY = (model.MoveAction.APPEND, model.MoveAction.REPLACE,
                       model.MoveAction.RELOCATE)


@dataclass
class _WorkFile:
    """A sequence file being planned: its working document and what changed."""

    name: str
    sequence_id: str
    doc: dict[str, Any]
    original: bytes | None
    action: model.StepAction  # CREATE, MERGE, SPLIT or REPAIR
    shots_before: int
    by_id: dict[str, Shot] = field(default_factory=dict)
    # The duration changes, in order: a number, or a legacy shot appended (its
    # duration once it is parsed). Summed in this order when the file is written.
    deltas: list[float | _Copy] = field(default_factory=list)
    dirty: bool = False
    fresh: bool = False  # created for legacy shots: duration is the sum of its shots
    # One string, shared by the plan's every move into this file.
    path: str = field(init=False)

    def __post_init__(self) -> None:
        self.path = f"{SEQUENCES_DIR}/{self.name}"

    def shots(self) -> list[Shot | _Copy]:
        """The file's shots; a legacy shot appended is its project.json copy until
        the file is encoded (:meth:`materialize`)."""
        shots: list[Shot | _Copy] = self.doc["shots"]
        return shots

    def _index_of(self, shot_id: str) -> int:
        return next(i for i, s in enumerate(self.shots()) if _id_of(s) == shot_id)

    def append(self, shot: Shot) -> None:
        self.shots().append(shot)
        self.by_id[shot["id"]] = shot
        if not self.fresh:  # a fresh file's duration is summed once at the end
            self.deltas.append(shot_duration(shot))
        self.dirty = True

    def append_legacy(self, copy: _Copy) -> None:
        """Append a legacy shot (stored with this file's sequence as its
        ``sequencePlanId`` when it has none), parsed only when the file is encoded."""
        self.shots().append(copy)
        if not self.fresh:
            self.deltas.append(copy)
        self.dirty = True

    def replace(self, shot: Shot) -> None:
        shots = self.shots()
        index = self._index_of(shot["id"])
        old = shots[index]
        assert isinstance(old, dict)  # replaced shots are held ones, never pending
        self.deltas.append(shot_duration(shot) - shot_duration(old))
        shots[index] = shot
        self.by_id[shot["id"]] = shot
        self.dirty = True

    def remove(self, shot_id: str) -> None:
        shots = self.shots()
        index = self._index_of(shot_id)
        old = shots[index]
        assert isinstance(old, dict)
        self.deltas.append(-shot_duration(old))
        del shots[index]
        del self.by_id[shot_id]
        self.dirty = True

    def pointer_of(self, shot_id: str) -> str:
        return json_pointer(["shots", self._index_of(shot_id)])

    def materialize(self) -> tuple[list[Shot], dict[str, _Copy]]:
        """The shots, each pending legacy shot parsed now, and the project.json copy
        of each of those by shot id."""
        shots = self.shots()
        where = [i for i, shot in enumerate(shots) if isinstance(shot, _Copy)]
        copies: list[_Copy] = [shots[i] for i in where]  # type: ignore[misc]
        stored: dict[int, Shot] = {}  # id() of each copy -> the shot as stored
        if copies:
            parsed = copies[0].legacy.shots_at([(c.array, c.index) for c in copies])
            for i, copy, shot in zip(where, copies, parsed, strict=True):
                shots[i] = stored[id(copy)] = with_plan_id(shot, self.sequence_id)
            self.deltas = [shot_duration(stored[id(d)]) if isinstance(d, _Copy) else d
                           for d in self.deltas]
        return self.doc["shots"], {c.facts.id: c for c in copies}

    def delta(self) -> float:
        """The sum of :attr:`deltas` (once materialized), in the order they happened
        (as floats add)."""
        total: float = 0
        for change in self.deltas:
            assert not isinstance(change, _Copy)
            total += change
        return total

    def release(self) -> None:
        """Drop the documents once the file's bytes are planned."""
        self.doc = {}
        self.by_id = {}
        self.deltas = []


class _FileNames:
    """Names for new sequence files, via :func:`canonical_sequence_file_name`.

    That function's answer depends only on whether the id's own numeric name is taken
    and on the highest ordinal in use, so it is given just those names: allocating
    n files costs O(n), not O(n^2) (1000 new files were 2.5 s).
    """

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)
        self.highest: tuple[int, str] | None = None
        for name in taken:
            self._note(name)

    def _note(self, name: str) -> None:
        match = SEQUENCE_FILE_RE.match(name)
        if match is not None and (self.highest is None or int(match[1]) > self.highest[0]):
            self.highest = (int(match[1]), name)

    def allocate(self, sequence_id: str) -> str:
        relevant = {self.highest[1]} if self.highest is not None else set()
        if sequence_id.isdigit() and sequence_id.isascii():
            own = f"sequence_{sequence_id.zfill(3)}.json"
            if own in self.taken:
                relevant.add(own)
        name = canonical_sequence_file_name(sequence_id, relevant)
        self.taken.add(name)
        self._note(name)
        return name


@dataclass(slots=True)
class _Copy:
    """One copy of a legacy shot in project.json, parsed only when asked."""

    array: str
    index: int
    facts: ShotFacts
    legacy: LegacyProject

    @property
    def pointer(self) -> str:
        # Array names and indexes need no RFC 6901 escaping.
        return f"/{self.array}/{self.index}"

    @property
    def shot(self) -> Shot:
        """The copy's document (a fresh parse when streamed)."""
        shot: Shot = self.legacy.shot(self.array, self.index)
        return shot


def _id_of(shot: Shot | _Copy) -> Any:
    return shot.facts.id if isinstance(shot, _Copy) else shot.get("id")


def _listed(copies: _Copy | list[_Copy]) -> list[_Copy]:
    return copies if isinstance(copies, list) else [copies]


class _Planner:
    def __init__(
        self, snap: Snapshot, root: Path, options: model.Options, now: str,
        broken: BornBroken | None,
    ) -> None:
        self.snap = snap
        self.root = root
        self.options = options
        self.now = now
        self.broken = broken
        self.files: dict[str, _WorkFile] = {}
        self.by_sequence: dict[str, str] = {}  # sequence id -> file name
        self.holders: dict[str, str] = {}  # shot id -> file name
        self.split_shots: set[str] = set()
        # Per legacy array, 1 at the index of each copy that leaves project.json.
        self.removed = {array: bytearray(snap.project.count(array))
                        for array in snap.project.arrays()}
        self.plan = model.Plan(root, model.PlanState.LEGACY, options, now)
        self.next_order = 1
        self.created_rank = 0
        self.names = _FileNames({seq.name for seq in snap.sequences})
        self.service_files: set[str] = set()  # file names repair_service handles
        self.referenced: set[str] = set()  # legacy shot ids moved by shot_ids
        self.removals: list[model.FileChange] = []
        # Moved shot id -> its project.json copy, for the moved shots that are not
        # pending (a pending entry knows its copy).
        self.sources: dict[str, _Copy] = {}

    # -- inputs ----------------------------------------------------------------------
    def load_existing(self) -> None:
        orders = []
        for seq in self.snap.sequences:
            if not seq.has_id or seq.name in self.service_files:
                continue
            doc = dict(seq.doc)
            doc["shots"] = list(seq.doc["shots"])
            work = _WorkFile(seq.name, doc["id"], doc, seq.raw, model.StepAction.MERGE,
                             len(doc["shots"]))
            self._register(work)
            order = doc.get("order")
            if isinstance(order, int) and not isinstance(order, bool):
                orders.append(order)
        self.next_order = max(orders, default=0) + 1

    def _register(self, work: _WorkFile) -> None:
        self.files[work.name] = work
        self.by_sequence[work.sequence_id] = work.name
        for shot in work.shots():
            assert isinstance(shot, dict)  # nothing is pending in a file registered
            work.by_id[shot["id"]] = shot
            self.holders.setdefault(shot["id"], work.name)

    def split_broken(self, broken: BornBroken) -> None:
        src = broken.source
        parts = []
        for rank, (seq_id, indexes) in enumerate(broken.groups, start=1):
            if seq_id in self.by_sequence:
                raise SeqcheckError(
                    ErrorCode.DUPLICATE_SEQUENCE_ID,
                    f"expected the sequence {quote(seq_id)} named by the id-less file's shots to "
                    f"be new, but {self.by_sequence[seq_id]} already has that id. Merge "
                    "them by hand; nothing was changed.",
                    file=self.root / src.path,
                    pointer="",
                )
            name = src.name if rank == 1 else self.names.allocate(seq_id)
            shots = [with_plan_id(src.doc["shots"][i], seq_id) for i in indexes]
            doc = self._split_doc(src.doc, seq_id, rank, shots)
            work = _WorkFile(
                name, seq_id, doc, src.raw if rank == 1 else None,
                model.StepAction.SPLIT if rank == 1 else model.StepAction.CREATE,
                len(src.doc["shots"]) if rank == 1 else 0,
            )
            work.dirty = True
            self._register(work)
            self.split_shots.update(s["id"] for s in shots)
            parts.append(model.SplitPart(seq_id, doc["name"], rank, work.path,
                                         tuple(s["id"] for s in shots)))
        self.next_order = max(self.next_order, len(broken.groups) + 1)
        self.plan.repair = model.Repair(src.path, broken.explanation(), tuple(parts))
        self.plan.state = model.PlanState.BORN_BROKEN

    def _split_doc(
        self, src: dict[str, Any], seq_id: str, rank: int, shots: list[Shot]
    ) -> dict[str, Any]:
        replaced: dict[str, Any] = {
            "name": f"Sequence {rank}",
            "order": rank,
            "shots": shots,
            "metadata": touched_metadata(src.get("metadata"), self.now),
        }
        total = sum(shot_duration(s) for s in shots)
        if "duration" in src and math.isfinite(total):
            replaced["duration"] = total
        doc: dict[str, Any] = {"id": seq_id}
        for key, value in src.items():
            doc[key] = replaced.pop(key, value)
        doc.update(replaced)  # name/order/shots/metadata the source lacked
        return doc

    def repair_service(self, groups: tuple[ServiceGroup, ...]) -> None:
        """One canonical file per sequence id the app's SequenceService wrote
        (migrate.repair); replaced files become ``remove`` steps."""
        copies = {shot_id: _listed(c) for shot_id, c in self.legacy_copies().items()}
        legacy = {shot_id: LegacyShot(c[0].pointer, c[0].shot) for shot_id, c in copies.items()}
        for group in groups:
            seq_id = group.sequence_id
            if seq_id in self.by_sequence:
                raise SeqcheckError(
                    ErrorCode.DUPLICATE_SEQUENCE_ID,
                    f"expected the sequence {json.dumps(seq_id)} of "
                    f"{group.members[0].path} to be held by no other file, but the id-less "
                    f"file's shots name it too ({self.by_sequence[seq_id]}). Merge them by "
                    "hand; nothing was changed.",
                    file=self.root / group.members[0].path, pointer="/id",
                )
            merged = merge_group(group, legacy, self.holders, self.options.on_duplicate,
                                 self.root)
            by_name = {m.name: m for m in group.members}
            # The name the canonical writer gave the sequence first, else the kept
            # file's layout name, else a new canonical name (SEQ-ID-2).
            original = [m.name for m in group.members if m.canonical_name and not m.by_service]
            if original:
                name = original[0]
            elif merged.kept.canonical_name:
                name = merged.kept.name
            else:
                name = self.names.allocate(seq_id)
            target = by_name.get(name)
            doc = merged.doc
            changed = target is None or doc != target.doc
            if changed:
                doc["metadata"] = touched_metadata(doc.get("metadata"), self.now)
            before = target.doc.get("shots") if target is not None else None
            work = _WorkFile(
                name, seq_id, doc, target.raw if target is not None else None,
                (model.StepAction.REPAIR if target is not None else model.StepAction.CREATE)
                if changed else model.StepAction.MERGE,
                len(before) if isinstance(before, list) else 0,
            )
            work.dirty = changed
            self._register(work)
            for member in group.members:
                if member.name != name:
                    shots = member.doc.get("shots")
                    self.removals.append(model.FileChange(
                        member.path, model.StepAction.REMOVE, seq_id,
                        len(shots) if isinstance(shots, list) else 0, 0, None, member.raw,
                    ))
            for shot_id in merged.resolved:
                self.referenced.add(shot_id)
                source = next(m.path for m in group.members if shot_id in (
                    m.doc.get(field_shapes.REFERENCES_KEY) or ()))
                self.move(shot_id, tuple(c.pointer for c in copies[shot_id]), seq_id,
                          work.path, model.MoveAction.APPEND, f"referenced by shot_ids in {source}",
                          copies[shot_id])
                self._check_legacy_copies(shot_id, copies[shot_id])
            self.plan.warnings.extend(merged.warnings)
            self.plan.service_repairs.append(model.ServiceRepair(
                seq_id, tuple(m.path for m in group.members), work.path, merged.kept.path,
                merged.resolution, tuple(merged.resolved), tuple(merged.appended),
                tuple(merged.unresolved), merged.message,
            ))
        if self.plan.state is model.PlanState.LEGACY:
            self.plan.state = model.PlanState.SEQUENCE_SERVICE

    def _check_legacy_copies(self, shot_id: str, copies: list[_Copy]) -> None:
        differing = next((c for c in copies[1:] if c.shot != copies[0].shot), None)
        if differing is not None:
            raise MigrateError(
                MigrateCode.LEGACY_DUPLICATE, ErrorCode.CORRUPT_FILE,
                f"expected copies of shot {json.dumps(shot_id)} in project.json to be "
                f"identical, but the copy at {differing.pointer} differs from the one at "
                f"{copies[0].pointer}. Remove the stale copy by hand. Nothing was changed.",
                file=self.root / PROJECT_FILE, pointer=differing.pointer,
            )

    # -- legacy shots ----------------------------------------------------------------
    def legacy_copies(self) -> dict[str, _Copy | list[_Copy]]:
        """Each legacy shot id's copies in project.json, in order (a list only for an
        id with several: 100k one-element lists were 9 MiB)."""
        copies: dict[str, _Copy | list[_Copy]] = {}
        legacy = self.snap.project
        for array in legacy.arrays():
            for index, facts in enumerate(legacy.facts[array]):
                copy = _Copy(array, index, facts, legacy)
                found = copies.setdefault(facts.id, copy)
                if isinstance(found, list):
                    found.append(copy)
                elif found is not copy:
                    copies[facts.id] = [found, copy]
        return copies

    def target_of(self, copy: _Copy) -> str | None:
        facts = copy.facts
        # The snapshot checked both membership fields: each is missing or a safe id.
        plan_id, seq_id = facts.plan_id, facts.sequence_id
        if plan_id is not MISSING and seq_id is not MISSING and plan_id != seq_id:
            raise MigrateError(
                MigrateCode.AMBIGUOUS_SEQUENCE, ErrorCode.CORRUPT_FILE,
                f"expected one sequence per shot, but sequencePlanId says "
                f"{quote(facts.plan_id)} and sequence_id says "
                f"{quote(facts.sequence_id)}. "
                "Make them agree; nothing was changed.",
                file=self.root / PROJECT_FILE, pointer=copy.pointer,
            )
        target = plan_id if plan_id is not MISSING else seq_id if seq_id is not MISSING else None
        if target is None and self.broken is not None:
            meta_target = facts.meta_sequence_id
            if meta_target is not None:
                problem = id_problem(meta_target)
                if problem is not None:
                    raise SeqcheckError(
                        ErrorCode.INVALID_ID,
                        f"expected metadata.sequence_id to be a safe identifier, but "
                        f"{quote(meta_target)}: {problem}. Fix it; nothing was changed.",
                        file=self.root / PROJECT_FILE,
                        pointer=copy.pointer + "/metadata/sequence_id",
                    )
                target = meta_target
        if target is None:
            target = self.options.orphans
        return target

    def route(self, shot_id: str, copies: list[_Copy]) -> None:
        first = copies[0]
        differing = None
        if len(copies) > 1:
            first_shot = first.shot
            differing = next((c for c in copies[1:] if c.shot != first_shot), None)
        in_split = shot_id in self.split_shots
        if differing is not None and not in_split:
            raise MigrateError(
                MigrateCode.LEGACY_DUPLICATE, ErrorCode.CORRUPT_FILE,
                f"expected copies of shot {quote(shot_id)} in project.json to be identical, but "
                f"the copy at {differing.pointer} differs from the one at {first.pointer}. "
                "--on-conflict only decides between project.json and a sequence file; "
                "remove the stale copy by hand. Nothing was changed.",
                file=self.root / PROJECT_FILE, pointer=differing.pointer,
            )
        target = self.target_of(first)
        pointers = (first.pointer,) if len(copies) == 1 else tuple(c.pointer for c in copies)
        if target is None:
            for c in copies:
                self.plan.stays.append(model.Stay(
                    shot_id, c.pointer,
                    "names no sequence (use --orphans SEQUENCE_ID to assign it)",
                ))
            return
        holder_name = self.holders.get(shot_id)
        if holder_name is None:
            work = self.file_for(target)
            work.append_legacy(first)
            self.move(shot_id, pointers, target, work.path, model.MoveAction.APPEND, "", copies,
                      pending=True)
            return
        first_shot = first.shot
        new_shot = with_plan_id(first_shot, target)
        holder = self.files[holder_name]
        held = holder.by_id[shot_id]
        if held in (first_shot, new_shot):
            self.move(shot_id, pointers, target, holder.path, model.MoveAction.DEDUPE,
                      f"identical copy already in {holder.path}", copies)
        elif in_split:
            self.move(shot_id, pointers, target, holder.path, model.MoveAction.DEDUPE,
                      "project.json copy differs; the sequence file's version is kept",
                      copies)
        else:
            self.conflict(shot_id, first, holder, target, new_shot, pointers, copies)

    def conflict(
        self, shot_id: str, first: _Copy, holder: _WorkFile, target: str, new_shot: Shot,
        pointers: tuple[str, ...], copies: list[_Copy],
    ) -> None:
        same_file = holder.sequence_id == target
        where = "its target sequence" if same_file else f"sequence {quote(holder.sequence_id)}"
        resolution = self.options.on_conflict
        self.plan.conflicts.append(model.Conflict(
            shot_id, first.pointer, holder.path, holder.pointer_of(shot_id), target,
            resolution,
            f"shot {quote(shot_id)} is already in {where} ({holder.path}) with different "
            "content",
        ))
        if resolution is model.OnConflict.KEEP_SEQUENCE:
            self.move(shot_id, pointers, holder.sequence_id, holder.path, model.MoveAction.DROP,
                      "conflict: the sequence file's version is kept", copies)
        elif resolution is model.OnConflict.KEEP_LEGACY and same_file:
            holder.replace(new_shot)
            self.move(shot_id, pointers, target, holder.path, model.MoveAction.REPLACE,
                      "conflict: the project.json version replaces the file's", copies)
        elif resolution is model.OnConflict.KEEP_LEGACY:
            holder.remove(shot_id)
            work = self.file_for(target)
            work.append(new_shot)
            self.holders[shot_id] = work.name
            self.move(shot_id, pointers, target, work.path, model.MoveAction.RELOCATE,
                      f"conflict: removed from {holder.path}, the project.json version "
                      "is appended here", copies)

    def move(
        self, shot_id: str, pointers: tuple[str, ...], sequence_id: str, path: str,
        action: model.MoveAction, detail: str, copies: list[_Copy], *, pending: bool = False,
    ) -> None:
        self.plan.moves.append(model.ShotMove(shot_id, pointers, sequence_id, path, action,
                                              detail))
        if action in _PLACES_LEGACY_COPY and not pending:
            self.sources[shot_id] = copies[0]
        for c in copies:
            self.removed[c.array][c.index] = 1

    def file_for(self, sequence_id: str) -> _WorkFile:
        name = self.by_sequence.get(sequence_id)
        if name is not None:
            return self.files[name]
        name = self.names.allocate(sequence_id)
        order = self.next_order + self.created_rank
        self.created_rank += 1
        doc = {
            "id": sequence_id,
            "name": f"Sequence {order}",
            "description": "",
            "duration": 0,
            "order": order,
            "shots": [],
            "metadata": {"created_at": self.now, "modified_at": self.now},
        }
        work = _WorkFile(name, sequence_id, doc, None, model.StepAction.CREATE, 0, fresh=True)
        self._register(work)
        return work

    # -- output ----------------------------------------------------------------------
    def sequence_steps(self) -> list[model.FileChange]:
        changed = [w for w in self.files.values() if w.dirty]
        changed.sort(key=lambda w: (w.original is not None, w.name))
        steps = []
        for work in changed:
            # One file's shots are parsed, checked and encoded at a time, then let go:
            # the plan keeps their bytes, not their documents.
            doc = work.doc
            shots, appended = work.materialize()
            if work.action is model.StepAction.MERGE:
                doc["metadata"] = touched_metadata(doc.get("metadata"), self.now)
            duration = doc.get("duration")
            if work.fresh:
                new_duration = sum(shot_duration(s) for s in shots)
            elif isinstance(duration, (int, float)) and not isinstance(duration, bool):
                new_duration = duration + work.delta()
            else:
                new_duration = None
            # A sum of huge finite durations can overflow; such a file keeps its value.
            if new_duration is not None and math.isfinite(new_duration):
                doc["duration"] = new_duration
            self._check_written(work, shots, appended)
            steps.append(model.FileChange(
                work.path, work.action, work.sequence_id, work.shots_before,
                len(shots), dump_checked_bytes(doc), work.original,
            ))
            work.release()
        return steps + sorted(self.removals, key=lambda s: s.path)

    def _check_written(self, work: _WorkFile, shots: list[Shot],
                       appended: dict[str, _Copy]) -> None:
        """A file the migration writes must be a valid sequence file. Moved shots are
        checked first, each against the shot schema, and a violation is reported on
        its project.json copy, where the user fixes it; then the whole document."""
        # The sequence schema's shots are its shot schema ("items": {"$ref": ...}), so a
        # schema-valid document has no invalid shot: validate shots one by one only to
        # find the one to report (100k shots: one validation each instead of two).
        shots_valid = ("shots" in schema_registry.shot_arrays(schema_registry.SEQUENCE)
                       and schema_registry.is_valid(schema_registry.SEQUENCE, work.doc))
        for shot in () if shots_valid else shots:
            source = appended.get(shot["id"]) or self.sources.get(shot["id"])
            if source is None:
                continue
            err = schema_error(ErrorCode.CORRUPT_FILE, schema_registry.SHOT, shot,
                               self.root / PROJECT_FILE, "the shot")
            if err is not None:
                raise SeqcheckError(
                    ErrorCode.CORRUPT_FILE,
                    f"{err.message} The shot moves from project.json into {work.path} and "
                    "must be valid there. Fix it in project.json; nothing was changed.",
                    file=self.root / PROJECT_FILE,
                    pointer=source.pointer + (err.pointer or ""),
                )
        if shots_valid and "id" in work.doc:
            # check_sequence_doc without its schema validation, just done above.
            for pointer, message in membership_problems(work.doc):
                raise SeqcheckError(ErrorCode.CORRUPT_FILE, message,
                                    file=self.root / work.path, pointer=pointer)
        else:
            check_sequence_doc(work.doc, self.root / work.path)


    def project_step(self, counts: dict[str, int]) -> model.FileChange:
        legacy = self.snap.project
        doc = legacy.without(self.removed)
        before = sum(legacy.count(array) for array in legacy.arrays())
        after = sum(len(doc[array]) for array in legacy.arrays())
        metadata = doc.get("metadata")
        count = metadata.get("sequences") if isinstance(metadata, dict) else None
        if isinstance(count, int) and not isinstance(count, bool):
            assert isinstance(metadata, dict)
            doc["metadata"] = {**metadata, "sequences": len(self.files)}
        doc[RECORD_KEY] = build_record(self.now, counts,
                                       self.broken is not None or bool(self.plan.service_repairs))
        return model.FileChange(PROJECT_FILE, model.StepAction.REWRITE_PROJECT, None, before,
                                after, dump_checked_bytes(doc), legacy.raw)

def make_plan(
    snap: Snapshot, root: Path, options: model.Options, migrated_at: str, *,
    preview: bool = False,
) -> model.Plan:
    """Plan the migration of the project whose files are ``snap`` (read from ``root``).

    With ``preview`` (``--dry-run``), a born-broken project without ``repair`` is
    planned as if repaired, so the split is shown, and the plan is blocked.

    Raises (before anything is written) ``INVALID_ID`` for a bad ``--orphans`` id,
    :class:`~migrate.errors.MigrateError` for a born-broken project without
    ``repair``, a newer migration record, ambiguous or differing legacy copies.
    Conflicts do not raise: they are listed, and :attr:`Plan.blocked` says whether
    they stop the migration.
    """
    if options.orphans is not None:
        check_id("sequence id", options.orphans)
    record = existing_record(snap.project.head, root / PROJECT_FILE)
    broken = find_born_broken(snap, root)
    if broken is not None and not options.repair and not preview:
        raise needs_repair_error(broken, root)
    groups = find_service_groups(snap)
    if groups and not options.repair and not preview:
        raise service_needs_repair_error(groups, root)
    planner = _Planner(snap, root, options, migrated_at, broken)
    planner.plan.record = record
    planner.plan.needs_repair = (broken is not None or bool(groups)) and not options.repair
    planner.plan.warnings.extend(
        model.PlanWarning(PROJECT_FILE, pointer, f"{message}; the migration does not "
                          "interpret this value and carries it over untouched")
        for pointer, message in snap.project_findings
    )
    planner.service_files = {m.name for g in groups for m in g.members}
    planner.load_existing()
    if broken is not None:
        planner.split_broken(broken)
    if groups:
        planner.repair_service(groups)
        planner.plan.notes.append(service_explanation(groups))
    for shot_id, copies in planner.legacy_copies().items():
        if shot_id not in planner.referenced:
            planner.route(shot_id, _listed(copies))
    # Routed: what is left of the facts is in the pending shots, let go file by file
    # as the files are encoded (the peak of a big migration's memory).
    snap.project.forget_facts()
    plan = planner.plan
    plan.steps = planner.sequence_steps()
    if plan.steps or any(1 in moved for moved in planner.removed.values()):
        plan.steps.append(planner.project_step(plan.counts()))
    elif plan.state not in (model.PlanState.BORN_BROKEN, model.PlanState.SEQUENCE_SERVICE):
        plan.state = (model.PlanState.ALREADY_MIGRATED if record is not None
                      else model.PlanState.NOTHING_TO_DO)
    if options.repair and broken is None and not groups:
        plan.notes.append("--repair given, but no sequence file lacks an id and none was "
                          "written by the app's SequenceService: nothing to repair")
    stopped = [r for r in plan.service_repairs if r.resolution is model.GroupResolution.STOP]
    if stopped and not preview:
        raise MigrateError(
            MigrateCode.CONFLICT, ErrorCode.DUPLICATE_SEQUENCE_ID,
            "; ".join(r.message for r in stopped) + ". Nothing was changed (preview with "
            "--dry-run).",
            file=root / stopped[0].files[1], pointer="/id",
        )
    return plan


def plan(project: str | os.PathLike[str], options: Options | None = None, *,
         now: str | None = None) -> Plan:
    """The plan for migrating ``project`` with ``options``; nothing on disk changes.

    When an interrupted migration exists, the plan is the one the same command would
    resume (re-planned from the run's backup, with the run's time), with a note saying
    how far it got. A born-broken project is planned as if ``repair`` were given, so
    the split shows; without ``repair`` such a plan is :attr:`~Plan.blocked`.
    """
    options = options or Options()
    root = project_root(project)
    run = runs.latest_run(root)
    if run is not None:
        progress = run.progress()
        if not progress.done:
            result = make_plan(read_snapshot(run.backup), root, options, run.migrated_at,
                               preview=True)
            result.notes.append(
                f"an interrupted migration (run {run.number}) completed {progress.completed} "
                f"of {progress.total} steps; applying resumes it with its recorded options "
                f"{quote(run.options.to_dict())}"
            )
            return result
    result = make_plan(read_snapshot(root), root, options, migration_time(now), preview=True)
    if result.needs_repair:
        result.notes.append("this project needs --repair: without it the migration stops "
                            "and changes nothing")
    return result
