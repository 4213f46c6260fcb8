"""The finding codes of ``seqcheck validate``: one registry, mirrored in the spec.

Every finding carries a stable code (``SC1xx`` file level, ``SC2xx`` schema level,
``SC3xx`` project level), a default severity, a one-line meaning and a hint saying what
to do. ``conformance/spec/findings.md`` lists the same codes; a test keeps the two equal.
Codes are part of the CLI's contract (``--select``/``--ignore``, SARIF rule ids): never
rename or reuse one, only add.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.text_enum import TextEnum


class Severity(TextEnum):
    """How bad a finding is. ``--fail-on`` compares by :attr:`rank`."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info (higher is worse)."""
        return _RANK[self]



_RANK = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


@dataclass(frozen=True)
class CodeInfo:
    """What a finding code means: its name, severity, meaning and default hint."""

    code: str
    name: str
    severity: Severity
    meaning: str
    hint: str
    #: The spec requirement (conformance/requirements.py) the code checks, or "".
    requirement: str = ""


def _c(
    code: str, name: str, severity: Severity, meaning: str, hint: str, requirement: str = ""
) -> CodeInfo:
    return CodeInfo(code, name, severity, meaning, hint, requirement)


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO

#: Every finding code, in spec order.
CODES: dict[str, CodeInfo] = {
    c.code: c
    for c in (
        # File level: can the file be read as one strict JSON object at all?
        _c("SC101", "unreadable-file", E,
           "The file cannot be read: permission denied, an I/O error, or a folder where a "
           "file should be.",
           "Check the path and its permissions; restore the file from a backup.", "SEQ-ALL-2"),
        _c("SC102", "invalid-utf8", E,
           "The file is not valid UTF-8.",
           "Re-save the file as UTF-8.", "SEQ-ALL-2"),
        _c("SC103", "byte-order-mark", W,
           "The file starts with a UTF-8 byte-order mark. Readers accept it, writers never "
           "produce it, and some JSON tools reject it.",
           "Re-save the file as UTF-8 without BOM (any seqcheck write does this).", "SEQ-ENC-1"),
        _c("SC104", "json-syntax", E,
           "The file is not valid JSON (a syntax error at the given line and column).",
           "Fix the JSON by hand or restore the file from a backup.", "SEQ-ALL-2"),
        _c("SC105", "duplicate-key", E,
           "An object holds the same key twice; readers disagree on which value wins.",
           "Remove one of the two entries.", "SEQ-ALL-2"),
        _c("SC106", "non-finite-number", E,
           "A NaN, Infinity or -Infinity literal: not JSON, and rejected by strict readers.",
           "Replace the literal with a number or null.", "SEQ-ALL-2"),
        _c("SC107", "nesting-too-deep", E,
           "Arrays and objects are nested deeper than the bound of 1024 levels.",
           "Flatten the data; no StoryCore document nests this deep.", "SEQ-ALL-2"),
        _c("SC108", "not-an-object", E,
           "The top level of the file is not a JSON object.",
           "A project.json or sequence file must hold one JSON object.", "SEQ-ALL-2"),
        _c("SC109", "unpaired-surrogate", E,
           "A string holds an unpaired UTF-16 surrogate escape (such as \\ud800), which has "
           "no UTF-8 form: any rewrite would change or lose it.",
           "Remove the escape or complete the surrogate pair.", "SEQ-ALL-2"),
        _c("SC115", "integer-too-long", E,
           "An integer literal has more than 4300 digits (conformance.limits."
           "MAX_INT_DIGITS): Python readers, seqcheck's included, cannot convert it.",
           "Store the number as a string, or shorten it.", "SEQ-ALL-2"),
        _c("SC116", "string-too-long", E,
           "A string (or object key) is longer than 16777216 characters "
           "(conformance.limits.MAX_STRING_CHARS).",
           "Keep large data in a separate file and store its path.", "SEQ-ALL-2"),
        # Schema level: does the document match schemas/<name>.schema.json?
        _c("SC201", "schema-violation", E,
           "The document violates its JSON Schema (schemas/project.schema.json or "
           "schemas/sequence.schema.json) at the given location.",
           "Change the value so that it satisfies the schema rule named in the finding.",
           "SEQ-ALL-2"),
        _c("SC202", "missing-sequence-id", E,
           "A sequence file has no 'id'. Files written by the app's New Project dialog lack "
           "it, so no reader can find the sequence.",
           "Run 'seqcheck migrate --repair' to split the file into proper sequences.",
           "SEQ-ID-1"),
        # Project level: rules across files that no schema can say.
        _c("SC301", "missing-project-file", E,
           "The project has a sequences/ folder but no project.json.",
           "Restore project.json from a backup, or recreate the project in the app.",
           "SEQ-LAYOUT-1"),
        _c("SC302", "duplicate-sequence-id", E,
           "Two sequence files hold the same sequence id; the spec forbids choosing one.",
           "Give one of the sequences a new id (and update its shots' sequencePlanId).",
           "SEQ-ID-3"),
        _c("SC303", "duplicate-shot-id", E,
           "Two shots have the same id: in sequence files, or twice within project.json.",
           "Give one of the shots a new id; shot ids are unique within a project.",
           "SEQ-MEMBER-2"),
        _c("SC304", "membership-mismatch", E,
           "A shot's sequencePlanId or sequence_id names a sequence other than the one whose "
           "file holds it.",
           "Move the shot with 'seqcheck migrate', or correct the field.", "SEQ-MEMBER-1"),
        _c("SC305", "split-brain", E,
           "A shot is in project.json and in a sequence file, with different content: "
           "the app shows one copy or the other depending on the code path.",
           "Decide which copy is right, then run 'seqcheck migrate' to keep only the "
           "sequence-file copy.", "SEQ-SAVE-1"),
        _c("SC306", "leftover-copy", W,
           "A shot is in project.json and in a sequence file with identical content: a "
           "leftover copy that will drift on the next edit.",
           "Run 'seqcheck migrate' to remove the project.json copy.", "SEQ-SAVE-1"),
        _c("SC307", "legacy-shot", N,
           "A shot in project.json names a sequence but is in no sequence file: a legacy "
           "shot that belongs in sequences/.",
           "Run 'seqcheck migrate' to move legacy shots into their sequence files.",
           "SEQ-SAVE-1"),
        _c("SC308", "file-name-id-mismatch", N,
           "A sequence file's name does not match its numeric id (the id, not the name, "
           "identifies the sequence, so this only misleads humans).",
           "Rename the file to sequence_<id>.json if nothing else refers to the name.",
           "SEQ-ID-2"),
        _c("SC309", "duplicate-order", W,
           "Two sequences have the same 'order'; readers then sort them by id.",
           "Give each sequence its own 'order'.", "SEQ-ALL-1"),
        _c("SC310", "out-point-before-in-point", E,
           "A shot's timing.outPoint is smaller than its timing.inPoint.",
           "Swap or correct inPoint and outPoint."),
        _c("SC311", "shot-duration-mismatch", W,
           "A shot's timing.duration differs from timing.outPoint - timing.inPoint.",
           "Set timing.duration to outPoint - inPoint (or correct the points)."),
        _c("SC312", "sequence-duration-mismatch", W,
           "A sequence's 'duration' differs from the sum of its shots' durations.",
           "Set the sequence duration to the sum of its shots' durations."),
        _c("SC313", "stray-file", W,
           "A file or folder in sequences/ that is not a sequence file (a temp file, a "
           "backup, an editor's copy). Readers ignore it; it may hold lost edits.",
           "Check it for data you still need, then move it out of sequences/.", "SEQ-LAYOUT-2"),
        _c("SC314", "sequences-not-a-folder", E,
           "'sequences' exists in the project but is not a folder.",
           "Rename or remove the file named 'sequences'.", "SEQ-LAYOUT-3"),
        _c("SC315", "link-out-of-project", E,
           "A sequence file, or the sequences folder, is a symbolic link resolving "
           "outside the project. It is not read: nothing outside the project folder "
           "is ever read, and a conforming store refuses it (CORRUPT_FILE).",
           "Replace the link with a copy of the file or folder it points to.", "SEQ-ID-5"),
        # Shapes the app writes besides the canonical layout (conformance/spec/field-guide.md).
        _c("SC316", "reference-shape-sequence", E,
           "A sequence file in the shape the app's SequenceService and dashboard write: "
           "'shot_ids' naming shots held elsewhere, no 'shots' array. The app's "
           "getShotsFromSequence shows it as empty and conforming readers refuse it.",
           "Run 'seqcheck migrate --repair': it resolves shot_ids against project.json's "
           "shots into a 'shots' array under the canonical file name, keeping every field.",
           "SEQ-ALL-2"),
        _c("SC317", "id-prefix-file-name", E,
           "A sequence file named after the first 8 characters of its id "
           "(sequence_<prefix>.json), as the app's SequenceService names them. The app reads "
           "it; conforming readers look only at sequence_NNN.json and never see this "
           "sequence.",
           "Run 'seqcheck migrate --repair' to give it its canonical name (a second file "
           "with the same id is merged, see --on-duplicate).", "SEQ-LAYOUT-1"),
        _c("SC318", "unresolved-shot-reference", W,
           "An entry of a sequence file's 'shot_ids' names a shot the file does not hold. "
           "seqcheck keeps the reference as the app wrote it; no shot is attached to it.",
           "Check whether the shot still exists; remove the id from shot_ids if not."),
        _c("SC319", "project-template-file", E,
           "project.json holds a project template (everything nested under 'project', the "
           "shape ProjectTemplateService reads), not a project: the app cannot open it.",
           "Create a project from the template in the app; 'seqcheck migrate' leaves this "
           "file as it is."),
        _c("SC320", "embedded-sequences", N,
           "project.json embeds sequences with their own shots under 'sequences' (the "
           "assistant's save_project). seqcheck reads shots from sequence files and "
           "project.json 'shots'/'storyboard' only; these are carried over untouched.",
           "Nothing to do for seqcheck; recreate them as sequence files if the editor "
           "should show them."),
        # File level, added after SC315 (codes are append-only): what is not read at all.
        _c("SC110", "not-a-regular-file", E,
           "project.json or a sequence file is a FIFO, socket or device, not a regular "
           "file. It is not opened for reading (a FIFO would block every reader), and a "
           "conforming store refuses it (CORRUPT_FILE).",
           "Replace it with the JSON file it stands for, or remove it.", "SEQ-ALL-2"),
        _c("SC111", "file-too-large", E,
           "The file is larger than the file-size limit (512 MiB unless "
           "SEQCHECK_MAX_FILE_BYTES says otherwise). It is not read: no more than the "
           "limit is ever read, whatever the file claims to be.",
           "Check that the file is what it should be; for a genuine one, raise the limit "
           "with SEQCHECK_MAX_FILE_BYTES.", "SEQ-ALL-2"),
    )
}


def info(code: str) -> CodeInfo:
    """The registry entry of ``code`` (KeyError for an unknown code)."""
    return CODES[code]


def matching_codes(pattern: str) -> list[str]:
    """Codes selected by ``pattern``: an exact code, a prefix (``SC3``) or a name."""
    pattern = pattern.strip()
    by_name = [c.code for c in CODES.values() if c.name == pattern.lower()]
    if by_name:
        return by_name
    return [code for code in CODES if code.startswith(pattern.upper())]
