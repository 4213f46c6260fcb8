"""Golden outputs: each format's exact output for a fixed set of corpus projects.

Paths are relative (the command runs in the corpus folder) and the seqcheck version
is replaced by ``<VERSION>``. After an intended change of output, regenerate with
``SEQCHECK_UPDATE_GOLDEN=1 pytest tests/validate/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance import __version__
from conformance.cli.main import cli

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
GOLDEN = HERE / "golden"
PROJECTS = ["sc103_bom", "sc201_schema_violation", "sc305_split_brain", "sc313_stray_file"]
FORMATS = {"text": "txt", "json": "json", "junit": "xml", "sarif": "sarif", "github": "txt"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
def test_golden_output(fmt: str, verbose: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    args = ["validate", *PROJECTS, "--format", fmt] + (["--verbose"] if verbose else [])
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    output = result.output.replace(f'"{__version__}"', '"<VERSION>"')
    golden = GOLDEN / f"{fmt}{'-verbose' if verbose else ''}.{FORMATS[fmt]}"
    if os.environ.get("SEQCHECK_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")
