"""Process exit codes shared by every seqcheck command and the library functions that
choose them (migrate's batch, for one); documented in README.md."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a seqcheck process exit status means."""

    #: Nothing at or above the failure threshold; the operation succeeded.
    OK = 0
    #: The command ran and found problems: findings, conflicts, failed requirements.
    FAILED = 1
    #: Usage error, or a path that is not a project (click also exits 2 on bad usage).
    USAGE = 2
    #: An I/O error, or a bug in seqcheck (reported with a request to file it).
    ERROR = 3
    #: Interrupted; the operation must be resumed by running the same command again.
    INTERRUPTED = 4
