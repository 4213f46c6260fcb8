"""The pre-commit hook definition: its entry runs the CLI on the projects of the
changed files, and its ``files`` pattern selects exactly project files."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from conformance.cli.main import cli

HOOKS = Path(__file__).parents[2] / ".pre-commit-hooks.yaml"


def _field(name: str) -> str:
    """A top-level scalar field of the single hook (the file is flat YAML)."""
    m = re.search(rf"^  {name}: (.+)$", HOOKS.read_text("utf-8"), re.M)
    assert m, name
    return m.group(1).strip()


def test_hook_fields() -> None:
    assert "- id: seqcheck-validate" in HOOKS.read_text("utf-8")
    assert _field("language") == "python"
    assert _field("pass_filenames") == "true"
    assert _field("require_serial") == "true"


def test_files_pattern_selects_project_files() -> None:
    pattern = re.compile(_field("files"))
    for path in (
        "project.json",
        "films/a/project.json",
        "films/a/sequences/sequence_001.json",
        "sequences/sequence_001.json.bak",
    ):
        assert pattern.search(path), path
    for path in ("README.md", "films/a/scenes/s.json", "films/a/sequences/sub/x.json"):
        assert not pattern.search(path), path


def test_entry_is_a_working_command(tmp_path: Path) -> None:
    """Run the hook's entry the way pre-commit does: entry + the changed file names."""
    argv = shlex.split(_field("entry"))
    assert argv[:2] == ["seqcheck", "validate"]
    corpus = Path(__file__).parent / "corpus"
    changed = [str(corpus / "sc310_out_point_before_in_point/sequences/sequence_001.json")]
    result = CliRunner().invoke(cli, [*argv[1:], *changed])
    assert result.exit_code == 1
    assert "SC310" in result.output
    clean = [str(corpus / "clean/project.json")]
    assert CliRunner().invoke(cli, [*argv[1:], *clean]).exit_code == 0
