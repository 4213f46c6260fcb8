"""Recording what each suite test proved, for the certificate.

The plugin classifies every test into one of the suite's outcomes and, at the end of
the session, writes them as "raw results" (a JSON document, the input of
:mod:`conformance.certify`):

* ``passed``  - every requirement the test is tagged with held;
* ``failed``  - the implementation broke a requirement: the ones named by a
  :class:`~conformance.suite.checks.RequirementFailure`, else all the test's IDs;
* ``error``   - the adapter crashed, hung or answered malformed JSON, or the test could
  not be set up (the implementation failed to start);
* ``not-claimed`` - the requirement belongs to a capability the implementation did not
  declare in ``hello``;
* ``skipped`` - a tool the test needs is unavailable (the reason says which).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Identifies the raw-results format written by the plugin.
RAW_FORMAT = "seqcheck-raw-results/1"

OUTCOMES = ("passed", "failed", "error", "not-claimed", "skipped")
NOT_CLAIMED_PREFIX = "not claimed: "
_REASON_LIMIT = 1500


def clip(text: str, limit: int = _REASON_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (keeping the start, which names the cause)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class TestRecord:
    """The outcome of one suite test."""

    nodeid: str
    requirements: list[str]
    outcome: str = "passed"
    failed_requirements: list[str] = field(default_factory=list)
    #: Requirements this test proved although it failed on others (soft checks).
    proven_requirements: list[str] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    measurements: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON object."""
        return {
            "nodeid": self.nodeid,
            "requirements": list(self.requirements),
            "outcome": self.outcome,
            "failed_requirements": list(self.failed_requirements),
            "proven_requirements": list(self.proven_requirements),
            "reason": self.reason,
            "duration": round(self.duration, 4),
            "measurements": self.measurements,
        }


@dataclass
class Recorder:
    """Collects :class:`TestRecord` objects during a session."""

    records: dict[str, TestRecord] = field(default_factory=dict)

    def record_for(self, nodeid: str, requirements: list[str]) -> TestRecord:
        """The record of ``nodeid`` (created on first use)."""
        if nodeid not in self.records:
            self.records[nodeid] = TestRecord(nodeid, requirements)
        return self.records[nodeid]

    def phase(
        self, nodeid: str, requirements: list[str], when: str, outcome: str, reason: str,
        failed_requirements: list[str], duration: float,
        proven_requirements: list[str] | None = None,
    ) -> None:
        """Fold the outcome of one phase (setup/call/teardown) into the test's record.

        The first bad phase decides; a teardown error after a pass makes the test an
        error (something was left broken).
        """
        rec = self.record_for(nodeid, requirements)
        rec.duration += duration
        if rec.outcome != "passed" or outcome == "passed":
            return
        if when == "teardown" and outcome != "error":
            return
        rec.outcome = outcome
        rec.reason = clip(reason)
        rec.failed_requirements = list(failed_requirements)
        rec.proven_requirements = list(proven_requirements or [])

    def to_document(self, header: dict[str, Any]) -> dict[str, Any]:
        """The raw-results document: ``header`` plus the tests, marked finished."""
        return {
            "format": RAW_FORMAT,
            **header,
            "tests": [r.to_dict() for r in self.records.values()],
            "finished": True,
        }

    def write(self, path: Path, header: dict[str, Any]) -> None:
        """Write the raw-results document to ``path``."""
        path.write_text(
            json.dumps(self.to_document(header), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )


__all__ = ["NOT_CLAIMED_PREFIX", "OUTCOMES", "RAW_FORMAT", "Recorder", "TestRecord", "clip"]
