"""The implementation under test for one pytest session, opened once and shared."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance import requirements
from conformance.limits import STDERR_TAIL_BYTES
from conformance.suite import SUITE_VERSION
from conformance.suite.profiles import Profile
from conformance.suite.results import Recorder
from conformance.target import Target

if TYPE_CHECKING:
    from conformance.protocol import Implementation


def _fresh(exc: BaseException) -> BaseException:
    """A copy of ``exc`` without its traceback (whatever its constructor's signature)."""
    clone = type(exc).__new__(type(exc))
    clone.__dict__.update(exc.__dict__)
    clone.args = exc.args
    return clone


@dataclass
class SuiteState:
    """Session state of the plugin: target, profile, outcomes, the open implementation."""

    target: Target
    profile: Profile
    recorder: Recorder = field(default_factory=Recorder)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    _impl: Implementation | None = None
    _open_error: BaseException | None = None

    def implementation(self) -> Implementation:
        """The implementation under test, started on first use.

        A start failure is remembered and re-raised for every test, so each test is an
        error and the certificate can say "adapter broken".
        """
        if self._open_error is not None:
            # A fresh copy each time: re-raising one object would grow its traceback.
            raise _fresh(self._open_error)
        if self._impl is None:
            from conformance.protocol import open_implementation

            try:
                self._impl = open_implementation(impl=self.target.impl, adapter=self.target.adapter)
            except Exception as exc:
                self._open_error = exc
                raise
        return self._impl

    def capabilities(self) -> frozenset[str] | None:
        """Declared capabilities, or ``None`` when the implementation cannot start."""
        try:
            return frozenset(self.implementation().info.capabilities)
        except Exception:
            return None

    def close(self) -> None:
        """Stop the implementation (if it was started)."""
        if self._impl is not None:
            with contextlib.suppress(Exception):
                self._impl.close()

    def note(self, text: str) -> None:
        """Add a session-wide note to the certificate (once)."""
        if text not in self.notes:
            self.notes.append(text)

    def header(self) -> dict[str, Any]:
        """The raw-results header: suite, target, implementation info or start error."""
        info: dict[str, Any] | None = None
        error: str | None = None
        stderr_tail = ""
        if self._impl is not None:
            i = self._impl.info
            info = {
                "name": i.name,
                "version": i.version,
                "protocol": i.protocol,
                "capabilities": sorted(i.capabilities),
                # The adapter translated the service's own error codes (--error-codes):
                # the certificate says so, since the codes it judged are not the raw ones.
                "error_mapping": i.error_mapping,
                "start_stalls": getattr(self._impl, "start_stalls", 0),
            }
            with contextlib.suppress(Exception):
                stderr_tail = self._impl.stderr_tail
        elif self._open_error is not None:
            error = f"{type(self._open_error).__name__}: {self._open_error}"
            stderr_tail = str(getattr(self._open_error, "stderr_tail", "") or "")
        return {
            "suite_version": SUITE_VERSION,
            "requirements_known": len(requirements.REQUIREMENTS),
            "depth": self.profile.name,
            "target": {"kind": self.target.kind, "spec": self.target.spec},
            "implementation": info,
            "implementation_error": error,
            "stderr_tail": stderr_tail[-STDERR_TAIL_BYTES:],
            "notes": list(self.notes),
        }


__all__ = ["SuiteState", "Target"]
