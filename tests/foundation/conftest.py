"""Fixtures for the foundation tests: projects built from raw bytes, read back raw.

Tests drive the reference store only through its public API and check the disk by
reading bytes, so a bug in the store's own reading code cannot hide a bug in its
writing code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance import schema_registry

FIXED_NOW = "2030-01-02T03:04:05.678Z"

ProjectFiles = Mapping[str, Any]
MakeProject = Callable[..., Path]


def encode(doc: Any) -> bytes:
    """Raw bytes for a fixture value: bytes as given, str as UTF-8, else compact JSON."""
    if isinstance(doc, bytes):
        return doc
    if isinstance(doc, str):
        return doc.encode("utf-8")
    return json.dumps(doc).encode("utf-8")


def build_project(root: Path, files: ProjectFiles) -> Path:
    """Write ``files`` (relative path -> bytes/str/JSON value) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(content))
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path -> bytes), lock files excluded.

    Sidecar lock files are the one thing a failed call may leave (spec SEQ-ERR-2).
    """
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def sequence(seq_id: str, *shots: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal valid sequence document."""
    return {"id": seq_id, **extra, "shots": list(shots)}


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """``make_project({"sequences/sequence_001.json": doc, ...}) -> project folder``."""

    def make(files: ProjectFiles, name: str = "project") -> Path:
        return build_project(tmp_path / name, files)

    return make


@pytest.fixture(scope="session", autouse=True)
def _warm_schemas() -> None:
    """Load and compile every schema before any test patches the file system."""
    for name in schema_registry.schema_names():
        schema_registry.is_valid(name, {})
        schema_registry.first_error(name, {"created_at": "x", "id": 1})
        list(schema_registry.iter_errors(name, {"metadata": {"created_at": "x"}}))


class Kit:
    """Helpers for tests (conftest modules cannot be imported under importlib mode)."""

    FIXED_NOW = FIXED_NOW
    encode = staticmethod(encode)
    build_project = staticmethod(build_project)
    snapshot = staticmethod(snapshot)
    sequence = staticmethod(sequence)


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    """The helper namespace :class:`Kit` (session-scoped, so hypothesis tests may use it)."""
    return Kit
