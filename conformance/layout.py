"""Where things live in a project folder (spec section "Layout").

One place for the file names: project.json, the sequences folder, which names in it
are sequence files, the canonical name for a new sequence file, and the lock and temp
names that readers must ignore.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

PROJECT_FILE = "project.json"
SEQUENCES_DIR = "sequences"
#: A sequence file name: ``sequence_`` + at least three ASCII digits + ``.json``.
#: ``[0-9]``, not ``\d`` (which also matches other scripts' digits, e.g. fullwidth);
#: ``\Z``, not ``$`` (which also matches before a trailing newline).
SEQUENCE_FILE_RE = re.compile(r"^sequence_([0-9]{3,})\.json\Z")


def is_sequence_file_name(name: str) -> bool:
    """True when ``name`` is a sequence file name readers must load."""
    return SEQUENCE_FILE_RE.match(name) is not None


def sequences_dir(project: Path) -> Path:
    """The project's ``sequences/`` folder (which may not exist)."""
    return project / SEQUENCES_DIR


def project_file(project: Path) -> Path:
    """The project's ``project.json`` (which may not exist)."""
    return project / PROJECT_FILE


def lock_path(target: Path) -> Path:
    """The sidecar lock file for ``target``: ``.<name>.lock`` beside it, never unlinked.

    The lock is on a stable sidecar, not on the data file, because the atomic rename
    replaces the data file's inode and a lock on the old inode protects nothing.
    """
    return target.with_name(f".{target.name}.lock")


def temp_name_for(name: str) -> str:
    """A fresh temp file name for an atomic write of ``name``: ``.<name>.<12 hex>.tmp``
    beside it (the leading dot hides it from readers; crash clean-up recognises the
    pattern, spec SEQ-LAYOUT-2)."""
    return f".{name}.{os.urandom(6).hex()}.tmp"


def canonical_sequence_file_name(sequence_id: str, taken: Iterable[str]) -> str:
    """File name for a new sequence ``sequence_id``, given the names already in use.

    A numeric id gets ``sequence_<id>.json`` (zero-padded to three digits) when that
    name is free; any other id, or a numeric id whose name is taken, gets the next
    free ordinal after the highest one in use. The id inside the file stays the
    identity, so the name is only a convenience for humans.
    """
    used = set(taken)
    if sequence_id.isdigit() and sequence_id.isascii():
        name = f"sequence_{sequence_id.zfill(3)}.json"
        if name not in used:
            return name
    numbers = [int(m.group(1)) for n in used if (m := SEQUENCE_FILE_RE.match(n))]
    n = max(numbers, default=0) + 1
    while f"sequence_{n:03d}.json" in used:
        n += 1
    return f"sequence_{n:03d}.json"
