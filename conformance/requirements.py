"""The registry of normative requirement IDs (the one place they are defined).

``conformance/SPEC.md`` states each requirement in prose under the same ID; a test
keeps the two in step. The conformance suite tags every test with the IDs it proves,
and certification reports are keyed by them. IDs are stable: never renumber, never
reuse; retire an ID by marking it ``retired``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Level(str, Enum):
    """RFC 2119 level. MUST failures fail certification; SHOULD failures warn."""

    MUST = "MUST"
    SHOULD = "SHOULD"


class Capability(str, Enum):
    """Optional capabilities an implementation declares in ``hello``.

    Requirements tied to a capability are "not claimed" (not failed) when the
    implementation does not declare it. Requirements without one are core.
    """

    LEGACY_FALLBACK = "legacy-fallback"
    SAVE_SHOT = "save-shot"
    CONCURRENT_WRITERS = "concurrent-writers"


class Consequence(int, Enum):
    """What breaking a requirement costs its users, worst first: the order in which a
    certificate's "What to fix first" lists failures."""

    DATA_LOSS = 1
    WRONG_RESULTS = 2
    ERROR_REPORTING = 3
    CONVENTIONS = 4

    @property
    def label(self) -> str:
        """The heading used in certificates."""
        return _CONSEQUENCE_LABELS[self]


_CONSEQUENCE_LABELS = {
    Consequence.DATA_LOSS: "data loss or corruption",
    Consequence.WRONG_RESULTS: "wrong results",
    Consequence.ERROR_REPORTING: "error reporting",
    Consequence.CONVENTIONS: "conventions",
}


@dataclass(frozen=True)
class Requirement:
    """One normative rule of the spec."""

    id: str
    level: Level
    title: str
    section: str
    capability: Capability | None = None
    #: What a failure costs users (ranks "What to fix first").
    consequence: Consequence = Consequence.CONVENTIONS
    retired: bool = False

    @property
    def core(self) -> bool:
        """Core requirements cannot be opted out of."""
        return self.capability is None


_M, _S = Level.MUST, Level.SHOULD
_LEG, _SAVE, _CONC = Capability.LEGACY_FALLBACK, Capability.SAVE_SHOT, Capability.CONCURRENT_WRITERS
_LOSS, _WRONG = Consequence.DATA_LOSS, Consequence.WRONG_RESULTS
_ERRS, _CONV = Consequence.ERROR_REPORTING, Consequence.CONVENTIONS

REQUIREMENTS: tuple[Requirement, ...] = (
    # Layout
    Requirement("SEQ-LAYOUT-1", _M, "Sequence files live in sequences/sequence_NNN.json (NNN >= 3 digits)", "Layout",
                consequence=_WRONG),
    Requirement("SEQ-LAYOUT-2", _M, "Readers ignore every other name in sequences/ (temp files, backups, locks)", "Layout",
                consequence=_LOSS),
    Requirement("SEQ-LAYOUT-3", _M, "A project without sequences/ has no sequences: get_all_sequences returns []", "Layout",
                consequence=_WRONG),
    # Identity
    Requirement("SEQ-ID-1", _M, "The id inside the file identifies a sequence, whatever the file is named", "Identity",
                consequence=_WRONG),
    Requirement("SEQ-ID-2", _M, "New files for a numeric id are named sequence_<id>.json", "Identity",
                consequence=_CONV),
    Requirement("SEQ-ID-3", _M, "Two files with the same id are DUPLICATE_SEQUENCE_ID, never first-wins", "Identity",
                consequence=_LOSS),
    Requirement("SEQ-ID-4", _M, "Unsafe sequence or shot ids are INVALID_ID, checked before any file access", "Identity",
                consequence=_LOSS),
    Requirement("SEQ-ID-5", _M, "Nothing outside the project folder is ever read or written", "Identity",
                consequence=_LOSS),
    Requirement("SEQ-ID-6", _M, "Ids are strings compared exactly as written ('001' is not '1')", "Identity",
                consequence=_WRONG),
    # Shot membership
    Requirement("SEQ-MEMBER-1", _M, "A shot's sequencePlanId / sequence_id, when present, equals its sequence's id", "Shot membership",
                consequence=_WRONG),
    Requirement("SEQ-MEMBER-2", _M, "Shot ids are unique within a sequence file", "Shot membership",
                consequence=_WRONG),
    # update_shot
    Requirement("SEQ-UPDATE-1", _M, "update_shot shallow-merges updates into the shot and persists it in the sequence file", "update_shot",
                consequence=_LOSS),
    Requirement("SEQ-UPDATE-2", _M, "updates must be a JSON object of JSON values, else INVALID_UPDATE", "update_shot",
                consequence=_ERRS),
    Requirement("SEQ-UPDATE-3", _M, "A shot's id is immutable: an update that changes it is INVALID_UPDATE", "update_shot",
                consequence=_LOSS),
    Requirement("SEQ-UPDATE-4", _M, "An update cannot change sequencePlanId / sequence_id (INVALID_UPDATE)", "update_shot",
                consequence=_LOSS),
    Requirement("SEQ-UPDATE-5", _M, "update_shot returns the shot exactly as stored", "update_shot",
                consequence=_WRONG),
    Requirement("SEQ-UPDATE-6", _M, "Other shots, their order and every unknown field are preserved exactly, key order included", "update_shot",
                consequence=_LOSS),
    Requirement("SEQ-UPDATE-7", _M, "metadata.modified_at is set (ISO 8601 UTC), created_at kept, updated_at set where present", "update_shot",
                consequence=_CONV),
    Requirement("SEQ-UPDATE-8", _M, "A result that violates the schema is SCHEMA_VIOLATION and the file is unchanged", "update_shot",
                consequence=_LOSS),
    Requirement("SEQ-UPDATE-9", _M, "A missing sequence is SEQUENCE_NOT_FOUND, a missing shot SHOT_NOT_FOUND", "update_shot",
                consequence=_ERRS),
    Requirement("SEQ-UPDATE-10", _M, "An update of one sequence leaves every other file byte-identical", "update_shot",
                consequence=_LOSS),
    # Reading
    Requirement("SEQ-GET-1", _M, "get_shots returns the sequence's shots in file order, as stored", "Reading",
                consequence=_WRONG),
    Requirement("SEQ-GET-2", _M, "get_shots of a missing sequence is SEQUENCE_NOT_FOUND, never []", "Reading",
                consequence=_LOSS),
    Requirement("SEQ-ALL-1", _M, "get_all_sequences returns every sequence, sorted by order (missing last) then id", "Reading",
                consequence=_WRONG),
    Requirement("SEQ-ALL-2", _M, "A corrupt or schema-invalid sequence file is CORRUPT_FILE naming the file, never skipped", "Reading",
                consequence=_LOSS),
    Requirement("SEQ-READ-1", _M, "Files are read as UTF-8 with or without a byte-order mark", "Reading",
                consequence=_WRONG),
    # Legacy path
    Requirement("SEQ-LEGACY-1", _M, "update_legacy_shot shallow-merges into a shot of project.json (shots or storyboard)", "Legacy path", _LEG,
                consequence=_WRONG),
    Requirement("SEQ-LEGACY-2", _M, "update_legacy_shot preserves everything else in project.json and touches no sequence file", "Legacy path", _LEG,
                consequence=_LOSS),
    Requirement("SEQ-LEGACY-3", _M, "update_legacy_shot errors: PROJECT_NOT_FOUND, SHOT_NOT_FOUND, CORRUPT_FILE, INVALID_UPDATE", "Legacy path", _LEG,
                consequence=_ERRS),
    Requirement("SEQ-SAVE-1", _M, "save_shot updates a shot that lives in a sequence file there, project.json untouched", "Legacy path", _SAVE,
                consequence=_WRONG),
    Requirement("SEQ-SAVE-2", _M, "save_shot updates a shot without a sequence in project.json, sequence files untouched", "Legacy path", _SAVE,
                consequence=_WRONG),
    Requirement("SEQ-SAVE-3", _M, "save_shot never falls back: a missing or corrupt sequence file is an error and nothing is written", "Legacy path", _SAVE,
                consequence=_LOSS),
    # Errors
    Requirement("SEQ-ERR-1", _M, "A missing or non-directory project is PROJECT_NOT_FOUND", "Error model",
                consequence=_ERRS),
    Requirement("SEQ-ERR-2", _M, "Every failure carries a spec error code; a failed call changes no file", "Error model",
                consequence=_ERRS),
    # Durability, atomicity, concurrency
    Requirement("SEQ-DURABLE-1", _M, "When an update returns, a new process sees the change", "Durability and atomicity",
                consequence=_LOSS),
    Requirement("SEQ-ATOMIC-1", _M, "A crash at any instant leaves each file entirely old or entirely new", "Durability and atomicity",
                consequence=_LOSS),
    Requirement("SEQ-ATOMIC-2", _M, "Write protocol: temp file in the same folder, fsync, rename over the target, fsync the folder; never truncate the target", "Durability and atomicity",
                consequence=_LOSS),
    Requirement("SEQ-ATOMIC-3", _M, "A failed write (disk full, I/O error) is a loud IO_ERROR, original intact, no temp file left", "Durability and atomicity",
                consequence=_LOSS),
    Requirement("SEQ-ATOMIC-4", _M, "A reader never sees a torn file while a writer writes", "Durability and atomicity",
                consequence=_LOSS),
    Requirement("SEQ-LOCK-1", _M, "Concurrent updates from separate processes never lose an update", "Concurrency", _CONC,
                consequence=_LOSS),
    Requirement("SEQ-LOCK-2", _M, "Writers serialise with flock on the sidecar .<file>.lock; a lock not taken in bounded time is LOCK_TIMEOUT", "Concurrency", _CONC,
                consequence=_LOSS),
    # Encoding
    Requirement("SEQ-ENC-1", _M, "Writers emit UTF-8 without BOM, 2-space indent, non-ASCII as is, trailing newline", "Encoding",
                consequence=_CONV),
    Requirement("SEQ-ENC-2", _M, "Integers stay integers, floats round-trip, arbitrary unknown JSON round-trips", "Encoding",
                consequence=_LOSS),
    # Scale
    Requirement("SEQ-SCALE-1", _S, "Update cost does not grow with the number of sequences in the project", "Scale",
                consequence=_CONV),
    Requirement("SEQ-SCALE-2", _S, "Update cost stays proportionate with 100+ shots in a sequence", "Scale",
                consequence=_CONV),
)

BY_ID: dict[str, Requirement] = {r.id: r for r in REQUIREMENTS}


def get(requirement_id: str) -> Requirement:
    """The requirement with this ID; ``KeyError`` names unknown IDs."""
    try:
        return BY_ID[requirement_id]
    except KeyError:
        raise KeyError(f"unknown requirement id {requirement_id!r}") from None
