"""Property (issue 13): migrate, verify, rollback, history and prune over project trees
with links (inside, out, loops, dangling, folder links, swapped mid-run) never change
anything outside the project, never copy outside content into it (no backup of it),
and fail only with a SeqcheckError.

The trees are those of tests/security/test_link_properties.py, with legacy shots to
move added to project.json so that apply really writes.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from migrate import apply, history, plan, prune, rollback, verify
from tests.migrate.conftest import NOW
from tests.security.conftest import STOLEN, tree_state, write_json
from tests.security.test_link_properties import Tree, attempt, build, run_swapped, trees

LEGACY = {"schema_version": "1.0", "project_name": "P",
          "shots": [{"id": "m1", "sequencePlanId": "001"}, {"id": "m2", "sequencePlanId": "zz"},
                    {"id": "legacy"}]}


def _regular_files(root: Path) -> dict[str, bytes]:
    out = {}
    for folder, _dirs, files in os.walk(root, followlinks=False):
        for name in files:
            path = Path(folder) / name
            if stat.S_ISREG(path.lstat().st_mode):
                out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def _exercise(root: Path) -> None:
    attempt(lambda: plan(root))
    attempt(lambda: apply(root, now=NOW))
    attempt(lambda: verify(root))
    attempt(lambda: history(root))
    attempt(lambda: rollback(root, force=True))
    attempt(lambda: apply(root, now=NOW))
    attempt(lambda: prune(root, keep=0))


def _check(tree: Tree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, outside, _out_names = build(base, tree)
        if tree.project_json != "out":
            real = root / ("project.json" if tree.project_json == "file" else "meta/project.json")
            write_json(real, LEGACY)
        before = tree_state(outside)
        run_swapped(root, outside, tree, lambda: _exercise(root))
        assert tree_state(outside) == before
        inside = _regular_files(root)
        leaked = [rel for rel, data in inside.items() if STOLEN.encode() in data]
        assert leaked == [], f"outside content copied into the project: {leaked}"
        for rel, data in inside.items():
            if rel.startswith(".seqcheck/") and rel.endswith(".json"):
                json.loads(data)  # records are whole documents


_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=15, **_COMMON)  # type: ignore[arg-type]
@given(tree=trees)
def test_migrate_over_link_trees_never_leaves_the_project(tree: Tree) -> None:
    _check(tree)


@pytest.mark.slow
@settings(max_examples=300, **_COMMON)  # type: ignore[arg-type]
@given(tree=trees)
def test_migrate_over_link_trees_never_leaves_the_project_long(tree: Tree) -> None:
    _check(tree)
