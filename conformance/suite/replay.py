"""Minimal reproductions: the files a test set up and the calls it made, as JSON.

The ``impl`` fixture hands each test a :class:`RecordingImplementation`. It passes
every call through and notes it (operation, arguments, what came back); the first
call on a project folder also captures that folder's files, i.e. what the test set
up. A failed test's certificate entry carries the result (:meth:`Recording.to_dict`),
which a team can replay against its own code: write the files under a fresh folder,
make the calls with that folder as ``project``.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import SeqcheckError

#: Data operations of adapter protocol v1 (the first argument is the project folder).
OPERATIONS = ("update_shot", "get_shots", "get_all_sequences", "update_legacy_shot", "save_shot")
PROJECT = "<project>"
_FILE_LIMIT = 16_000
_TOTAL_LIMIT = 64_000
_CALL_LIMIT = 40
_VALUE_LIMIT = 4_000


def _jsonable(value: Any, budget: int = _VALUE_LIMIT) -> Any:
    """``value`` if it is plain JSON of moderate size, else a short description."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return {"not-json": repr(value)[:200]}
    if len(text) > budget:
        return {"omitted": f"{len(text)} characters of JSON"}
    return value


def _file_entry(path: Path) -> Any:
    data = path.read_bytes()
    if len(data) > _FILE_LIMIT:
        return {"omitted": f"{len(data)} bytes"}
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _files(root: Path) -> dict[str, Any]:
    files: dict[str, Any] = {}
    total = 0
    for dirpath, dirs, names in os.walk(root):
        dirs.sort()
        links = [d for d in dirs if (Path(dirpath) / d).is_symlink()]
        for name in sorted([*names, *links]):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                files[rel] = {"symlink": str(path.readlink())}
                continue
            if not path.is_file():
                continue
            entry = _file_entry(path)
            total += len(entry) if isinstance(entry, str) else 0
            files[rel] = entry if total <= _TOTAL_LIMIT else {"omitted": "reproduction size cap"}
    return files


@dataclass
class Recording:
    """What one test did through the implementation."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0

    def project_label(self, project: str) -> str:
        """``<project>`` for the first folder seen, ``<project-2>``... for others."""
        labels = list(self.files)
        for i, known in enumerate(labels):
            if known == project:
                return PROJECT if i == 0 else f"<project-{i + 1}>"
        return project

    def to_dict(self) -> dict[str, Any]:
        """``{"files": {label: {path: text}}, "calls": [...]}``, JSON-ready."""
        files = {self.project_label(p): tree for p, tree in self.files.items()}
        out: dict[str, Any] = {"files": files, "calls": list(self.calls)}
        if self.dropped:
            out["calls_omitted"] = self.dropped
        return out


class RecordingImplementation:
    """An implementation under test that notes every data call (see module docstring)."""

    def __init__(self, impl: Any, recording: Recording) -> None:
        self._impl = impl
        self._recording = recording

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._impl, name)
        if name not in OPERATIONS:
            return target

        def call(project: Any, *args: Any) -> Any:
            return self._call(name, target, project, *args)

        return call

    def _call(self, op: str, target: Any, project: Any, *args: Any) -> Any:
        rec = self._recording
        key = str(project)
        if key not in rec.files:
            root = Path(key)
            rec.files[key] = _files(root) if root.is_dir() else {}
        entry: dict[str, Any] = {"op": op, "project": rec.project_label(key)}
        names = _ARGUMENTS[op]
        entry.update({n: _jsonable(a) for n, a in zip(names, args, strict=False)})
        try:
            result = target(project, *args)
        except SeqcheckError as exc:
            label = rec.project_label(key)
            entry["error"] = {
                k: v.replace(key, label) if isinstance(v, str) else v
                for k, v in exc.to_dict().items()
            }
            self._note(entry)
            raise
        entry["result"] = _jsonable(result)
        self._note(entry)
        return result

    def _note(self, entry: dict[str, Any]) -> None:
        if len(self._recording.calls) < _CALL_LIMIT:
            self._recording.calls.append(entry)
        else:
            self._recording.dropped += 1


_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "update_shot": ("sequence_id", "shot_id", "updates"),
    "get_shots": ("sequence_id",),
    "get_all_sequences": (),
    "update_legacy_shot": ("shot_id", "updates"),
    "save_shot": ("shot_id", "updates"),
}

__all__ = ["OPERATIONS", "PROJECT", "Recording", "RecordingImplementation"]
