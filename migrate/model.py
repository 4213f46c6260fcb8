"""The migrator's data: options, the plan (what will happen, file by file) and results.

A :class:`Plan` is computed from the project's files without touching the disk and
holds the exact bytes every step will write, so ``--dry-run`` shows precisely what
``apply`` does and a resumed migration redoes exactly the same steps.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.text_enum import TextEnum

#: ``$id`` of schemas/migration-plan.schema.json, the ``--format json`` plan.
PLAN_SCHEMA_ID = "https://schemas.seqcheck.dev/v1/migration-plan.schema.json"
class OnConflict(TextEnum):
    """``--on-conflict``: a shot id held by a sequence file with different content."""

    STOP = "stop"  # stop before writing
    KEEP_SEQUENCE = "keep-sequence"  # the sequence file's copy wins
    KEEP_LEGACY = "keep-legacy"  # the project.json copy wins


class OnDuplicate(TextEnum):
    """``--on-duplicate``: files sharing one sequence id with different content (the
    app's SequenceService leaves them)."""

    STOP = "stop"  # stop before writing
    KEEP_NEWEST = "keep-newest"  # the file with the newest timestamp
    KEEP_CANONICAL = "keep-canonical"  # the file in the canonical layout


class GroupResolution(TextEnum):
    """How files sharing one sequence id are brought together (see :class:`ServiceRepair`)."""

    SINGLE = "single"  # one file
    IDENTICAL = "identical"  # duplicates with equal content
    KEEP_NEWEST = "keep-newest"
    KEEP_CANONICAL = "keep-canonical"
    STOP = "stop"  # a human must choose (--on-duplicate)


class PlanState(TextEnum):
    """What a project needs, as the plan found it."""

    LEGACY = "legacy"  # legacy shots to move
    BORN_BROKEN = "born-broken"  # New Project dialog shape, to split (with --repair)
    #: SequenceService files (reference shape, id-prefix names, duplicates), to bring
    #: into the canonical layout (with --repair)
    SEQUENCE_SERVICE = "sequence-service"
    ALREADY_MIGRATED = "already-migrated"  # carries a migration record, nothing left to do
    NOTHING_TO_DO = "nothing-to-do"  # never migrated and nothing to move


class ApplyState(TextEnum):
    """What :func:`migrate.apply` did to the project."""

    MIGRATED = "migrated"
    ALREADY_MIGRATED = "already-migrated"
    NOTHING_TO_DO = "nothing-to-do"

    @classmethod
    def unchanged(cls, state: PlanState) -> ApplyState:
        """The result of a plan with nothing to write."""
        return cls.ALREADY_MIGRATED if state is PlanState.ALREADY_MIGRATED else cls.NOTHING_TO_DO


class MoveAction(TextEnum):
    """What happens to one legacy shot (see :class:`ShotMove`)."""

    APPEND = "append"
    DEDUPE = "dedupe"
    REPLACE = "replace"
    RELOCATE = "relocate"
    DROP = "drop"


class StepAction(TextEnum):
    """What one plan step does to its file (see :class:`FileChange`)."""

    CREATE = "create"
    MERGE = "merge"
    SPLIT = "split"
    REPAIR = "repair"
    REMOVE = "remove"
    REWRITE_PROJECT = "rewrite-project"


class ProblemKind(TextEnum):
    """Why a migrated layout is not right (see :class:`VerifyProblem`)."""

    NOT_MIGRATED = "not-migrated"  # a shot naming a sequence is still in project.json
    MISSING = "missing"  # a legacy shot is in no sequence file
    DUPLICATED = "duplicated"  # a shot is in more than one place
    CHANGED = "changed"  # a shot's content differs from the legacy copy
    INCOMPLETE = "incomplete"  # the run did not finish
    UNREADABLE = "unreadable"  # a file could not be read
    VALIDATION = "validation"  # a seqcheck validate finding


@dataclass(frozen=True)
class Options:
    """What the user asked for; part of a run's identity (a resume must match it)."""

    orphans: str | None = None
    repair: bool = False
    on_conflict: OnConflict = OnConflict.STOP
    on_duplicate: OnDuplicate = OnDuplicate.STOP

    def __post_init__(self) -> None:
        # Library callers may pass the CLI spelling; a value outside the enum is a
        # ValueError naming the choices.
        for name, kind in (("on_conflict", OnConflict), ("on_duplicate", OnDuplicate)):
            value = getattr(self, name)
            if not isinstance(value, kind):
                if value not in kind.values():
                    raise ValueError(f"{name} must be one of {list(kind.values())}, got "
                                     f"{json.dumps(value, default=repr)}")
                object.__setattr__(self, name, kind(value))

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as stored in the run manifest and shown in the plan."""
        return {"orphans": self.orphans, "repair": self.repair,
                "on_conflict": str(self.on_conflict), "on_duplicate": str(self.on_duplicate)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Options:
        """Inverse of :meth:`to_dict`."""
        return cls(
            orphans=data.get("orphans"),
            repair=bool(data.get("repair", False)),
            on_conflict=OnConflict(data.get("on_conflict", OnConflict.STOP)),
            on_duplicate=OnDuplicate(data.get("on_duplicate", OnDuplicate.STOP)),
        )


@dataclass(frozen=True, slots=True)
class ShotMove:
    """One legacy shot (all its copies in project.json) and what happens to it.

    ``action``: ``append`` (added to the target file), ``dedupe`` (the target already
    holds it; the project.json copies are dropped), ``replace`` (keep-legacy: the
    file's differing copy is replaced in place), ``relocate`` (keep-legacy: removed
    from another sequence file and appended to the target), ``drop`` (keep-sequence:
    the file's differing copy wins).
    """

    shot_id: str
    sources: tuple[str, ...]  # JSON pointers into project.json, e.g. "/shots/3"
    sequence_id: str
    target_file: str  # project-relative posix path
    action: MoveAction
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {
            "shot_id": self.shot_id,
            "from": list(self.sources),
            "sequence_id": self.sequence_id,
            "to": self.target_file,
            "action": str(self.action),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Stay:
    """A legacy shot that stays in project.json, and why."""

    shot_id: str
    pointer: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {"shot_id": self.shot_id, "at": self.pointer, "reason": self.reason}


@dataclass(frozen=True)
class Conflict:
    """A shot id held by a sequence file with content differing from the legacy copy."""

    shot_id: str
    legacy_pointer: str
    sequence_file: str
    sequence_pointer: str
    sequence_id: str  # the sequence the legacy shot names
    resolution: OnConflict  # STOP: unresolved
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {
            "shot_id": self.shot_id,
            "legacy": {"file": "project.json", "pointer": self.legacy_pointer},
            "sequence": {"file": self.sequence_file, "pointer": self.sequence_pointer},
            "sequence_id": self.sequence_id,
            "resolution": str(self.resolution),
            "message": self.message,
        }


@dataclass(frozen=True)
class SplitPart:
    """One sequence carved out of a born-broken file by ``--repair``."""

    sequence_id: str
    name: str
    order: int
    file: str
    shot_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {
            "sequence_id": self.sequence_id,
            "name": self.name,
            "order": self.order,
            "file": self.file,
            "shots": list(self.shot_ids),
        }


@dataclass(frozen=True)
class Repair:
    """How a born-broken sequence file is split (shown before it happens)."""

    source_file: str
    explanation: str
    parts: tuple[SplitPart, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {
            "source_file": self.source_file,
            "explanation": self.explanation,
            "parts": [p.to_dict() for p in self.parts],
        }


@dataclass(frozen=True)
class PlanWarning:
    """Something the migration does not need to interpret and carries over untouched
    (a schema finding in project.json outside the shots that move), or a reference it
    cannot resolve; listed so nothing is passed over silently."""

    file: str
    pointer: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {"file": self.file, "pointer": self.pointer, "message": self.message}


@dataclass(frozen=True)
class ServiceRepair:
    """How the files of one sequence id written by the app's SequenceService become
    one canonical file (``--repair``).

    ``resolution``: ``single`` (one file), ``identical`` (duplicates with equal
    content), ``keep-newest`` / ``keep-canonical`` (the kept file's fields win; shots
    only the others hold are appended) or ``stop`` (a human must choose).
    """

    sequence_id: str
    files: tuple[str, ...]  # project-relative, by name
    target_file: str
    kept_file: str
    resolution: GroupResolution
    resolved_shots: tuple[str, ...]  # shot_ids resolved against project.json
    appended_shots: tuple[str, ...]  # held only by a file that is not kept
    unresolved: tuple[str, ...]  # shot_ids naming no shot: kept in shot_ids
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json``."""
        return {
            "sequence_id": self.sequence_id,
            "files": list(self.files),
            "to": self.target_file,
            "kept": self.kept_file,
            "resolution": str(self.resolution),
            "resolved_shots": list(self.resolved_shots),
            "appended_shots": list(self.appended_shots),
            "unresolved_shot_ids": list(self.unresolved),
            "message": self.message,
        }


@dataclass(frozen=True)
class FileChange:
    """One step: write ``data`` to ``path`` (project-relative posix path), or remove
    the file when ``data`` is ``None``.

    ``original`` is the file's bytes before the migration (``None``: created).
    ``action``: ``create``, ``merge``, ``split`` (the born-broken file rewritten as its
    first sequence), ``repair`` (a SequenceService file rewritten in the canonical
    shape), ``remove`` (a SequenceService file whose content is now in the file named
    by the step's sequence) or ``rewrite-project`` (project.json, always the last step).
    ``size`` is ``len(data)`` (0 for a removal); a step of a plan that was applied
    may be ``released``: its bytes dropped (they are on disk and in the backup),
    ``data`` and ``original`` then ``None`` whatever the step did.
    """

    path: str
    action: StepAction
    sequence_id: str | None
    shots_before: int
    shots_after: int
    data: bytes | None = field(repr=False)
    original: bytes | None = field(repr=False)
    size: int = -1
    released: bool = False

    def __post_init__(self) -> None:
        if self.size < 0:
            object.__setattr__(self, "size", len(self.data) if self.data is not None else 0)

    def release(self) -> FileChange:
        """The step without its bytes (see the class doc)."""
        return replace(self, data=None, original=None, released=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--format json`` (without the bytes)."""
        return {
            "path": self.path,
            "action": str(self.action),
            "sequence_id": self.sequence_id,
            "shots_before": self.shots_before,
            "shots_after": self.shots_after,
            "bytes": self.size,
        }


@dataclass
class Plan:
    """Everything a migration will do, computed without writing anything."""

    project: Path
    state: PlanState
    options: Options
    migrated_at: str
    moves: list[ShotMove] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    steps: list[FileChange] = field(default_factory=list)
    repair: Repair | None = None
    record: dict[str, Any] | None = None  # migration record already in project.json
    notes: list[str] = field(default_factory=list)
    #: A project needing ``--repair`` (born broken, SequenceService files) previewed
    #: without it: applying it would stop.
    needs_repair: bool = False
    warnings: list[PlanWarning] = field(default_factory=list)
    service_repairs: list[ServiceRepair] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """True when applying would stop before any write: unresolved conflicts or
        duplicate files, or a project needing ``--repair`` without it."""
        return (self.needs_repair or any(c.resolution is OnConflict.STOP for c in self.conflicts)
                or any(r.resolution is GroupResolution.STOP for r in self.service_repairs))

    def release_bytes(self) -> None:
        """Drop every step's bytes once the plan is applied (a big migration's new
        files and originals are then held once, on disk, not also in memory)."""
        self.steps = [step.release() for step in self.steps]

    @property
    def has_work(self) -> bool:
        """True when applying the plan would change at least one file."""
        return bool(self.steps)

    def counts(self) -> dict[str, int]:
        """Summary figures (also written into the migration record)."""
        by_action: Counter[MoveAction] = Counter(map(attrgetter("action"), self.moves))
        return {
            "moved_shots": (by_action.get(MoveAction.APPEND, 0)
                            + by_action.get(MoveAction.RELOCATE, 0)),
            "replaced_shots": by_action.get(MoveAction.REPLACE, 0),
            "deduplicated_shots": by_action.get(MoveAction.DEDUPE, 0),
            "dropped_legacy_copies": by_action.get(MoveAction.DROP, 0),
            "split_shots": sum(len(p.shot_ids) for p in self.repair.parts)
            if self.repair is not None else 0,
            "kept_in_project": len(self.stays),
            "conflicts": len(self.conflicts),
            "sequence_files_created": sum(1 for s in self.steps if s.action is StepAction.CREATE),
            "sequence_files_merged": sum(
                1 for s in self.steps
                if s.action in (StepAction.MERGE, StepAction.SPLIT, StepAction.REPAIR)),
            "resolved_references": sum(len(r.resolved_shots) for r in self.service_repairs),
            "sequence_files_removed": sum(1 for s in self.steps if s.action is StepAction.REMOVE),
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan as ``schemas/migration-plan.schema.json`` describes it."""
        return {
            "$schema": PLAN_SCHEMA_ID,
            "tool": {"name": "seqcheck", "version": __version__},
            "project": str(self.project),
            "state": str(self.state),
            "options": self.options.to_dict(),
            "migrated_at": self.migrated_at,
            "blocked": self.blocked,
            "needs_repair": self.needs_repair,
            "counts": self.counts(),
            "steps": [s.to_dict() for s in self.steps],
            "moves": [m.to_dict() for m in self.moves],
            "stays": [s.to_dict() for s in self.stays],
            "conflicts": [c.to_dict() for c in self.conflicts],
            "repair": self.repair.to_dict() if self.repair is not None else None,
            "previous_migration": self.record,
            "notes": list(self.notes),
            "warnings": [w.to_dict() for w in self.warnings],
            "sequence_service": [r.to_dict() for r in self.service_repairs],
        }


@dataclass
class ApplyResult:
    """What :func:`migrate.apply` did."""

    project: Path
    state: ApplyState
    plan: Plan
    resumed: bool = False
    steps_written: int = 0
    run_dir: Path | None = None
    verification: VerifyReport | None = None


@dataclass(frozen=True)
class VerifyProblem:
    """One reason a migrated layout is not right."""

    kind: ProblemKind
    message: str
    file: str | None = None
    pointer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": str(self.kind), "message": self.message, "file": self.file,
                "pointer": self.pointer}


@dataclass
class VerifyReport:
    """Result of :func:`migrate.verify`."""

    project: Path
    checked_shots: int
    validator: str  # which validation was used: "seqcheck validate" or "core checks"
    problems: list[VerifyProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every original shot is present once, unchanged, and valid."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "project": str(self.project),
            "ok": self.ok,
            "checked_shots": self.checked_shots,
            "validator": self.validator,
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass
class RollbackResult:
    """What :func:`migrate.rollback` did."""

    project: Path
    restored: list[str]
    removed: list[str]
    forced_over: list[str]
    #: The run undone, and the lock sidecars and temp files it had left, removed.
    run: int | None = None
    removed_sidecars: list[str] = field(default_factory=list)
    removed_temps: list[str] = field(default_factory=list)
