"""The pytest plugin: inert without options, strict about tags, gates capabilities,
classifies adapter faults as errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.certify import build_report
from conformance.suite import CASES_DIR

ROOT = Path(__file__).resolve().parents[2]
FAULTY = ROOT / "tests" / "suite" / "broken" / "faulty.py"
GARBAGE = ROOT / "tests" / "suite" / "broken" / "garbage_adapter.py"
CORE_ONLY = ROOT / "tests" / "suite" / "broken" / "stores.py"

pytest_plugins = ["pytester"]

Run = Callable[..., pytest.RunResult]


@pytest.fixture
def run(pytester: pytest.Pytester) -> Run:
    """``run(*args)``: pytest with the plugin, in process, in ``pytester``'s folder."""

    def _run(*args: str) -> pytest.RunResult:
        return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)

    return _run


def _text(lines: list[str]) -> str:
    return "\n".join(lines)


def test_plugin_is_inert_without_options(pytester: pytest.Pytester, run: Run) -> None:
    pytester.makepyfile(test_plain="def test_ok():\n    assert True\n")
    plain = run("-q", str(pytester.path))
    assert plain.ret == 0, _text(plain.outlines)
    assert "seqcheck requirements" not in _text(plain.outlines)
    suite = run("-q", "--collect-only", str(CASES_DIR))
    # the cases are never collected
    assert "no tests collected" in _text(suite.outlines), _text(suite.outlines)


def test_unknown_requirement_id_is_a_collection_error(
    pytester: pytest.Pytester, run: Run
) -> None:
    pytester.makepyfile(
        test_bad_tag="import pytest\n\n@pytest.mark.requirement('SEQ-NOPE-1')\n"
        "def test_x():\n    pass\n"
    )
    result = run("-q", "--seqcheck-impl", "reference", str(pytester.path))
    assert result.ret == 4, _text(result.outlines + result.errlines)
    assert "unknown requirement id(s) SEQ-NOPE-1" in _text(result.errlines)


def test_options_without_an_implementation_are_a_usage_error(run: Run) -> None:
    result = run("-q", "--seqcheck-depth", "full")
    assert result.ret == 4
    assert "need an implementation" in _text(result.errlines)


def test_capabilities_not_declared_are_not_claimed(tmp_path: Path, run: Run) -> None:
    out = tmp_path / "raw.json"
    result = run("-q", "--seqcheck-impl", f"{CORE_ONLY}:CoreOnly", "--seqcheck-results",
                 str(out), "-k", "fallback or concurrency")
    assert result.ret == 0, _text(result.outlines)[-3000:]
    raw = json.loads(out.read_text())
    assert raw["implementation"]["capabilities"] == []
    assert {t["outcome"] for t in raw["tests"]} == {"not-claimed"}
    report = build_report(raw)
    for rid in ("SEQ-LEGACY-1", "SEQ-SAVE-3", "SEQ-LOCK-1", "SEQ-LOCK-2"):
        assert report.by_id(rid).status == "not-claimed"
    assert report.by_id("SEQ-UPDATE-1").status == "not-tested"  # a filtered run proves nothing
    assert report.verdict == "not-certified"


def test_adapter_crash_is_an_error_with_its_stderr(tmp_path: Path, run: Run) -> None:
    out = tmp_path / "raw.json"
    command = f"{sys.executable} -m conformance.adapters.python --factory {FAULTY}:CrashOnGetAll"
    result = run("-q", "--seqcheck-adapter", command, "--seqcheck-results", str(out),
                 "-k", "get_all_sorted or get_shots_returns_file_order")
    raw = json.loads(out.read_text())
    outcomes = {t["nodeid"].split("::")[-1]: t for t in raw["tests"]}
    crashed = outcomes["test_get_all_sorted_by_order_then_id"]
    assert crashed["outcome"] == "error", _text(result.outlines)[-2000:]
    assert "adapter crash" in crashed["reason"]
    assert "simulated crash in get_all_sequences" in crashed["reason"]
    # The adapter is restarted for the next test, which passes.
    assert outcomes["test_get_shots_returns_file_order_as_stored"]["outcome"] == "passed"
    assert build_report(raw).by_id("SEQ-ALL-1").status == "error"


@pytest.mark.parametrize(("flag", "kind"), [("", "malformed"), ("--wrong-id", "wrong-id")])
def test_garbage_answers_are_errors_and_adapter_broken(tmp_path: Path, run: Run, flag: str,
                                                       kind: str) -> None:
    out = tmp_path / "raw.json"
    command = f"{sys.executable} {GARBAGE} {flag}".strip()
    run("-q", "--seqcheck-adapter", command, "--seqcheck-results", str(out),
        "-k", "test_sequences")
    raw = json.loads(out.read_text())
    assert raw["tests"] and {t["outcome"] for t in raw["tests"]} == {"error"}
    assert all(f"adapter {kind}" in t["reason"] for t in raw["tests"]), raw["tests"][0]["reason"]
    assert build_report(raw).verdict == "adapter-broken"


def _without_strace(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    # A subprocess: strace_status() is cached for the life of a process.
    monkeypatch.setenv("PATH", str(pytester.path / "no-tools-here"))  # strace cannot be found
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=600)


def test_without_strace_crash_checks_fall_back_with_reduced_assurance(
    tmp_path: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "raw.json"
    _without_strace(pytester, monkeypatch, "-q", "--seqcheck-impl", "reference",
                    "--seqcheck-results", str(out), "-k", "test_crash")
    raw = json.loads(out.read_text())
    report = build_report(raw)
    assert report.header["assurance"] == "reduced"
    assert any(n.startswith("reduced assurance: strace/ptrace unavailable") for n in raw["notes"])
    kills = next(t for t in raw["tests"] if t["nodeid"].endswith("test_kill_at_every_point"))
    assert kills["outcome"] == "passed" and kills["measurements"]["method"] == "random"
    assert report.by_id("SEQ-ATOMIC-1").status == "pass"
    assert report.by_id("SEQ-ATOMIC-2").status == "pass"  # inode check instead of a trace
    assert report.by_id("SEQ-ATOMIC-3").status == "skipped"  # fault injection needs strace


def test_without_strace_an_in_place_writer_still_fails_the_write_protocol(
    tmp_path: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "raw.json"
    _without_strace(pytester, monkeypatch, "-q", "--seqcheck-impl", f"{CORE_ONLY}:InPlaceWrite",
                    "--seqcheck-results", str(out), "-k", "test_write_protocol_trace")
    (test,) = json.loads(out.read_text())["tests"]
    assert test["outcome"] == "failed"
    assert "kept its inode" in test["reason"]
