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
* ``untested``       - no test of it ran (a filtered run), so it is not proven.

Verdicts: ``certified`` when every MUST requirement that applies (core, or of a
declared capability) passes; ``adapter-broken`` when tests ran but every one of them
errored (the adapter crashed, hung or spoke garbage each time); otherwise
``not-certified``.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from conformance import __version__, requirements
from conformance.requirements import Level
from conformance.suite.coverage import OUT_OF_SCOPE
from conformance.suite.results import RAW_FORMAT

#: Identifies the certificate format (the ``format`` field of the JSON report).
REPORT_FORMAT = "seqcheck-certificate/1"
REDUCED_ASSURANCE = "reduced assurance"

STATUSES = (
    "pass", "fail", "warning", "error", "not-claimed", "not-applicable", "skipped", "untested",
)


@dataclass(frozen=True)
class Finding:
    """A test that failed or errored for a requirement, with its reason."""

    test: str
    outcome: str
    reason: str


@dataclass(frozen=True)
class RequirementResult:
    """The status of one requirement in a certificate."""

    id: str
    level: str
    title: str
    section: str
    capability: str | None
    status: str
    tests: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    note: str = ""
    #: What its tests measured (e.g. the scale ratios), merged.
    measurements: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """True when this status keeps the implementation from being certified."""
        return self.level == Level.MUST.value and self.status in ("fail", "error", "untested")

    def to_dict(self) -> dict[str, Any]:
        """The requirement entry of the JSON report."""
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "section": self.section,
            "capability": self.capability,
            "status": self.status,
            "tests": list(self.tests),
            "findings": [
                {"test": f.test, "outcome": f.outcome, "reason": f.reason} for f in self.findings
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
    verdict: str
    counts: dict[str, int]
    test_counts: dict[str, int]
    duration_seconds: float = 0.0

    @property
    def certified(self) -> bool:
        """True when every applicable MUST requirement passed."""
        return self.verdict == "certified"

    def by_id(self, requirement_id: str) -> RequirementResult:
        """The result for ``requirement_id``."""
        for r in self.requirements:
            if r.id == requirement_id:
                return r
        raise KeyError(requirement_id)

    def ids_with(self, *statuses: str) -> set[str]:
        """IDs of the requirements whose status is one of ``statuses``."""
        return {r.id for r in self.requirements if r.status in statuses}

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (schemas/certification-report.schema.json)."""
        return {
            "format": REPORT_FORMAT,
            "header": self.header,
            "verdict": self.verdict,
            "requirements": [r.to_dict() for r in self.requirements],
            "tests": list(self.tests),
            "footer": {
                "requirements": dict(self.counts),
                "tests": dict(self.test_counts),
                "duration_seconds": round(self.duration_seconds, 3),
                "finished": True,
            },
        }


def _requirement_result(
    req: requirements.Requirement, tests: list[dict[str, Any]], declared: frozenset[str] | None
) -> RequirementResult:
    mine = [t for t in tests if req.id in t["requirements"]]
    names = tuple(t["nodeid"] for t in mine)

    def result(
        status: str, findings: tuple[Finding, ...] = (), note: str = ""
    ) -> RequirementResult:
        measured = {k: v for t in mine for k, v in t.get("measurements", {}).items()}
        return RequirementResult(
            req.id, req.level.value, req.title, req.section,
            req.capability.value if req.capability else None, status, names, findings, note,
            measured,
        )

    undeclared = declared is not None and req.capability is not None and (
        req.capability.value not in declared
    )
    if undeclared and req.capability is not None:
        return result("not-claimed",
            note=f"capability '{req.capability.value}' not declared in hello",
        )
    if not mine and req.id in OUT_OF_SCOPE:
        return result("not-applicable", note=OUT_OF_SCOPE[req.id])
    failing = tuple(
        Finding(t["nodeid"], "failed", t["reason"])
        for t in mine
        if t["outcome"] == "failed" and req.id in t["failed_requirements"]
    )
    errors = tuple(
        Finding(t["nodeid"], "error", t["reason"]) for t in mine if t["outcome"] == "error"
    )
    passed = [
        t for t in mine
        if t["outcome"] == "passed"
        or (t["outcome"] == "failed" and req.id in t.get("proven_requirements", ()))
    ]
    if failing:
        status = "fail" if req.level is Level.MUST else "warning"
        return result(status, findings=failing + errors)
    if errors:
        return result("error", findings=errors)
    if passed:
        return result("pass")
    if mine and all(t["outcome"] == "not-claimed" for t in mine):
        return result("not-claimed", note=mine[0]["reason"])
    skipped = [t["reason"] for t in mine if t["outcome"] == "skipped"]
    if skipped:
        return result("skipped", note=skipped[0])
    note = "its tests stopped at another requirement's failure" if mine else "no test of it ran"
    return result("untested", note=note)


def _verdict(results: list[RequirementResult], tests: list[dict[str, Any]]) -> str:
    ran = [t for t in tests if t["outcome"] in ("passed", "failed", "error")]
    if ran and all(t["outcome"] == "error" for t in ran):
        return "adapter-broken"
    return "not-certified" if any(r.blocking for r in results) else "certified"


def build_report(raw: dict[str, Any], *, duration_seconds: float = 0.0) -> Report:
    """Build the certificate from the plugin's raw results document."""
    if raw.get("format") != RAW_FORMAT:
        raise ValueError(
            f"expected raw results of format {RAW_FORMAT}, found {raw.get('format')!r}"
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
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
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
    )


__all__ = ["REPORT_FORMAT", "STATUSES", "Finding", "Report", "RequirementResult", "build_report"]
