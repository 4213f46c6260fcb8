"""Links never lead seqcheck out of the project (issue 13, items 4 and 5; SEQ-ID-5).

Each case reproduces an attack from the issue: lock sidecars that are links (the
store and the lock every migrate step takes), project.json linking out, and a link
swapped in and out while the store and validate read. Each asserts the clear error
(code and file) and that nothing outside the project changed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.atomic import atomic_write_bytes, file_lock
from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import LinkOutError, ProjectFS
from conformance.reference import ReferenceStore
from conformance.validate import validate_project
from tests.security.conftest import STOLEN, Canary, sequence_doc, write_json

SEQ1 = "sequences/sequence_001.json"


def raises_corrupt(call: Any, path: Path) -> SeqcheckError:
    with pytest.raises(SeqcheckError) as info:
        call()
    assert info.value.code is ErrorCode.CORRUPT_FILE, info.value
    assert info.value.file == str(path), info.value
    return info.value


# -- lock sidecars (item 4) -----------------------------------------------------------


@pytest.mark.parametrize("target", ["planted.lock", "important.txt"])
def test_sequence_lock_sidecar_linking_out(
    project: Path, canary: Canary, target: str
) -> None:
    """A sidecar linking to a new name outside (would be created) or to an existing
    file (would be opened for writing): both refused, naming the sidecar."""
    side = project / "sequences" / ".sequence_001.json.lock"
    side.symlink_to(canary.folder / target)
    before = (project / SEQ1).read_bytes()
    err = raises_corrupt(
        lambda: ReferenceStore(project).update_shot("001", "a", {"notes": "x"}), side
    )
    assert "lock file" in err.message and "symbolic link" in err.message
    assert (project / SEQ1).read_bytes() == before
    assert side.is_symlink()
    canary.assert_unchanged()


def test_project_lock_sidecar_linking_out(project: Path, canary: Canary) -> None:
    side = project / ".project.json.lock"
    side.symlink_to(canary.folder / "planted.lock")
    before = (project / "project.json").read_bytes()
    for call in (lambda: ReferenceStore(project).update_legacy_shot("legacy", {"n": 1}),
                 lambda: ReferenceStore(project).save_shot("legacy", {"n": 1})):
        raises_corrupt(call, side)
    assert (project / "project.json").read_bytes() == before
    canary.assert_unchanged()


def test_lock_sidecar_linking_inside_is_refused_too(project: Path, canary: Canary) -> None:
    """Sidecars are never followed, even to a file inside the project."""
    side = project / "sequences" / ".sequence_001.json.lock"
    (project / "elsewhere.lock").write_bytes(b"")
    side.symlink_to(project / "elsewhere.lock")
    raises_corrupt(lambda: ReferenceStore(project).update_shot("001", "a", {"n": 1}), side)
    canary.assert_unchanged()


def test_lock_sidecar_that_is_a_fifo(project: Path, canary: Canary) -> None:
    side = project / "sequences" / ".sequence_001.json.lock"
    os.mkfifo(side)
    err = raises_corrupt(
        lambda: ReferenceStore(project).update_shot("001", "a", {"n": 1}), side
    )
    assert "FIFO" in err.message
    canary.assert_unchanged()


def test_migrate_entry_points_refuse_links(project: Path, canary: Canary) -> None:
    """conformance.atomic's file_lock and atomic_write_bytes, which migrate calls, with
    project= and without it (then the file's own folder is the boundary)."""
    side = project / ".project.json.lock"
    side.symlink_to(canary.folder / "planted.lock")
    wheres: list[dict[str, Any]] = [{"project": project}, {}]
    for where in wheres:
        with pytest.raises(SeqcheckError) as info, file_lock(project / "project.json", **where):
            pass
        assert info.value.code is ErrorCode.CORRUPT_FILE and info.value.file == str(side)
    link = project / "sequences" / "sequence_002.json"
    link.symlink_to(canary.secret)
    for where in wheres:
        with pytest.raises(LinkOutError) as info2:
            atomic_write_bytes(link, b"{}", **where)
        assert info2.value.file == str(link)
    assert link.is_symlink()
    assert not list(project.rglob("*.tmp"))
    canary.assert_unchanged()


def test_reads_create_no_sidecar(project: Path) -> None:
    """A command that changes nothing leaves nothing behind (issue 8): reads, and
    updates refused before writing, create no lock file."""
    store = ReferenceStore(project)
    store.get_all_sequences()
    store.get_shots("001")
    calls: list[Callable[[], object]] = [
        lambda: store.update_shot("001", "nope", {"n": 1}),
        lambda: store.update_shot("001", "a", {"id": "other"}),
        lambda: store.update_legacy_shot("nope", {"n": 1}),
        lambda: store.save_shot("nope", {"n": 1}),
    ]
    for call in calls:
        with pytest.raises(SeqcheckError):
            call()
    assert sorted(p.name for p in project.rglob(".*.lock")) == []
    store.update_shot("001", "a", {"n": 1})  # a write creates exactly its own sidecar
    assert sorted(p.name for p in project.rglob(".*.lock")) == [".sequence_001.json.lock"]


# -- project.json linking out (item 5) ------------------------------------------------------


def test_project_json_linking_out(project: Path, canary: Canary) -> None:
    pj = project / "project.json"
    pj.unlink()
    pj.symlink_to(canary.folder / "legacy.json")
    report = validate_project(project)
    assert [(f.code, f.file, f.pointer) for f in report.findings] == [
        ("SC315", "project.json", "")
    ]
    assert str(canary.folder / "legacy.json") in report.findings[0].message
    store = ReferenceStore(project)
    for call in (lambda: store.update_legacy_shot(STOLEN, {"notes": "x"}),
                 lambda: store.save_shot(STOLEN, {"notes": "x"})):
        err = raises_corrupt(call, pj)
        assert "outside the project" in err.message
    assert pj.is_symlink()  # never replaced by a regular file
    canary.assert_unchanged()


def test_project_json_linking_inside_is_an_ordinary_file(project: Path, canary: Canary) -> None:
    pj = project / "project.json"
    (project / "real").mkdir()
    pj.rename(project / "real" / "project.json")
    pj.symlink_to("real/project.json")
    assert validate_project(project).findings == []
    ReferenceStore(project).update_legacy_shot("legacy", {"notes": "x"})
    assert pj.is_symlink()  # written through: the file it leads to changed
    assert json.loads((project / "real/project.json").read_bytes())["shots"][0]["notes"] == "x"
    assert (project / "real" / ".project.json.lock").exists()
    canary.assert_unchanged()


def test_dotdot_link_chain_out_of_the_project(project: Path, canary: Canary) -> None:
    """A relative link inside that climbs out with .. is a link out."""
    (project / "sequences" / "sequence_002.json").symlink_to("../../outside/secret.json")
    (project / "hop").symlink_to("sequences/sequence_002.json")
    fs = ProjectFS(project)
    with pytest.raises(LinkOutError) as info:
        fs.read_bytes("hop")
    assert info.value.file == str(project / "sequences" / "sequence_002.json")
    assert info.value.target == "../../outside/secret.json"
    canary.assert_unchanged()


# -- a link swapped while reading ------------------------------------------------------


class Swapper:
    """Flips ``path`` between a regular file and a link to ``outside`` until stopped
    (each flip is one atomic rename, so the name always exists)."""

    def __init__(self, path: Path, outside: Path, inside_doc: dict[str, Any]) -> None:
        self.path = path
        self.link_tmp = path.with_name(".swap-link")
        self.file_tmp = path.with_name(".swap-file")
        self.outside = outside
        self.data = json.dumps(inside_doc).encode()
        self.stop = threading.Event()
        self.flips = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            self.link_tmp.unlink(missing_ok=True)
            self.link_tmp.symlink_to(self.outside)
            os.replace(self.link_tmp, self.path)
            self.file_tmp.write_bytes(self.data)
            os.replace(self.file_tmp, self.path)
            self.flips += 2

    def __enter__(self) -> Swapper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def test_store_never_returns_an_outside_file_while_a_link_is_swapped(
    project: Path, canary: Canary
) -> None:
    target = project / "sequences" / "sequence_002.json"
    write_json(target, sequence_doc("002", "inside"))
    store = ReferenceStore(project)
    outcomes: dict[str, int] = {}
    deadline = time.monotonic() + 1.5
    with Swapper(target, canary.secret, sequence_doc("002", "inside")) as swapper:
        while time.monotonic() < deadline:
            for call in (store.get_all_sequences, lambda: store.get_shots("002")):
                try:
                    result = call()
                except SeqcheckError as err:  # never a raw OSError
                    outcomes[err.code.value] = outcomes.get(err.code.value, 0) + 1
                    continue
                assert STOLEN not in json.dumps(result)
                outcomes["ok"] = outcomes.get("ok", 0) + 1
    assert swapper.flips > 10, "the swap never ran: the test proves nothing"
    assert outcomes.get("ok", 0) > 0, outcomes
    canary.assert_unchanged()


def test_validate_never_reads_an_outside_file_while_a_link_is_swapped(
    project: Path, canary: Canary
) -> None:
    # The outside file breaks the schema: any schema finding means it was read.
    bad = canary.folder / "bad.json"
    bad.write_bytes(b'{"id": "002", "shots": "not a list"}')
    canary.record()
    target = project / "sequences" / "sequence_002.json"
    write_json(target, sequence_doc("002", "inside"))
    codes: set[str] = set()
    deadline = time.monotonic() + 1.0
    with Swapper(target, bad, sequence_doc("002", "inside")) as swapper:
        while time.monotonic() < deadline:
            codes |= {
                f.code for f in validate_project(project).findings
                if not f.file.startswith("sequences/.swap-")  # the swapper's own temp names
            }
    assert swapper.flips > 10
    assert codes <= {"SC315", "SC101"}, codes  # the link, or the name caught mid-swap
    canary.assert_unchanged()


def test_dangling_sequence_link_is_reported_not_skipped(project: Path) -> None:
    link = project / "sequences" / "sequence_002.json"
    link.symlink_to("gone.json")
    assert [(f.code, f.file) for f in validate_project(project).findings] == [
        ("SC101", "sequences/sequence_002.json")
    ]
    store = ReferenceStore(project)
    for call in (store.get_all_sequences, lambda: store.get_shots("001")):
        err = raises_corrupt(call, link)
        assert "link to nothing" in err.message
