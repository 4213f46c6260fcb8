"""Group 6: unsafe ids are INVALID_ID before any file access; nothing outside is touched.

Nothing outside the project is reached through an id, nor through a symbolic link
(a sequence file or ``sequences/`` itself linking out is not followed). Writes outside
the project by any other route are caught by the write-protocol trace (test_crash).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.jsonio import dump_bytes
from conformance.suite.checks import (
    as_json,
    expect_error,
    inconclusive,
    needed,
    precondition,
    require,
)
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
    # Control: an implementation that refuses everything would pass vacuously.
    needed("an update with safe ids", impl.update_shot, project.path, "001", "001-s1",
           {"notes": "inside"})
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
            f"files outside the project were touched through ids like {as_json(rel)}: "
            f"{as_json(problems)}")


def _outside_doc(seq: str) -> bytes:
    doc = sequence_doc(seq, [f"{seq}-s1", f"{seq}-outside"], order=9)
    doc["name"] = "OUTSIDE THE PROJECT"
    return dump_bytes(doc)


def _refused(requirement: str, what: str, call: Any, *args: Any) -> None:
    """``call`` must fail (CORRUPT_FILE naming the link); data read through it fails."""
    try:
        result = call(*args)
    except SeqcheckError as exc:
        if exc.code is ErrorCode.UNSUPPORTED:
            inconclusive(f"{what}: the implementation does not offer it ({exc.message})")
        if exc.code in (ErrorCode.CORRUPT_FILE, ErrorCode.INTERNAL_ERROR,
                        ErrorCode.SEQUENCE_NOT_FOUND):
            return  # refused; the code is SEQ-ERR-2's business, the canary judges the rest
        require(requirement, False, f"{what}: expected CORRUPT_FILE naming the link, got "
                f"{exc.code.value}: {exc.message}")
        return
    require(requirement, False, f"{what} followed a link out of the project and returned "
            f"{as_json(result, 200)}")


@pytest.mark.requirement("SEQ-ID-5")
@pytest.mark.parametrize("link", ["sequence-file", "sequences-folder"])
def test_links_out_of_the_project_are_not_followed(
    impl: Any, project: Any, canary: Any, link: str
) -> None:
    basic_project(project)
    shots = needed('get_shots("001")', impl.get_shots, project.path, "001")
    precondition(isinstance(shots, list) and len(shots) == 3,
                 f'get_shots("001") of a plain project should return 3 shots: {as_json(shots)}')
    if link == "sequence-file":
        outside = canary.plant("sequence_009.json", _outside_doc("009"))
        (project.sequences / "sequence_009.json").symlink_to(outside)
        seq, shot = "009", "009-s1"
    else:
        canary.plant("sequences/sequence_001.json", _outside_doc("001"))
        for child in sorted(project.sequences.iterdir()):
            child.unlink()
        project.sequences.rmdir()
        project.sequences.symlink_to(canary.root / "sequences")
        seq, shot = "001", "001-s1"
    before = canary.state()
    _refused("SEQ-ID-5", f"get_shots({as_json(seq)})", impl.get_shots, project.path, seq)
    _refused("SEQ-ID-5", "get_all_sequences()", impl.get_all_sequences, project.path)
    _refused("SEQ-ID-5", f"update_shot({as_json(seq)}, {as_json(shot)}, ...)",
             impl.update_shot, project.path, seq, shot, {"notes": "escaped"})
    problems = canary.disturbed(before)
    require("SEQ-ID-5", not problems,
            f"a {link} linking out of the project was followed: outside it, "
            f"{as_json(problems)}")
