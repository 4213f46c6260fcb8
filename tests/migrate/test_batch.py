"""run_batch turns every failure into its project's row; the next project still runs."""

from __future__ import annotations

import errno
from pathlib import Path

from conformance.errors import ErrorCode, SeqcheckError
from conformance.exit_codes import ExitCode
from migrate import BatchRow, BatchStatus, run_batch
from migrate.batch import batch_exit_code


def _operation(project: Path) -> BatchRow:
    if project.name == "denied":
        raise PermissionError(errno.EACCES, "Permission denied", str(project / "project.json"))
    if project.name == "bad":
        raise SeqcheckError(ErrorCode.INVALID_ID, "expected an id", file=project)
    return BatchRow(project, BatchStatus.MIGRATED, "", int(ExitCode.OK))


def test_unexpected_os_errors_become_io_error_rows(tmp_path: Path) -> None:
    projects = [tmp_path / "denied", tmp_path / "bad", tmp_path / "good"]
    rows = run_batch(projects, _operation)
    assert [r.status for r in rows] == [BatchStatus.FAILED, BatchStatus.FAILED,
                                         BatchStatus.MIGRATED]
    denied = rows[0]
    assert denied.error is not None and denied.error["code"] == "IO_ERROR"
    assert denied.error["file"] == str(tmp_path / "denied" / "project.json")
    assert "could not process the project" in denied.detail
    assert '"Permission denied"' in denied.detail and "part-way" in denied.detail
    assert denied.exit_code == int(ExitCode.ERROR)
    assert rows[1].error is not None and rows[1].error["code"] == "INVALID_ID"
    assert batch_exit_code(rows) == max(r.exit_code for r in rows)
