"""Findings capped per file and code: the first 100 listed, the rest summed up in one
finding of the same code (all listed with ``max_findings_per_file=None``, which the
CLI's ``--verbose`` passes)."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.limits import MAX_FINDINGS_PER_FILE
from conformance.validate import Severity, validate_project

LIMIT = MAX_FINDINGS_PER_FILE


def make_project(root: Path, legacy: int, bad_numbers: int) -> Path:
    """``legacy`` legacy shots (SC307 each) and ``bad_numbers`` shots in a sequence
    file whose number breaks the schema (SC201 each)."""
    (root / "sequences").mkdir(parents=True)
    shots = [{"id": f"l{n}", "sequencePlanId": "009"} for n in range(legacy)]
    project = {"schema_version": "1.0", "project_name": "Cap", "shots": shots}
    (root / "project.json").write_text(json.dumps(project, indent=2))
    seq = {"id": "001", "shots": [{"id": f"s{n}", "number": 0} for n in range(bad_numbers)]}
    (root / "sequences" / "sequence_001.json").write_text(json.dumps(seq, indent=2))
    return root


def test_over_the_cap_one_summary_per_file_and_code(tmp_path: Path) -> None:
    report = validate_project(make_project(tmp_path, LIMIT + 150, LIMIT + 7))
    by_file: dict[str, list[tuple[str, str]]] = {}
    for f in report.findings:
        by_file.setdefault(f.file, []).append((f.code, f.pointer))
    legacy = by_file["project.json"]
    assert legacy[:LIMIT] == [("SC307", f"/shots/{n}") for n in range(LIMIT)]
    assert legacy[LIMIT:] == [("SC307", "")]
    summary = report.findings[len(legacy) - 1]
    assert summary.message.startswith("+150 more legacy-shot findings")
    assert f"/shots/{LIMIT}" in summary.message
    assert summary.severity is Severity.INFO and summary.line is None
    seq = by_file["sequences/sequence_001.json"]
    assert seq[:LIMIT] == [("SC201", f"/shots/{n}/number") for n in range(LIMIT)]
    assert seq[LIMIT:] == [("SC201", "")]
    assert "+7 more schema-violation" in report.findings[-1].message
    assert not report.ok  # the summary of errors is an error
    listed = [f for f in report.findings if f.pointer]
    assert all(f.line is not None for f in listed)


def test_at_the_cap_and_uncapped_everything_is_listed(tmp_path: Path) -> None:
    root = make_project(tmp_path, LIMIT, LIMIT)
    report = validate_project(root)
    assert len(report.findings) == 2 * LIMIT
    assert all(f.pointer and f.line is not None for f in report.findings)
    root = make_project(tmp_path / "more", LIMIT + 150, 3)
    everything = validate_project(root, max_findings_per_file=None)
    assert [f.pointer for f in everything.findings if f.code == "SC307"] == [
        f"/shots/{n}" for n in range(LIMIT + 150)
    ]
    lines = [f.line for f in everything.findings if f.code == "SC307"]
    assert None not in lines
    assert lines == sorted(lines, key=lambda line: line or 0) and len(set(lines)) == len(lines)


def test_each_code_keeps_its_own_quota(tmp_path: Path) -> None:
    """A flood of one code never hides another code in the same file."""
    root = make_project(tmp_path, LIMIT * 3, 0)
    doc = json.loads((root / "project.json").read_text())
    doc["shots"].append({"id": "l0", "sequencePlanId": "009"})  # SC303 at the very end
    (root / "project.json").write_text(json.dumps(doc, indent=2))
    codes = [f.code for f in validate_project(root).findings]
    assert codes.count("SC303") >= 1
    assert codes.count("SC307") == LIMIT + 1
