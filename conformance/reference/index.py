"""Finding a sequence file by the id inside it without parsing every file on each call.

The index remembers, for each sequence file name, the file's identity (inode, size,
mtime, ctime) and the sequence id and shot ids read from it. A full sweep lists the folder,
stats each file and re-reads only files that changed.

A lookup skips the sweep (SEQ-SCALE-1: cost independent of the number of sequences)
when three things hold: the last full sweep is less than :data:`TRUST_SECONDS` old,
the folder's mtime is what the index last saw (no file was created, removed or
renamed since, other than by the store's own writes, see :meth:`note_written`), and
the located file's own signature is unchanged. What that can miss is an in-place
rewrite of *another* sequence file, or a change in the same timestamp tick as one of
the store's own writes; the next full sweep, at most TRUST_SECONDS later, sees it.
Before reporting SEQUENCE_NOT_FOUND everything is re-read. The located file is always
re-read and its id checked under the lock by the store, so a stale entry can cost a
rescan, never a write to the wrong file.

A sweep also looks at the other ``sequence_*.json`` names, which the app itself reads
(SEQ-LAYOUT-2): one that SequenceService wrote under its id-prefix name is never read
as a sequence but makes a lookup of its id, and ``get_all_sequences``, fail with
CORRUPT_FILE (:meth:`SequenceIndex.app_file_error`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from conformance import field_shapes
from conformance.errors import ErrorCode, SeqcheckError
from conformance.ids import id_problem
from conformance.jsonio import BOM, parse_bytes
from conformance.layout import SEQUENCES_DIR, is_sequence_file_name
from conformance.projectfs import EntryKind, FileInfo, LinkOutError, OpenFolder, ProjectFS

#: How long a full sweep may be relied on while the folder looks unchanged.
TRUST_SECONDS = 1.0
#: File paths kept by :meth:`SequenceIndex._file` before the cache starts over.
_PATHS_CACHED = 4096


@dataclass(frozen=True)
class _Entry:
    signature: tuple[int, int, int, int]
    sequence_id: str | None
    shot_ids: frozenset[str]
    problem: str | None
    #: The error code of ``problem``: an unreadable file is an I/O failure, not corruption.
    problem_code: ErrorCode = ErrorCode.CORRUPT_FILE
    #: Where in the file the problem is.
    pointer: str = ""
    #: A link resolving outside the project: never opened, by any call (SEQ-ID-5).
    escapes: bool = False


def _read_entry(fs: ProjectFS, path: Path, signature: tuple[int, int, int, int]) -> _Entry:
    """Identify the sequence file ``path`` (read through ``fs``: never outside the
    project, never a FIFO or device, never past the size limit)."""
    try:
        data = fs.read_bytes(path)
    except FileNotFoundError:
        return _Entry(signature, None, frozenset(), "it vanished while being read")
    except LinkOutError as err:
        return _Entry(
            signature, None, frozenset(), _link_out_problem(err.target), escapes=True
        )
    except SeqcheckError as err:
        return _Entry(
            signature, None, frozenset(), err.message.rstrip("."), problem_code=err.code
        )
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        # Rare: re-read strictly for the precise message and location (a lone
        # surrogate, a number too large for a double, a syntax error).
        try:
            doc = parse_bytes(data, file=path)
        except SeqcheckError as err:
            return _Entry(
                signature, None, frozenset(),
                f"it cannot be read: {err.message.rstrip('.')}", pointer=err.pointer or "",
            )
    return _entry_of(signature, doc)


def _entry_of(signature: tuple[int, int, int, int], doc: Any) -> _Entry:
    """The entry of a file with ``signature`` holding the parsed ``doc``."""
    if not isinstance(doc, dict):
        return _Entry(signature, None, frozenset(), "it does not hold a JSON object")
    seq_id = doc.get("id")
    if seq_id is None:
        return _Entry(
            signature, None, frozenset(),
            "it has no sequence 'id' (run 'seqcheck migrate --repair' on projects made "
            "by the app's New Project dialog)",
        )
    problem = id_problem(seq_id)
    if problem is not None:
        return _Entry(
            signature, None, frozenset(), f"its 'id' is not a valid identifier: {problem}"
        )
    shots = doc.get("shots")
    shot_ids = frozenset(
        s["id"] for s in shots if isinstance(s, dict) and isinstance(s.get("id"), str)
    ) if isinstance(shots, list) else frozenset()
    return _Entry(signature, seq_id, shot_ids, None)


@dataclass(frozen=True)
class _AppEntry:
    """A ``sequence_*.json`` file outside the layout's names (SEQ-LAYOUT-2)."""

    signature: tuple[int, int, int, int]
    #: The id it holds when it is the app's id-prefix file
    #: (:func:`conformance.field_shapes.is_id_prefix_file`); ``None``: a stray file.
    sequence_id: str | None


def _read_app_entry(fs: ProjectFS, path: Path, signature: tuple[int, int, int, int]) -> _AppEntry:
    """Whether ``path``, a name outside the layout, is SequenceService's id-prefix file.

    Read strictly, as the validator does: a file that cannot be read or parsed, or
    holds anything else, is a stray file like any other (SEQ-LAYOUT-2)."""
    try:
        doc = parse_bytes(fs.read_bytes(path), file=path)
    except (FileNotFoundError, SeqcheckError):
        return _AppEntry(signature, None)
    if not field_shapes.is_id_prefix_file(path.name, doc):
        return _AppEntry(signature, None)
    return _AppEntry(signature, doc["id"])


def _is_listed(name: str) -> bool:
    """A name whose file the index looks at: a layout name, or one the app reads."""
    return is_sequence_file_name(name) or field_shapes.may_be_app_sequence_file(name)


def _link_out_problem(target: str) -> str:
    return (
        f"it is a symbolic link to {json.dumps(target)}, outside the project, and "
        "nothing outside the project folder is ever read. Replace the link with a copy "
        "of the file"
    )


def _remove(mapping: dict[str, list[str]], key: str, value: str) -> None:
    values = mapping[key]
    values.remove(value)
    if not values:
        del mapping[key]


class SequenceIndex:
    """Sequence id -> file name for one ``sequences/`` folder, kept fresh by stat.

    Every access goes through ``fs`` (by default a :class:`ProjectFS` rooted at the
    folder's parent, the project): a link out of the project is never followed.
    """

    def __init__(self, folder: Path, fs: ProjectFS | None = None) -> None:
        self.folder = folder
        self._fs = fs if fs is not None else ProjectFS(folder.parent)
        self._rel = folder.name if fs is None else folder
        self._entries: dict[str, _Entry] = {}
        # Derived from _entries by _set_entries, so that a lookup costs the same with
        # 10 or 1000 files: sequence id -> file names, shot id -> sequence ids, and
        # the names of files that cannot be identified.
        self._by_id: dict[str, list[str]] = {}
        self._by_shot: dict[str, list[str]] = {}
        self._problems: list[str] = []
        # Names outside the layout that the app reads (sequence_*.json), by name, and
        # the ids held by those that are SequenceService's id-prefix files.
        self._app_entries: dict[str, _AppEntry] = {}
        self._app_by_id: dict[str, list[str]] = {}
        # Folder mtime seen just before the last full sweep (or after our own write),
        # and when that sweep started; None: nothing to rely on.
        self._folder_mtime: int | None = None
        self._swept_at = 0.0
        # The folder opened by the caller for the calls of one operation, if any:
        # looking at one file then needs no walk from the project root.
        self._open: OpenFolder | None = None
        # File name -> its path in the folder (see _file).
        self._paths: dict[str, Path] = {}

    def use_folder(self, folder: OpenFolder | None) -> None:
        """Look at single files through ``folder`` (this index's folder, opened by
        the caller for one operation) until called with ``None``: by path again."""
        self._open = folder

    def _file(self, name: str) -> Path:
        # Cached: a lookup and an update each name the same file again and again.
        path = self._paths.get(name)
        if path is None:
            if len(self._paths) >= _PATHS_CACHED:
                self._paths.clear()
            path = self._paths[name] = self.folder / name
        return path

    def _folder_mtime_now(self) -> int | None:
        try:
            if self._open is not None:
                return self._open.self_info().signature[2]
            found = self._fs.info(self._rel)
        except SeqcheckError:
            return None  # the sweep that follows reports what is wrong
        return None if found is None else found.signature[2]

    def _signature_now(self, name: str) -> tuple[int, int, int, int] | None:
        """The file's signature (inside links followed); None when absent or unusable."""
        try:
            if self._open is not None:
                found = self._open.info(name)
            else:
                found = self._fs.info(self._file(name))
        except SeqcheckError:
            return None
        return None if found is None else found.signature

    def refresh(self, *, force: bool = False) -> None:
        """Bring the index up to date with the folder (re-read changed files only)."""
        if force:
            self._set_entries({})
            self._set_app_entries({})
        self._folder_mtime = None
        started = time.monotonic()
        # Read the folder's mtime *before* listing: a change during the listing then
        # shows up as a different mtime on the next lookup.
        folder_mtime = self._folder_mtime_now()
        try:
            listing = self._fs.list_dir_info(self._rel, _is_listed)
        except FileNotFoundError:
            self._set_entries({})
            self._set_app_entries({})
            return
        except LinkOutError as err:
            raise SeqcheckError(
                ErrorCode.CORRUPT_FILE,
                f"expected '{SEQUENCES_DIR}' to be a folder inside the project, found a "
                f"link to {json.dumps(err.target)}, a folder outside it; nothing outside "
                "the project is ever read. Replace the link with the folder itself.",
                file=err.link,
            ) from None
        fresh: dict[str, _Entry] = {}
        fresh_app: dict[str, _AppEntry] = {}
        for entry, found in listing:
            if not is_sequence_file_name(entry.name):
                if _is_listed(entry.name):
                    self._sweep_app_file(entry.name, entry.kind, found, fresh_app)
                continue
            if entry.kind is not EntryKind.LINK and found is None:
                continue  # removed between listing and stat
            try:
                if entry.kind is EntryKind.LINK:  # resolved inside the project, or refused
                    found = self._fs.info(self._file(entry.name))
            except LinkOutError as err:
                # SEQ-ID-5: a link may not make seqcheck read outside the project.
                fresh[entry.name] = _Entry(
                    (0, 0, 0, 0), None, frozenset(), _link_out_problem(err.target),
                    escapes=True,
                )
                continue
            except SeqcheckError as err:  # a loop, a file where a folder should be
                fresh[entry.name] = _Entry(
                    (0, 0, 0, 0), None, frozenset(), err.message.rstrip("."),
                    problem_code=err.code,
                )
                continue
            if found is None:
                if entry.kind is EntryKind.LINK:  # dangling: report, as a reader would
                    fresh[entry.name] = _Entry(
                        (0, 0, 0, 0), None, frozenset(),
                        "it is a symbolic link to nothing (its target does not exist)",
                    )
                continue  # removed between listing and stat
            sig = found.signature
            old = self._entries.get(entry.name)
            fresh[entry.name] = old if old is not None and old.signature == sig else _read_entry(
                self._fs, self._file(entry.name), sig
            )
        self._set_entries(fresh)
        self._set_app_entries(fresh_app)
        self._folder_mtime = folder_mtime
        self._swept_at = started

    def _sweep_app_file(
        self, name: str, kind: EntryKind, found: FileInfo | None, fresh: dict[str, _AppEntry]
    ) -> None:
        """Identify ``name``, outside the layout, into ``fresh`` (re-read only when its
        signature changed). A link is resolved inside the project; one that cannot be
        (out of the project, dangling, a loop) is a stray file: nothing is read."""
        if kind is EntryKind.LINK:
            try:
                found = self._fs.info(self._file(name))
            except SeqcheckError:
                return
        if found is None or found.kind is not EntryKind.FILE:
            return
        old = self._app_entries.get(name)
        if old is not None and old.signature == found.signature:
            fresh[name] = old
        else:
            fresh[name] = _read_app_entry(self._fs, self._file(name), found.signature)

    def _set_app_entries(self, entries: dict[str, _AppEntry]) -> None:
        by_id: dict[str, list[str]] = {}
        for name in sorted(entries):
            seq_id = entries[name].sequence_id
            if seq_id is not None:
                by_id.setdefault(seq_id, []).append(name)
        self._app_entries = entries
        self._app_by_id = by_id

    def _set_entries(self, entries: dict[str, _Entry]) -> None:
        """Replace the entries, updating the derived maps for changed entries only
        (a sweep that found nothing new costs no per-shot work)."""
        old = self._entries
        for name, entry in old.items():
            if entries.get(name) is not entry:
                self._unmap(name, entry)
        for name, entry in entries.items():
            if old.get(name) is not entry:
                self._map(name, entry)
        self._entries = entries

    def _map(self, name: str, entry: _Entry) -> None:
        if entry.sequence_id is None:
            self._problems.append(name)
            return
        self._by_id.setdefault(entry.sequence_id, []).append(name)
        for shot_id in entry.shot_ids:
            self._by_shot.setdefault(shot_id, []).append(entry.sequence_id)

    def _unmap(self, name: str, entry: _Entry) -> None:
        if entry.sequence_id is None:
            self._problems.remove(name)
            return
        _remove(self._by_id, entry.sequence_id, name)
        for shot_id in entry.shot_ids:
            _remove(self._by_shot, shot_id, entry.sequence_id)

    def _folder_trusted(self) -> bool:
        """Whether the last sweep is recent and the folder's mtime is unchanged since."""
        if self._folder_mtime is None or time.monotonic() - self._swept_at >= TRUST_SECONDS:
            return False
        return self._folder_mtime_now() == self._folder_mtime

    def _trusted(self, name: str) -> bool:
        """Whether the entry for ``name`` can be used without a full sweep."""
        entry = self._entries.get(name)
        if entry is None or not self._folder_trusted():
            return False
        return self._signature_now(name) == entry.signature

    def note_written(
        self, name: str, written: FileInfo | None = None, doc: Any = None, *,
        same_ids: bool = False,
    ) -> None:
        """Record that the store itself just replaced ``name`` (under its lock).

        With ``written`` (what :meth:`ProjectFS.write_atomic` returned: the file in
        place is provably the one written) and ``doc`` (the document written), the
        entry is made from them. Otherwise the file is re-read (exact even if a
        program that takes no lock rewrote it a moment later). The folder's new
        mtime, changed by the store's rename, is adopted so the next lookup needs no
        full sweep. A change after that (another program's, in the same timestamp
        tick) is what the periodic sweep bounds. ``same_ids``: the caller knows
        ``doc`` holds the sequence id and shot ids the file held before.
        """
        stale = self._entries.get(name)
        if written is not None and doc is not None:
            if same_ids and stale is not None and stale.sequence_id == doc.get("id"):
                # The usual update: same id, same shots. Only the signature changed,
                # so the derived maps stay as they are.
                self._entries[name] = _Entry(
                    written.signature, stale.sequence_id, stale.shot_ids, stale.problem,
                    stale.problem_code, stale.pointer, stale.escapes,
                )
                if self._folder_mtime is not None:
                    self._folder_mtime = self._folder_mtime_now()
                return
            fresh = _entry_of(written.signature, doc)
            if stale is not None and (stale.sequence_id, stale.shot_ids, stale.problem) == (
                fresh.sequence_id, fresh.shot_ids, fresh.problem
            ):
                # Same id and shots, found by comparing: the maps stay as they are.
                self._entries[name] = fresh
                if self._folder_mtime is not None:
                    self._folder_mtime = self._folder_mtime_now()
                return
        else:
            sig = self._signature_now(name)
            if sig is None:
                self._folder_mtime = None
                return
            fresh = _read_entry(self._fs, self._file(name), sig)
        stale = self._entries.get(name)
        if stale is not None:
            self._unmap(name, stale)
        self._map(name, fresh)
        self._entries[name] = fresh  # one entry: no pass over the other files
        if self._folder_mtime is not None:
            self._folder_mtime = self._folder_mtime_now()

    def _has_problems(self) -> bool:
        return bool(self._problems)

    def raise_escapes(self) -> None:
        """Raise CORRUPT_FILE for the first sequence file that links out of the project."""
        for name in sorted(self._entries):
            entry = self._entries[name]
            if entry.escapes:
                raise SeqcheckError(
                    entry.problem_code,
                    f"expected a sequence file inside the project, but {entry.problem}.",
                    file=self.folder / name,
                    pointer="",
                )

    def app_file_error(self, sequence_id: str | None = None) -> SeqcheckError | None:
        """``CORRUPT_FILE`` for the first id-prefix file SequenceService wrote (of
        ``sequence_id`` when given) as of the last refresh; ``None`` when there is none.

        Such a file is never read as a sequence (its name is outside the layout), and
        never passed over either (SEQ-LAYOUT-2): the app shows it, so a reader that
        ignored it would hide a sequence the user made, or an edit of one."""
        if sequence_id is None:
            names = sorted(n for ns in self._app_by_id.values() for n in ns)
        else:
            names = self._app_by_id.get(sequence_id, [])
        if not names:
            return None
        name = names[0]
        held = self._app_entries[name].sequence_id
        return SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected each sequence in a file named sequence_NNN.json, found sequence "
            f"{json.dumps(held)} in {json.dumps(name)}, a file written by "
            f"{field_shapes.ID_PREFIX_WRITER}. seqcheck never reads a sequence from a "
            "name outside the layout, and will not guess whether this file or another "
            "holds the current version. Run 'seqcheck migrate --repair' to bring it into "
            "the canonical layout (one sequence_NNN.json file per id; nothing is dropped).",
            file=self.folder / name,
            pointer="",
        )

    def _raise_problems(self) -> None:
        for name in sorted(self._problems):
            entry = self._entries[name]
            problem = entry.problem
            if problem is not None:
                raise SeqcheckError(
                    entry.problem_code,
                    f"expected every sequence file to name its sequence, but {problem}. "
                    "Until it is fixed no sequence can be looked up safely (it could be "
                    "a duplicate of any of them).",
                    file=self.folder / name,
                    pointer=entry.pointer,
                )

    def names(self) -> list[str]:
        """Sequence file names seen by the last refresh, sorted."""
        return sorted(self._entries)

    def names_for(self, sequence_id: str) -> list[str]:
        """File names whose id is ``sequence_id`` (after a refresh)."""
        return sorted(self._by_id.get(sequence_id, ()))

    def locate(self, sequence_id: str) -> Path:
        """The file holding ``sequence_id``.

        Raises ``SEQUENCE_NOT_FOUND``, ``DUPLICATE_SEQUENCE_ID``, or ``CORRUPT_FILE``
        when some sequence file cannot be identified at all, or when the app's
        SequenceService wrote ``sequence_id`` under its id-prefix name (checked before
        duplicates and absence: see :meth:`app_file_error`).
        """
        names = self.names_for(sequence_id)
        if (
            len(names) == 1 and sequence_id not in self._app_by_id
            and self._trusted(names[0]) and not self._has_problems()
        ):
            return self._file(names[0])
        self.refresh()
        names = self.names_for(sequence_id)
        if not names:
            # Stat signatures can miss an in-place rewrite within one timestamp tick;
            # before saying "not found", make sure by reading everything again.
            self.refresh(force=True)
            names = self.names_for(sequence_id)
        self._raise_problems()
        app_error = self.app_file_error(sequence_id)
        if app_error is not None:
            raise app_error
        if len(names) > 1:
            raise SeqcheckError(
                ErrorCode.DUPLICATE_SEQUENCE_ID,
                f"expected one file with sequence id {sequence_id!r}, found "
                f"{len(names)}: {', '.join(names)}. Merge or renumber them; seqcheck "
                "never guesses which one is meant.",
                file=self.folder / names[1],
                pointer="/id",
            )
        if not names:
            raise SeqcheckError(
                ErrorCode.SEQUENCE_NOT_FOUND,
                f"expected a file in sequences/ whose id is {sequence_id!r}, found none "
                f"among {len(self._entries)} sequence file(s).",
                file=self.folder,
            )
        return self._file(names[0])

    def _holders(self, shot_id: str) -> list[str]:
        return sorted(self._by_shot.get(shot_id, ()))

    def sequences_holding(self, shot_id: str) -> list[str]:
        """Sequence ids of the files that hold a shot with ``shot_id``.

        One holder found in a trusted index is returned without a sweep (the caller
        then locates it, which checks that file's signature, and the store re-reads it
        under the lock). Any other answer, which would route the write elsewhere or
        fail, is only given after a full sweep.
        """
        holders = self._holders(shot_id)
        if len(holders) == 1 and self._folder_trusted() and not self._has_problems():
            return holders
        self.refresh()
        self._raise_problems()
        return self._holders(shot_id)

    def forget(self, name: str) -> None:
        """Drop ``name`` so the next lookup re-reads it."""
        if name in self._entries:
            self._set_entries({n: e for n, e in self._entries.items() if n != name})
