"""Loading sequence files and project.json strictly, and the rules a schema cannot say.

Shared by the reference store, the validator and the migrator so that all three agree
on what a valid document is: schema-valid (``schemas/``), every shot's
``sequencePlanId`` / ``sequence_id`` equal to the enclosing sequence id, and shot ids
unique within the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance import schema_registry
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.jsonio import read_json

if TYPE_CHECKING:
    import jsonschema

#: Fields by which a shot names the sequence it belongs to.
MEMBERSHIP_FIELDS = ("sequencePlanId", "sequence_id")
#: The arrays of project.json that may hold legacy shots, in routing order.
LEGACY_ARRAYS = ("shots", "storyboard")
#: How many containers enclose a shot's fields, in a sequence file (the document and
#: its "shots" array) as in project.json (the document and "shots"/"storyboard"):
#: the ``depth`` for :func:`conformance.jsonio.find_unwritable` of update values.
SHOT_FIELDS_DEPTH = 3


def describe_schema_error(error: jsonschema.ValidationError) -> str:
    """One line: what the schema expected at the error's location and what was found."""
    found = json.dumps(error.instance, ensure_ascii=False, default=repr)
    if len(found) > 80:
        found = found[:77] + "..."
    return f"schema rule {json.dumps(error.validator)} failed: {error.message} (found {found})"


def schema_error(
    code: ErrorCode, schema: str, doc: Any, file: Path | str | None, what: str
) -> SeqcheckError | None:
    """A :class:`SeqcheckError` for the best-matching violation of ``schema``, or None."""
    err = schema_registry.first_error(schema, doc)
    if err is None:
        return None
    return SeqcheckError(
        code,
        f"expected {what} to match {schema}.schema.json, but {describe_schema_error(err)}.",
        file=file,
        pointer=json_pointer(list(err.absolute_path)),
    )


def membership_problems(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Rule violations in a schema-valid sequence document: ``(pointer, message)``."""
    seq_id = doc.get("id")
    seen: dict[str, int] = {}
    for index, shot in enumerate(doc.get("shots", [])):
        if not isinstance(shot, dict):
            continue
        for field in MEMBERSHIP_FIELDS:
            if field in shot and shot[field] != seq_id:
                yield (
                    json_pointer(["shots", index, field]),
                    f"expected {field} {seq_id!r} (the id of the enclosing sequence), "
                    f"found {shot[field]!r}. A shot belongs to the sequence whose file "
                    "holds it; move it with 'seqcheck migrate' or fix the field.",
                )
        shot_id = shot.get("id")
        if isinstance(shot_id, str):
            if shot_id in seen:
                yield (
                    json_pointer(["shots", index, "id"]),
                    f"expected unique shot ids, found {shot_id!r} again (first at "
                    f"/shots/{seen[shot_id]}). Give one of them a new id.",
                )
            else:
                seen[shot_id] = index


def check_sequence_doc(doc: Any, file: Path | str | None) -> dict[str, Any]:
    """Return ``doc`` if it is a valid sequence document, else raise ``CORRUPT_FILE``."""
    if not isinstance(doc, dict):
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected a JSON object, found {type(doc).__name__}.",
            file=file,
            pointer="",
        )
    if "id" not in doc:
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            "expected a sequence 'id', found none. Files made by the app's New Project "
            "dialog lack it; run 'seqcheck migrate --repair' to split them properly.",
            file=file,
            pointer="",
        )
    err = schema_error(ErrorCode.CORRUPT_FILE, schema_registry.SEQUENCE, doc, file, "the file")
    if err is not None:
        raise err
    for pointer, message in membership_problems(doc):
        raise SeqcheckError(ErrorCode.CORRUPT_FILE, message, file=file, pointer=pointer)
    return doc


def load_sequence_file(path: Path) -> tuple[dict[str, Any], bytes]:
    """Read ``path`` and check it is a valid sequence document (else ``CORRUPT_FILE``)."""
    doc, raw = read_json(path)
    return check_sequence_doc(doc, path), raw


def load_project_file(path: Path) -> tuple[dict[str, Any], bytes]:
    """Read ``path`` (project.json) and check it against the project schema."""
    doc, raw = read_json(path)
    if not isinstance(doc, dict):
        raise SeqcheckError(
            ErrorCode.CORRUPT_FILE,
            f"expected project.json to hold a JSON object, found {type(doc).__name__}.",
            file=path,
            pointer="",
        )
    err = schema_error(ErrorCode.CORRUPT_FILE, schema_registry.PROJECT, doc, path, "project.json")
    if err is not None:
        raise err
    return doc, raw


def shot_sequence_id(shot: dict[str, Any]) -> str | None:
    """The sequence a shot names (``sequencePlanId`` first, then ``sequence_id``)."""
    for field in MEMBERSHIP_FIELDS:
        value = shot.get(field)
        if isinstance(value, str):
            return value
    return None


def shot_duration(shot: dict[str, Any]) -> int | float | None:
    """Seconds a shot lasts: ``timing.duration`` when it is a number, else ``duration``
    when it is one; None when neither is (unknown). The validator's sequence-duration
    rule (SC312) and the migrator's sums (migration rule 5) both read it here."""
    timing = shot.get("timing")
    if type(timing) is dict:
        value = timing.get("duration")
        if type(value) is int or type(value) is float:
            return value
    value = shot.get("duration")
    return value if type(value) is int or type(value) is float else None


def touched_metadata(metadata: Any, now: str) -> dict[str, Any]:
    """A sequence document's ``metadata`` after a write at ``now``: a copy with
    ``modified_at`` set, and ``updated_at`` too where the document already spells it so
    (the app's SequenceService does); anything but an object becomes a new one. The
    reference store's updates and the migrator's rewrites both stamp it this way."""
    out = dict(metadata) if type(metadata) is dict else {}
    out["modified_at"] = now
    if "updated_at" in out:
        out["updated_at"] = now
    return out
