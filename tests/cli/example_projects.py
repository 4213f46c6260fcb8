"""Build the explain examples (conformance.finding_examples) as projects on disk."""

from __future__ import annotations

import os
from pathlib import Path

from conformance.finding_examples import BASE_FILES, EXAMPLES, Content, Fifo, Folder, Link, Sparse


def build_example(code: str, root: Path) -> Path:
    """Write ``code``'s example project under ``root`` (its own folder, so a link may
    point next to it) and return the project folder."""
    project = root / "project"
    files: dict[str, Content] = {**BASE_FILES, **EXAMPLES[code].files}
    for rel, content in files.items():
        path = project / rel
        if content is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Folder):
            path.mkdir()
        elif isinstance(content, Link):
            outside = (path.parent / content.target).resolve()
            outside.parent.mkdir(parents=True, exist_ok=True)
            outside.write_bytes(b'{"id": "002", "shots": []}\n')
            path.symlink_to(content.target)
        elif isinstance(content, Fifo):
            os.mkfifo(path)
        elif isinstance(content, Sparse):
            with path.open("wb") as f:
                f.truncate(content.size)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return project
