"""The bounds the harness puts on an adapter: one constant per fact, documented in
``conformance/spec/adapter-protocol.md`` ("Limits")."""

from __future__ import annotations

#: Longest response line the harness reads, newline excluded. A longer line is the fault
#: "malformed: too large": it is read in chunks and discarded past this bound, so the
#: harness's memory stays bounded whatever the adapter writes. 8 MiB is eight times the
#: largest file the suite ever asks an implementation to return (~1 MB at depth full),
#: and small enough that decoding the worst-shaped JSON of that size stays ~200 MB.
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: How much of an adapter's stderr is kept (the last bytes), for fault reports.
STDERR_TAIL_BYTES = 2048
#: Requests in a row left unanswered (timeouts, silent restarts) after which the adapter
#: is declared broken: every later call fails at once with fault kind ``broken``.
BROKEN_AFTER_UNANSWERED = 3
#: After ``shutdown`` was answered, how long an adapter may take to exit on its own.
EXIT_GRACE_SECONDS = 2.0
#: Once an adapter has been seen to linger after ``shutdown``, how long later exits of
#: the same command are waited for before it is stopped (the fault was reported once).
LINGER_GRACE_SECONDS = 0.2
#: Stopping an adapter: SIGTERM to its process group, this long to exit, then SIGKILL.
STOP_GRACE_SECONDS = 1.0
#: Bound on every wait for a process to be reaped after SIGKILL (a process stuck in the
#: kernel cannot be waited for forever).
REAP_SECONDS = 5.0
