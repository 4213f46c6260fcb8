"""What a crashed or failed update left on disk: the target's state and leftover files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from conformance.errors import SeqcheckError
from conformance.jsonio import parse_bytes
from conformance.layout import lock_path

State = Literal["old", "new", "torn", "missing"]

#: Keys whose values legitimately differ between two runs of the same update (the
#: modification timestamp the update sets). Ignored when deciding "new".
VOLATILE_KEYS = frozenset({"modified_at", "updated_at", "modifiedAt", "updatedAt"})


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def read_document(path: Path) -> Any:
    """The parsed target (seqcheck's strict parser); raises SeqcheckError if it does not parse."""
    return parse_bytes(path.read_bytes(), file=path)


def classify(target: Path, before: Any, after: Any | None) -> State:
    """``old`` / ``new`` / ``torn`` / ``missing`` for the file now at ``target``.

    ``old``: parses and equals ``before`` exactly. ``new``: parses and equals ``after``
    except for :data:`VOLATILE_KEYS` (the timestamp differs from run to run). Anything
    else that exists is ``torn``: unparseable, truncated, or some third document.
    """
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return "missing"
    try:
        doc = parse_bytes(data, file=target)
    except SeqcheckError:
        return "torn"
    if doc == before:
        return "old"
    if after is not None and _without_volatile(doc) == _without_volatile(after):
        return "new"
    return "torn"


def listing(folder: Path) -> set[str]:
    """Names in ``folder`` (empty if it does not exist)."""
    try:
        return {entry.name for entry in folder.iterdir()}
    except FileNotFoundError:
        return set()


def leftovers(folder: Path, before: set[str], target: Path) -> list[str]:
    """Names that appeared in ``folder`` and are neither the target nor its sidecar lock.

    (The sidecar lock ``.<name>.lock`` is created once and never unlinked, by design.)
    """
    expected = {target.name, lock_path(target).name}
    return sorted(listing(folder) - before - expected)


@dataclass
class Workspace:
    """Fresh copies of the caller's project, one per run, under one temp root."""

    root: Path
    make_project: Callable[[Path], None]
    target_rel: str

    def fresh(self, label: str) -> tuple[Path, Path]:
        """A new project folder (real path, no symlinks) and its target file."""
        project = self.root / label / "project"
        project.mkdir(parents=True)
        self.make_project(project)
        project = project.resolve()
        return project, project / self.target_rel
