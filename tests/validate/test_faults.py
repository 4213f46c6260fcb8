"""One unreadable file never stops the batch: it is a finding and the rest is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem_unittest import Patcher

from conformance.validate import validate_project, validate_projects

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(autouse=True)
def _schemas_loaded() -> None:
    """Schemas are read from the real package once and cached; do that before the
    fake filesystem hides them."""
    validate_project(CORPUS / "sc201_schema_violation")


SHOT = {"id": "s1", "sequencePlanId": "001", "timing": {"duration": 1, "inPoint": 0, "outPoint": 1}}


def _write(path: Path, doc: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_unreadable_files_become_findings() -> None:
    with Patcher(allow_root_user=False) as patcher:
        assert patcher.fs is not None
        root = Path("/projects/p")
        _write(root / "project.json", {"schema_version": "1.0", "project_name": "P"})
        _write(root / "sequences/sequence_001.json", {"id": "001", "shots": [SHOT]})
        _write(root / "sequences/sequence_002.json", {"id": "001", "order": 2, "shots": []})
        (root / "sequences/sequence_001.json").chmod(0o000)
        report = validate_project(root)
        found = [(f.code, f.file, f.pointer) for f in report.findings]
        assert found == [
            ("SC101", "sequences/sequence_001.json", ""),
            ("SC308", "sequences/sequence_002.json", "/id"),
        ]
        assert "Permission denied" in report.findings[0].message
        # Unreadable project.json and sequences folder: still findings, not exceptions.
        (root / "project.json").chmod(0o000)
        (root / "sequences").chmod(0o000)
        unreadable = [(f.code, f.file) for f in validate_project(root).findings]
        assert unreadable == [("SC101", "project.json"), ("SC101", "sequences")]


def test_batch_goes_on_after_a_broken_project() -> None:
    with Patcher(allow_root_user=False):
        for name in ("a", "b"):
            _write(Path(f"/w/{name}/project.json"), {"schema_version": "1.0", "project_name": name})
        Path("/w/a/project.json").chmod(0o000)
        seen: list[tuple[int, int, str]] = []
        reports = validate_projects(
            ["/w"], recursive=True, progress=lambda d, t, p: seen.append((d, t, p.name))
        )
        assert [r.project.name for r in reports] == ["a", "b"]
        assert [f.code for f in reports[0].findings] == ["SC101"]
        assert reports[1].findings == []
        assert seen == [(1, 2, "a"), (2, 2, "b")]


def test_validate_projects_accepts_one_path() -> None:
    (report,) = validate_projects(CORPUS / "clean")
    assert report.project == CORPUS / "clean" and report.ok
