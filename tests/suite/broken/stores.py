"""Deliberately broken Python implementations: the suite's teeth.

Each class is the reference store with exactly ONE defect taken from the real app's
behaviour (see ../../../shared/storycore-notes.md and the SPEC's "app differences"
table), so a certification run must fail on that defect's requirement IDs and pass
every other core requirement. Driven by the suite as
``--seqcheck-impl tests/suite/broken/stores.py:<ClassName>``.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Any

from conformance import schema_registry
from conformance.atomic import file_lock
from conformance.documents import load_sequence_file
from conformance.errors import ErrorCode, SeqcheckError, io_error
from conformance.ids import check_id
from conformance.jsonio import dump_bytes
from conformance.layout import sequences_dir, temp_name_for
from conformance.projectfs import ProjectFS
from conformance.reference import ReferenceStore
from conformance.reference.index import SequenceIndex
from conformance.reference.store import _check_updates

ALL_CAPABILITIES = ("legacy-fallback", "save-shot", "concurrent-writers")


class _Broken(ReferenceStore):
    """Common hello data; subclasses each break one thing."""

    version = "0.0.1-broken"
    capabilities = ALL_CAPABILITIES

    def _sorted(self, sequences: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(
            sequences,
            key=lambda d: (0, d["order"], d["id"]) if "order" in d else (1, 0, d["id"]),
        )


class _WriteDefect(_Broken):
    """The reference's update (merge, metadata touch, checks); only the write differs."""

    def _update_locked(
        self, path: Path, doc: dict[str, Any], sequence_id: str, shot_id: str,
        updates: dict[str, Any],
    ) -> dict[str, Any]:
        new_shot = self._updated(path, doc, sequence_id, shot_id, updates)
        self._write(path, dump_bytes(doc))
        return copy.deepcopy(new_shot)

    def _write(self, path: Path, data: bytes) -> None:
        """The defective write; every subclass defines its own."""
        raise TypeError(f"{type(self).__name__} must define _write (its write defect)")


class InPlaceWrite(_WriteDefect):
    """Rewrites the sequence file in place (open with O_TRUNC, write, no fsync, no rename)."""

    name = "broken-inplace-write"

    def _write(self, path: Path, data: bytes) -> None:
        with path.open("wb") as f:  # THE DEFECT: truncate and stream into the live file
            for start in range(0, len(data), 65536):
                f.write(data[start:start + 65536])
                f.flush()
            os.fsync(f.fileno())  # durable once done (the missing fsync is NoFsync's defect)


class EmptyOnMissing(_Broken):
    """get_shots answers [] for a sequence that does not exist (the app's behaviour)."""

    name = "broken-empty-on-missing"

    def get_shots(self, sequence_id: str) -> list[dict[str, Any]]:
        try:
            return super().get_shots(sequence_id)
        except SeqcheckError as exc:
            if exc.code is ErrorCode.SEQUENCE_NOT_FOUND:
                return []  # THE DEFECT
            raise


class _PlainListing(_Broken):
    """get_all_sequences reduced to its core (refresh, refuse links out, read each file,
    refuse a duplicate id), with a hook for each defect below: _load, _duplicate."""

    def get_all_sequences(self) -> list[dict[str, Any]]:
        self._check_project()
        self._index.refresh()
        self._index.raise_escapes()  # as the reference: links out are never followed
        sequences: dict[str, dict[str, Any]] = {}
        for name in self._index.names():
            doc = self._load(name)
            if doc is None:
                continue
            if doc["id"] in sequences:
                self._duplicate(doc)
                continue
            sequences[doc["id"]] = doc
        return self._sorted(list(sequences.values()))

    def _load(self, name: str) -> dict[str, Any] | None:
        """The document of sequence file ``name``; ``None`` when it vanished."""
        try:
            doc, _ = load_sequence_file(self._index.folder / name)
        except FileNotFoundError:
            return None
        return doc

    def _duplicate(self, doc: dict[str, Any]) -> None:
        raise SeqcheckError(ErrorCode.DUPLICATE_SEQUENCE_ID, f"duplicate id {doc['id']!r}")


class CorruptSkipped(_PlainListing):
    """get_all_sequences skips corrupt sequence files with a warning (the app's behaviour)."""

    name = "broken-corrupt-skipped"

    def _load(self, name: str) -> dict[str, Any] | None:
        try:
            return super()._load(name)
        except SeqcheckError as exc:
            if exc.code is ErrorCode.CORRUPT_FILE:
                return None  # THE DEFECT: "console.warn" and carry on
            raise


class NoLock(_Broken):
    """Read-modify-write without the sidecar lock, while claiming concurrent-writers."""

    name = "broken-no-lock"

    def update_shot(
        self, sequence_id: str, shot_id: str, updates: dict[str, Any]
    ) -> dict[str, Any]:
        check_id("sequence id", sequence_id)
        check_id("shot id", shot_id)
        _check_updates(updates)
        self._check_project()
        path, doc = self._load_located(sequence_id)  # THE DEFECT: no file_lock around this
        return self._update_locked(path, doc, sequence_id, shot_id, updates)


class _DirectIndex(SequenceIndex):
    def locate(self, sequence_id: str) -> Path:
        direct = self.folder / sequence_id  # "an id may also be a file name": path traversal
        if direct.is_file():
            return direct
        return super().locate(sequence_id)


class UncheckedIds(_Broken):
    """Ids are never checked, and an id may name a file directly (path traversal)."""

    name = "broken-unchecked-ids"

    def __init__(self, project_dir: Any, **kwargs: Any) -> None:
        super().__init__(project_dir, **kwargs)
        self._index = _DirectIndex(sequences_dir(self.project))

    def update_shot(
        self, sequence_id: str, shot_id: str, updates: dict[str, Any]
    ) -> dict[str, Any]:
        _check_updates(updates)  # THE DEFECT: no check_id for either id
        self._check_project()
        path = self._index.locate(sequence_id)
        with file_lock(path, self.lock_timeout):
            doc, _ = load_sequence_file(path)
            return self._update_locked(path, doc, sequence_id, shot_id, updates)

    def get_shots(self, sequence_id: str) -> list[dict[str, Any]]:
        self._check_project()
        doc, _ = load_sequence_file(self._index.locate(sequence_id))
        shots: list[dict[str, Any]] = doc["shots"]
        return shots


_DECLARED = frozenset(schema_registry.load_schema("shot")["properties"])


class UnknownFieldsDropped(_Broken):
    """The updated shot goes through a typed model: fields no type declares are lost."""

    name = "broken-unknown-fields-dropped"
    _in_sequence_update = False

    def _update_locked(self, *args: Any) -> dict[str, Any]:
        self._in_sequence_update = True
        try:
            return super()._update_locked(*args)
        finally:
            self._in_sequence_update = False

    def _merge(  # type: ignore[override]  # the defect needs the store's state
        self, shot: dict[str, Any], updates: dict[str, Any], pointer: str, path: Path,
        sequence_id: str | None,
    ) -> dict[str, Any]:
        merged = super()._merge(shot, updates, pointer, path, sequence_id)
        if not self._in_sequence_update:
            return merged
        return {k: v for k, v in merged.items() if k in _DECLARED or k in updates}  # THE DEFECT


class IdChangeable(_Broken):
    """An update may rename the shot (``{"id": "new"}`` is merged like any field)."""

    name = "broken-id-changeable"

    def _merge(  # type: ignore[override]  # the defect needs the store's state
        self, shot: dict[str, Any], updates: dict[str, Any], pointer: str, path: Path,
        sequence_id: str | None,
    ) -> dict[str, Any]:
        rest = {k: v for k, v in updates.items() if k != "id"}
        merged = super()._merge(shot, rest, pointer, path, sequence_id)
        if "id" in updates:
            merged["id"] = updates["id"]  # THE DEFECT
        return merged


class SilentFallback(_Broken):
    """save_shot falls back to project.json whenever the sequence path fails (the editor)."""

    name = "broken-silent-fallback"

    def save_shot(self, shot_id: str, updates: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().save_shot(shot_id, updates)
        except SeqcheckError as exc:
            if exc.code in (ErrorCode.INVALID_ID, ErrorCode.INVALID_UPDATE):
                raise
            return self.update_legacy_shot(shot_id, updates)  # THE DEFECT


class _FirstMatchIndex(SequenceIndex):
    def names_for(self, sequence_id: str) -> list[str]:
        return super().names_for(sequence_id)[:1]  # THE DEFECT: the first file by name wins


class FirstMatchDuplicates(_PlainListing):
    """Two files with one sequence id: the first by name wins, the other is ignored."""

    name = "broken-first-match"

    def __init__(self, project_dir: Any, **kwargs: Any) -> None:
        super().__init__(project_dir, **kwargs)
        self._index = _FirstMatchIndex(sequences_dir(self.project))

    def _duplicate(self, doc: dict[str, Any]) -> None:
        pass  # THE DEFECT: a duplicate is silently dropped


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class NoFsync(_WriteDefect):
    """Temp file, rename, never truncates: but never calls fsync (the app's writeFileSync
    does not either), so a power cut after the call returned can lose the change."""

    name = "broken-no-fsync"

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.parent / temp_name_for(path.name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)  # THE DEFECT: no os.fsync(fd) before the rename ...
            os.replace(tmp, path)  # ... and no fsync of the folder after it
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise io_error("write the file", path, exc) from exc
        self._index.note_written(path.name)


class TempLeftBehind(NoFsync):
    """Temp file, fsync, rename: but a failed write leaves the temp file behind."""

    name = "broken-temp-left-behind"

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.parent / temp_name_for(path.name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as exc:  # THE DEFECT: the temp file is not removed
            raise io_error("write the file", path, exc) from exc
        self._index.note_written(path.name)


class CreatedAtOverwritten(_Broken):
    """Every update also sets metadata.created_at to the update time."""

    name = "broken-created-at-overwritten"

    def _touch_metadata(self, doc: dict[str, Any]) -> None:
        super()._touch_metadata(doc)
        doc["metadata"]["created_at"] = doc["metadata"]["modified_at"]  # THE DEFECT


class NullReturned(_Broken):
    """update_shot stores the update but returns nothing (the app's updateShotInSequence)."""

    name = "broken-null-returned"

    def update_shot(self, sequence_id: str, shot_id: str, updates: dict[str, Any]) -> Any:
        super().update_shot(sequence_id, shot_id, updates)
        return None  # THE DEFECT


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


class FloatsRounded(_Broken):
    """Numbers go through a 4-decimal formatter on the way to disk (``toFixed(4)``)."""

    name = "broken-floats-rounded"

    def _touch_metadata(self, doc: dict[str, Any]) -> None:
        super()._touch_metadata(doc)
        for key, value in list(doc.items()):
            doc[key] = _rounded(value)  # THE DEFECT: every float of the written file


class LinksFollowed(_Broken):
    """A sequence file, or sequences/ itself, linking out of the project is followed: when
    the folder holds a link, shots are read by plain path (links resolved by the OS)."""

    name = "broken-links-followed"

    def __init__(self, project_dir: Any, **kwargs: Any) -> None:
        super().__init__(project_dir, **kwargs)
        # THE DEFECT: the index's path policy is rooted at "/", so every link is "inside".
        self._index = SequenceIndex(
            sequences_dir(self.project).absolute(), ProjectFS(Path(os.sep))
        )


class WritesOutside(_Broken):
    """Keeps a copy of every file it writes in a folder beside the project (outside it):
    a "backup" feature that writes where the spec allows nothing to be written."""

    name = "broken-writes-outside"

    def update_shot(
        self, sequence_id: str, shot_id: str, updates: dict[str, Any]
    ) -> dict[str, Any]:
        shot = super().update_shot(sequence_id, shot_id, updates)
        path = self._index.locate(sequence_id)
        copies = self.project.resolve().parent / f"{self.project.name}-copies"
        copies.mkdir(exist_ok=True)
        shutil.copyfile(path, copies / path.name)  # THE DEFECT
        return shot


class DoesNothing:
    """No method at all: every operation answers UNSUPPORTED (nothing may pass)."""

    name = "does-nothing"
    version = "0.0.0"
    capabilities = ALL_CAPABILITIES

    def __init__(self, project_dir: Any, **kwargs: Any) -> None:
        self.project = project_dir


__all__ = [
    "CoreOnly",
    "CorruptSkipped",
    "CreatedAtOverwritten",
    "DoesNothing",
    "EmptyOnMissing",
    "FirstMatchDuplicates",
    "FloatsRounded",
    "IdChangeable",
    "InPlaceWrite",
    "LinksFollowed",
    "NoFsync",
    "NoLock",
    "NullReturned",
    "SilentFallback",
    "TempLeftBehind",
    "UncheckedIds",
    "UnknownFieldsDropped",
    "WritesOutside",
]


class CoreOnly(ReferenceStore):
    """Not broken: the reference store declaring no optional capability (a control case:
    capability requirements must be "not claimed", never failed)."""

    name = "core-only"
    version = "1.0.0"
    capabilities = ()
