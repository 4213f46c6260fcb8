"""The suite's oracle on disk: build projects from raw files, read results back raw.

Never goes through the implementation under test: projects are written byte by byte
and results are read with seqcheck's own strict parser (:mod:`conformance.jsonio`),
so an implementation cannot hide a defect by reading back its own mistakes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.jsonio import dump_bytes, read_json
from conformance.layout import PROJECT_FILE, SEQUENCES_DIR

#: Sidecar lock files (``.<name>.lock``) are allowed to appear; they carry no data.
_LOCK_SUFFIX = ".lock"


def _is_lock_sidecar(name: str) -> bool:
    return name.startswith(".") and name.endswith(_LOCK_SUFFIX)


@dataclass(frozen=True)
class Snapshot:
    """Every file under a folder (lock sidecars excluded) with its bytes."""

    files: dict[str, bytes]

    def changed(self, later: Snapshot) -> list[str]:
        """Relative paths added, removed or rewritten between ``self`` and ``later``."""
        names = set(self.files) | set(later.files)
        return sorted(n for n in names if self.files.get(n) != later.files.get(n))


def snapshot(root: Path) -> Snapshot:
    """Read every regular file under ``root`` (recursively) into a :class:`Snapshot`."""
    files: dict[str, bytes] = {}
    if root.is_dir():
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                if _is_lock_sidecar(name):
                    continue
                path = Path(dirpath) / name
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return Snapshot(files)


class ProjectDir:
    """A project folder the suite builds from raw files and inspects raw."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def path(self) -> str:
        """The absolute path string the protocol passes as ``project``."""
        return str(self.root.resolve())

    @property
    def sequences(self) -> Path:
        """The ``sequences/`` folder (may not exist)."""
        return self.root / SEQUENCES_DIR

    @property
    def project_json(self) -> Path:
        """The project's ``project.json`` (may not exist)."""
        return self.root / PROJECT_FILE

    def write_project(self, doc: Any) -> Path:
        """Write ``doc`` as project.json in canonical form."""
        self.project_json.write_bytes(dump_bytes(doc))
        return self.project_json

    def write_sequence(self, name: str, doc: Any) -> Path:
        """Write ``doc`` as ``sequences/<name>`` in canonical form."""
        return self.write_raw(f"{SEQUENCES_DIR}/{name}", dump_bytes(doc))

    def write_raw(self, rel: str, data: bytes) -> Path:
        """Write raw ``data`` at ``rel`` inside the project (folders created)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def read(self, rel: str) -> Any:
        """Strictly parse the file at ``rel`` (raises CORRUPT_FILE if it is not JSON)."""
        doc, _ = read_json(self.root / rel)
        return doc

    def read_sequence(self, name: str) -> dict[str, Any]:
        """Strictly parse ``sequences/<name>``."""
        doc = self.read(f"{SEQUENCES_DIR}/{name}")
        assert isinstance(doc, dict), f"{name} does not hold a JSON object"
        return doc

    def raw(self, rel: str) -> bytes:
        """The bytes of the file at ``rel``."""
        return (self.root / rel).read_bytes()

    def snapshot(self) -> Snapshot:
        """Every file of the project with its bytes."""
        return snapshot(self.root)


class Canary:
    """A folder outside the project whose files must never be read or changed.

    Access times are set far in the past: on ``relatime`` and ``strictatime`` mounts
    any read then moves the atime forward, so a read is visible, not only a write.
    """

    _PAST = 1_000_000_000  # 2001-09-09, long before any relatime window

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def plant(self, rel: str, data: bytes) -> Path:
        """Create the canary file ``rel`` with ``data`` and an old atime/mtime."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (self._PAST, self._PAST))
        return path

    def state(self) -> dict[str, tuple[bytes, int, int]]:
        """Bytes, atime and mtime (ns) of every canary file, without reading through
        the atime: ``stat`` first, bytes read last, then the atime is restored."""
        out: dict[str, tuple[bytes, int, int]] = {}
        for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
            st = path.stat()
            data = path.read_bytes()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
            out[path.relative_to(self.root).as_posix()] = (data, st.st_atime_ns, st.st_mtime_ns)
        return out

    def disturbed(self, before: dict[str, tuple[bytes, int, int]]) -> list[str]:
        """What changed since ``before``: names with "read", "written", "removed", "added"."""
        after = self.state()
        problems: list[str] = []
        for name in sorted(set(before) | set(after)):
            if name not in after:
                problems.append(f"{name} removed")
            elif name not in before:
                problems.append(f"{name} added")
            else:
                data0, atime0, mtime0 = before[name]
                data1, atime1, mtime1 = after[name]
                if data0 != data1 or mtime0 != mtime1:
                    problems.append(f"{name} written")
                elif atime0 != atime1:
                    problems.append(f"{name} read (access time moved)")
        return problems


__all__ = ["Canary", "ProjectDir", "Snapshot", "snapshot"]
