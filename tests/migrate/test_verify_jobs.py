"""verify() lets the validator share a big migrated project's files over the cores,
with the report of a serial check; never a pool inside a parallel batch's worker."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.validate import file_pool
from conformance.validate.batch import default_jobs
from migrate import apply, verify
from tests.migrate.conftest import NOW, MakeProject, project_doc

REPO = Path(__file__).resolve().parents[2]
# The module, not the function migrate exports under the same name.
verify_module = importlib.import_module("migrate.verify")
LEGACY = project_doc(shots=[{"id": f"s{i}", "sequencePlanId": f"{i % 7:03d}",
                             "duration": 1.5, "bad": "x" if i % 3 == 0 else None}
                            for i in range(120)])


def test_verify_hands_the_cores_to_the_validator(make_project: MakeProject,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(LEGACY)
    apply(root, now=NOW, verify_after=False)
    seen: list[int] = []
    real = verify_module.validate_project

    def spy(path: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["jobs"])
        return real(path, **kwargs)

    monkeypatch.setattr(verify_module, "validate_project", spy)
    assert verify(root).ok and verify(root, jobs=1).ok and verify(root, jobs=3).ok
    assert seen == [default_jobs(), 1, 3]


def _can_fork_in_child(queue: Any) -> None:
    queue.put(file_pool.can_fork())


def test_no_pool_inside_a_multiprocessing_worker() -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_can_fork_in_child, args=(queue,))
    child.start()
    answer = queue.get(timeout=60)
    child.join(timeout=60)
    assert answer is False


_PARALLEL_VERIFY = """
import json, sys
from conformance.validate import engine, file_pool
from migrate import verify
engine._MIN_PARALLEL_BYTES = 0
forked = []
real = file_pool.map_forked
def spying(*args):
    forked.append(1)
    return real(*args)
file_pool.map_forked = spying
serial = verify(sys.argv[1], jobs=1).to_dict()
assert not forked
parallel = verify(sys.argv[1], jobs=2).to_dict()
print(json.dumps({"same": serial == parallel, "forked": bool(forked),
                  "can_fork": file_pool.can_fork(), "ok": serial["ok"]}))
"""


@pytest.mark.skipif(sys.platform in ("win32", "darwin"),
                    reason="workers are forked only where fork is safe")
def test_parallel_verify_reports_as_the_serial_one(make_project: MakeProject) -> None:
    root = make_project(LEGACY)
    apply(root, now=NOW, verify_after=False)
    # A file another program edited since: both checks must report the same problem.
    target = root / "sequences" / "sequence_003.json"
    doc = json.loads(target.read_text())
    doc["shots"][0]["duration"] = "long"
    target.write_text(json.dumps(doc, indent=2))
    out = subprocess.run([sys.executable, "-c", _PARALLEL_VERIFY, str(root)], cwd=REPO,
                         capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout)
    assert result == {"same": True, "forked": True, "can_fork": True, "ok": False}
