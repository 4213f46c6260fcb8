"""Which process exit code a migration outcome maps to (documented in spec/migration.md).

0 migrated or nothing to do; 1 conflicts, bad input or verification failures;
2 usage (including a path that is not a project, or options that do not match an
interrupted run); 3 I/O or internal error (including damaged records); 4 interrupted,
resume required, or the project is part-way and needs a look (a file could not be
restored: ``MIGRATE_NOT_RESTORED``; never "unchanged").
"""

from __future__ import annotations

from conformance.errors import ErrorCode, SeqcheckError
from conformance.exit_codes import ExitCode
from migrate.errors import MigrateCode, MigrateError

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
