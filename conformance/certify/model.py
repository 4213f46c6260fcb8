"""The certificate: per-requirement statuses derived from the suite's raw results.

Statuses:

* ``pass``           - at least one test proved it and none failed or errored;
* ``fail``           - a MUST requirement broken by some test;
* ``warning``        - a SHOULD requirement broken (never fails certification);
* ``error``          - a test of it could not run (adapter crash, hang, malformed reply);
* ``not-claimed``    - it belongs to a capability the implementation did not declare;
* ``not-applicable`` - the suite cannot prove it through the API (the reason says why);
* ``skipped``        - its tests need a tool this machine lacks (e.g. strace); the
  certificate's assurance is then "reduced";
* ``not-tested``     - no test of it ran to a judgement: every one was inconclusive (its
  preconditions did not hold, e.g. the update it needed failed or an injected fault
  never fired), stopped at another requirement's failure, or was filtered out. Not
  proven, so a MUST requirement not tested blocks certification like a failure.

Verdicts: ``certified`` when every MUST requirement that applies (core, or of a
declared capability) passes; ``adapter-broken`` when tests ran but every one of them
errored (the adapter crashed, hung or spoke garbage each time); otherwise
``not-certified``.

Evidence is per requirement: a row shows only the failed checks that belong to its
own requirement (a test tagged with several IDs records each check under its ID).
"What to fix first" (:attr:`Report.fix_first`) lists the failed requirements ranked
by :class:`~conformance.requirements.Consequence`, each with the spec's text and the
minimal reproduction of its first failing test.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from typing import Any

from conformance import __version__, requirements
from conformance.requirements import Consequence, Level
from conformance.spec_prose import rule_paragraph
from conformance.suite.coverage import OUT_OF_SCOPE
from conformance.suite.results import RAW_FORMAT, Outcome
from conformance.text_enum import TextEnum

#: Identifies the certificate format (the ``format`` field of the JSON report).
REPORT_FORMAT = "seqcheck-certificate/1"
REDUCED_ASSURANCE = "reduced assurance"


class Status(TextEnum):
    """The status of one requirement in a certificate (see the module docstring)."""

    PASS = "pass"
    FAIL = "fail"
    WARNING = "warning"
    ERROR = "error"
    NOT_TESTED = "not-tested"
    NOT_CLAIMED = "not-claimed"
    NOT_APPLICABLE = "not-applicable"
    SKIPPED = "skipped"



class Verdict(TextEnum):
    """The certificate's verdict."""

    CERTIFIED = "certified"
    NOT_CERTIFIED = "not-certified"
    ADAPTER_BROKEN = "adapter-broken"
    #: The run passed its whole-run deadline: what did not run is unproven.
    TIMED_OUT = "timed-out"



STATUSES = tuple(s.value for s in Status)
_BLOCKING = frozenset({Status.FAIL, Status.ERROR, Status.NOT_TESTED})


@dataclass(frozen=True)
class Finding:
    """A test that failed, errored or was inconclusive for a requirement, with the
    reason that belongs to that requirement."""

    test: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True)
class FixItem:
    """One entry of "What to fix first": a failed requirement, why it matters, the
    rule, what was found and how to reproduce it."""

    id: str
    level: str
    consequence: Consequence
    title: str
    spec: str
    finding: str
    test: str
    #: ``{"files": {...}, "calls": [...]}`` of the first failing test (None when the
    #: test ran out of process, e.g. a crash test: its ``test`` field names it).
    reproduction: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON object."""
        return {
            "id": self.id,
            "level": self.level,
            "consequence": self.consequence.label,
            "rank": self.consequence.value,
            "title": self.title,
            "spec": self.spec,
            "finding": self.finding,
            "test": self.test,
            "reproduction": self.reproduction,
        }


@dataclass(frozen=True)
class RequirementResult:
    """The status of one requirement in a certificate."""

    id: str
    level: str
    title: str
    section: str
    capability: str | None
    status: Status
    tests: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    note: str = ""
    #: What its tests measured (e.g. the scale ratios), merged.
    measurements: dict[str, Any] = field(default_factory=dict)
    consequence: Consequence = Consequence.CONVENTIONS

    @property
    def blocking(self) -> bool:
        """True when this status keeps the implementation from being certified."""
        return self.level == Level.MUST.value and self.status in _BLOCKING

    def to_dict(self) -> dict[str, Any]:
        """The requirement entry of the JSON report."""
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "section": self.section,
            "capability": self.capability,
            "status": self.status.value,
            "consequence": self.consequence.label,
            "tests": list(self.tests),
            "findings": [
                {"test": f.test, "outcome": f.outcome.value, "reason": f.reason}
                for f in self.findings
            ],
            "note": self.note,
            "measurements": self.measurements,
        }


@dataclass(frozen=True)
class Report:
    """A certificate: header, per-requirement results, per-test outcomes, footer."""

    header: dict[str, Any]
    requirements: tuple[RequirementResult, ...]
    tests: tuple[dict[str, Any], ...]
    verdict: Verdict
    counts: dict[str, int]
    test_counts: dict[str, int]
    duration_seconds: float = 0.0
    fix_first: tuple[FixItem, ...] = ()

    @property
    def certified(self) -> bool:
        """True when every applicable MUST requirement passed."""
        return self.verdict is Verdict.CERTIFIED

    def by_id(self, requirement_id: str) -> RequirementResult:
        """The result for ``requirement_id``."""
        for r in self.requirements:
            if r.id == requirement_id:
                return r
        raise KeyError(requirement_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (schemas/certification-report.schema.json)."""
        return {
            "format": REPORT_FORMAT,
            "header": self.header,
            "verdict": self.verdict.value,
            "fix_first": [f.to_dict() for f in self.fix_first],
            "requirements": [r.to_dict() for r in self.requirements],
            "tests": list(self.tests),
            "footer": {
                "requirements": dict(self.counts),
                "tests": dict(self.test_counts),
                "duration_seconds": round(self.duration_seconds, 3),
                "finished": True,
            },
        }


def _own_reason(test: dict[str, Any], requirement_id: str) -> str:
    """The part of a failed test's reason that belongs to ``requirement_id``."""
    notes = [f["message"] for f in test.get("failures", ()) if f["requirement"] == requirement_id]
    return "\n".join(notes) if notes else str(test["reason"])


def _requirement_result(
    req: requirements.Requirement, tests: list[dict[str, Any]], declared: frozenset[str] | None
) -> RequirementResult:
    mine = [t for t in tests if req.id in t["requirements"]]
    names = tuple(t["nodeid"] for t in mine)

    def result(
        status: Status, findings: tuple[Finding, ...] = (), note: str = ""
    ) -> RequirementResult:
        measured = {k: v for t in mine for k, v in t.get("measurements", {}).items()}
        return RequirementResult(
            req.id, req.level.value, req.title, req.section,
            req.capability.value if req.capability else None, status, names, findings, note,
            measured, req.consequence,
        )

    undeclared = declared is not None and req.capability is not None and (
        req.capability.value not in declared
    )
    if undeclared and req.capability is not None:
        return result(Status.NOT_CLAIMED,
            note=f"capability '{req.capability.value}' not declared in hello",
        )
    if not mine and req.id in OUT_OF_SCOPE:
        return result(Status.NOT_APPLICABLE, note=OUT_OF_SCOPE[req.id])
    failing = tuple(
        Finding(t["nodeid"], Outcome.FAILED, _own_reason(t, req.id))
        for t in mine
        if t["outcome"] == Outcome.FAILED and req.id in t["failed_requirements"]
    )
    errors = tuple(
        Finding(t["nodeid"], Outcome.ERROR, t["reason"])
        for t in mine if t["outcome"] == Outcome.ERROR
    )
    passed = [
        t for t in mine
        if t["outcome"] == Outcome.PASSED
        or (t["outcome"] == Outcome.FAILED and req.id in t.get("proven_requirements", ()))
    ]
    if failing:
        status = Status.FAIL if req.level is Level.MUST else Status.WARNING
        return result(status, findings=failing + errors)
    if errors:
        return result(Status.ERROR, findings=errors)
    if passed:
        return result(Status.PASS)
    if mine and all(t["outcome"] == Outcome.NOT_CLAIMED for t in mine):
        return result(Status.NOT_CLAIMED, note=mine[0]["reason"])
    skipped = [t["reason"] for t in mine if t["outcome"] == Outcome.SKIPPED]
    inconclusive = tuple(
        Finding(t["nodeid"], Outcome.INCONCLUSIVE, t["reason"])
        for t in mine if t["outcome"] == Outcome.INCONCLUSIVE
    )
    if skipped and not inconclusive:
        return result(Status.SKIPPED, note=skipped[0])
    if inconclusive:
        return result(Status.NOT_TESTED, findings=inconclusive,
                      note="every test of it was inconclusive: " + inconclusive[0].reason)
    note = "its tests stopped at another requirement's failure" if mine else "no test of it ran"
    return result(Status.NOT_TESTED, note=note)


def _verdict(results: list[RequirementResult], tests: list[dict[str, Any]]) -> Verdict:
    ran = [t for t in tests if t["outcome"] in (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR)]
    if ran and all(t["outcome"] == Outcome.ERROR for t in ran):
        return Verdict.ADAPTER_BROKEN
    return Verdict.NOT_CERTIFIED if any(r.blocking for r in results) else Verdict.CERTIFIED


def _fix_first(
    results: list[RequirementResult], tests: list[dict[str, Any]]
) -> tuple[FixItem, ...]:
    by_id = {t["nodeid"]: t for t in tests}
    items: list[tuple[int, int, int, FixItem]] = []
    for order, r in enumerate(results):
        if r.status not in (Status.FAIL, Status.WARNING):
            continue
        failed = [f for f in r.findings if f.outcome is Outcome.FAILED]
        if not failed:
            continue
        # The first failing test that kept a reproduction, else the first failing one.
        chosen = next(
            (f for f in failed if by_id.get(f.test, {}).get("reproduction")), failed[0]
        )
        item = FixItem(
            r.id, r.level, r.consequence, r.title, rule_paragraph(r.id), chosen.reason,
            chosen.test, by_id.get(chosen.test, {}).get("reproduction"),
        )
        level_rank = 0 if r.level == Level.MUST.value else 1
        items.append((level_rank, r.consequence.value, order, item))
    return tuple(item for *_, item in sorted(items, key=lambda x: x[:3]))


def build_report(raw: dict[str, Any], *, duration_seconds: float = 0.0) -> Report:
    """Build the certificate from the plugin's raw results document."""
    if raw.get("format") != RAW_FORMAT:
        raise ValueError(
            f"expected raw results of format {RAW_FORMAT}, found {json.dumps(raw.get('format'))}"
        )
    tests: list[dict[str, Any]] = list(raw["tests"])
    info = raw.get("implementation")
    declared = frozenset(info["capabilities"]) if info else None
    results = [
        _requirement_result(r, tests, declared) for r in requirements.REQUIREMENTS if not r.retired
    ]
    notes = list(raw.get("notes", []))
    header = {
        "tool": {"name": "seqcheck", "version": __version__},
        "suite": {"version": raw["suite_version"], "depth": raw["depth"]},
        "protocol": info["protocol"] if info else 1,
        "target": raw["target"],
        "implementation": info,
        "implementation_error": raw.get("implementation_error"),
        "stderr_tail": raw.get("stderr_tail", ""),
        "assurance": "reduced" if any(n.startswith(REDUCED_ASSURANCE) for n in notes)
        or any(t["outcome"] == "skipped" for t in tests) else "full",
        "notes": notes,
        "platform": {"system": platform.system(), "python": platform.python_version()},
    }
    counts = {s.value: sum(1 for r in results if r.status is s) for s in Status}
    test_counts: dict[str, int] = {}
    for t in tests:
        test_counts[t["outcome"]] = test_counts.get(t["outcome"], 0) + 1
    return Report(
        header=header,
        requirements=tuple(results),
        tests=tuple(tests),
        verdict=_verdict(results, tests),
        counts=counts,
        test_counts=test_counts,
        duration_seconds=duration_seconds,
        fix_first=_fix_first(results, tests),
    )


__all__ = [
    "REPORT_FORMAT",
    "STATUSES",
    "Finding",
    "FixItem",
    "Report",
    "RequirementResult",
    "Status",
    "Verdict",
    "build_report",
]
