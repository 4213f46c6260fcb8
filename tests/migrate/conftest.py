"""Fixtures for the migrate tests: projects written from JSON values, trees read as bytes.

Tests check the disk by reading raw bytes (``tree``), never through the migrator's
own reading code, so a reading bug cannot hide a writing bug.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance.projectfs import FolderSyncs
from migrate.project_files import Folder

NOW = "2030-01-02T03:04:05.678Z"
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

MakeProject = Callable[..., Path]


def encode(doc: Any) -> bytes:
    """bytes as given; otherwise pretty JSON (non-ASCII kept) like real app files."""
    if isinstance(doc, bytes):
        return doc
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_project(root: Path, project: Any, sequences: Mapping[str, Any] | None = None) -> Path:
    """Write project.json and ``sequences/<name>`` files under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "project.json").write_bytes(encode(project))
    for name, doc in (sequences or {}).items():
        (root / "sequences").mkdir(exist_ok=True)
        (root / "sequences" / name).write_bytes(encode(doc))
    return root


def tree(root: Path, *, records: bool = False) -> dict[str, bytes]:
    """Every file under ``root`` as relative path -> bytes.

    Lock sidecars (``.<name>.lock``, empty, never unlinked by design) are left out;
    so is ``.seqcheck/`` unless ``records``.
    """
    out = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.name.startswith(".") and path.name.endswith(".lock"):
            continue
        if rel.startswith(".seqcheck/") and not records:
            continue
        out[rel] = path.read_bytes()
    return out


def load(root: Path, rel: str) -> Any:
    return json.loads((root / rel).read_bytes())


def project_doc(shots: list[Any] | None = None, storyboard: list[Any] | None = None,
                **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema_version": "1.0", "project_name": "Test"}
    if shots is not None:
        doc["shots"] = shots
    if storyboard is not None:
        doc["storyboard"] = storyboard
    doc.update(extra)
    return doc


def seq_doc(seq_id: str, shots: list[Any], **extra: Any) -> dict[str, Any]:
    return {"id": seq_id, "name": f"S {seq_id}", "order": 1, "shots": shots, **extra}


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    counter = iter(range(10_000))

    def make(project: Any, sequences: Mapping[str, Any] | None = None) -> Path:
        return write_project(tmp_path / f"p{next(counter)}", project, sequences)

    return make


@pytest.fixture
def example(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of ``examples/<name>``."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(EXAMPLES / name, target)
        return target

    return copy


def patch_project_writes(monkeypatch: pytest.MonkeyPatch,
                         fail: Callable[[int, str], BaseException | None]) -> None:
    """Make the migrator's n-th write of a project file (not a record in .seqcheck/)
    raise ``fail(n, rel)`` when that returns an exception (n counts from 1)."""
    import migrate.project_files as files

    real = files.write
    calls = {"n": 0}

    def write(root: Path, rel: str, data: bytes, *,
              folder_syncs: FolderSyncs | None = None, folder: Folder | None = None,
              ) -> None:
        if not rel.startswith(".seqcheck/"):
            calls["n"] += 1
            exc = fail(calls["n"], rel)
            if exc is not None:
                raise exc
        real(root, rel, data, folder_syncs=folder_syncs, folder=folder)

    monkeypatch.setattr(files, "write", write)


def without_project_sidecar(files: dict[str, bytes]) -> dict[str, Any]:
    """``files`` (a ``tree(records=True)``) with ".project.json.lock" dropped from the
    first run's ``sidecars`` lists: an attempt killed before its manifest existed, or
    one whose clean failure could not remove the sidecar (read-only folder), leaves a
    sidecar the next attempt cannot know it owns."""
    out: dict[str, Any] = dict(files)
    for key in (".seqcheck/runs/0001/journal.json", ".seqcheck/runs/0001/manifest.json"):
        if key in out:
            doc = json.loads(out[key])
            doc["sidecars"] = [s for s in doc["sidecars"] if s != ".project.json.lock"]
            out[key] = doc
    return out


def listing(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root`` except ``.seqcheck/``, lock sidecars and temp files
    included: path -> bytes (``None`` for a folder, the target for a link)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".seqcheck" or rel.startswith(".seqcheck/"):
            continue
        if path.is_symlink():
            out[rel] = str(path.readlink()).encode()
        elif path.is_dir():
            out[rel] = None
        else:
            out[rel] = path.read_bytes()
    return out
