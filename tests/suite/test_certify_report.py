"""The certificate model and its renderings, from hand-made raw results."""

from __future__ import annotations

import copy
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance import schema_registry
from conformance.certify import SuiteRunError, build_report
from conformance.certify.render_junit import render_junit
from conformance.certify.render_markdown import render_markdown
from conformance.certify.render_text import render_table
from conformance.certify.runner import _read_results
from conformance.requirements import REQUIREMENTS
from conformance.suite.results import RAW_FORMAT


def _raw(tests: list[dict[str, Any]], *, capabilities: list[str] | None = None,
         notes: list[str] | None = None) -> dict[str, Any]:
    return {
        "format": RAW_FORMAT, "suite_version": "1.0.0", "requirements_known": 45,
        "depth": "quick", "target": {"kind": "adapter", "spec": "node adapter.mjs"},
        "implementation": {"name": "demo", "version": "2.0", "protocol": 1,
                           "capabilities": capabilities if capabilities is not None
                           else ["legacy-fallback", "save-shot", "concurrent-writers"]},
        "implementation_error": None, "stderr_tail": "", "notes": notes or [],
        "tests": tests, "finished": True,
    }


def _test(rids: list[str], outcome: str = "passed", failed: list[str] | None = None,
          reason: str = "") -> dict[str, Any]:
    return {"nodeid": f"cases/test_x.py::test_{'_'.join(rids)}_{outcome}", "requirements": rids,
            "outcome": outcome, "failed_requirements": failed or [], "reason": reason,
            "duration": 0.1, "measurements": {}}


def _all_pass() -> list[dict[str, Any]]:
    return [_test([r.id]) for r in REQUIREMENTS if r.id != "SEQ-ID-2"]


def test_all_passing_is_certified_and_schema_valid() -> None:
    report = build_report(_raw(_all_pass()))
    assert report.verdict == "certified"
    assert report.by_id("SEQ-ID-2").status == "not-applicable"
    doc = report.to_dict()
    assert schema_registry.is_valid("certification-report", doc)
    assert doc["footer"]["finished"] is True
    assert doc["header"]["implementation"]["name"] == "demo"


def test_must_failure_fails_should_failure_warns() -> None:
    tests = _all_pass()
    tests.append(_test(["SEQ-ATOMIC-2"], "failed", ["SEQ-ATOMIC-2"], "target opened with O_TRUNC"))
    tests.append(_test(["SEQ-SCALE-1"], "failed", ["SEQ-SCALE-1"], "ratio 40x"))
    report = build_report(_raw(tests))
    assert report.by_id("SEQ-ATOMIC-2").status == "fail"
    assert report.by_id("SEQ-SCALE-1").status == "warning"
    assert report.verdict == "not-certified"
    assert "SEQ-ATOMIC-2" in render_table(report)
    only_should = build_report(_raw([*_all_pass(), tests[-1]]))
    assert only_should.verdict == "certified"
    assert "1 SHOULD warning" in render_table(only_should)


def test_attributed_failure_fails_only_its_requirement() -> None:
    tests = _all_pass()
    tests.append(_test(["SEQ-UPDATE-1", "SEQ-GET-2"], "failed", ["SEQ-GET-2"], "returned []"))
    report = build_report(_raw(tests))
    assert report.by_id("SEQ-GET-2").status == "fail"
    assert report.by_id("SEQ-UPDATE-1").status == "pass"
    assert report.by_id("SEQ-GET-2").findings[0].reason == "returned []"


def test_capability_not_declared_is_not_claimed_even_if_tests_ran() -> None:
    tests = _all_pass()
    report = build_report(_raw(tests, capabilities=["save-shot"]))
    assert report.by_id("SEQ-LEGACY-1").status == "not-claimed"
    assert report.by_id("SEQ-LOCK-1").status == "not-claimed"
    assert report.by_id("SEQ-SAVE-1").status == "pass"
    assert report.verdict == "certified"


def test_errors_everywhere_is_adapter_broken() -> None:
    tests = [_test([r.id], "error", [r.id], "adapter crash: exit 1") for r in REQUIREMENTS]
    report = build_report(_raw(tests))
    assert report.verdict == "adapter-broken"
    assert "ADAPTER BROKEN" in render_table(report)
    mixed = build_report(_raw([*tests[:-1], _test([REQUIREMENTS[-1].id])]))
    assert mixed.verdict == "not-certified"


def test_untested_and_skipped() -> None:
    tests = [t for t in _all_pass() if t["requirements"] != ["SEQ-ENC-1"]]
    assert build_report(_raw(tests)).by_id("SEQ-ENC-1").status == "not-tested"
    assert build_report(_raw(tests)).verdict == "not-certified"
    skipped = [*tests, _test(["SEQ-ENC-1"], "skipped", reason="needs strace")]
    report = build_report(_raw(skipped))
    assert report.by_id("SEQ-ENC-1").status == "skipped"
    assert report.header["assurance"] == "reduced"
    assert report.verdict == "certified"


def test_reduced_assurance_note() -> None:
    report = build_report(_raw(_all_pass(), notes=["reduced assurance: no ptrace"]))
    assert report.header["assurance"] == "reduced"
    assert "assurance: reduced" in render_table(report)
    assert "reduced assurance: no ptrace" in render_markdown(report)


def test_junit_and_markdown() -> None:
    tests = _all_pass()
    tests.append(_test(["SEQ-GET-2"], "failed", ["SEQ-GET-2"], "returned [] | not an error"))
    report = build_report(_raw(tests, capabilities=[]))
    root = ET.fromstring(render_junit(report))
    assert root.get("tests") == str(len(REQUIREMENTS))
    assert root.get("failures") == "1"
    failure = root.find("testcase/failure")
    assert failure is not None and "returned []" in (failure.get("message") or "")
    assert int(root.get("skipped") or 0) >= 8  # capabilities not claimed, SEQ-ID-2
    md = render_markdown(report)
    assert md.startswith("## seqcheck certification: not certified")
    assert "| SEQ-GET-2 | MUST | ❌ fail |" in md
    assert "returned [] \\| not an error" in md  # pipes escaped inside table cells


def test_schema_rejects_a_truncated_report() -> None:
    doc = build_report(_raw(_all_pass())).to_dict()
    truncated = copy.deepcopy(doc)
    del truncated["footer"]
    assert not schema_registry.is_valid("certification-report", truncated)
    truncated = copy.deepcopy(doc)
    truncated["footer"]["finished"] = False
    assert not schema_registry.is_valid("certification-report", truncated)


def test_runner_refuses_truncated_or_missing_results(tmp_path: Path) -> None:
    with pytest.raises(SuiteRunError, match="did not run"):
        _read_results(tmp_path / "none.json", 4, "usage error")
    path = tmp_path / "raw.json"
    raw = _raw(_all_pass())
    del raw["finished"]
    path.write_text(json.dumps(raw))
    with pytest.raises(SuiteRunError, match="truncated"):
        _read_results(path, 1, "")
    path.write_text(json.dumps({**raw, "finished": True, "tests": []}))
    with pytest.raises(SuiteRunError, match="selected no tests"):
        _read_results(path, 5, "")


def test_unknown_raw_format_is_refused() -> None:
    with pytest.raises(ValueError, match="raw results"):
        build_report({"format": "something-else"})


def test_soft_failures_still_prove_the_tests_own_requirement() -> None:
    tests = [t for t in _all_pass() if t["requirements"] not in (["SEQ-ID-1"], ["SEQ-GET-2"])]
    done = _test(["SEQ-ID-1", "SEQ-GET-2"], "failed", ["SEQ-GET-2"], "returned []")
    stopped = {**done, "nodeid": "cases/test_x.py::test_stopped"}
    report = build_report(_raw([*tests, {**done, "proven_requirements": ["SEQ-ID-1"]}]))
    assert report.by_id("SEQ-ID-1").status == "pass"
    assert report.by_id("SEQ-GET-2").status == "fail"
    assert schema_registry.is_valid("certification-report", report.to_dict())
    # A test stopped by a hard failure proves nothing else.
    assert build_report(_raw([*tests, stopped])).by_id("SEQ-ID-1").status == "not-tested"


def _failed_with(rids: list[str], failures: list[tuple[str, str]],
                 reproduction: dict[str, Any] | None = None) -> dict[str, Any]:
    t = _test(rids, "failed", sorted({r for r, _ in failures}),
              "\n".join(f"[{r}] {m}" for r, m in failures))
    t["failures"] = [{"requirement": r, "message": m} for r, m in failures]
    if reproduction is not None:
        t["reproduction"] = reproduction
    return t


def test_all_inconclusive_is_not_tested_and_blocks() -> None:
    tests = [t for t in _all_pass() if t["requirements"] != ["SEQ-ATOMIC-3"]]
    tests.append({**_test(["SEQ-ATOMIC-3"], "inconclusive",
                          reason="precondition not met: ENOSPC never fired"),
                  "nodeid": "cases/test_crash.py::test_injected_write_failure[write-ENOSPC]"})
    report = build_report(_raw(tests))
    row = report.by_id("SEQ-ATOMIC-3")
    assert row.status == "not-tested" and row.blocking
    assert "ENOSPC never fired" in row.findings[0].reason and "never fired" in row.note
    assert report.verdict == "not-certified"
    assert "1 MUST requirement(s) not tested: SEQ-ATOMIC-3" in render_table(report)
    assert schema_registry.is_valid("certification-report", report.to_dict())


def test_a_row_shows_only_its_own_evidence() -> None:
    tests = [t for t in _all_pass() if t["requirements"] not in (["SEQ-ID-6"], ["SEQ-GET-2"])]
    tests.append(_failed_with(["SEQ-ID-6", "SEQ-GET-2"], [
        ("SEQ-GET-2", 'get_shots("1") returned [] instead of SEQUENCE_NOT_FOUND'),
        ("SEQ-ID-6", 'update_shot("001", "shot-a") updated "Shot-A"'),
    ]))
    report = build_report(_raw(tests))
    own = report.by_id("SEQ-ID-6").findings[0].reason
    assert own == 'update_shot("001", "shot-a") updated "Shot-A"'
    assert "get_shots" in report.by_id("SEQ-GET-2").findings[0].reason
    assert "Shot-A" not in report.by_id("SEQ-GET-2").findings[0].reason


def test_fix_first_ranks_by_consequence_with_rule_and_reproduction() -> None:
    repro = {"files": {"<project>": {"sequences/sequence_001.json": "{}\n"}},
             "calls": [{"op": "get_shots", "project": "<project>", "sequence_id": "404",
                        "result": []}]}
    tests = [t for t in _all_pass()
             if t["requirements"] not in (["SEQ-ENC-1"], ["SEQ-GET-2"], ["SEQ-ERR-2"])]
    tests.append(_failed_with(["SEQ-ENC-1"], [("SEQ-ENC-1", "no trailing newline")]))
    tests.append(_failed_with(["SEQ-ERR-2"], [("SEQ-ERR-2", "no spec code")]))
    tests.append(_failed_with(["SEQ-GET-2"], [("SEQ-GET-2", "returned []")], repro))
    report = build_report(_raw(tests))
    assert [i.id for i in report.fix_first] == ["SEQ-GET-2", "SEQ-ERR-2", "SEQ-ENC-1"]
    first = report.fix_first[0]
    assert first.consequence.label == "data loss or corruption"
    assert "never `[]`" in first.spec and first.reproduction == repro
    doc = report.to_dict()
    assert schema_registry.is_valid("certification-report", doc)
    assert doc["fix_first"][0]["rank"] == 1 and doc["fix_first"][2]["consequence"] == "conventions"
    text = render_table(report, width=None)
    assert text.index("What to fix first") < text.index("REQUIREMENT")
    assert '"sequence_id": "404"' in text  # the reproduction, as JSON
    md = render_markdown(report)
    assert "### What to fix first" in md and '"op": "get_shots"' in md


def test_titles_are_cut_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    report = build_report(_raw(_all_pass()))
    long_title = next(r.title for r in report.requirements if len(r.title) > 72)
    assert long_title in render_table(report)  # not a terminal: never cut
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    size = os.terminal_size((80, 24))
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=(0, 0): size)
    lines = render_table(report).splitlines()
    assert long_title not in "\n".join(lines)
    assert all(len(line) <= 80 for line in lines if line.startswith("SEQ-"))
    assert long_title in render_table(report, width=None)
