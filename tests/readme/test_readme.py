"""README.md runs as written: every shell block marked ``<!-- runnable -->`` is run,
command by command, on a fresh copy of the examples, and each command must exit as
the README says (0, or the N of a ``# exits N`` comment)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
README = REPO / "README.md"
_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)
_MARK = "<!-- runnable -->"
_EXITS = re.compile(r"#.*\bexits (\d+)\b")


@dataclass(frozen=True)
class Command:
    line: int
    text: str
    status: int


def _blocks(text: str) -> list[tuple[int, str, str, bool]]:
    """(line number, language, body, marked runnable) of each fenced block."""
    out = []
    for m in _BLOCK.finditer(text):
        before = text[: m.start()].rstrip("\n")
        marked = before.endswith(_MARK)
        out.append((text.count("\n", 0, m.start()) + 2, m.group(1), m.group(2), marked))
    return out


def _commands(first_line: int, body: str) -> list[Command]:
    out: list[Command] = []
    pending: list[str] = []
    start = first_line
    for offset, raw in enumerate(body.splitlines()):
        if not pending:
            start = first_line + offset
        if raw.rstrip().endswith("\\"):
            pending.append(raw)
            continue
        text = "\n".join([*pending, raw])
        pending = []
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        m = _EXITS.search(text)
        out.append(Command(start, text, int(m.group(1)) if m else 0))
    return out


def runnable() -> list[list[Command]]:
    text = README.read_text("utf-8")
    return [_commands(line, body) for line, lang, body, marked in _blocks(text) if marked]


def test_runnable_blocks_are_shell_and_use_the_venv() -> None:
    blocks = [b for b in _blocks(README.read_text("utf-8")) if b[3]]
    assert len(blocks) >= 3
    assert all(lang == "sh" for _, lang, _, _ in blocks)
    # Every shell block of the tour runs the venv's tools, never whatever is on PATH.
    for line, lang, body, _ in _blocks(README.read_text("utf-8")):
        if lang != "sh":
            continue
        for cmd in _commands(line, body):
            first = cmd.text.split()[0]
            assert first not in {"seqcheck", "python", "python3", "pytest", "pip"} or (
                first == "python3" and "-m venv .venv" in cmd.text
            ), f"README.md:{cmd.line}: {cmd.text!r} does not use .venv/bin/"


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A fresh copy of examples/ beside a link to the venv running the tests."""
    shutil.copytree(REPO / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("node_modules"))
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return tmp_path


def test_readme_runs_as_written(fresh: Path) -> None:
    blocks = runnable()
    assert sum(len(b) for b in blocks) >= 15
    for block in blocks:
        script = ["set -u"]
        for cmd in block:
            script.append(cmd.text)
            script.append(
                f'__s=$?; if [ "$__s" -ne {cmd.status} ]; then echo "README.md:{cmd.line}: '
                f'expected exit {cmd.status}, got $__s: "{_shell_quote(cmd.text)} >&2; exit 99; fi'
            )
        proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=fresh,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
    # What the blocks left behind is what the README says they produce.
    assert json.loads((fresh / "seqcheck.sarif").read_text("utf-8"))["version"] == "2.1.0"
    assert json.loads((fresh / "report.json").read_text("utf-8"))["projects"]
    bundle = json.loads((fresh / ".schemas" / "sequence.schema.json").read_text("utf-8"))
    assert bundle["$id"].startswith("urn:")
    assert (fresh / "sequence.schema.json").read_bytes() == (
        fresh / ".schemas" / "sequence.schema.json"
    ).read_bytes()


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_exit_marker_parsing() -> None:
    (cmd,) = _commands(1, "a b  # exits 1: findings\n")
    assert cmd.status == 1 and cmd.line == 1
    cmds = _commands(10, "x \\\n  y\n\n# comment\nz\n")
    assert [(c.line, c.text, c.status) for c in cmds] == [(10, "x \\\n  y", 0), (14, "z", 0)]
