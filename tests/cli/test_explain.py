"""``seqcheck explain``: an answer for every finding code and requirement id, built
from data shipped in the package, with examples that really show their finding."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance import explain as lib
from conformance.cli.main import cli
from conformance.requirements import BY_ID, REQUIREMENTS
from conformance.validate import validate_project
from conformance.validate.codes import CODES

sys.path.insert(0, str(Path(__file__).parent))
from example_projects import build_example

REPO = Path(__file__).parents[2]


def explain(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["explain", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("code", list(CODES))
def test_every_finding_code_is_explained(code: str) -> None:
    status, out, _ = explain(code)
    info = CODES[code]
    assert status == 0
    assert out.startswith(f"{code} {info.name} ({info.severity.value})\n")
    for heading in ("\nWhy\n", "\nExample\n", "\nHow to fix\n"):
        assert heading in out
    # The meaning and hint, rewrapped: compare word sequences.
    assert " ".join(info.meaning.split()) in " ".join(out.split())
    assert " ".join(info.hint.split()) in " ".join(out.split())
    if info.requirement:
        assert f"It checks {info.requirement} (" in out
        assert f"seqcheck explain {info.requirement}" in out
    # By name as well.
    assert explain(info.name)[1] == out


@pytest.mark.parametrize("req_id", [r.id for r in REQUIREMENTS])
def test_every_requirement_is_explained(req_id: str) -> None:
    status, out, _ = explain(req_id)
    req = BY_ID[req_id]
    assert status == 0
    assert out.startswith(f"{req_id} ({req.level.value}, ")
    assert req.title in out
    e = lib.explain(req_id)
    # The spec's own paragraph, not just the one-line title.
    assert len(e.text) > len(req.title) and not e.text.startswith("**")
    assert e.why and e.example
    assert "\nWhy\n" in out and "\nExample\n" in out


def test_requirement_text_comes_from_the_spec() -> None:
    e = lib.explain("SEQ-ID-3")
    assert "never \"first wins\"" in e.text
    assert e.why.startswith("The app takes the first file whose id matches")
    assert any("SC302" in r for r in e.related)
    # Suite tests that carry the requirement marker are named as examples.
    cases = lib.suite_cases()
    assert all(req in BY_ID for req in cases)
    assert "test_shot_id_is_immutable (test_update.py)" in lib.explain("SEQ-UPDATE-3").example


def test_every_code_ships_an_example_and_a_why() -> None:
    """A new code needs an entry in conformance/finding_examples.py (and, when it
    checks no requirement, a WHY_WITHOUT_REQUIREMENT sentence)."""
    from conformance.finding_examples import EXAMPLES, WHY_WITHOUT_REQUIREMENT

    assert set(EXAMPLES) == set(CODES)
    assert {c for c, i in CODES.items() if not i.requirement} == set(WHY_WITHOUT_REQUIREMENT)


@pytest.mark.parametrize("code", list(CODES))
def test_each_example_shows_exactly_its_finding(code: str, tmp_path: Path) -> None:
    from conformance.finding_examples import EXAMPLES

    project = build_example(code, tmp_path)
    report = validate_project(project)
    assert sorted({f.code for f in report.findings}) == sorted(
        {code, *EXAMPLES[code].companions}
    )


def test_prefix_lists_and_unknown_is_a_usage_error() -> None:
    status, out, _ = explain("SC3")
    assert status == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == [c for c in CODES if c.startswith("SC3")]
    status, out, _ = explain()
    assert len(out.splitlines()) == len(CODES) + len(REQUIREMENTS)
    status, out, err = explain("SC999")
    assert status == 2 and out == ""
    assert 'found "SC999"' in err and "Run 'seqcheck explain' to list them all." in err
    status, _, err = explain("SEQ-UPDTE-3")
    assert status == 2 and "Did you mean SEQ-UPDATE-3" in err


def test_json_format() -> None:
    status, out, _ = explain("SC305", "--format", "json")
    doc = json.loads(out)
    assert status == 0
    assert doc["subject"] == "SC305" and doc["kind"] == "finding"
    assert doc["related"] == ["SEQ-SAVE-1"] and doc["fix"]


@pytest.mark.slow  # builds a wheel (~5-10 s)
def test_spec_ships_as_package_data() -> None:
    """explain reads SPEC.md and the suite cases through importlib.resources: both
    must be inside the wheel, not only in the repository."""
    import zipfile

    dist = REPO / "tests" / "cli" / "_wheel"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    try:
        assert proc.returncode == 0, proc.stderr
        (wheel,) = dist.glob("seqcheck-*.whl")
        names = set(zipfile.ZipFile(wheel).namelist())
    finally:
        for f in dist.glob("*"):
            f.unlink()
        dist.rmdir()
    assert "conformance/SPEC.md" in names
    assert "conformance/suite/cases/test_update.py" in names
    assert "schemas/sequence.schema.json" in names


def test_no_message_points_to_a_repository_file() -> None:
    """Hints and the CLI's own errors point to 'seqcheck explain'/'seqcheck schema',
    never to files a pip-installed user does not have."""
    for info in CODES.values():
        assert ".md" not in info.hint and "schemas/" not in info.hint
    _, _, err = explain("nope-not-a-thing")
    assert "findings.md" not in err
    result = CliRunner().invoke(cli, ["validate", "--select", "NOPE"])
    assert result.exit_code == 2
    assert "seqcheck explain" in result.output and "findings.md" not in result.output
