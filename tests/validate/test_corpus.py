"""Every corpus project yields exactly its expected findings (code, file, pointer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.validate import Severity, validate_project
from conformance.validate.codes import CODES

CORPUS = Path(__file__).parent / "corpus"


def corpus_cases() -> list[str]:
    """Names of the corpus projects (each folder has an expected.json)."""
    return sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def expected(case: str) -> dict[str, Any]:
    """The case's expected.json: ``{"note": ..., "findings": [[code, file, pointer]]}``."""
    data: dict[str, Any] = json.loads((CORPUS / case / "expected.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize("case", corpus_cases())
def test_corpus_findings_exact(case: str) -> None:
    report = validate_project(CORPUS / case)
    got = sorted((f.code, f.file, f.pointer) for f in report.findings)
    assert got == sorted(tuple(x) for x in expected(case)["findings"])
    for f in report.findings:
        assert f.severity is CODES[f.code].severity
        assert f.project == CORPUS / case
        assert f.message and f.hint and f.rule


def test_clean_project_has_no_findings() -> None:
    report = validate_project(CORPUS / "clean")
    assert report.findings == []
    assert report.ok
    assert report.files_checked == 3
    assert report.counts == {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}


#: Codes whose cause cannot be committed to git (a FIFO, a file over the size limit,
#: a 16 MiB string), each with the test that builds it.
NOT_IN_GIT = {
    "SC110": "tests/security/test_special_files.py (a FIFO or device cannot be committed)",
    "SC111": "tests/security/test_special_files.py (a file over the size limit)",
    "SC116": "tests/validate/test_limits.py (a 16 MiB string)",
}


def test_every_code_has_a_corpus_project() -> None:
    covered = {f[0] for case in corpus_cases() for f in expected(case)["findings"]}
    assert covered | set(NOT_IN_GIT) == set(CODES)
    assert not covered & set(NOT_IN_GIT)
    root = Path(__file__).parents[2]
    for where in NOT_IN_GIT.values():
        test_file = root / where.split(" ")[0]
        assert test_file.is_file(), where


def test_positions_point_at_the_value() -> None:
    """Line/column name where the offending member starts (its key), 1-based."""
    report = validate_project(CORPUS / "sc105_duplicate_key")
    (dup,) = report.findings
    assert (dup.line, dup.column) == (4, 33)  # the second "type" key
    report = validate_project(CORPUS / "sc310_out_point_before_in_point")
    (f,) = report.findings
    assert f.line is not None and f.column is not None
    text = (CORPUS / "sc310_out_point_before_in_point/sequences/sequence_001.json").read_text()
    line = text.splitlines()[f.line - 1]
    assert line[f.column - 1 :].startswith('"outPoint": 3')


def test_syntax_error_has_line_and_column() -> None:
    (f,) = validate_project(CORPUS / "sc104_json_syntax").findings
    assert (f.line, f.column) == (5, 3)
    assert "line 5 column 3" in f.message


def test_folded_schema_errors_at_one_location() -> None:
    """Two violations at /shots/1/id (minLength, pattern): one finding, +1 more."""
    report = validate_project(CORPUS / "sc201_schema_violation")
    (f,) = [f for f in report.findings if f.pointer == "/shots/1/id"]
    assert len(f.more) == 1
    assert f.message.endswith(". (+1 more at this location)")
    assert {f.rule, f.more[0].rule} == {"minLength", "pattern"}
    assert f.more[0].line == f.line


def test_schema_finding_names_keyword_and_value() -> None:
    report = validate_project(CORPUS / "sc201_schema_violation")
    by_pointer = {f.pointer: f for f in report.findings}
    steps = by_pointer["/shots/0/generation/parameters/steps"]
    assert steps.rule == "type"
    assert "'20'" in steps.message and "integer" in steps.message
    assert steps.hint == (
        "Make the value satisfy type: 'integer' ('seqcheck schema shot' prints the schema)."
    )


def test_identifiers_compared_as_written() -> None:
    """'1' is not '001' (SC304), and id '1' in sequence_001.json is canonical (no SC308)."""
    report = validate_project(CORPUS / "sc304_membership_mismatch")
    assert "'1'" in report.findings[0].message and "'001'" in report.findings[0].message
    codes = [f.code for f in validate_project(CORPUS / "sc308_file_name_id_mismatch").findings]
    assert codes == ["SC308"]
