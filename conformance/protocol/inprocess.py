"""The in-process transport: a Python factory served through :func:`dispatch.handle`.

Requests and responses are encoded to protocol lines and decoded again exactly as on
the stdio path, so a Python implementation sees (and answers) byte-identical messages
whichever way it is driven, and results never alias the implementation's own objects.
There is no timeout in-process: a Python call cannot be interrupted safely; use the
stdio path (``Implementation.command()``) where hangs must be survived.
"""

from __future__ import annotations

from typing import Any

from conformance.protocol import messages
from conformance.protocol.dispatch import StoreCache, StoreFactory, handle
from conformance.protocol.faults import AdapterFault, FaultKind


class InProcessTransport:
    """Serves requests by calling ``factory`` in this process."""

    stderr_tail = ""

    def __init__(self, factory: StoreFactory, argv: list[str]) -> None:
        self._factory = factory
        self._argv = list(argv)
        self._cache: StoreCache | None = None

    @property
    def running(self) -> bool:
        """Whether a set of implementation objects is live."""
        return self._cache is not None

    def start(self) -> None:
        """Begin with fresh implementation objects (no state carried over)."""
        self._cache = StoreCache(self._factory)

    def exchange(
        self, request: dict[str, Any], op: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """Serve one request; return the validated response (AdapterFault if invalid)."""
        if self._cache is None:
            self.start()
        assert self._cache is not None
        served = handle(self._cache, messages.decode(messages.encode(request)))
        response = messages.decode(messages.encode(served))
        problem = messages.response_problem(response, op)
        if problem is not None:
            self._cache = None
            raise AdapterFault(
                FaultKind.MALFORMED, f"answered {op} with an invalid response: {problem}"
            )
        if op == "shutdown":
            self._cache = None
        return dict(response)

    def stop(self) -> None:
        """Discard the implementation objects."""
        self._cache = None

    def exit_status(self) -> int | None:
        """Always ``None``: there is no process."""
        return None

    def command(self) -> list[str]:
        """The argv serving this factory as a stdio adapter in a fresh process."""
        return list(self._argv)
