"""Shapes the StoryCore app writes into ``sequences/`` besides the canonical layout.

One place for these facts (``conformance/spec/field-guide.md`` says which app code
writes each), shared by the validator and the migrator:

* the **reference shape**: ``creative-studio-ui/src/services/sequenceService.ts``
  (``createSequence``, ``updateSequence``) and ``ProjectDashboardNew.tsx``
  (``saveSequenceToFile``) write a sequence as ``shot_ids`` (references to shots held
  elsewhere), ``shots_count``, ``resume`` and top-level ``created_at``/``updated_at``,
  with no ``shots`` array;
* the **id-prefix name**: ``sequenceService.ts`` names the file
  ``sequence_<first 8 UTF-16 code units of the id>.json`` and writes an edit there
  even when the sequence was read from another file, so one edit can leave two files
  with one id.
"""

from __future__ import annotations

from typing import Any

from conformance.layout import is_sequence_file_name

#: The key by which the app's SequenceService refers to shots instead of holding them.
REFERENCES_KEY = "shot_ids"
#: Characters of the id that sequenceService.ts keeps in the file name.
ID_PREFIX_LENGTH = 8
#: Which app code writes which shape, quoted in findings and plans.
REFERENCE_WRITERS = (
    "the app's SequenceService (creative-studio-ui/src/services/sequenceService.ts "
    "createSequence/updateSequence) or the dashboard's saveSequenceToFile "
    "(components/workspace/ProjectDashboardNew.tsx)"
)
ID_PREFIX_WRITER = (
    "the app's SequenceService (creative-studio-ui/src/services/sequenceService.ts "
    "createSequence/updateSequence), which names files after the first 8 characters of "
    "the sequence id"
)


def js_prefix(value: str, length: int) -> str:
    """``value.substring(0, length)`` as JavaScript computes it (UTF-16 code units).

    A cut through a surrogate pair leaves a lone surrogate, which no file name on disk
    can hold, so such an id never matches a file."""
    units = value.encode("utf-16-le", "surrogatepass")[: 2 * length]
    return units.decode("utf-16-le", "surrogatepass")


def id_prefix_file_name(sequence_id: str) -> str:
    """The name sequenceService.ts gives the file of ``sequence_id``."""
    return f"sequence_{js_prefix(sequence_id, ID_PREFIX_LENGTH)}.json"


def may_be_app_sequence_file(name: str) -> bool:
    """The app's own filter (``loadSequences``): ``sequence_*.json``. Such a file the
    layout does not name a sequence file is read to see whether it holds a sequence."""
    return name.startswith("sequence_") and name.endswith(".json")


def is_reference_shape(doc: Any) -> bool:
    """A sequence document in the reference shape: ``shot_ids`` and no ``shots``."""
    return isinstance(doc, dict) and REFERENCES_KEY in doc and "shots" not in doc


def has_id_prefix_name(name: str, doc: Any) -> bool:
    """``name`` is the id-prefix name of the sequence ``doc`` holds (any name, the
    layout's included: an id starting with 8 digits gives ``sequence_17370000.json``)."""
    if not isinstance(doc, dict):
        return False
    seq_id = doc.get("id")
    return isinstance(seq_id, str) and bool(seq_id) and name == id_prefix_file_name(seq_id)


def is_id_prefix_file(name: str, doc: Any) -> bool:
    """A file outside the layout's names that sequenceService.ts wrote for the id it
    holds: read as a sequence (the app reads it), never passed over as a stray file.

    SequenceService always writes ``shot_ids`` (``SequenceData`` requires it and
    ``updateSequence`` adds it to what it read), so a file under such a name without
    it (``sequence_1.json`` holding id ``"1"`` by hand) stays a stray file."""
    return (
        not is_sequence_file_name(name)
        and has_id_prefix_name(name, doc)
        and REFERENCES_KEY in doc
    )


def written_by_sequence_service(name: str, doc: Any) -> bool:
    """The file is the app's SequenceService/dashboard output: reference shape, or
    sitting under the id-prefix name while carrying ``shot_ids`` (every update through
    ``updateSequence`` adds it)."""
    if is_reference_shape(doc):
        return True
    return has_id_prefix_name(name, doc) and REFERENCES_KEY in doc


def unresolved_references(doc: dict[str, Any]) -> list[tuple[int, str]]:
    """``(index, shot id)`` of each ``shot_ids`` entry naming no shot of ``doc``'s own
    ``shots`` (only for documents holding both)."""
    refs = doc.get(REFERENCES_KEY)
    shots = doc.get("shots")
    if not isinstance(refs, list) or not isinstance(shots, list):
        return []
    held = {s.get("id") for s in shots if isinstance(s, dict)}
    return [(i, ref) for i, ref in enumerate(refs) if isinstance(ref, str) and ref not in held]
