"""A project's sequence files checked on worker processes give the serial report.

The parallel path (engine._checked_files) is normally taken only for big projects;
these checks lower its size threshold so that every corpus project, and a project
built to have findings across files (the parent's merge and its re-check of a file
with cross-file findings), go through it, and compare every field of every finding
(positions, messages, order, summaries) with a serial run, and count the files that
went to workers (a check whose parallel path never ran fails).

Forking is refused in a process running other threads (file_pool.can_fork); when an
earlier test left one running in this pytest process, the checks run in a fresh
Python process (this file run as a script) instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.validate import engine, file_pool, validate_project
from conformance.validate.project_rules import ProjectRules

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").is_file())

pytestmark = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="workers are forked only where fork is safe"
)


def _dump(path: Path, jobs: int, limit: int | None) -> tuple[int, list[dict[str, Any]]]:
    report = validate_project(path, jobs=jobs, max_findings_per_file=limit)
    return report.files_checked, [f.to_dict() for f in report.findings]


def _compare(root: Path, jobs: int, limit: int | None) -> tuple[bool, int]:
    """(the report on ``jobs`` workers equals the serial one, files sent to workers)."""
    serial = _dump(root, 1, limit)
    used: list[int] = []
    real_map, real_min = file_pool.map_forked, engine._MIN_PARALLEL_BYTES

    def spying(fn: Any, state: Any, items: Any, jobs: int) -> Any:
        used.append(len(items))
        return real_map(fn, state, items, jobs)

    file_pool.map_forked = spying
    engine._MIN_PARALLEL_BYTES = 0
    try:
        parallel = _dump(root, jobs, limit)
    finally:
        file_pool.map_forked = real_map
        engine._MIN_PARALLEL_BYTES = real_min
    return parallel == serial, sum(used)


def _worker_error(root: Path) -> str:
    """The error validate_project raises when a worker fails on sequence_005.json."""
    real_facts, real_min = ProjectRules.facts, engine._MIN_PARALLEL_BYTES

    def failing(self: ProjectRules, file: str, doc: dict[str, Any]) -> Any:
        if file.endswith("_005.json"):
            raise RuntimeError("boom in " + file)
        return real_facts(self, file, doc)

    ProjectRules.facts = failing  # type: ignore[method-assign]
    engine._MIN_PARALLEL_BYTES = 0
    try:
        validate_project(root, jobs=2)
    except RuntimeError as exc:
        return str(exc)
    finally:
        ProjectRules.facts = real_facts  # type: ignore[method-assign]
        engine._MIN_PARALLEL_BYTES = real_min
    return "no error"


def _run(task: list[Any]) -> Any:
    """``_main(task)`` here, or in a fresh process when this one may not fork."""
    if file_pool.can_fork():
        return _main(task)
    done = subprocess.run(
        [sys.executable, __file__, json.dumps(task)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(done.stdout)


def _main(task: list[Any]) -> Any:
    kind, *args = task
    if kind == "error":
        return _worker_error(Path(args[0]))
    return [list(_compare(Path(root), jobs, limit)) for root, jobs, limit in args]


def test_corpus_parallel_equals_serial() -> None:
    runs = [[str(CORPUS / case), 2, 5] for case in CASES]
    results = _run(["compare", *runs])
    assert [case for case, (equal, _) in zip(CASES, results, strict=True) if not equal] == []
    multi_file = [
        case for case in CASES
        if (CORPUS / case / "sequences").is_dir()
        and len([p for p in (CORPUS / case / "sequences").iterdir()
                 if engine._is_candidate(p.name)]) >= 2
    ]
    assert len(multi_file) >= 5
    not_parallel = [
        case for case, (_, used) in zip(CASES, results, strict=True)
        if case in multi_file and not used
    ]
    assert not_parallel == [], "the parallel path was not taken"


def _shot(seq: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"shot-{seq}-{n}",
        "sequencePlanId": seq,
        "timing": {"duration": 2, "inPoint": 0, "outPoint": 2},
        **extra,
    }


def _write(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _cross_file_project(root: Path) -> Path:
    """Twelve files with findings of every cross-file kind, in several files each:
    duplicate sequence ids (SC302), shot ids across files (SC303), orders (SC309),
    copies of project.json shots (SC305/SC306) and legacy shots left (SC307), mixed
    with per-file findings (SC310, SC201) so capping and positions are exercised."""
    (root / "sequences").mkdir(parents=True)
    legacy = [
        _shot("002", 1),  # identical copy in sequence_002 (SC306)
        _shot("003", 1, notes="old"),  # different copy (SC305)
        _shot("099", 1),  # belongs in a missing sequence file (SC307)
    ]
    _write(root / "project.json", {"project_name": "p", "schema_version": "1.0", "shots": legacy})
    for i in range(1, 13):
        seq = f"{i:03d}"
        shots = [_shot(seq, n) for n in range(1, 8)]
        if i % 4 == 0:
            shots.append(_shot("001", 3))  # the id of a shot of sequence_001 (SC303)
            shots[-1]["sequencePlanId"] = seq
        if i % 5 == 0:
            shots[0]["timing"] = {"duration": 2, "inPoint": 3, "outPoint": 1}  # SC310
            shots[1]["number"] = "one"  # SC201
        if i == 3:
            shots[0]["notes"] = "new"
        doc = {"id": seq if i != 7 else "006", "order": i if i % 6 else 1, "shots": shots}
        _write(root / "sequences" / f"sequence_{seq}.json", doc)
    return root


def test_cross_file_findings_parallel_equals_serial(tmp_path: Path) -> None:
    root = _cross_file_project(tmp_path / "p")
    _, findings = _dump(root, 1, None)
    assert {f["code"] for f in findings} >= {
        "SC302", "SC303", "SC305", "SC306", "SC307", "SC309", "SC310", "SC201", "SC308"
    }
    runs = [[str(root), jobs, limit] for limit in (None, 1, 5) for jobs in (2, 3)]
    assert _run(["compare", *runs]) == [[True, 12]] * len(runs)


def test_a_worker_error_is_raised_at_its_file(tmp_path: Path) -> None:
    root = _cross_file_project(tmp_path / "p")
    assert _run(["error", str(root)]) == "boom in sequences/sequence_005.json"


def test_small_projects_stay_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _cross_file_project(tmp_path / "p")
    used: list[int] = []
    monkeypatch.setattr(file_pool, "map_forked", lambda *a: used.append(1))
    monkeypatch.setattr(file_pool, "can_fork", lambda: True)
    validate_project(root, jobs=2)
    assert used == []  # under _MIN_PARALLEL_BYTES: never handed to workers


if __name__ == "__main__":
    print(json.dumps(_main(json.loads(sys.argv[1]))))
