"""Standard projects the suite's tests start from, written as raw files."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.suite.disk import ProjectDir
from conformance.suite.samples import project_doc, sequence_doc, storyboard_shot

FIRST, SECOND = "001", "002"
FIRST_FILE, SECOND_FILE = "sequence_001.json", "sequence_002.json"


@dataclass(frozen=True)
class Basic:
    """Names in the basic project: two sequences of three shots, a legacy project.json."""

    project: ProjectDir
    sequence_id: str = FIRST
    file: str = FIRST_FILE
    other_id: str = SECOND
    other_file: str = SECOND_FILE

    @property
    def rel(self) -> str:
        """The first sequence file, relative to the project."""
        return f"sequences/{self.file}"

    def shot_id(self, n: int = 2) -> str:
        """Id of the n-th shot (1-based) of the first sequence."""
        return f"{self.sequence_id}-s{n}"


def basic_project(
    project: ProjectDir, *, unknown: bool = False, wizard: bool = False,
    updated_at: bool = False, padding: int = 0,
) -> Basic:
    """Write project.json, two sequence files and a non-sequence file."""
    project.write_project(project_doc(shots=[], storyboard=[storyboard_shot("sb-1")]))
    project.write_sequence(
        FIRST_FILE,
        sequence_doc(FIRST, order=1, unknown=unknown, wizard=wizard, updated_at=updated_at,
                     padding=padding),
    )
    project.write_sequence(SECOND_FILE, sequence_doc(SECOND, order=2, unknown=unknown))
    project.write_raw("README.md", b"# Conformance project\n")
    return Basic(project)


__all__ = ["FIRST", "FIRST_FILE", "SECOND", "SECOND_FILE", "Basic", "basic_project"]
