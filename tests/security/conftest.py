"""Fixtures for the security tests: a hostile project beside a canary folder.

Every test builds its project next to a *canary* folder outside it, holding files
an attacker would like seqcheck to read, overwrite or delete. The canary's listing
and bytes are recorded first and asserted unchanged at the end: nothing outside the
project may change, whatever the project holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: A shot id that exists only outside the project: seeing it in any result means an
#: outside file was read.
STOLEN = "stolen-shot"


def sequence_doc(seq_id: str, *shot_ids: str) -> dict[str, Any]:
    """A valid sequence document with the given shots."""
    return {"id": seq_id, "shots": [{"id": s, "sequencePlanId": seq_id} for s in shot_ids]}


def write_json(path: Path, doc: Any) -> bytes:
    """Write ``doc`` as JSON to ``path``; return the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(doc, indent=2) + "\n").encode()
    path.write_bytes(data)
    return data


def tree_state(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (links not followed): relative path -> what it is
    (a file's bytes as hex, a link's target, a folder marker)."""
    state: dict[str, str] = {}
    for here, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(here) / name
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                state[rel] = "link -> " + str(path.readlink())
            elif path.is_dir():
                state[rel] = "folder"
            elif path.is_file():
                state[rel] = "file " + path.read_bytes().hex()
            else:
                state[rel] = "special"
    return state


@dataclass
class Canary:
    """A folder outside the project whose content must never change."""

    folder: Path
    secret: Path
    before: dict[str, str] = field(default_factory=dict)

    def record(self) -> None:
        self.before = tree_state(self.folder)

    def assert_unchanged(self) -> None:
        """The canary's listing and bytes are exactly as recorded."""
        assert tree_state(self.folder) == self.before


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    """``tmp_path/outside``: a sequence file holding :data:`STOLEN` (valid, so that a
    reader following a link to it would return it), a folder of run-record look-alikes
    and a plain file; asserted unchanged after the test too."""
    folder = tmp_path / "outside"
    secret = folder / "secret.json"
    write_json(secret, sequence_doc("002", STOLEN))
    write_json(folder / "legacy.json", {"schema_version": "1.0", "project_name": "X",
                                         "shots": [{"id": STOLEN}]})
    (folder / "Photos" / "2024").mkdir(parents=True)
    (folder / "Photos" / "2024" / "holiday.jpg").write_bytes(b"\xff\xd8 holiday")
    (folder / "important.txt").write_bytes(b"do not touch\n")
    found = Canary(folder, secret)
    found.record()
    yield found
    found.assert_unchanged()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``tmp_path/p``: project.json with a legacy shot, and sequence 001 with shot a."""
    root = tmp_path / "p"
    write_json(root / "project.json", {"schema_version": "1.0", "project_name": "P",
                                       "shots": [{"id": "legacy"}]})
    write_json(root / "sequences" / "sequence_001.json", sequence_doc("001", "a"))
    return root
