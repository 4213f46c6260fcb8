"""Implementation: one running implementation under test, in-process or over stdio.

The caller sees the same API and the same semantics either way: results as decoded
protocol JSON, spec errors as :class:`SeqcheckError`, protocol misbehaviour as
:class:`AdapterFault`. A dead adapter (after any fault) is restarted, with a fresh
``hello``, on the next call.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from conformance.errors import SeqcheckError
from conformance.protocol import broken, messages
from conformance.protocol.faults import AdapterFault, FaultKind

PathArg = str | os.PathLike[str]


def _project(project: PathArg) -> str:
    # The wire carries absolute paths: the adapter's working folder may differ from ours.
    return os.path.abspath(os.fspath(project))  # noqa: PTH100 - no symlink resolution wanted


@dataclass(frozen=True)
class ImplementationInfo:
    """What the implementation said about itself in ``hello``."""

    name: str
    version: str
    protocol: int
    capabilities: frozenset[str]
    #: The adapter's ``error_mapping`` record when it translates the service's own
    #: error codes to spec codes (Node adapter ``--error-codes``), else ``None``.
    error_mapping: dict[str, Any] | None = None

    def claims(self, capability: str) -> bool:
        """Whether ``capability`` (a Capability or its string value) was declared."""
        return str(getattr(capability, "value", capability)) in self.capabilities


class Transport(Protocol):
    """What :class:`Implementation` needs from a transport."""

    @property
    def running(self) -> bool: ...

    @property
    def stderr_tail(self) -> str: ...

    def start(self) -> None: ...

    def exchange(
        self, request: dict[str, Any], op: str, timeout: float | None = None
    ) -> dict[str, Any]: ...

    def stop(self) -> None: ...

    def exit_status(self) -> int | None: ...

    def command(self) -> list[str]: ...


#: Bound on the shutdown exchange during :meth:`Implementation.close`.
SHUTDOWN_TIMEOUT = 5.0
#: A start whose hello goes unanswered within the start timeout is retried this many
#: times. On a heavily loaded machine a fresh runtime can, rarely, consume its hello
#: and never answer it; one stalled start must not turn a whole run into errors. A
#: silent adapter still fails after the retries, and every retry is counted in
#: :attr:`Implementation.start_stalls`.
START_RETRIES = 1


class Implementation:
    """One implementation under test. Not for concurrent use from several threads
    (calls are serialised by a lock); for parallel writers start several adapters
    from :meth:`command`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        #: Starts retried because hello went unanswered (see START_RETRIES).
        self.start_stalls = 0
        #: Requests unanswered in a row (timeouts, silent restarts); see :meth:`call`.
        self.unanswered = 0
        self._refuse_if_broken("hello")
        self.info: ImplementationInfo = self._start()

    # -- lifecycle ---------------------------------------------------------------------
    def _start(self) -> ImplementationInfo:
        for _ in range(START_RETRIES):
            try:
                return self._start_once()
            except AdapterFault as fault:
                if not fault.stalled:
                    raise
                self.start_stalls += 1
        return self._start_once()

    def _refuse_if_broken(self, op: str) -> None:
        why = broken.reason(self._transport.command())
        if why is not None:
            raise AdapterFault(
                FaultKind.BROKEN, f"{op} was not sent: the adapter was declared broken ({why})"
            )

    def _unanswered(self, fault: AdapterFault, op: str) -> None:
        """Count a request left unanswered (the command is declared broken at the bound)."""
        self.unanswered = broken.unanswered(self._transport.command(), f"{op}: {fault.detail}")

    def _start_once(self) -> ImplementationInfo:
        self._transport.start()
        request = messages.request(
            next(self._ids), "hello", {"protocol": messages.PROTOCOL_VERSION}
        )
        try:
            response = self._transport.exchange(
                request, "hello", getattr(self._transport, "start_timeout", None)
            )
        except AdapterFault as fault:
            if fault.kind in (FaultKind.CRASH, FaultKind.TIMEOUT):
                retried = f" (after {self.start_stalls} stalled start(s))" * bool(self.start_stalls)
                failed = AdapterFault(
                    FaultKind.START_FAILED,
                    f"before answering hello: {fault.detail}{retried}",
                    stderr_tail=fault.stderr_tail,
                    exit_code=fault.exit_code,
                )
                failed.stalled = fault.kind is FaultKind.TIMEOUT
                raise failed from None
            raise
        if not response["ok"]:
            self._transport.stop()
            raise AdapterFault(
                FaultKind.PROTOCOL,
                f"hello must succeed, got error {response['error']}",
                stderr_tail=self._transport.stderr_tail,
            )
        result = response["result"]
        if result["protocol"] != messages.PROTOCOL_VERSION:
            self._transport.stop()
            raise AdapterFault(
                FaultKind.PROTOCOL,
                f"the adapter speaks protocol {result['protocol']}, this harness speaks "
                f"{messages.PROTOCOL_VERSION}",
                stderr_tail=self._transport.stderr_tail,
            )
        mapping = result.get("error_mapping")
        return ImplementationInfo(
            name=result["name"],
            version=result["version"],
            protocol=result["protocol"],
            capabilities=frozenset(result["capabilities"]),
            error_mapping=dict(mapping) if isinstance(mapping, dict) else None,
        )

    def restart(self) -> None:
        """End the implementation (adapter shut down, objects discarded), start a fresh one."""
        with self._lock:
            self.close()
            self.info = self._start()

    def close(self) -> None:
        """Shut the implementation down: ``shutdown``, then a clean exit is required.

        Raises AdapterFault ``protocol`` when a running adapter does not answer
        shutdown or does not exit with status 0 soon after (it is killed either way).
        """
        with self._lock:
            if not self._transport.running:
                return
            request = messages.request(next(self._ids), "shutdown", {})
            try:
                self._transport.exchange(request, "shutdown", SHUTDOWN_TIMEOUT)
            except AdapterFault as fault:
                raise AdapterFault(
                    FaultKind.PROTOCOL,
                    f"shutdown was not answered cleanly: {fault.detail}",
                    stderr_tail=fault.stderr_tail,
                    exit_code=fault.exit_code,
                ) from None
            finish = getattr(self._transport, "finish", None)
            if finish is None:
                self._transport.stop()
                return
            code = finish()
            if code != 0:
                detail = (
                    "did not exit within the grace period after shutdown (killed)"
                    if code is None
                    else f"exited with status {code} after shutdown, expected 0"
                )
                raise AdapterFault(
                    FaultKind.PROTOCOL, detail, stderr_tail=self._transport.stderr_tail,
                    exit_code=code,
                )

    def __enter__(self) -> Implementation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.close()
        except AdapterFault:
            if exc_type is None:
                raise
            self._transport.stop()  # do not mask the error already in flight

    # -- calls ---------------------------------------------------------------------------
    def call(self, op: str, args: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Send one request; return its result or raise SeqcheckError / AdapterFault.

        An error answer (``ok: false``) is raised as :class:`SeqcheckError` with the
        adapter's code (possibly UNSUPPORTED or INTERNAL_ERROR). A dead adapter is
        restarted first, with a new ``hello``. After
        :data:`~conformance.protocol.limits.BROKEN_AFTER_UNANSWERED` requests in a row
        went unanswered (timed out, or a restart stayed silent), the adapter is declared
        broken and this and every later call raise AdapterFault ``broken`` at once.
        """
        with self._lock:
            self._refuse_if_broken(op)
            if not self._transport.running:
                try:
                    self.info = self._start()
                except AdapterFault as fault:
                    if fault.stalled:
                        self._unanswered(fault, "hello")
                    raise
            request = messages.request(next(self._ids), op, args)
            try:
                response = self._transport.exchange(request, op, timeout)
            except AdapterFault as fault:
                if fault.kind is FaultKind.TIMEOUT:
                    self._unanswered(fault, op)
                raise
            self.unanswered = 0
            broken.answered(self._transport.command())
            if response["ok"]:
                return response["result"]
            raise SeqcheckError.from_dict(response["error"])

    def update_shot(
        self, project: PathArg, sequence_id: Any, shot_id: Any, updates: Any
    ) -> dict[str, Any]:
        """``update_shot``: the stored shot after merging ``updates``."""
        result: dict[str, Any] = self.call(
            "update_shot",
            {
                "project": _project(project),
                "sequence_id": sequence_id,
                "shot_id": shot_id,
                "updates": updates,
            },
        )
        return result

    def get_shots(self, project: PathArg, sequence_id: Any) -> list[dict[str, Any]]:
        """``get_shots``: the sequence's shots in file order."""
        result: list[dict[str, Any]] = self.call(
            "get_shots", {"project": _project(project), "sequence_id": sequence_id}
        )
        return result

    def get_all_sequences(self, project: PathArg) -> list[dict[str, Any]]:
        """``get_all_sequences``: every sequence document."""
        result: list[dict[str, Any]] = self.call(
            "get_all_sequences", {"project": _project(project)}
        )
        return result

    def update_legacy_shot(self, project: PathArg, shot_id: Any, updates: Any) -> dict[str, Any]:
        """``update_legacy_shot``: the project.json shot after merging ``updates``."""
        result: dict[str, Any] = self.call(
            "update_legacy_shot",
            {"project": _project(project), "shot_id": shot_id, "updates": updates},
        )
        return result

    def save_shot(self, project: PathArg, shot_id: Any, updates: Any) -> dict[str, Any]:
        """``save_shot``: the editor's routing save; the stored shot."""
        result: dict[str, Any] = self.call(
            "save_shot", {"project": _project(project), "shot_id": shot_id, "updates": updates}
        )
        return result

    # -- introspection -------------------------------------------------------------------
    @property
    def stderr_tail(self) -> str:
        """The last ~2 KB of the adapter's stderr (``""`` in-process)."""
        return self._transport.stderr_tail

    @property
    def exit_code(self) -> int | None:
        """Exit status of the last adapter process that ended (``None`` in-process)."""
        return self._transport.exit_status()

    @property
    def pid(self) -> int | None:
        """Process id of the running adapter (``None`` in-process or when not running)."""
        pid: int | None = getattr(self._transport, "pid", None)
        return pid

    @property
    def running(self) -> bool:
        """Whether the implementation is live (False after close or a fault)."""
        return self._transport.running

    def command(self) -> list[str]:
        """argv running this implementation as a stdio adapter in a fresh process."""
        return self._transport.command()
