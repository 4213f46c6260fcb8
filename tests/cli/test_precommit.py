"""The README's .pre-commit-config.yaml is a valid config as pasted, and the real
pre-commit runs it (and ``try-repo``) on a fixture repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parents[2]
PLACEHOLDER = "<URL of your seqcheck repository>"
TAG = "v0.2.0"


def readme_config() -> str:
    text = (REPO / "README.md").read_text("utf-8")
    m = re.search(r"<!-- pre-commit-config -->\n```yaml\n(.*?)```", text, re.S)
    assert m, "README.md has no <!-- pre-commit-config --> block"
    return m.group(1)


def test_readme_config_is_a_complete_config() -> None:
    config: Any = yaml.safe_load(readme_config())
    assert isinstance(config, dict) and isinstance(config["repos"], list)
    (remote,) = [r for r in config["repos"] if r["repo"] != "local"]
    assert remote["repo"] == PLACEHOLDER and remote["rev"] == TAG
    hooks: Any = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert {h["id"] for h in remote["hooks"]} <= {h["id"] for h in hooks}
    (local,) = [r for r in config["repos"] if r["repo"] == "local"]
    for hook in local["hooks"]:
        assert {"id", "name", "entry", "language"} <= set(hook)



def test_precommit_validates_both_config_files(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("pre-commit")
    if not exe.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(readme_config(), "utf-8")
    proc = subprocess.run([str(exe), "validate-config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([str(exe), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The check fires: the snippet (a bare list, no repos:) is refused.
    config.write_text("- repo: x\n  rev: v0.2.0\n  hooks: [{id: seqcheck-validate}]\n")
    proc = subprocess.run([str(exe), "validate-config", str(config)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Expected a Config map but got a list" in proc.stdout


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.test", "-c", "user.name=t",
                    "-c", "commit.gpgsign=false", *args],
                   cwd=cwd, check=True, capture_output=True)


def _source_repo(dest: Path) -> Path:
    """This working tree (committed or not) as a git repository tagged v0.2.0."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file() and not src.is_symlink():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-qm", "seqcheck")
    _git(dest, "tag", TAG)
    return dest


@pytest.mark.slow  # pre-commit builds a virtualenv and pip-installs seqcheck (~45 s)
def test_precommit_runs_the_readme_config(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("pre-commit")
    if not exe.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    source = _source_repo(tmp_path / "seqcheck")
    work = tmp_path / "studio"
    work.mkdir()
    shutil.copytree(REPO / "examples" / "demo-project", work / "films" / "demo")
    subprocess.run([Path(sys.executable).with_name("seqcheck"), "schema", "--bundle",
                    "--output", ".schemas"], cwd=work, check=True)
    (work / ".pre-commit-config.yaml").write_text(
        readme_config().replace(PLACEHOLDER, str(source)), "utf-8"
    )
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "films")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=900)

    ok = run("run", "--all-files")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"seqcheck validate\.+Passed", ok.stdout)
    assert re.search(r"sequence files match the seqcheck schema\.+Passed", ok.stdout)

    # A bad sequence file: both hooks fail, naming the file.
    bad = work / "films" / "demo" / "sequences" / "sequence_009.json"
    bad.write_text('{"id": 5, "shots": []}\n', "utf-8")
    _git(work, "add", "-A")
    failed = run("run", "--all-files")
    assert failed.returncode == 1
    assert re.search(r"seqcheck validate\.+Failed", failed.stdout)
    assert "films/demo/sequences/sequence_009.json" in failed.stdout
    assert "SC201" in failed.stdout
    assert re.search(r"sequence files match the seqcheck schema\.+Failed", failed.stdout)

    # try-repo: the hook straight from the tagged repository.
    tried = run("try-repo", str(source), "seqcheck-validate", "--ref", TAG,
                "--files", "films/demo/project.json")
    assert tried.returncode == 1, tried.stdout + tried.stderr
    assert "SC201" in tried.stdout  # the whole project is validated, not just the file
    bad.unlink()
    _git(work, "add", "-A")
    tried = run("try-repo", str(source), "seqcheck-validate", "--ref", TAG, "--all-files")
    assert tried.returncode == 0, tried.stdout + tried.stderr
