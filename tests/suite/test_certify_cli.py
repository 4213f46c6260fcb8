"""``seqcheck certify``: usage errors, exit codes and the files it writes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conformance import schema_registry
from conformance.cli.main import cli


def test_exactly_one_implementation_is_required() -> None:
    runner = CliRunner()
    none = runner.invoke(cli, ["certify"])
    assert none.exit_code == 2
    assert "choose exactly one implementation" in none.output
    both = runner.invoke(cli, ["certify", "--reference", "--adapter", "node x.mjs"])
    assert both.exit_code == 2
    assert "--reference, --adapter" in both.output


def test_broken_adapter_exits_1_and_writes_every_report(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('no such module\\n'); sys.exit(3)"
    dead = shlex.join([sys.executable, "-c", script])
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "seqcheck"), "certify", "--adapter", dead,
         "--report", str(tmp_path / "cert.json"), "--junit", str(tmp_path / "cert.xml"),
         "--markdown", str(summary)],
        capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, **env},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "did not start" in result.stdout
    assert "ADAPTER BROKEN" in result.stdout
    doc = json.loads((tmp_path / "cert.json").read_text())
    assert schema_registry.is_valid("certification-report", doc)
    assert doc["verdict"] == "adapter-broken"
    assert doc["header"]["implementation"] is None
    assert "no such module" in doc["header"]["stderr_tail"] + json.dumps(doc["tests"][0])
    assert (tmp_path / "cert.xml").read_text().startswith("<?xml")
    text = summary.read_text()
    assert text.startswith("# Earlier step\n")  # the step summary is appended to
    assert "## seqcheck certification: adapter broken" in text
