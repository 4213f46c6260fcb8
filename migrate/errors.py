"""Migration-specific failures, layered on the core error model.

The core :class:`~conformance.errors.ErrorCode` set is part of the spec and the
adapter protocol, so the migrator does not add to it. A :class:`MigrateError` is a
:class:`~conformance.errors.SeqcheckError` with the closest core code (what a generic
caller switches on) plus a :class:`MigrateCode` saying precisely what went wrong.

:func:`exit_code_for`: which process exit code a migration outcome maps to (documented
in spec/migration.md).

0 migrated or nothing to do; 1 conflicts, bad input or verification failures;
2 usage (including a path that is not a project, or options that do not match an
interrupted run); 3 I/O or internal error (including damaged records); 4 interrupted,
resume required, or the project is part-way and needs a look (a file could not be
restored: ``MIGRATE_NOT_RESTORED``; never "unchanged").
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

from conformance.errors import ErrorCode, SeqcheckError
from conformance.exit_codes import ExitCode


class MigrateCode(str, Enum):
    """Stable codes of the migrator's own failures (documented in spec/migration.md)."""

    #: A legacy shot and a sequence file disagree about a shot's content.
    CONFLICT = "MIGRATE_CONFLICT"
    #: A legacy shot names two different sequences (sequencePlanId vs sequence_id).
    AMBIGUOUS_SEQUENCE = "MIGRATE_AMBIGUOUS_SEQUENCE"
    #: Two copies of one shot id in project.json differ.
    LEGACY_DUPLICATE = "MIGRATE_LEGACY_DUPLICATE"
    #: A project made by the New Project dialog; needs ``--repair``.
    NEEDS_REPAIR = "MIGRATE_NEEDS_REPAIR"
    #: project.json carries a migration record of a newer seqcheck.
    NEWER_VERSION = "MIGRATE_NEWER_VERSION"
    #: An interrupted migration exists and was started with other options.
    OPTIONS_MISMATCH = "MIGRATE_OPTIONS_MISMATCH"
    #: A file changed after (or during) the migration; resume/rollback refuses.
    EDITED_SINCE = "MIGRATE_EDITED_SINCE"
    #: A migration stopped part-way; the same command resumes it.
    INCOMPLETE = "MIGRATE_INCOMPLETE"
    #: ``--rollback`` on a project without a migration to roll back.
    NOTHING_TO_ROLL_BACK = "MIGRATE_NOTHING_TO_ROLL_BACK"
    #: The ``.seqcheck/`` records are unreadable or inconsistent.
    BAD_RECORD = "MIGRATE_BAD_RECORD"
    #: An undo or rollback could not give every file its original bytes back (a file
    #: was changed by another program after the migration wrote it); the run is kept.
    NOT_RESTORED = "MIGRATE_NOT_RESTORED"
    #: ``--prune`` named a run that is unknown, in progress, damaged or not seqcheck's.
    NOT_PRUNABLE = "MIGRATE_NOT_PRUNABLE"

    def __str__(self) -> str:
        return self.value


def quote(value: Any, limit: int = 120) -> str:
    """``value`` as JSON for a message, cut at ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class MigrateError(SeqcheckError):
    """A migration failure: core ``code`` plus the precise ``migrate_code``.

    ``completed`` / ``total`` are set when the failure interrupted an apply or a
    rollback part-way (the same command then resumes it).
    """

    def __init__(
        self,
        migrate_code: MigrateCode,
        code: ErrorCode,
        message: str,
        *,
        file: str | Path | None = None,
        pointer: str | None = None,
        completed: int | None = None,
        total: int | None = None,
    ) -> None:
        self.migrate_code = migrate_code
        self.completed = completed
        self.total = total
        super().__init__(code, message, file=file, pointer=pointer)

    def __str__(self) -> str:
        return f"{self.migrate_code.value}: " + super().__str__().split(": ", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        """The core error object plus ``migrate_code`` (and progress, when known)."""
        out = super().to_dict()
        out["migrate_code"] = self.migrate_code.value
        if self.completed is not None:
            out["completed"] = self.completed
            out["total"] = self.total
        return out


def interrupted(cause: SeqcheckError, completed: int, total: int, what: str) -> MigrateError:
    """Wrap ``cause`` that stopped ``what`` ("migration", "rollback") after step k of n."""
    return MigrateError(
        MigrateCode.INCOMPLETE,
        cause.code,
        f"the {what} stopped: {cause.message} Every file is entirely old or entirely "
        f"new and no shot is lost; completed {completed} of {total}; run the same command "
        "to resume once the cause is fixed.",
        file=cause.file,
        pointer=cause.pointer,
        completed=completed,
        total=total,
    )



def not_restored(paths: list[str], run: int, what: str, *, root: Path,
                 cause: SeqcheckError | None = None) -> MigrateError:
    """``what`` ("migration", "rollback") ended with ``paths`` (project-relative) not
    holding their original bytes; run ``run``'s backup is kept."""
    listed = ", ".join(json.dumps(p) for p in paths)
    before = f"{cause.message} " if cause is not None else ""
    return MigrateError(
        MigrateCode.NOT_RESTORED,
        cause.code if cause is not None else ErrorCode.INVALID_UPDATE,
        f"{before}The {what} could not give {len(paths)} file(s) their original bytes "
        f"back: {listed} (changed by another program after the migration wrote them; "
        "left as they are), so the project is NOT as before. The originals stay in "
        f".seqcheck/runs/{run:04d}/backup: compare, then run 'seqcheck migrate PROJECT "
        "--rollback --force' to restore them.",
        file=root / paths[0],
    )


def unexpected(exc: Exception, what: str) -> SeqcheckError:
    """An exception that is not a SeqcheckError, met while ``what`` was writing, as an
    ``INTERNAL_ERROR`` - so the caller undoes or reports progress truthfully instead of
    letting it read as "the project is unchanged"."""
    return SeqcheckError(
        ErrorCode.INTERNAL_ERROR,
        f"the {what} met an unexpected {type(exc).__name__}: {exc}. This is a bug in "
        "seqcheck; please report it with the command you ran.",
    )


_BY_MIGRATE_CODE = {
    MigrateCode.INCOMPLETE: ExitCode.INTERRUPTED,
    MigrateCode.NOT_RESTORED: ExitCode.INTERRUPTED,
    MigrateCode.OPTIONS_MISMATCH: ExitCode.USAGE,
    MigrateCode.BAD_RECORD: ExitCode.ERROR,
}
_BY_CODE = {
    ErrorCode.PROJECT_NOT_FOUND: ExitCode.USAGE,
    ErrorCode.IO_ERROR: ExitCode.ERROR,
    ErrorCode.LOCK_TIMEOUT: ExitCode.ERROR,
    ErrorCode.INTERNAL_ERROR: ExitCode.ERROR,
}


def exit_code_for(error: SeqcheckError) -> ExitCode:
    """The exit code for a failed migrate/verify/rollback."""
    if isinstance(error, MigrateError) and error.migrate_code in _BY_MIGRATE_CODE:
        return _BY_MIGRATE_CODE[error.migrate_code]
    return _BY_CODE.get(error.code, ExitCode.FAILED)
