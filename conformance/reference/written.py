"""What the store last wrote to a sequence file, and what an update changed since.

An update reads the file under the lock, as it must. When the bytes read are exactly
the bytes the store itself last wrote there, the document they encode is already
known, valid and canonically encoded, so the update does not parse, validate or scan
it again: it validates what it changed (:func:`changed_part`) and encodes with the
fast encoder when that is exact for everything it changed (:func:`canonical_bytes`).
The trust rests on byte equality of the file's content, never on timestamps.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from conformance import schema_registry
from conformance.jsonio import copy_value, dump_checked_bytes

_ORJSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
#: Files remembered per store: an editor works on a few sequences at a time, and each
#: entry holds a whole document.
CACHED_FILES = 4


@dataclass(frozen=True)
class Written:
    """A sequence file as the store last wrote it."""

    raw: bytes
    #: The valid document ``raw`` encodes. Never handed out and never mutated: an
    #: update works on :func:`working_copy` of it.
    doc: dict[str, Any]
    #: ``raw`` is orjson's encoding of ``doc`` (orjson was exact for every value).
    fast: bool


class WrittenFiles:
    """The last few files the store wrote, by path (least recently used dropped)."""

    def __init__(self, size: int = CACHED_FILES) -> None:
        self._size = size
        self._files: OrderedDict[Path, Written] = OrderedDict()

    def matching(self, path: Path, raw: bytes) -> Written | None:
        """What the store wrote to ``path`` if the file holds exactly that now."""
        known = self._files.get(path)
        if known is None or known.raw != raw:
            return None
        self._files.move_to_end(path)
        return known

    def remember(self, path: Path, written: Written) -> None:
        """Record that ``path`` now holds ``written`` (just written by the store)."""
        self._files[path] = written
        self._files.move_to_end(path)
        while len(self._files) > self._size:
            self._files.popitem(last=False)

    def forget(self, path: Path) -> None:
        """Drop what is known about ``path``."""
        self._files.pop(path, None)


def working_copy(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` an update may change in place (replace shots, touch
    ``metadata``) without changing ``doc``: the top-level object, the ``shots`` list
    and ``metadata`` are copied; the shots themselves are shared (an update replaces
    a shot, it never edits one in place)."""
    work = dict(doc)
    for key in ("shots", "metadata"):
        value = work.get(key)
        if isinstance(value, list):
            work[key] = list(value)
        elif isinstance(value, dict):
            work[key] = dict(value)
    return work


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value: an orjson round trip, several times faster than
    :func:`copy.deepcopy` and exact for every value orjson encodes (it refuses
    integers beyond 64 bits, lone surrogates and nesting past 254 levels, which are
    copied the slow way: :func:`conformance.jsonio.copy_value`, iterative, so it
    reaches the depth bound where ``copy.deepcopy`` would not; orjson would *read*
    such an integer back as a float)."""
    try:
        data = orjson.dumps(value)
    except TypeError:
        return copy_value(value)
    return orjson.loads(data)


def _shots_checked_one_by_one(schema: dict[str, Any]) -> bool:
    """Whether the sequence schema judges each shot on its own and every other
    top-level member on its own, so that a valid document changed only in some
    shots and other members is valid exactly when those parts are. True for the
    shipped schema (a test keeps it so); any keyword relating shots to one another
    (``minItems``, ``uniqueItems``, ``contains``, ...) or members to one another
    (``dependentSchemas``, ``if``, ``allOf``, ...) turns the shortcut off."""
    top = {"$schema", "$id", "$defs", "$comment", "title", "description", "examples",
           "type", "required", "properties"}
    shots = schema.get("properties", {}).get("shots")
    return (
        set(schema) <= top
        and isinstance(shots, dict)
        and set(shots) <= {"type", "items", "description", "title", "$comment"}
    )


SHOTS_CHECKED_ONE_BY_ONE = _shots_checked_one_by_one(
    schema_registry.load_schema(schema_registry.SEQUENCE)
)


def changed_part(doc: dict[str, Any], original: dict[str, Any]) -> dict[str, Any] | None:
    """``doc`` with only the shots that are not the very objects of ``original``'s
    (a valid document ``doc`` was copied from): validating it validates ``doc``.

    ``None`` when that does not hold and the whole of ``doc`` must be checked: the
    schema relates shots to one another, the shot list changed length or is not a
    list, the sequence id changed (every shot names it), or a changed shot has
    another id (shot ids must stay unique)."""
    shots, before = doc.get("shots"), original.get("shots")
    if not (
        SHOTS_CHECKED_ONE_BY_ONE and isinstance(shots, list) and isinstance(before, list)
        and len(shots) == len(before) and doc.get("id") == original.get("id")
    ):
        return None
    changed = []
    for shot, old in zip(shots, before, strict=True):
        if shot is old:
            continue
        if not (isinstance(shot, dict) and isinstance(old, dict)
                and "id" in shot and shot.get("id") == old.get("id")):
            return None
        changed.append(shot)
    part = dict(doc)
    part["shots"] = changed
    return part


def _encodes_alike(value: Any) -> bool:
    """orjson writes ``value`` exactly as the canonical encoder does."""
    try:
        fast: bytes = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:
        return False
    return fast == dump_checked_bytes(value)


def _changes_encode_alike(doc: dict[str, Any], original: dict[str, Any]) -> bool:
    """orjson is exact for every value of ``doc`` that is not ``original``'s own."""
    before_shots = original.get("shots")
    for key, value in doc.items():
        if key in original and original[key] is value:
            continue
        if (key == "shots" and isinstance(value, list) and isinstance(before_shots, list)
                and len(value) == len(before_shots)):
            if all(s is b or _encodes_alike(s) for s, b in zip(value, before_shots, strict=True)):
                continue
            return False
        if not _encodes_alike({key: value}):
            return False
    return True


def canonical_bytes(doc: dict[str, Any], basis: Written | None) -> tuple[bytes, bool]:
    """``(dump_bytes(doc), whether that is orjson's encoding of doc)``.

    ``basis``: the written document ``doc`` is an updated :func:`working_copy` of.
    orjson formats each number, string and key by itself, independently of where it
    stands, so when orjson was exact for ``basis`` it is exact for ``doc`` if it is
    for the values that changed; only those are checked, not the whole output.
    Otherwise :func:`conformance.jsonio.dump_checked_bytes` decides.
    """
    try:
        fast: bytes = orjson.dumps(doc, option=_ORJSON_OPTIONS)
    except TypeError:  # integers beyond 64 bits, lone surrogates
        return dump_checked_bytes(doc), False
    if basis is not None and basis.fast and _changes_encode_alike(doc, basis.doc):
        return fast, True
    data = dump_checked_bytes(doc)
    return data, data == fast


def parse_known(raw: bytes, known: Written) -> dict[str, Any]:
    """A fresh document equal to ``known.doc`` (``raw`` is ``known.raw``): orjson
    reads ``raw`` exactly when it wrote it (no integer beyond 64 bits in it)."""
    if known.fast:
        doc: dict[str, Any] = orjson.loads(raw)
        return doc
    return json_copy(known.doc)  # type: ignore[no-any-return]


__all__ = [
    "CACHED_FILES",
    "SHOTS_CHECKED_ONE_BY_ONE",
    "Written",
    "WrittenFiles",
    "canonical_bytes",
    "changed_part",
    "json_copy",
    "parse_known",
    "working_copy",
]
