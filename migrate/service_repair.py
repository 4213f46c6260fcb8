"""Merging the files of one sequence id written by the app's SequenceService (pure).

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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from conformance import field_shapes
from conformance.documents import MEMBERSHIP_FIELDS
from conformance.errors import ErrorCode
from migrate.detect import ServiceGroup
from migrate.errors import MigrateCode, MigrateError
from migrate.model import PlanWarning
from migrate.shots import shot_duration, with_plan_id
from migrate.snapshot import SequenceInput

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

