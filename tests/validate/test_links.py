"""SC315: links out of the project are reported and never read (SEQ-ID-5)."""

from __future__ import annotations

import shutil
from pathlib import Path

from conformance.validate import validate_project

CORPUS = Path(__file__).parent / "corpus"


def test_sequences_folder_linked_out_of_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(CORPUS / "sc201_schema_violation" / "sequences", outside)
    project = tmp_path / "p"
    project.mkdir()
    shutil.copy(CORPUS / "clean" / "project.json", project / "project.json")
    (project / "sequences").symlink_to(outside, target_is_directory=True)
    report = validate_project(project)
    # Only the link is reported: the schema violations behind it were never read.
    assert [(f.code, f.file, f.pointer) for f in report.findings] == [
        ("SC315", "sequences", "")
    ]
    assert str(outside) in report.findings[0].message


def test_links_inside_the_project_are_ordinary_files(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(CORPUS / "clean", project)
    seq = project / "sequences"
    (project / "shared.json").write_bytes((seq / "sequence_002.json").read_bytes())
    (seq / "sequence_002.json").unlink()
    (seq / "sequence_002.json").symlink_to(project / "shared.json")
    assert validate_project(project).findings == []
