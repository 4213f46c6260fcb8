"""Property: whatever links a project holds, nothing outside it is read or changed.

Hypothesis builds project trees whose sequence files, ``sequences/`` folder and
project.json are regular files or links: inside (relative and absolute), out of the
project (relative through ``..`` and absolute, to a valid sequence file holding a
shot id found nowhere else, to a schema-breaking file, to ``/dev/zero``), loops,
dangling links, links to folders; optionally one entry is swapped between a file and
a link out by a thread while the calls run. validate and the reference store run
over each tree (reads and writes), with one assertion: no outside byte or listing
changed, no result holds outside content, every failure is a SeqcheckError (never a
traceback) and every finding about a link out is SC315.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import SeqcheckError
from conformance.reference import ReferenceStore
from conformance.validate import validate_project
from tests.security.conftest import STOLEN, sequence_doc, tree_state, write_json
from tests.security.test_links import Swapper

ENTRY_KINDS = (
    "file", "inside-rel", "inside-abs", "out-rel", "out-abs", "out-bad", "dev-zero",
    "loop", "dangling", "folder-link",
)
LINKS_OUT = {"out-rel", "out-abs", "out-bad", "dev-zero"}


@dataclass(frozen=True)
class Tree:
    """One generated project: what each sequence file name, ``sequences`` itself and
    project.json are, and which sequence entry (if any) is swapped during the run."""

    entries: tuple[str, ...]
    sequences: str  # "folder", "inside", "out"
    project_json: str  # "file", "inside", "out"
    swap: int | None


trees = st.builds(
    Tree,
    entries=st.lists(st.sampled_from(ENTRY_KINDS), min_size=1, max_size=5).map(tuple),
    sequences=st.sampled_from(["folder", "folder", "inside", "out"]),
    project_json=st.sampled_from(["file", "file", "inside", "out"]),
    swap=st.none() | st.integers(0, 4),
)


def build(base: Path, tree: Tree) -> tuple[Path, Path, set[str]]:
    """The project, the outside folder, and the sequence file names that link out."""
    outside = base / "outside"
    write_json(outside / "secret.json", sequence_doc("900", STOLEN))
    (outside / "bad.json").write_bytes(b'{"id": "901", "shots": "not a list"}')
    write_json(outside / "seqs" / "sequence_001.json", sequence_doc("902", STOLEN))
    root = base / "p"
    pj = {"schema_version": "1.0", "project_name": "P", "shots": [{"id": "legacy"}]}
    if tree.project_json == "file":
        write_json(root / "project.json", pj)
    elif tree.project_json == "inside":
        write_json(root / "meta" / "project.json", pj)
        (root / "project.json").symlink_to("meta/project.json")
    else:
        root.mkdir(parents=True)
        write_json(outside / "project.json", {**pj, "shots": [{"id": STOLEN}]})
        (root / "project.json").symlink_to(outside / "project.json")
    if tree.sequences == "out":
        (root / "sequences").symlink_to(outside / "seqs")
        return root, outside, set()
    seqs = root / ("real-seqs" if tree.sequences == "inside" else "sequences")
    seqs.mkdir(parents=True)
    if tree.sequences == "inside":
        (root / "sequences").symlink_to("real-seqs")
    out_names: set[str] = set()
    for n, kind in enumerate(tree.entries, 1):
        name = f"sequence_{n:03d}.json"
        _make_entry(kind, seqs / name, root, outside, sequence_doc(f"{n:03d}", f"s{n}"))
        if kind in LINKS_OUT:
            out_names.add(name)
    return root, outside, out_names


def _make_entry(kind: str, path: Path, root: Path, outside: Path, doc: dict[str, Any]) -> None:
    """Sequence file ``path`` as ``kind`` says: the file ``doc``, or a link to it or
    elsewhere."""
    name = path.name
    if kind == "file":
        write_json(path, doc)
        return
    if kind in ("inside-rel", "inside-abs"):
        write_json(root / "shared" / name, doc)
        path.symlink_to(f"../shared/{name}" if kind == "inside-rel" else root / "shared" / name)
        return
    link_to: dict[str, str | Path] = {
        "out-rel": os.path.relpath(outside / "secret.json", path.parent),
        "out-abs": outside / "secret.json",
        "out-bad": outside / "bad.json",
        "dev-zero": "/dev/zero",
        "loop": name,
        "dangling": "missing.json",
        "folder-link": "..",
    }
    path.symlink_to(link_to[kind])


def attempt(call: Any) -> Any:
    """The call's result, or the SeqcheckError it raised (anything else propagates)."""
    try:
        return call()
    except SeqcheckError as err:
        return err


def exercise(root: Path, tree: Tree, out_names: set[str]) -> None:
    report = validate_project(root)
    for f in report.findings:
        name = f.file.rsplit("/", 1)[-1]
        if f.file.startswith("sequences/") and name in out_names and tree.swap is None:
            assert f.code == "SC315", f
    if tree.sequences == "out":
        assert [f.code for f in report.findings if f.file == "sequences"] == ["SC315"]
    store = ReferenceStore(root, lock_timeout=1)
    results = [
        attempt(store.get_all_sequences),
        *(attempt(lambda n=n: store.get_shots(f"{n:03d}")) for n in range(1, 6)),
        attempt(lambda: store.get_shots("900")),
        attempt(lambda: store.update_shot("001", "s1", {"notes": "x"})),
        attempt(lambda: store.update_legacy_shot("legacy", {"notes": "y"})),
        attempt(lambda: store.save_shot(STOLEN, {"notes": "z"})),
        attempt(lambda: store.save_shot("s2", {"notes": "w"})),
    ]
    for result in results:
        if not isinstance(result, SeqcheckError):
            assert STOLEN not in json.dumps(result), result


def run_swapped(root: Path, outside: Path, tree: Tree, run: Callable[[], None]) -> None:
    """``run()`` over the built tree; meanwhile, when the tree has an entry to swap
    (``tree.swap``, in a sequences folder inside the project), a thread swaps it
    between a sequence file and a link to the outside secret."""
    if tree.swap is None or tree.swap >= len(tree.entries) or tree.sequences == "out":
        run()
        return
    seqs = root / ("real-seqs" if tree.sequences == "inside" else "sequences")
    target = seqs / f"sequence_{tree.swap + 1:03d}.json"
    target.unlink(missing_ok=True)
    doc = sequence_doc(f"{tree.swap + 1:03d}", f"s{tree.swap + 1}")
    write_json(target, doc)
    with Swapper(target, outside / "secret.json", doc):
        run()


def check(tree: Tree) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root, outside, out_names = build(base, tree)
        before = tree_state(outside)
        links_before = {p: p.readlink() for p in root.rglob("*") if p.is_symlink()}
        run_swapped(root, outside, tree, lambda: exercise(root, tree, out_names))
        assert tree_state(outside) == before
        for link, text in links_before.items():
            if ".swap-" in link.name or (tree.swap is not None and link.parent.name != "p"
                                         and link.name.startswith("sequence_")):
                continue  # the swapper's own links come and go
            assert link.is_symlink() and link.readlink() == text, link


_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=25, **_COMMON)  # type: ignore[arg-type]
@given(tree=trees)
def test_links_never_lead_out_of_the_project(tree: Tree) -> None:
    check(tree)


@pytest.mark.slow
@settings(max_examples=400, **_COMMON)  # type: ignore[arg-type]
@given(tree=trees)
def test_links_never_lead_out_of_the_project_long(tree: Tree) -> None:
    check(tree)
