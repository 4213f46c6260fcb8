"""Which implementation a conformance run certifies.

Shared by the suite's session state (:mod:`conformance.suite.state`) and certification
(:mod:`conformance.certify`); neither owns it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """Which implementation the session certifies: ``--seqcheck-impl`` or ``-adapter``."""

    impl: str | None
    adapter: str | None

    @property
    def kind(self) -> str:
        """``reference``, ``python`` or ``adapter``."""
        if self.adapter is not None:
            return "adapter"
        return "reference" if self.impl == "reference" else "python"

    @property
    def spec(self) -> str:
        """The option value that names the implementation."""
        return self.adapter if self.adapter is not None else str(self.impl)


__all__ = ["Target"]
