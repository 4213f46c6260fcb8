"""What a crashed or failed update left on disk: the target's state and leftover files."""

from __future__ import annotations

import re
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
#: An ISO 8601 date-time: where two runs of one update both wrote one, the values may
#: differ (each run stamps its own "now", whatever key the implementation stamps).
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def same_run_result(doc: Any, after: Any) -> bool:
    """Whether ``doc`` is what the uninterrupted run wrote (``after``), up to the
    timestamps each run stamps: equal except where both hold an ISO 8601 date-time.

    "New" is judged against what the same implementation writes when not interrupted,
    never against a predicted document: a writer's other habits (it stamps
    ``created_at`` too, say) are other requirements' business.
    """
    if isinstance(doc, dict) and isinstance(after, dict):
        keys = [k for k in doc if k not in VOLATILE_KEYS]
        if keys != [k for k in after if k not in VOLATILE_KEYS]:
            return False
        return all(same_run_result(doc[k], after[k]) for k in keys)
    if isinstance(doc, list) and isinstance(after, list):
        return len(doc) == len(after) and all(
            same_run_result(a, b) for a, b in zip(doc, after, strict=True)
        )
    if isinstance(doc, str) and isinstance(after, str) and doc != after:
        return bool(_TIMESTAMP.match(doc) and _TIMESTAMP.match(after))
    return bool(type(doc) is type(after) and doc == after)


def read_document(path: Path) -> Any:
    """The parsed target (seqcheck's strict parser); raises SeqcheckError if it does not parse."""
    return parse_bytes(path.read_bytes(), file=path)


def classify(target: Path, before: Any, after: Any | None) -> State:
    """``old`` / ``new`` / ``torn`` / ``missing`` for the file now at ``target``.

    ``old``: parses and equals ``before`` exactly. ``new``: what the uninterrupted run
    wrote (``after``), up to the timestamps each run stamps (:func:`same_run_result`).
    Anything else that exists is ``torn``: unparseable, truncated, or some third document.
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
    if after is not None and same_run_result(doc, after):
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
