"""Recognising the app's shapes that need ``--repair`` (conformance/spec/field-guide.md).

* Born broken by the New Project dialog (D-2): one ``sequences/sequence_NNN.json``
  without an ``id`` holding every shot of every intended sequence, each shot naming
  the sequence it was meant for in ``metadata.sequence_id``; project.json ``shots``
  holds copies.
* Written by the app's SequenceService or dashboard (S-1..S-3): the sequence ids held
  by a reference-shape or id-prefix file, with every other file holding the same id
  (:func:`find_service_groups`; merged by :mod:`migrate.service_repair`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import field_shapes, schema_registry
from conformance.documents import MEMBERSHIP_FIELDS, schema_error
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.ids import id_problem
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.snapshot import SequenceInput, Snapshot

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
