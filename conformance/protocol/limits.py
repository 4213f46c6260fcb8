"""The harness's time and count bounds on an adapter, documented in
``conformance/spec/adapter-protocol.md`` (section 5). Its size bounds
(``MAX_RESPONSE_BYTES``, ``STDERR_TAIL_BYTES``) live with every other size limit in
:mod:`conformance.limits`."""

from __future__ import annotations

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
