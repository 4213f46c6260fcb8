"""A project's sequence files checked on worker processes give the serial report.

The parallel path (engine._checked_files) is normally taken only for big projects;
these tests lower its size threshold so that every corpus project, and projects
built to have findings across files (the parent's merge and its re-check of a file
with cross-file findings), go through it, and compare every field of every finding
(positions, messages, order, summaries) with a serial run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.validate import engine, file_pool, validate_project
from conformance.validate.project_rules import ProjectRules

CORPUS = Path(__file__).parent / "corpus"

pytestmark = pytest.mark.skipif(not file_pool.can_fork(), reason="needs fork (POSIX)")


@pytest.fixture(autouse=True)
def _parallel_for_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_MIN_PARALLEL_BYTES", 0)


def _dump(path: Path, jobs: int, limit: int | None = 5) -> tuple[int, list[dict[str, Any]]]:
    report = validate_project(path, jobs=jobs, max_findings_per_file=limit)
    return report.files_checked, [f.to_dict() for f in report.findings]


def _spy_workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the files checked through the worker entry point (in the children:
    so count the calls of map_forked's items in the parent instead)."""
    used: list[int] = []
    real = file_pool.map_forked

    def spying(fn: Any, state: Any, items: Any, jobs: int) -> Any:
        used.append(len(items))
        return real(fn, state, items, jobs)

    monkeypatch.setattr(file_pool, "map_forked", spying)
    return used


@pytest.mark.parametrize(
    "case", sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").is_file())
)
def test_corpus_parallel_equals_serial(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = _dump(CORPUS / case, 1)
    used = _spy_workers(monkeypatch)
    assert _dump(CORPUS / case, 2) == serial
    folder = CORPUS / case / "sequences"
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    if len([n for n in names if engine._is_candidate(n)]) >= 2:
        assert used, "the parallel path was not taken"


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


@pytest.mark.parametrize("limit", [None, 1, 5])
def test_cross_file_findings_parallel_equals_serial(tmp_path: Path, limit: int | None) -> None:
    root = _cross_file_project(tmp_path / "p")
    checked, findings = _dump(root, 1, limit)
    assert {f["code"] for f in findings} >= {
        "SC302", "SC303", "SC305", "SC306", "SC307", "SC309", "SC310", "SC201", "SC308"
    }
    for jobs in (2, 3):
        assert _dump(root, jobs, limit) == (checked, findings)


def test_a_worker_error_is_raised_at_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _cross_file_project(tmp_path / "p")
    real = ProjectRules.facts

    def failing(self: ProjectRules, file: str, doc: dict[str, Any]) -> Any:
        if file.endswith("_005.json"):
            raise RuntimeError("boom in " + file)
        return real(self, file, doc)

    monkeypatch.setattr(ProjectRules, "facts", failing)
    with pytest.raises(RuntimeError, match=r"boom in sequences/sequence_005\.json"):
        validate_project(root, jobs=2)


def test_small_projects_stay_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real threshold
    root = _cross_file_project(tmp_path / "p")
    used = _spy_workers(monkeypatch)
    validate_project(root, jobs=2)
    assert used == []
