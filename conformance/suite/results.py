"""Recording what each suite test proved, for the certificate.

The plugin classifies every test into one of the suite's outcomes and, at the end of
the session, writes them as "raw results" (a JSON document, the input of
:mod:`conformance.certify`):

* ``passed``  - every requirement the test is tagged with held;
* ``failed``  - the implementation broke a requirement: the ones named by a
  :class:`~conformance.suite.checks.RequirementFailure`, else all the test's IDs;
* ``error``   - the adapter crashed, hung or answered malformed JSON, or the test could
  not be set up (the implementation failed to start);
* ``inconclusive`` - the test's preconditions did not hold (the update it needed
  failed, an operation is UNSUPPORTED, an injected fault never fired): it proved
  nothing either way, and the reason says why;
* ``not-claimed`` - the requirement belongs to a capability the implementation did not
  declare in ``hello``;
* ``skipped`` - a tool the test needs is unavailable (the reason says which).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.text_enum import TextEnum

#: Identifies the raw-results format written by the plugin.
RAW_FORMAT = "seqcheck-raw-results/1"



class Outcome(TextEnum):
    """What one suite test showed (see the module docstring)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    INCONCLUSIVE = "inconclusive"
    NOT_CLAIMED = "not-claimed"
    SKIPPED = "skipped"



OUTCOMES = tuple(o.value for o in Outcome)
#: Outcome kinds a reproduction is kept for (a pass needs none).
_REPRODUCED = frozenset({Outcome.FAILED, Outcome.ERROR})
NOT_CLAIMED_PREFIX = "not claimed: "
_REASON_LIMIT = 1500


def clip(text: str, limit: int = _REASON_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (keeping the start, which names the cause)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class FailureNote:
    """One failed check: the requirement it belongs to and what was found."""

    requirement: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The failure as a JSON object."""
        return {"requirement": self.requirement, "message": clip(self.message, 4000)}


@dataclass
class TestRecord:
    """The outcome of one suite test."""

    nodeid: str
    requirements: list[str]
    outcome: Outcome = Outcome.PASSED
    failed_requirements: list[str] = field(default_factory=list)
    #: Requirements this test proved although it failed on others (soft checks).
    proven_requirements: list[str] = field(default_factory=list)
    reason: str = ""
    #: Each failed check with the requirement it belongs to (a row shows only its own).
    failures: list[FailureNote] = field(default_factory=list)
    duration: float = 0.0
    measurements: dict[str, Any] = field(default_factory=dict)
    #: The files the test set up and the calls it made (kept for failed tests only).
    reproduction: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON object."""
        out: dict[str, Any] = {
            "nodeid": self.nodeid,
            "requirements": list(self.requirements),
            "outcome": self.outcome.value,
            "failed_requirements": list(self.failed_requirements),
            "proven_requirements": list(self.proven_requirements),
            "reason": self.reason,
            "failures": [f.to_dict() for f in self.failures],
            "duration": round(self.duration, 4),
            "measurements": self.measurements,
        }
        if self.reproduction is not None and self.outcome in _REPRODUCED:
            out["reproduction"] = self.reproduction
        return out


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
        self, nodeid: str, requirements: list[str], when: str, outcome: Outcome, reason: str,
        failed_requirements: list[str], duration: float,
        proven_requirements: list[str] | None = None,
        failures: list[FailureNote] | None = None,
    ) -> None:
        """Fold the outcome of one phase (setup/call/teardown) into the test's record.

        The first bad phase decides; a teardown error after a pass makes the test an
        error (something was left broken).
        """
        rec = self.record_for(nodeid, requirements)
        rec.duration += duration
        if rec.outcome is not Outcome.PASSED or outcome is Outcome.PASSED:
            return
        if when == "teardown" and outcome is not Outcome.ERROR:
            return
        rec.outcome = outcome
        rec.reason = clip(reason)
        rec.failed_requirements = list(failed_requirements)
        rec.proven_requirements = list(proven_requirements or [])
        rec.failures = list(failures or [])

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


__all__ = [
    "NOT_CLAIMED_PREFIX",
    "OUTCOMES",
    "RAW_FORMAT",
    "FailureNote",
    "Outcome",
    "Recorder",
    "TestRecord",
    "clip",
]
