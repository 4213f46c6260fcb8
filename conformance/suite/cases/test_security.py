"""Group 6: unsafe ids are INVALID_ID before any file access; nothing outside is touched."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes
from conformance.suite.checks import expect_error, require
from conformance.suite.samples import sequence_doc
from conformance.suite.scenarios import basic_project

UNSAFE_IDS = ["..", "../001", "a/b", "a\\b", "a\x00b", "/etc/passwd", "C:evil", "c:\\x",
              ".hidden", "", "x/../../y", "001/.."]


def _tree(project: Any) -> list[str]:
    """Every path in the project, lock sidecars included (unsafe ids may not even lock)."""
    return sorted(p.relative_to(project.root).as_posix() for p in project.root.rglob("*"))


@pytest.mark.requirement("SEQ-ID-4")
@pytest.mark.parametrize("bad", UNSAFE_IDS, ids=[repr(i) for i in UNSAFE_IDS])
def test_unsafe_ids_are_invalid(impl: Any, project: Any, bad: str) -> None:
    b = basic_project(project)
    tree, before = _tree(project), project.snapshot()
    expect_error("SEQ-ID-4", ErrorCode.INVALID_ID,
                 impl.update_shot, project.path, bad, b.shot_id(), {"notes": "x"})
    expect_error("SEQ-ID-4", ErrorCode.INVALID_ID,
                 impl.update_shot, project.path, b.sequence_id, bad, {"notes": "x"})
    expect_error("SEQ-ID-4", ErrorCode.INVALID_ID, impl.get_shots, project.path, bad)
    require("SEQ-ID-4", _tree(project) == tree and not before.changed(project.snapshot()),
            "a call with an unsafe id created or changed files")


@pytest.mark.requirement("SEQ-ID-5")
def test_nothing_outside_the_project_is_touched(impl: Any, project: Any, canary: Any) -> None:
    basic_project(project)
    planted = canary.plant("sequence_001.json", dump_bytes(sequence_doc("001", order=1)))
    canary.plant("project.json", project.raw("project.json"))
    canary.plant("sequences/sequence_001.json", dump_bytes(sequence_doc("001", order=1)))
    before = canary.state()
    rel = f"../../{canary.root.name}/sequence_001.json"
    attempts = [rel, str(planted), f"../../{canary.root.name}", "../../outside",
                f"..\\..\\{canary.root.name}\\sequence_001.json", f"../{canary.root.name}"]
    for bad in attempts:
        for call, args in (
            (impl.get_shots, (project.path, bad)),
            (impl.update_shot, (project.path, bad, "001-s1", {"notes": "escaped"})),
            (impl.update_shot, (project.path, "001", bad, {"notes": "escaped"})),
        ):
            with contextlib.suppress(SeqcheckError):  # any refusal is fine; SEQ-ID-4 checks it
                call(*args)
    problems = canary.disturbed(before)
    require("SEQ-ID-5", not problems,
            f"files outside the project were touched through ids like {rel!r}: {problems}")
