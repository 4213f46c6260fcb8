"""Project level: rules across files (duplicate ids, copies of a shot in project.json
and a sequence file, legacy shots, duplicate order).

Sequence files stream through :meth:`ProjectRules.add_sequence` one at a time; only
what the rules need is kept: each sequence id and order with its file, each file's
shot ids (in a set while no id repeats; where each was first seen, packed in one
int, once one does), and the legacy shots of project.json (needed whole, to compare
copies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from conformance import field_shapes, layout
from conformance.documents import LEGACY_ARRAYS, shot_sequence_id
from conformance.errors import json_pointer
from conformance.validate.finding import FileRef, Finding
from conformance.validate.shot_rules import timing_findings

_SHOT_BITS = 32  # shot index within a file; the file index goes above it


@dataclass
class _LegacyShot:
    pointer: str
    shot: dict[str, Any]
    names_sequence: str | None
    matched: bool = False


def _named_sequence(shot: dict[str, Any]) -> str | None:
    """The sequence a legacy shot is meant for: sequencePlanId / sequence_id, else the
    New Project dialog's ``metadata.sequence_id``."""
    named = shot_sequence_id(shot)
    if named is None and isinstance(shot.get("metadata"), dict):
        value = shot["metadata"].get("sequence_id")
        named = value if isinstance(value, str) and value else None
    return named


@dataclass
class SequenceFacts:
    """What :class:`ProjectRules` needs of one sequence file (see
    :meth:`ProjectRules.facts`): small, and picklable to cross a process boundary."""

    file: str
    by_service: bool = False
    seq_id: str | None = None
    order: int | None = None
    #: Each shot's id in file order; ``None`` for a shot without a string id.
    shot_ids: list[str | None] = field(default_factory=list)
    #: (shot index, shot id, SC305/SC306 finding) for shots also in project.json.
    copies: list[tuple[int, str, Finding]] = field(default_factory=list)


class ProjectRules:
    """Cross-file state of one project. Feed project.json (if any) first, then every
    sequence file, then call :meth:`finish`."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self._project_ref = FileRef(project, layout.PROJECT_FILE)
        self._files: list[str] = []
        self._sequence_ids: dict[str, int] = {}
        self._orders: dict[int, int] = {}
        # Every shot id so far, and each file's ids in order, while no id repeats:
        # one set update per file finds the first repeat (the common case is none).
        self._seen_ids: set[str] = set()
        self._ids_by_file: list[list[str | None]] = []
        # Where each id was first seen (file index and shot index, packed), built from
        # those lists at the first repeat and kept from then on (SC303 names it).
        self._first_seen: dict[str, int] | None = None
        self._legacy: dict[str, _LegacyShot] = {}
        self._by_service: set[int] = set()  # files written by the app's SequenceService

    def _where(self, packed: int) -> str:
        file = self._files[packed >> _SHOT_BITS]
        return f"{file} at /shots/{packed & ((1 << _SHOT_BITS) - 1)}"

    def add_project(self, doc: dict[str, Any]) -> list[Finding]:
        """Index project.json's legacy shots; check their timing and in-file ids; name
        the app's other project.json shapes (template, embedded sequences)."""
        out: list[Finding] = _shape_findings(doc, self._project_ref)
        ref = self._project_ref
        for array in LEGACY_ARRAYS:
            shots = doc.get(array)
            if not isinstance(shots, list):
                continue
            prefix = json_pointer([array])  # an index needs no escaping
            for index, shot in enumerate(shots):
                pointer = f"{prefix}/{index}"
                out.extend(timing_findings(shot, pointer, ref))
                if not isinstance(shot, dict) or not isinstance(shot.get("id"), str):
                    continue
                shot_id = shot["id"]
                first = self._legacy.get(shot_id)
                if first is not None:
                    out.append(
                        ref.finding(
                            "SC303",
                            f"{pointer}/id",
                            f"expected unique shot ids, found {shot_id!r} again "
                            f"(first at {first.pointer} in project.json).",
                        )
                    )
                    continue
                self._legacy[shot_id] = _LegacyShot(pointer, shot, _named_sequence(shot))
        return out

    def add_sequence(self, file: str, doc: dict[str, Any]) -> list[Finding]:
        """Cross-file rules for one sequence document (``file`` relative to the
        project). Findings about project.json copies name project.json."""
        return self.merge(self.facts(file, doc))

    def facts(self, file: str, doc: dict[str, Any]) -> SequenceFacts:
        """What the cross-file rules need of one sequence document, taken without
        changing this object: a worker process holding a copy of it (forked after
        project.json was added) takes them, the parent adds them in file order
        (:meth:`merge`), so the findings are those of a serial run."""
        facts = SequenceFacts(
            file=file,
            by_service=field_shapes.written_by_sequence_service(file.rsplit("/", 1)[-1], doc),
        )
        seq_id = doc.get("id")
        if isinstance(seq_id, str):
            facts.seq_id = seq_id
        order = doc.get("order")
        if isinstance(order, int) and not isinstance(order, bool):
            facts.order = order
        shots = doc.get("shots")
        if not isinstance(shots, list):
            return facts
        legacy_shots = self._legacy
        try:
            ids: list[Any] = list(map(dict.get, shots, repeat("id")))
        except TypeError:  # a shot that is not an object
            pass
        else:
            # The common case, in C: every shot has a string id, none in project.json.
            if {*map(type, ids)} <= {str} and (
                not legacy_shots or legacy_shots.keys().isdisjoint(ids)
            ):
                facts.shot_ids = ids
                return facts
        ids = facts.shot_ids
        for index, shot in enumerate(shots):
            if type(shot) is not dict:
                ids.append(None)
                continue
            shot_id = shot.get("id")
            if type(shot_id) is not str:
                ids.append(None)
                continue
            ids.append(shot_id)
            legacy = legacy_shots.get(shot_id) if legacy_shots else None
            if legacy is not None:
                facts.copies.append(
                    (index, shot_id, self._copy_finding(legacy, shot, f"{file} at /shots/{index}"))
                )
        return facts

    def merge(self, facts: SequenceFacts) -> list[Finding]:
        """Add one file's :meth:`facts` (files in name order); its cross-file findings."""
        out: list[Finding] = []
        file = facts.file
        ref = FileRef(self.project, file)
        file_index = len(self._files)
        self._files.append(file)
        if facts.by_service:
            self._by_service.add(file_index)
        seq_id = facts.seq_id
        if seq_id is not None:
            first = self._sequence_ids.setdefault(seq_id, file_index)
            if first != file_index:
                out.append(
                    ref.finding(
                        "SC302",
                        "/id",
                        f"expected each sequence id in one file only, found {seq_id!r} "
                        f"here and in {self._files[first]}."
                        + self._duplicate_cause(first, file_index),
                    )
                )
        order = facts.order
        if order is not None:
            first = self._orders.setdefault(order, file_index)
            if first != file_index:
                out.append(
                    ref.finding(
                        "SC309",
                        "/order",
                        f"expected a distinct order per sequence, found order {order} "
                        f"here and in {self._files[first]}.",
                    )
                )
        ids = facts.shot_ids
        first_seen = self._first_seen
        if first_seen is None:
            seen = self._seen_ids
            named = ids if None not in ids else [i for i in ids if i is not None]
            before = len(seen)
            seen.update(named)  # type: ignore[arg-type]
            if len(seen) - before == len(named):
                # The common case, in C: every id is new (no SC303 to report).
                self._ids_by_file.append(ids)
                for _index, copied_id, finding in facts.copies:
                    self._legacy[copied_id].matched = True
                    out.append(finding)
                return out
            first_seen = self._first_seen = self._positions()
            self._seen_ids, self._ids_by_file = set(), []
        # Once per shot of the file: locals instead of attribute lookups.
        base = file_index << _SHOT_BITS
        first_at = first_seen.setdefault
        copies = iter(facts.copies)
        copy = next(copies, None)
        for index, shot_id in enumerate(ids):
            if shot_id is None:
                continue
            packed = base | index
            seen_at = first_at(shot_id, packed)
            if seen_at != packed:
                out.append(
                    ref.finding(
                        "SC303",
                        f"/shots/{index}/id",
                        f"expected unique shot ids, found {shot_id!r} here and in "
                        f"{self._where(seen_at)}.",
                    )
                )
            if copy is not None and copy[0] == index:
                self._legacy[copy[1]].matched = True
                out.append(copy[2])
                copy = next(copies, None)
        return out

    def _positions(self) -> dict[str, int]:
        """Where each shot id of the files merged so far was first seen."""
        first_seen: dict[str, int] = {}
        for file_index, ids in enumerate(self._ids_by_file):
            base = file_index << _SHOT_BITS
            for index, shot_id in enumerate(ids):
                if shot_id is not None:
                    first_seen.setdefault(shot_id, base | index)
        return first_seen

    def _duplicate_cause(self, first: int, second: int) -> str:
        if not self._by_service & {first, second}:
            return ""
        return (
            f" One of them was written by {field_shapes.ID_PREFIX_WRITER} after the "
            "sequence was read from the other. 'seqcheck migrate --repair "
            "--on-duplicate keep-newest' (or keep-canonical) merges them into one file."
        )

    def _copy_finding(self, legacy: _LegacyShot, shot: dict[str, Any], where: str) -> Finding:
        shot_id = shot["id"]
        if legacy.shot == shot:
            return self._project_ref.finding(
                "SC306",
                legacy.pointer,
                f"expected shot {shot_id!r} in one place, found an identical copy in "
                f"project.json and in {where}.",
            )
        differing = sorted(
            k for k in legacy.shot.keys() | shot.keys() if legacy.shot.get(k) != shot.get(k)
        )
        return self._project_ref.finding(
            "SC305",
            legacy.pointer,
            f"expected shot {shot_id!r} in one place, found different copies in "
            f"project.json and in {where} (differing fields: {', '.join(differing)}).",
        )

    def finish(self) -> list[Finding]:
        """Rules that need every file seen: legacy shots that belong in sequences/."""
        out = []
        for shot_id, legacy in self._legacy.items():
            if legacy.matched or legacy.names_sequence is None:
                continue
            out.append(
                self._project_ref.finding(
                    "SC307",
                    legacy.pointer,
                    f"expected shot {shot_id!r} of sequence {legacy.names_sequence!r} in a "
                    "sequence file, found it only in project.json.",
                )
            )
        return out


def _shape_findings(doc: dict[str, Any], ref: FileRef) -> list[Finding]:
    """SC319 (a project template, not a project) and SC320 (embedded sequences)."""
    out = []
    nested = doc.get("project")
    if isinstance(nested, dict) and "schema_version" not in doc and "project_name" not in doc:
        out.append(
            ref.finding(
                "SC319", "/project",
                "expected a project (schema_version, project_name and shots at the top "
                f"level), found a project template: {len(nested)} key(s) nested under "
                "'project', the shape creative-studio-ui ProjectTemplateService reads.",
            )
        )
    sequences = doc.get("sequences")
    if isinstance(sequences, list):
        embedded = sum(
            len(s["shots"]) for s in sequences
            if isinstance(s, dict) and isinstance(s.get("shots"), list)
        )
        if embedded:
            out.append(
                ref.finding(
                    "SC320", "/sequences",
                    f"expected shots in sequence files, found {json.dumps(embedded)} shot(s) "
                    f"in {len(sequences)} sequence(s) embedded in project.json (the "
                    "assistant's save_project, src/assistant/project_manager.py); they "
                    "are left as they are.",
                )
            )
    return out
