"""A shot nested to the documented depth bound migrates and verifies (issue 14:
verification compared shots with ``==``, which raised RecursionError near 1000 levels
after the shot had already moved, and the run exited 3, "project unchanged")."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli.main import cli
from conformance.limits import MAX_DEPTH
from migrate import verify


def _deep(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def test_shot_at_the_depth_bound_migrates_and_verifies(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    # project.json {1} > shots [2] > shot {3} > "deep": arrays up to MAX_DEPTH in all.
    levels = MAX_DEPTH - 3
    shot = (
        '{"id": "shot-1", "sequencePlanId": "001", '
        f'"timing": {{"duration": 5, "inPoint": 0, "outPoint": 5}}, "deep": {_deep(levels)}}}'
    )
    (project / "project.json").write_text(
        '{"schema_version": "1.0", "project_name": "Deep", "shots": [' + shot + "]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["migrate", str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert verify(project).ok
    moved = (project / "sequences" / "sequence_001.json").read_text(encoding="utf-8")
    assert "[" * levels + "1" + "]" * levels in moved.replace("\n", "").replace(" ", "")
    doc = json.loads((project / "project.json").read_text(encoding="utf-8"))
    assert doc.get("shots", []) == []
