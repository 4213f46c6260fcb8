"""The app-written shapes that need ``--repair``: finding them, and merging the files of
one sequence id written by the app's SequenceService (pure).

Merging (:func:`merge_group`):

The rules (conformance/SPEC.md "Files the app's SequenceService writes", the field guide
rows SS-1..SS-4):

* a reference-shape file's ``shot_ids`` are resolved in order: a shot another file of
  the same sequence holds is taken from there; a shot a file of *another* sequence
  holds stays there (the reference is unresolved here); a shot in project.json
  (``shots``, then ``storyboard``) moves into the sequence; anything else is
  unresolved. ``shot_ids`` itself is kept as the app wrote it, so an unresolved
  reference is never lost;
* files with equal resolved content are one sequence (``identical``); otherwise
  ``--on-duplicate`` decides which file's fields win (``keep-newest``: the latest of
  top-level ``updated_at``, ``metadata.updated_at``, ``metadata.modified_at``;
  ``keep-canonical``: the one file under a ``sequence_NNN.json`` name that
  SequenceService did not write), or the plan stops (``stop``). Shots only the other
  files hold are appended; where two files hold different versions of a shot the kept
  file's version wins and the plan warns (the other is in the run's backup).

Recognising them (conformance/spec/field-guide.md):

* Born broken by the New Project dialog (D-2): one ``sequences/sequence_NNN.json``
  without an ``id`` holding every shot of every intended sequence, each shot naming
  the sequence it was meant for in ``metadata.sequence_id``; project.json ``shots``
  holds copies.
* Written by the app's SequenceService or dashboard (S-1..S-3): the sequence ids held
  by a reference-shape or id-prefix file, with every other file holding the same id
  (:func:`find_service_groups`; merged by :func:`merge_group`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from conformance import field_shapes, schema_registry
from conformance.documents import MEMBERSHIP_FIELDS, schema_error
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.ids import id_problem
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.model import PlanWarning
from migrate.snapshot import SequenceInput, Snapshot, shot_duration, with_plan_id

#: Stand-in id used only to check an id-less file against the sequence schema.
_PLACEHOLDER_ID = "born-broken"


@dataclass(frozen=True)
class BornBroken:
    """A born-broken file and its intended sequences, by first appearance."""

    source: SequenceInput
    groups: tuple[tuple[str, tuple[int, ...]], ...]  # (sequence id, shot indexes)

    def explanation(self) -> str:
        """What is wrong and what ``--repair`` will do, in plain words."""
        total = len(self.source.doc.get("shots", []))
        names = ", ".join(repr(g[0]) for g in self.groups)
        return (
            f"{self.source.path} has no sequence 'id' and holds all {total} shot(s) of "
            f"{len(self.groups)} intended sequence(s) ({names}): the app's New Project "
            "dialog put each shot's sequence in metadata.sequence_id, then grouped by a "
            "top-level sequence_id the shots do not have. --repair splits it into one "
            "file per intended sequence (ids kept, names 'Sequence N' and order by first "
            "appearance, every shot and field kept, sequencePlanId added) and drops the "
            "copies of those shots from project.json (where a copy differs, the sequence "
            "file's version wins: it is the one the editor edited)."
        )


def find_born_broken(snap: Snapshot, root: Path) -> BornBroken | None:
    """The born-broken file of ``snap``, or ``None``; refuse shapes that cannot be repaired."""
    broken = [s for s in snap.sequences if not s.has_id]
    if not broken:
        return None
    if len(broken) > 1:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected at most one sequence file without an 'id' (the New Project "
            f"dialog makes one), found {len(broken)}: "
            f"{', '.join(s.name for s in broken)}. Give each an 'id' by hand; nothing "
            "was changed.",
            file=root / broken[1].path,
            pointer="",
        )
    source = broken[0]
    return BornBroken(source, _groups(source, root / source.path))


def _groups(source: SequenceInput, file: Path) -> tuple[tuple[str, tuple[int, ...]], ...]:
    doc = source.doc
    err = schema_error(
        ErrorCode.CORRUPT_FILE, schema_registry.SEQUENCE, {"id": _PLACEHOLDER_ID, **doc},
        file, "the id-less sequence file",
    )
    if err is not None:
        raise err
    order: dict[str, list[int]] = {}
    seen: set[str] = set()
    for index, shot in enumerate(doc["shots"]):
        for member in MEMBERSHIP_FIELDS:
            if member in shot:
                raise _unrepairable(
                    f"expected the shots of an id-less file to name their sequence only "
                    f"in metadata.sequence_id, found a top-level {member}",
                    file, ["shots", index, member],
                )
        if shot["id"] in seen:
            raise _unrepairable(
                f"expected unique shot ids, found {quote(shot['id'])} twice", file,
                ["shots", index, "id"],
            )
        seen.add(shot["id"])
        metadata = shot.get("metadata")
        target: Any = metadata.get("sequence_id") if isinstance(metadata, dict) else None
        if target is None:
            raise _unrepairable(
                "expected every shot to name its intended sequence in "
                "metadata.sequence_id, found none", file, ["shots", index, "metadata"],
            )
        problem = id_problem(target)
        if problem is not None:
            raise SeqcheckError(
                ErrorCode.INVALID_ID,
                f"expected metadata.sequence_id to be a safe identifier (it becomes a "
                f"sequence id), but {quote(target)}: {problem}. Fix it by hand; nothing was "
                "changed.",
                file=file,
                pointer=json_pointer(["shots", index, "metadata", "sequence_id"]),
            )
        order.setdefault(target, []).append(index)
    if not order:
        raise _unrepairable("expected shots to split, found an empty 'shots' array", file,
                            ["shots"])
    return tuple((seq_id, tuple(indexes)) for seq_id, indexes in order.items())


def _unrepairable(what: str, file: Path, where: list[str | int]) -> MigrateError:
    return MigrateError(
        MigrateCode.NEEDS_REPAIR,
        ErrorCode.CORRUPT_FILE,
        f"this sequence file has no 'id' and cannot be repaired automatically: {what}. "
        "Give the file an 'id' by hand (and make its shots name it); nothing was changed.",
        file=file,
        pointer=json_pointer(where),
    )


def needs_repair_error(found: BornBroken, root: Path) -> MigrateError:
    """The stop-and-explain error for a born-broken project run without ``--repair``."""
    return MigrateError(
        MigrateCode.NEEDS_REPAIR,
        ErrorCode.CORRUPT_FILE,
        found.explanation() + " Nothing was changed; run the same command with --repair "
        "(preview it with --dry-run --repair).",
        file=root / found.source.path,
        pointer="",
    )


@dataclass(frozen=True)
class ServiceGroup:
    """Every file holding one sequence id, when the app's SequenceService wrote at
    least one of them (reference shape, id-prefix name, or an edit's duplicate)."""

    sequence_id: str
    members: tuple[SequenceInput, ...]  # by file name


def find_service_groups(snap: Snapshot) -> tuple[ServiceGroup, ...]:
    """The sequence ids whose files ``--repair`` must bring into the canonical layout
    (one file per id, canonical name, a ``shots`` array), in file-name order."""
    groups: dict[str, list[SequenceInput]] = {}
    for seq in snap.sequences:
        if seq.has_id:
            groups.setdefault(seq.doc["id"], []).append(seq)
    return tuple(
        ServiceGroup(seq_id, tuple(members))
        for seq_id, members in groups.items()
        # A lone canonical file that kept its shot_ids (a repaired one) is done.
        if any(field_shapes.is_reference_shape(m.doc) or not m.canonical_name
               for m in members)
        or (len(members) > 1 and any(m.by_service for m in members))
    )


def service_explanation(groups: tuple[ServiceGroup, ...]) -> str:
    """What is wrong with the SequenceService files and what ``--repair`` does."""
    files = [m.path for g in groups for m in g.members if m.by_service]
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    duplicates = sum(1 for g in groups if len(g.members) > 1)
    dup = (f"; {duplicates} sequence id(s) are held by two or more files "
           "(an edit through updateSequence writes a second file)" if duplicates else "")
    return (
        f"{len(files)} sequence file(s) were written by {field_shapes.REFERENCE_WRITERS}"
        f" ({shown}){dup}. Conforming readers do not see those sequences. --repair "
        "writes each sequence id into one file under its canonical name, resolves "
        "'shot_ids' against project.json's shots into a 'shots' array (moving those "
        "shots out of project.json), keeps every other field and every unresolved "
        "reference, and removes the files it replaced (their bytes stay in the run's "
        "backup)."
    )


def service_needs_repair_error(groups: tuple[ServiceGroup, ...], root: Path) -> MigrateError:
    """The stop-and-explain error for SequenceService files without ``--repair``."""
    first = next(m for g in groups for m in g.members if m.by_service)
    return MigrateError(
        MigrateCode.NEEDS_REPAIR,
        ErrorCode.CORRUPT_FILE,
        service_explanation(groups) + " Nothing was changed; run the same command with "
        "--repair (preview it with --dry-run --repair).",
        file=root / first.path,
        pointer="",
    )


Shot = dict[str, Any]

_TIMESTAMP_FIELDS = (("updated_at",), ("metadata", "updated_at"), ("metadata", "modified_at"))


@dataclass(frozen=True)
class LegacyShot:
    """The first project.json copy of a shot id (``shots``, then ``storyboard``)."""

    pointer: str
    shot: Shot


@dataclass
class Merged:
    """One sequence id's files merged into one canonical document."""

    doc: dict[str, Any]
    kept: SequenceInput
    resolution: str
    resolved: list[str] = field(default_factory=list)  # moved from project.json
    appended: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    message: str = ""


class _Resolver:
    def __init__(self, group: ServiceGroup, legacy: Mapping[str, LegacyShot],
                 held_elsewhere: Mapping[str, str], root: Path) -> None:
        self.group = group
        self.legacy = legacy
        self.held_elsewhere = held_elsewhere
        self.root = root
        self.in_group: dict[str, Shot] = {}
        for member in group.members:
            shots = member.doc.get("shots")
            if isinstance(shots, list):
                for shot in shots:
                    self.in_group.setdefault(shot["id"], shot)
        self.resolved: list[str] = []
        self.unresolved: list[str] = []
        self.warnings: list[PlanWarning] = []

    def shots_of(self, member: SequenceInput) -> list[Shot]:
        if not field_shapes.is_reference_shape(member.doc):
            shots: list[Shot] = member.doc["shots"]
            return shots
        out: list[Shot] = []
        refs = member.doc.get(field_shapes.REFERENCES_KEY)
        for index, ref in enumerate(refs if isinstance(refs, list) else []):
            shot = self._resolve(member, index, ref)
            if shot is not None and all(s["id"] != shot["id"] for s in out):
                out.append(shot)
        return out

    def _resolve(self, member: SequenceInput, index: int, ref: Any) -> Shot | None:
        seq_id = self.group.sequence_id
        pointer = f"/{field_shapes.REFERENCES_KEY}/{index}"
        if isinstance(ref, str) and ref in self.in_group:
            return self.in_group[ref]
        if isinstance(ref, str) and ref in self.held_elsewhere:
            self._unresolved(ref, member, pointer,
                             f"shot {json.dumps(ref)} is held by "
                             f"{self.held_elsewhere[ref]}, a file of another sequence; "
                             "it stays there and the reference is kept in shot_ids")
            return None
        if isinstance(ref, str) and ref in self.legacy:
            copy = self.legacy[ref]
            for member_field in MEMBERSHIP_FIELDS:
                named = copy.shot.get(member_field)
                if member_field in copy.shot and named != seq_id:
                    raise MigrateError(
                        MigrateCode.AMBIGUOUS_SEQUENCE, ErrorCode.CORRUPT_FILE,
                        f"expected shot {json.dumps(ref)} to belong to one sequence, but "
                        f"{member.path} lists it in shot_ids of sequence "
                        f"{json.dumps(seq_id)} while its {member_field} in project.json "
                        f"names {json.dumps(named)}. Make them agree; nothing was changed.",
                        file=self.root / "project.json", pointer=f"{copy.pointer}/{member_field}",
                    )
            if ref not in self.resolved:
                self.resolved.append(ref)
            return with_plan_id(copy.shot, seq_id)
        self._unresolved(ref, member, pointer,
                         f"shot id {json.dumps(ref)} names no shot in project.json or any "
                         "sequence file; the reference is kept in shot_ids")
        return None

    def _unresolved(self, ref: Any, member: SequenceInput, pointer: str, text: str) -> None:
        shown = ref if isinstance(ref, str) else json.dumps(ref)
        if shown not in self.unresolved:
            self.unresolved.append(shown)
        self.warnings.append(PlanWarning(member.path, pointer, text))


def _normalized(member: SequenceInput, shots: list[Shot]) -> dict[str, Any]:
    if not field_shapes.is_reference_shape(member.doc):
        return member.doc
    return {**member.doc, "shots": shots}


def _timestamp(doc: dict[str, Any]) -> datetime | None:
    best = None
    for path in _TIMESTAMP_FIELDS:
        value: Any = doc
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        best = moment if best is None or moment > best else best
    return best


def _keeper(members: tuple[SequenceInput, ...], docs: list[dict[str, Any]],
            choice: str) -> tuple[int | None, str]:
    """Index of the file whose fields win under ``choice``, or None with the reason."""
    canonical = [i for i, m in enumerate(members) if m.canonical_name and not m.by_service]
    if choice == "keep-canonical":
        if len(canonical) == 1:
            return canonical[0], ""
        return None, (f"{len(canonical)} of the files are canonical sequence files not "
                      "written by SequenceService; keep-canonical needs exactly one")
    if choice == "keep-newest":
        stamps = [_timestamp(d) for d in docs]
        known = [s for s in stamps if s is not None]
        if not known:
            return None, "none of the files carries a readable updated_at/modified_at"
        newest = max(known)
        winners = [i for i, s in enumerate(stamps) if s == newest]
        if len(winners) == 1:
            return winners[0], ""
        return None, "two files carry the same newest timestamp"
    return None, "the files differ and --on-duplicate was not given"


def merge_group(group: ServiceGroup, legacy: Mapping[str, LegacyShot],
                held_elsewhere: Mapping[str, str], on_duplicate: str, root: Path) -> Merged:
    """Merge ``group``'s files into one document (see the module doc). ``legacy`` maps
    shot ids to their project.json copy; ``held_elsewhere`` maps shot ids held by files
    of other sequences to that file."""
    resolver = _Resolver(group, legacy, held_elsewhere, root)
    docs = [_normalized(m, resolver.shots_of(m)) for m in group.members]
    members = group.members
    if len(members) == 1:
        kept_index, resolution, reason = 0, "single", ""
    elif all(d == docs[0] for d in docs[1:]):
        canonical = [i for i, m in enumerate(members) if m.canonical_name and not m.by_service]
        kept_index, resolution, reason = (canonical or [0])[0], "identical", ""
    else:
        chosen, reason = _keeper(members, docs, on_duplicate)
        if chosen is None:
            # Provisional choice so the preview shows a whole plan; it is blocked.
            fallback, _ = _keeper(members, docs, "keep-canonical")
            kept_index, resolution = (fallback if fallback is not None else 0), "stop"
        else:
            kept_index, resolution = chosen, on_duplicate
    kept = members[kept_index]
    doc = dict(docs[kept_index])
    shots = list(doc.get("shots", []))
    ids = {s["id"]: s for s in shots}
    merged = Merged(doc, kept, resolution)
    added: float = 0
    for index, member in enumerate(members):
        if index == kept_index:
            continue
        for shot in docs[index].get("shots", []):
            held = ids.get(shot["id"])
            if held is None:
                shot = with_plan_id(shot, group.sequence_id)
                shots.append(shot)
                ids[shot["id"]] = shot
                merged.appended.append(shot["id"])
                added += shot_duration(shot)
            elif held != shot and held != with_plan_id(shot, group.sequence_id):
                merged.warnings.append(PlanWarning(
                    member.path, "/shots",
                    f"shot {json.dumps(shot['id'])} differs from the version in "
                    f"{kept.path}, which is kept; this file's version stays in the run's "
                    "backup"))
    doc["shots"] = shots
    declared = doc.get("duration")
    if added and isinstance(declared, (int, float)) and not isinstance(declared, bool):
        doc["duration"] = declared + added  # as migration rule 5: shots added, time added
    merged.resolved = [r for r in resolver.resolved if r in ids]
    merged.unresolved = resolver.unresolved
    merged.warnings[:0] = resolver.warnings
    names = ", ".join(m.path for m in members)
    merged.message = {
        "single": f"{kept.path} rewritten in the canonical layout",
        "identical": f"{names} hold the same sequence; one file is kept",
        "stop": f"{names} hold different versions of sequence {json.dumps(group.sequence_id)}"
                f" ({reason}); choose with --on-duplicate keep-newest or keep-canonical",
    }.get(resolution, f"{names} differ; --on-duplicate {resolution} keeps {kept.path}'s "
                      "fields and appends the shots only the others hold")
    return merged
