"""Python implementations used by the protocol tests (loaded as ``file.py:factory``)."""

from __future__ import annotations

from typing import Any

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

FIXED_NOW = "2026-01-02T03:04:05.678Z"


class FixedClockFactory:
    """The reference store with a frozen clock, so two runs give identical documents."""

    name = "fixed-clock-reference"
    version = "9.9"
    capabilities = ("legacy-fallback", "save-shot")

    def __call__(self, project_dir: str) -> ReferenceStore:
        return ReferenceStore(project_dir, clock=lambda: FIXED_NOW)


make = FixedClockFactory()


class Quirky:
    """Every way a Python implementation can fail, one per method."""

    def __init__(self, project_dir: str) -> None:
        self.project_dir = project_dir

    def get_shots(self, sequence_id: str) -> Any:
        print("a stray print from the implementation")  # must not corrupt stdout
        if sequence_id == "boom":
            raise ValueError("kaboom")
        if sequence_id == "spec":
            raise SeqcheckError(
                ErrorCode.SEQUENCE_NOT_FOUND, "no such", file="/x/y.json", pointer="/id"
            )
        if sequence_id == "notjson":
            return [{"id": "s", "when": object()}]
        return [{"id": "s1", "sequencePlanId": sequence_id}]

    def update_legacy_shot(self, shot_id: str, updates: Any) -> Any:
        raise NotImplementedError("no legacy support here")


def bad_capabilities(project_dir: str) -> Quirky:
    return Quirky(project_dir)


bad_capabilities.capabilities = ("teleport",)  # type: ignore[attr-defined]
