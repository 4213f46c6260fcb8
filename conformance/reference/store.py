"""The reference implementation of the sequence-file persistence API.

Everything the spec (``conformance/SPEC.md``) requires, done right: strict errors with
stable codes, atomic and durable writes, a per-file lock around read-modify-write,
ids checked before any file is touched, and unknown fields preserved byte for byte
in value and key order.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance import atomic, schema_registry
from conformance.atomic import LOCK_TIMEOUT_SECONDS
from conformance.clock import utc_now_iso
from conformance.documents import (
    LEGACY_ARRAYS,
    MEMBERSHIP_FIELDS,
    SHOT_FIELDS_DEPTH,
    check_sequence_doc,
    load_project_file,
    membership_problems,
    schema_error,
    shot_sequence_id,
    touched_metadata,
)
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.ids import check_id
from conformance.jsonio import dump_checked_bytes, find_unwritable, parse_bytes
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR, project_file, sequences_dir
from conformance.projectfs import (
    EntryKind,
    FileInfo,
    LockProbe,
    NotRegularFileError,
    OpenFolder,
    ProjectFS,
)
from conformance.reference.index import SequenceIndex
from conformance.reference.written import (
    Written,
    WrittenFiles,
    canonical_bytes,
    changed_part,
    json_copy,
    parse_known,
    working_copy,
)

Shot = dict[str, Any]


# The store's write and lock, by path. Module functions, not methods, so that the
# crash tools' deliberately broken stores (tests/crash/broken_impls.py) and the
# lock-race test can swap them. ``folder``: the operation's open sequences folder,
# used for a file directly in it (no walk from the project root).
def atomic_write_bytes(
    target: Path, data: bytes, *, project: str | os.PathLike[str] | None = None,
    folder: OpenFolder | None = None,
) -> FileInfo | None:
    """THE atomic write (:meth:`ProjectFS.write_atomic`) of ``target``; what it returns."""
    if folder is not None:
        return folder.write_atomic(target.name, data)
    if project is not None:
        return ProjectFS(project).write_atomic(target, data)
    atomic.atomic_write_bytes(target, data)
    return None


def file_lock(
    target: Path, timeout: float = LOCK_TIMEOUT_SECONDS, *,
    project: str | os.PathLike[str] | None = None, folder: OpenFolder | None = None,
    probe: LockProbe | None = None,
) -> contextlib.AbstractContextManager[None]:
    """THE lock (:meth:`ProjectFS.lock`) of ``target``; ``probe``: what
    :meth:`OpenFolder.lock_probe` of it in ``folder`` found just before."""
    if folder is not None:
        return folder.lock(target.name, timeout, probe=probe)
    return atomic.file_lock(target, timeout, project=project)


def _check_updates(updates: Any) -> dict[str, Any]:
    if not isinstance(updates, dict):
        raise SeqcheckError(
            ErrorCode.INVALID_UPDATE,
            f"expected updates to be a JSON object, found {type(updates).__name__}.",
        )
    problem = find_unwritable(updates, depth=SHOT_FIELDS_DEPTH - 1)
    if problem is not None:
        raise SeqcheckError(
            ErrorCode.INVALID_UPDATE,
            f"expected updates made of JSON values, found {problem[1]} at "
            f"{problem[0] or '/'} in the updates.",
        )
    return updates


class _Operation:
    """:meth:`ReferenceStore._operation` (a class, not a generator: one per call)."""

    __slots__ = ("_opened", "_store")

    def __init__(self, store: ReferenceStore) -> None:
        self._store = store
        self._opened: contextlib.AbstractContextManager[OpenFolder] | None = None

    def __enter__(self) -> None:
        self._opened = self._store._begin_operation()

    def __exit__(self, *exc: object) -> None:
        opened, self._opened = self._opened, None
        self._store._end_operation(opened)


class ReferenceStore:
    """Sequence-file persistence for one project folder.

    >>> store = ReferenceStore("path/to/project")          # doctest: +SKIP
    >>> store.update_shot("001", "shot-1", {"notes": "x"})  # doctest: +SKIP

    Every method raises :class:`conformance.errors.SeqcheckError` on failure and
    leaves every file unchanged when it does.
    """

    def __init__(
        self,
        project_dir: str | os.PathLike[str],
        *,
        lock_timeout: float = LOCK_TIMEOUT_SECONDS,
        clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        self.project = Path(project_dir)
        self.lock_timeout = lock_timeout
        self._clock = clock
        # Every file access goes through the project's one path policy: nothing
        # outside the project is read or written, only regular files are read.
        self._fs = ProjectFS(self.project)
        self._index = SequenceIndex(sequences_dir(self.project), self._fs)
        # What this store last wrote, to skip re-reading its own writes (written.py).
        self._written = WrittenFiles()
        # The sequences folder, opened once per public call (see _operation).
        self._open: OpenFolder | None = None
        self._folder_str = str(self._index.folder)
        self._in_folder: Path | None = None  # the last path _folder_of found in it
        # The document an update's working copy was made from: (copy, original,
        # what the store wrote, if the file held exactly that). Set by
        # _load_for_update, used to check and encode only what the update changed.
        self._basis: tuple[dict[str, Any], dict[str, Any], Written | None] | None = None
        # The document _check_updated last checked and its changed_part (or None).
        self._checked: tuple[dict[str, Any], dict[str, Any] | None] | None = None

    # -- helpers -----------------------------------------------------------------
    def _check_project(self) -> None:
        if not self.project.is_dir():
            found = "nothing" if not self.project.exists() else "a file"
            raise SeqcheckError(
                ErrorCode.PROJECT_NOT_FOUND,
                f"expected a project folder, found {found}. Pass the folder that holds "
                "project.json.",
                file=self.project,
            )

    def _operation(self) -> contextlib.AbstractContextManager[None]:
        """Open ``sequences/`` once for the file calls of one public operation.

        The walk from the project root (SEQ-ID-5) is then done once, not for every
        stat, read, lock and write; files directly in the folder are reached through
        its descriptor, links among them still through :class:`ProjectFS`. When the
        folder cannot be opened (absent, a link out, not a folder), every call goes
        by path, which reports that exactly as before. Nested operations share it.
        """
        return _Operation(self)

    def _begin_operation(self) -> contextlib.AbstractContextManager[OpenFolder] | None:
        """Enter :meth:`_operation`; what :meth:`_end_operation` then closes."""
        if self._open is not None:
            return None
        opened = self._fs.open_folder(SEQUENCES_DIR)
        try:
            folder: OpenFolder | None = opened.__enter__()
        except (FileNotFoundError, SeqcheckError):
            folder = None
        if folder is None:
            # Say PROJECT_NOT_FOUND (rather than what the folder's absence means)
            # when the project itself is missing; an opened folder proves it exists.
            self._check_project()
            return None
        self._open = folder
        self._index.use_folder(folder)
        return opened

    def _end_operation(self, opened: contextlib.AbstractContextManager[OpenFolder] | None) -> None:
        if opened is None:
            return
        self._open = None
        self._index.use_folder(None)
        opened.__exit__(None, None, None)

    def _folder_of(self, path: Path) -> OpenFolder | None:
        """The open folder, when ``path`` is directly in it."""
        folder = self._open
        if folder is None:
            return None
        # The index hands out one Path per file: the last one found here is known.
        # Else a string comparison: Path.parent builds a Path.
        if path is self._in_folder or os.path.dirname(path) == self._folder_str:  # noqa: PTH120
            self._in_folder = path
            return folder
        return None

    def _read_raw(self, path: Path, folder: OpenFolder | None = None) -> bytes | None:
        """The bytes of ``path`` (``None``: no such file); ``folder``: the caller's
        :meth:`_folder_of` ``path``, when it has it."""
        if folder is None:
            folder = self._folder_of(path)
        if folder is not None:
            return folder.read_bytes_or_none(path.name)
        return self._fs.read_bytes_or_none(path)

    def _load_at(self, sequence_id: str, path: Path) -> dict[str, Any] | None:
        """Strictly load ``path``; ``None`` when it vanished or now holds another id."""
        doc = self._read_sequence(path)
        if doc is None or doc["id"] != sequence_id:
            self._index.forget(path.name)  # rewritten or removed since indexed
            return None
        return doc

    def _read_sequence(self, path: Path) -> dict[str, Any] | None:
        """The valid sequence document in ``path`` (``None`` when it does not exist),
        as a new object the caller owns."""
        raw = self._read_raw(path)
        if raw is None:
            return None
        known = self._written.matching(path, raw)
        if known is not None:  # the store's own write, checked when it was made
            return parse_known(raw, known)
        return check_sequence_doc(parse_bytes(raw, file=path), path)

    def _load_for_update(
        self, sequence_id: str, path: Path, folder: OpenFolder | None = None
    ) -> dict[str, Any] | None:
        """Like :meth:`_load_at`, but a working copy (see :func:`working_copy`) of the
        document, remembered as the basis of the update (:attr:`_basis`)."""
        raw = self._read_raw(path, folder)
        known = None if raw is None else self._written.matching(path, raw)
        if known is not None:
            original = known.doc
        elif raw is not None:
            original = check_sequence_doc(parse_bytes(raw, file=path), path)
        if raw is None or original["id"] != sequence_id:
            self._index.forget(path.name)  # rewritten or removed since indexed
            return None
        work = working_copy(original)
        self._basis = (work, original, known)
        return work

    def _basis_of(self, doc: dict[str, Any]) -> tuple[dict[str, Any], Written | None] | None:
        """The original of ``doc`` and what the store wrote of it, when ``doc`` is the
        working copy :meth:`_load_for_update` made."""
        basis = self._basis
        if basis is None or basis[0] is not doc:
            return None
        return basis[1], basis[2]

    def _has_sidecar(self, path: Path) -> bool:
        """Whether the lock file of ``path`` already exists. A write that would fail
        is refused before the lock is taken when it does not: a call that changes
        nothing leaves nothing behind, not even a new lock file."""
        folder = self._folder_of(path)
        if folder is not None:
            return folder.lock_exists(path.name)
        return self._fs.lock_exists(path)

    def _moved(self, sequence_id: str) -> SeqcheckError:
        return SeqcheckError(
            ErrorCode.SEQUENCE_NOT_FOUND,
            f"sequence {sequence_id!r} kept moving between files while being looked up; "
            "another program is renaming sequence files. Retry.",
            file=self._index.folder,
        )

    def _load_located(self, sequence_id: str) -> tuple[Path, dict[str, Any]]:
        for _ in range(3):
            path = self._index.locate(sequence_id)
            doc = self._load_at(sequence_id, path)
            if doc is not None:
                return path, doc
        raise self._moved(sequence_id)

    @staticmethod
    def _find_shot(doc: dict[str, Any], shot_id: str, path: Path, where: str) -> int:
        for i, shot in enumerate(doc["shots"]):
            if shot.get("id") == shot_id:
                return int(i)
        raise SeqcheckError(
            ErrorCode.SHOT_NOT_FOUND,
            f"expected a shot with id {shot_id!r} in {where}, found none among "
            f"{len(doc['shots'])} shot(s).",
            file=path,
            pointer="/shots",
        )

    @staticmethod
    def _merge(
        shot: Shot, updates: dict[str, Any], pointer: str, path: Path, sequence_id: str | None
    ) -> Shot:
        if "id" in updates and updates["id"] != shot.get("id"):
            raise SeqcheckError(
                ErrorCode.INVALID_UPDATE,
                f"expected updates to leave the shot id {shot.get('id')!r} alone, found "
                f"id {updates['id']!r}. Shot ids are immutable.",
                file=path,
                pointer=pointer + "/id",
            )
        for field in MEMBERSHIP_FIELDS:
            if field not in updates:
                continue
            current = shot.get(field, sequence_id)
            if updates[field] != current:
                raise SeqcheckError(
                    ErrorCode.INVALID_UPDATE,
                    f"expected {field} to stay {current!r}, found {updates[field]!r}. "
                    "Moving a shot to another sequence is not an update; use 'seqcheck "
                    "migrate' or edit both files.",
                    file=path,
                    pointer=pointer + "/" + field,
                )
        return {**shot, **json_copy(updates)}

    # -- sequence files ------------------------------------------------------------
    def update_shot(self, sequence_id: str, shot_id: str, updates: dict[str, Any]) -> Shot:
        """Shallow-merge ``updates`` into a shot of a sequence file; return the stored shot.

        Sets ``metadata.modified_at`` (and ``metadata.updated_at`` where the file
        already has it). Raises INVALID_ID, INVALID_UPDATE, PROJECT_NOT_FOUND,
        SEQUENCE_NOT_FOUND, DUPLICATE_SEQUENCE_ID, SHOT_NOT_FOUND, CORRUPT_FILE,
        SCHEMA_VIOLATION, LOCK_TIMEOUT or IO_ERROR, and then changes nothing.
        """
        check_id("sequence id", sequence_id)
        check_id("shot id", shot_id)
        _check_updates(updates)
        with self._operation():
            try:
                return self._update_shot(sequence_id, shot_id, updates)
            finally:
                self._basis = None
                self._checked = None

    def _update_shot(self, sequence_id: str, shot_id: str, updates: dict[str, Any]) -> Shot:
        for _ in range(3):
            path = self._index.locate(sequence_id)
            folder = self._folder_of(path)
            # The lock looks again at neither the file nor its sidecar when nothing
            # ran in between (the sidecar existed: no dry run).
            probe = None if folder is None else folder.lock_probe(path.name)
            if not (self._has_sidecar(path) if probe is None else probe.exists):
                # Dry run without the lock: every error it raises is raised before
                # the lock file is created (the run under the lock repeats it).
                probe = None
                doc = self._load_for_update(sequence_id, path, folder)
                if doc is None:
                    continue
                self._updated(path, doc, sequence_id, shot_id, updates)
            with file_lock(
                path, self.lock_timeout, project=self.project, folder=folder, probe=probe
            ):
                doc = self._load_for_update(sequence_id, path, folder)
                if doc is None:
                    continue
                return self._update_locked(path, doc, sequence_id, shot_id, updates)
        raise self._moved(sequence_id)

    def _update_locked(
        self, path: Path, doc: dict[str, Any], sequence_id: str, shot_id: str,
        updates: dict[str, Any],
    ) -> Shot:
        new_shot = self._updated(path, doc, sequence_id, shot_id, updates)
        basis = self._basis_of(doc)
        data, fast = canonical_bytes(doc, None if basis is None else basis[1])
        written = atomic_write_bytes(path, data, project=self.project, folder=self._folder_of(path))
        # doc is the store's own copy from here on: the caller gets a copy of the shot.
        self._written.remember(path, Written(data, doc, fast))
        # What _check_updated found just now for this very doc, unchanged since.
        checked = self._checked
        if checked is not None and checked[0] is doc:
            part = checked[1]
        else:
            part = None if basis is None else changed_part(doc, basis[0])
        same_ids = basis is not None and part is not None
        self._index.note_written(path.name, written, doc, same_ids=same_ids)
        return json_copy(new_shot)  # type: ignore[no-any-return]

    def _updated(
        self, path: Path, doc: dict[str, Any], sequence_id: str, shot_id: str,
        updates: dict[str, Any],
    ) -> Shot:
        """Apply the update to ``doc`` in place and check the result; the new shot."""
        index = self._find_shot(doc, shot_id, path, f"sequence {sequence_id!r}")
        pointer = json_pointer(["shots", index])
        new_shot = self._merge(doc["shots"][index], updates, pointer, path, sequence_id)
        doc["shots"][index] = new_shot
        self._touch_metadata(doc)
        self._check_updated(path, doc)
        return new_shot

    def _check_updated(self, path: Path, doc: dict[str, Any]) -> None:
        """SEQ-UPDATE-8: ``doc`` is schema-valid and keeps SEQ-MEMBER-1/2, else
        SCHEMA_VIOLATION. When ``doc`` is a working copy of a valid document, only
        what changed is checked (:func:`changed_part`); the explanation of a failure
        always comes from the whole document."""
        basis = self._basis_of(doc)
        part = None if basis is None else changed_part(doc, basis[0])
        self._checked = (doc, part)
        checked = doc if part is None else part
        if not schema_registry.is_valid(schema_registry.SEQUENCE, checked):
            err = schema_error(
                ErrorCode.SCHEMA_VIOLATION, schema_registry.SEQUENCE, doc, path,
                "the updated sequence",
            )
            if err is not None:
                raise err
        if part is not None and not any(True for _ in membership_problems(part)):
            return
        for bad_pointer, message in membership_problems(doc):
            raise SeqcheckError(ErrorCode.SCHEMA_VIOLATION, message, file=path, pointer=bad_pointer)

    def _touch_metadata(self, doc: dict[str, Any]) -> None:
        doc["metadata"] = touched_metadata(doc.get("metadata"), self._clock())

    def get_shots(self, sequence_id: str) -> list[Shot]:
        """The shots of sequence ``sequence_id`` in file order (SEQUENCE_NOT_FOUND if none)."""
        check_id("sequence id", sequence_id)
        with self._operation():
            _, doc = self._load_located(sequence_id)
        shots: list[Shot] = doc["shots"]
        return shots

    def get_all_sequences(self) -> list[dict[str, Any]]:
        """Every sequence of the project, sorted by ``order`` (missing last), then id.

        No ``sequences/`` folder means ``[]``. A corrupt or schema-invalid sequence
        file is CORRUPT_FILE; two files with one id are DUPLICATE_SEQUENCE_ID.
        """
        self._check_project()
        self._index.refresh()
        # A link out of the project fails the call before any file is opened.
        self._index.raise_escapes()
        # So does a sequence the app's SequenceService wrote under a name outside the
        # layout: returning the others would silently leave it out (SEQ-LAYOUT-2).
        app_error = self._index.app_file_error()
        if app_error is not None:
            raise app_error
        folder = self._index.folder
        seen: dict[str, str] = {}
        sequences: list[dict[str, Any]] = []
        for name in self._index.names():
            path = folder / name
            doc = self._read_sequence(path)
            if doc is None:
                if self._fs.kind(path) is EntryKind.LINK:  # dangling: never skipped
                    raise SeqcheckError(
                        ErrorCode.CORRUPT_FILE,
                        "expected a sequence file, found a symbolic link to nothing (its "
                        "target does not exist). Restore the file it pointed to, or "
                        "remove the link.",
                        file=path,
                    )
                continue  # removed since the listing: it no longer exists
            if doc["id"] in seen:
                raise SeqcheckError(
                    ErrorCode.DUPLICATE_SEQUENCE_ID,
                    f"expected one file with sequence id {doc['id']!r}, found two: "
                    f"{seen[doc['id']]} and {name}. Merge or renumber them.",
                    file=path,
                    pointer="/id",
                )
            seen[doc["id"]] = name
            sequences.append(doc)
        sequences.sort(
            key=lambda d: (0, d["order"], d["id"]) if "order" in d else (1, 0, d["id"])
        )
        return sequences

    # -- legacy project.json -------------------------------------------------------
    def _project_json(self) -> Path:
        self._check_project()
        path = project_file(self.project)
        found = self._fs.info(PROJECT_FILE)  # a link out of the project: CORRUPT_FILE
        if found is None:
            raise SeqcheckError(
                ErrorCode.PROJECT_NOT_FOUND,
                "expected project.json at the project root, found none.",
                file=path,
            )
        if found.kind is not EntryKind.FILE:
            raise NotRegularFileError(path, found.kind)
        return path

    def _load_project_json(self, path: Path) -> dict[str, Any]:
        try:
            doc, _ = load_project_file(path)
        except FileNotFoundError:
            raise SeqcheckError(
                ErrorCode.PROJECT_NOT_FOUND, "project.json disappeared.", file=path
            ) from None
        return doc

    def update_legacy_shot(self, shot_id: str, updates: dict[str, Any]) -> Shot:
        """Shallow-merge ``updates`` into a shot held in project.json; return it.

        The shot is looked up in ``shots`` then ``storyboard``; every copy with that id
        is updated, the first is returned. Nothing else in project.json changes and no
        sequence file is touched.
        """
        check_id("shot id", shot_id)
        _check_updates(updates)
        path = self._project_json()
        if not self._has_sidecar(path):
            # Dry run first: a refused update creates no lock file (see update_shot).
            self._legacy_updated(path, self._load_project_json(path), shot_id, updates)
        with file_lock(path, self.lock_timeout, project=self.project):
            doc = self._load_project_json(path)
            result = self._legacy_updated(path, doc, shot_id, updates)
            atomic_write_bytes(path, dump_checked_bytes(doc), project=self.project)
        return json_copy(result)  # type: ignore[no-any-return]

    def _legacy_updated(
        self, path: Path, doc: dict[str, Any], shot_id: str, updates: dict[str, Any]
    ) -> Shot:
        """Apply the update to project.json's ``doc`` in place, check it; the shot."""
        result: Shot | None = None
        for array in LEGACY_ARRAYS:
            shots = doc.get(array)
            if not isinstance(shots, list):
                continue
            for i, shot in enumerate(shots):
                if isinstance(shot, dict) and shot.get("id") == shot_id:
                    merged = self._merge(
                        shot, updates, json_pointer([array, i]), path, shot_sequence_id(shot)
                    )
                    shots[i] = merged
                    result = merged if result is None else result
        if result is None:
            raise SeqcheckError(
                ErrorCode.SHOT_NOT_FOUND,
                f"expected a shot with id {shot_id!r} in project.json 'shots' or "
                "'storyboard', found none.",
                file=path,
            )
        err = schema_error(
            ErrorCode.SCHEMA_VIOLATION, schema_registry.PROJECT, doc, path,
            "the updated project.json",
        )
        if err is not None:
            raise err
        return result

    def save_shot(self, shot_id: str, updates: dict[str, Any]) -> Shot:
        """The editor's save path: update a shot wherever it lives, never falling back.

        A shot held by a sequence file is updated there. A shot found only in
        project.json is updated there when it names no sequence; when it names one,
        it is routed to that sequence, and if that sequence's file is missing or
        corrupt (or lacks the shot) the error is raised and nothing is written.
        """
        check_id("shot id", shot_id)
        _check_updates(updates)
        with self._operation():
            return self._save_shot(shot_id, updates)

    def _save_shot(self, shot_id: str, updates: dict[str, Any]) -> Shot:
        holders = self._index.sequences_holding(shot_id)
        if len(holders) > 1:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected shot id {shot_id!r} to be unique in the project, found it in "
                f"sequences {', '.join(map(repr, holders))}. Run 'seqcheck validate'.",
                file=self._index.folder,
            )
        if holders:
            return self.update_shot(holders[0], shot_id, updates)
        path = project_file(self.project)
        found = self._fs.info(PROJECT_FILE)  # a link out of the project: CORRUPT_FILE
        if found is not None:
            if found.kind is not EntryKind.FILE:
                raise NotRegularFileError(path, found.kind)
            try:
                doc, _ = load_project_file(path)
            except FileNotFoundError:
                doc = {}
            for array in LEGACY_ARRAYS:
                for shot in doc.get(array) or []:
                    if not (isinstance(shot, dict) and shot.get("id") == shot_id):
                        continue
                    named = shot_sequence_id(shot)
                    if named is None:
                        return self.update_legacy_shot(shot_id, updates)
                    check_id("sequence id", named)
                    # Route to the sequence the shot names; a missing file or a file
                    # without the shot is the caller's error, never a silent fallback.
                    seq_path = self._index.locate(named)
                    raise SeqcheckError(
                        ErrorCode.SHOT_NOT_FOUND,
                        f"expected shot {shot_id!r} in the file of sequence {named!r}, "
                        "which the shot names, found it only in project.json (nothing was "
                        "written). Run 'seqcheck migrate' to move legacy shots into their "
                        "sequence files.",
                        file=seq_path,
                        pointer="/shots",
                    )
        raise SeqcheckError(
            ErrorCode.SHOT_NOT_FOUND,
            f"expected shot {shot_id!r} in a sequence file or in project.json, found it "
            "in neither.",
            file=self.project,
        )


__all__ = ["ReferenceStore", "utc_now_iso"]
