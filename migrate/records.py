"""The records seqcheck writes: the run records in ``.seqcheck/runs`` and the migration
record in project.json.

Run records are untrusted data: parse, schema-check and path-check them before use.

``.seqcheck/runs/NNNN/`` lives in a folder other people write (a share, a pull
request, a downloaded project). A record is used only after it passed, in order:
strict JSON parsing; its published schema (``schemas/migration-run-*.schema.json``);
and the cross-checks no schema can state - every path is ``project.json`` or a file
directly in ``sequences/``, a rewritten file was backed up with the same hash, a
created file was not, the journal counts the manifest's steps, a sidecar belongs to a
file the run writes. Anything else is ``MIGRATE_BAD_RECORD`` naming the file and the
JSON pointer; ``--force`` never widens this set.

The migration record stamped into project.json (:func:`build_record`,
:func:`existing_record`), and the newer-version guard.

The record (key :data:`RECORD_KEY`, documented in conformance/spec/migration.md)
says which seqcheck migrated the project, when, and what it moved. A project whose
record was written by a newer seqcheck is refused: an older tool cannot know what
the newer one's layout promises.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

from conformance import __version__, schema_registry
from conformance.errors import ErrorCode, SeqcheckError, json_pointer
from conformance.jsonio import parse_bytes
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR
from migrate.errors import MigrateCode, MigrateError, quote
from migrate.project_files import sidecar_of

#: Version of the manifest's shape (the journal's and rollback record's are 1).
MANIFEST_FORMAT = 1


class RecordKind(Enum):
    """The three record files of a run folder: (file name, schema name)."""

    MANIFEST = ("manifest.json", "migration-run-manifest")
    JOURNAL = ("journal.json", "migration-run-journal")
    ROLLBACK = ("rollback.json", "migration-run-rollback")

    @property
    def file_name(self) -> str:
        return self.value[0]

    @property
    def schema(self) -> str:
        return self.value[1]


def bad_record(what: str, file: Path | str, pointer: str | None = None) -> MigrateError:
    """A ``MIGRATE_BAD_RECORD`` error: ``what`` is wrong at ``file``/``pointer``."""
    return MigrateError(
        MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
        f"the migration records are damaged or were not written by seqcheck: {what}. "
        "Nothing was changed; inspect .seqcheck/ (the originals are in its backup/ "
        "folders).",
        file=file, pointer=pointer,
    )


def parse_record(kind: RecordKind, raw: bytes, file: Path) -> dict[str, Any]:
    """Parse ``raw`` and check it against ``kind``'s schema; never a traceback."""
    try:
        doc = parse_bytes(raw, file=file)
    except SeqcheckError as exc:
        raise bad_record(exc.message.rstrip("."), file, exc.pointer) from None
    except (RecursionError, ValueError) as exc:  # bounds beyond the parser's own checks
        raise bad_record(f"unparsable JSON ({type(exc).__name__})", file, "") from None
    if (kind is RecordKind.MANIFEST and isinstance(doc, dict)
            and isinstance(doc.get("format"), int) and not isinstance(doc["format"], bool)
            and doc["format"] > MANIFEST_FORMAT):
        from conformance import __version__

        raise MigrateError(
            MigrateCode.NEWER_VERSION, ErrorCode.CORRUPT_FILE,
            f"this run was recorded by seqcheck {quote(doc.get('tool_version'))} in manifest "
            f"format {doc['format']}, newer than this seqcheck {__version__} understands "
            f"({MANIFEST_FORMAT}). Upgrade seqcheck; nothing was changed.",
            file=file, pointer="/format",
        )
    try:
        error = schema_registry.first_error(kind.schema, doc)
    except RecursionError:
        raise bad_record("the record is nested too deeply", file, "") from None
    if error is not None:
        parts: list[str | int] = list(error.absolute_path)
        if "propertyNames" in error.absolute_schema_path:
            parts.append(str(error.instance))  # the offending key itself
        pointer = json_pointer(parts)
        raise bad_record(
            f"expected a document valid against schemas/{kind.schema}.schema.json, found "
            f"{quote(error.instance, 80)} ({error.validator} "
            f"{quote(error.validator_value, 80)} failed)",
            file, pointer,
        )
    assert isinstance(doc, dict)
    return doc


def is_run_path(rel: str) -> bool:
    """Whether ``rel`` is a file a run may back up, write or delete: ``project.json`` or
    a JSON file directly in ``sequences/`` (never a hidden one)."""
    path = PurePosixPath(rel)
    if rel == PROJECT_FILE:
        return True
    return (len(path.parts) == 2 and path.parts[0] == SEQUENCES_DIR
            and path.suffix == ".json" and not path.name.startswith(".")
            and path.as_posix() == rel)


def check_manifest(doc: dict[str, Any], number: int, file: Path) -> None:
    """The cross-checks of a schema-valid manifest of run folder ``number``."""
    if doc["run"] != number:
        raise bad_record(f"expected run {number} (the folder's number), found "
                         f"{quote(doc['run'])}", file, "/run")
    inputs: dict[str, Any] = doc["inputs"]
    for rel in inputs:
        if not is_run_path(rel):
            raise bad_record(f"expected backed-up files to be project.json or files in "
                             f"sequences/, found {quote(rel)}", file,
                             json_pointer(["inputs", rel]))
    if PROJECT_FILE not in inputs:
        raise bad_record("expected project.json among the backed-up inputs, found it "
                         "missing", file, "/inputs")
    seen: set[str] = set()
    for index, step in enumerate(doc["steps"]):
        rel = step["path"]
        where = json_pointer(["steps", index, "path"])
        if not is_run_path(rel):
            raise bad_record(f"expected each step to write project.json or a file in "
                             f"sequences/, found {quote(rel)}", file, where)
        if rel in seen:
            raise bad_record(f"expected each file once among the steps, found {quote(rel)} "
                             "twice", file, where)
        seen.add(rel)
        original = step["original_sha256"]
        if original is None and rel in inputs:
            raise bad_record(f"step {index} creates {quote(rel)}, but the run backed up "
                             "that file, so it existed", file,
                             json_pointer(["steps", index, "original_sha256"]))
        if original is not None and (rel not in inputs or inputs[rel]["sha256"] != original):
            raise bad_record(f"step {index} rewrites {quote(rel)}, but the run backed up no "
                             "such original (file or hash differ)", file,
                             json_pointer(["steps", index, "original_sha256"]))
        if (step["action"] == "rewrite-project") != (rel == PROJECT_FILE):
            raise bad_record(f"expected action \"rewrite-project\" exactly for project.json, "
                             f"found {quote(step['action'])} for {quote(rel)}", file,
                             json_pointer(["steps", index, "action"]))
        if (step["action"] == "create") != (original is None):
            raise bad_record(f"expected action \"create\" exactly for files without an "
                             f"original, found {quote(step['action'])}", file,
                             json_pointer(["steps", index, "action"]))
        if (step["action"] == "remove") != (step["result_sha256"] is None) or (
                step["action"] == "remove" and rel == PROJECT_FILE):
            raise bad_record(f"expected a null result exactly for action \"remove\" of a "
                             f"sequence file, found {quote(step['action'])} with "
                             f"{quote(step['result_sha256'])}", file,
                             json_pointer(["steps", index, "result_sha256"]))
    _check_sidecars(doc, doc, file)


def _check_sidecars(doc: dict[str, Any], manifest: dict[str, Any], file: Path) -> None:
    allowed = allowed_sidecars(manifest)
    for index, rel in enumerate(doc["sidecars"]):
        if rel not in allowed:
            raise bad_record(f"expected sidecars of files the run writes, found "
                             f"{quote(rel)}", file, json_pointer(["sidecars", index]))


def allowed_sidecars(manifest: dict[str, Any]) -> set[str]:
    """Sidecars a run may have created: project.json's and its rewritten files'."""
    return {sidecar_of(PROJECT_FILE)} | {
        sidecar_of(s["path"]) for s in manifest["steps"]
        if s["original_sha256"] is not None and s["result_sha256"] is not None}


def check_journal(doc: dict[str, Any], manifest: dict[str, Any], file: Path) -> None:
    """The cross-checks of a schema-valid journal against its manifest."""
    total = len(manifest["steps"])
    if doc["total"] != total:
        raise bad_record(f"expected the journal's total to be the manifest's {total} "
                         f"steps, found {doc['total']}", file, "/total")
    if doc["completed"] > total:
        raise bad_record(f"expected at most {total} completed steps, found "
                         f"{doc['completed']}", file, "/completed")
    if (doc["state"] == "done") != (doc["completed"] == total):
        raise bad_record(f"expected state \"done\" exactly when all {total} steps are "
                         f"completed, found {quote(doc['state'])} at {doc['completed']}",
                         file, "/state")
    _check_sidecars(doc, manifest, file)


def check_rollback(doc: dict[str, Any], manifest: dict[str, Any], file: Path) -> None:
    """The cross-checks of a schema-valid rollback record against its manifest."""
    paths = {s["path"] for s in manifest["steps"]}
    sidecars = {sidecar_of(p) for p in paths | {PROJECT_FILE}}
    for key, allowed in (("restored", paths), ("removed", paths), ("forced_over", paths),
                         ("removed_sidecars", sidecars)):
        for index, rel in enumerate(doc[key]):
            if rel not in allowed:
                raise bad_record(f"expected paths the run wrote, found {quote(rel)}", file,
                                 json_pointer([key, index]))


RECORD_KEY = "seqcheck_migration"
#: Version of the record's own shape; bumped only on incompatible change.
RECORD_FORMAT = 1

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"1.2.3..."`` -> ``(1, 2, 3)``; ``None`` when it is not such a version."""
    match = _VERSION_RE.match(text)
    if match is None:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def existing_record(project: dict[str, Any], file: Path) -> dict[str, Any] | None:
    """The record in project.json, or ``None``; refuse a newer or unreadable one."""
    record = project.get(RECORD_KEY)
    if record is None:
        return None
    pointer = json_pointer([RECORD_KEY])
    if not isinstance(record, dict):
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            f"expected the migration record to be an object, found {type(record).__name__}. "
            "Remove the key if it was not written by seqcheck; nothing was changed.",
            file=file, pointer=pointer,
        )
    version = record.get("tool_version")
    fmt = record.get("record_format", RECORD_FORMAT)
    theirs = parse_version(version) if isinstance(version, str) else None
    ours = parse_version(__version__)
    if theirs is None or ours is None or not isinstance(fmt, int):
        raise MigrateError(
            MigrateCode.BAD_RECORD, ErrorCode.CORRUPT_FILE,
            f"expected the migration record to carry a tool_version like '1.2.3' and an "
            f"integer record_format, found {quote(version)} and {quote(fmt)}; nothing was changed.",
            file=file, pointer=pointer,
        )
    if theirs > ours or fmt > RECORD_FORMAT:
        raise MigrateError(
            MigrateCode.NEWER_VERSION, ErrorCode.CORRUPT_FILE,
            f"this project was migrated by seqcheck {version} (record format {fmt}), "
            f"newer than the running seqcheck {__version__} (record format "
            f"{RECORD_FORMAT}). Upgrade seqcheck; it was not rewritten.",
            file=file, pointer=pointer,
        )
    return record


def build_record(migrated_at: str, counts: dict[str, int], repaired: bool) -> dict[str, Any]:
    """The record a migration writes (replacing any earlier one)."""
    return {
        "tool": "seqcheck",
        "tool_version": __version__,
        "record_format": RECORD_FORMAT,
        "migrated_at": migrated_at,
        "repaired": repaired,
        **counts,
    }
