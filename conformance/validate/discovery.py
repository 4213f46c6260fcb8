"""Which folders are projects: the paths given, the folders found by ``--recursive``,
and the project roots of changed files (the pre-commit hook)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from conformance import layout
from conformance.errors import ErrorCode, SeqcheckError

#: Folders ``--recursive`` never descends into (besides hidden ones).
_SKIP_DIRS = frozenset({"node_modules", "__pycache__"})


def _has_sequence_files(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(layout.is_sequence_file_name(e.name) for e in entries)
    except OSError:
        return False


def is_project(path: Path) -> bool:
    """A folder holding ``project.json`` (file or not: a folder named so is a finding),
    or a ``sequences/`` folder with sequence files (a project missing project.json)."""
    if not path.is_dir():
        return False
    if os.path.lexists(layout.project_file(path)):
        return True
    return _has_sequence_files(layout.sequences_dir(path))


def find_projects(root: Path) -> list[Path]:
    """Every folder under ``root`` (itself included) that holds a ``project.json``,
    sorted; hidden folders and node_modules are skipped, symlinks not followed."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        if layout.PROJECT_FILE in files or layout.PROJECT_FILE in dirs:
            found.append(Path(folder))
    return sorted(found)


def resolve_projects(paths: Iterable[str | os.PathLike[str]], *, recursive: bool) -> list[Path]:
    """The projects to validate for ``paths``, each once, in the order given.

    Raises ``PROJECT_NOT_FOUND`` for a path that is not a project (or, with
    ``recursive``, a folder with no project under it).
    """
    out: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if recursive and path.is_dir():
            projects = find_projects(path)
            if not projects:
                raise SeqcheckError(
                    ErrorCode.PROJECT_NOT_FOUND,
                    f"expected at least one folder holding {layout.PROJECT_FILE} under "
                    f"{path}, found none.",
                    file=path,
                )
        elif is_project(path):
            projects = [path]
        else:
            what = "does not exist" if not os.path.lexists(path) else (
                "is not a folder" if not path.is_dir() else
                f"holds neither {layout.PROJECT_FILE} nor sequence files"
            )
            raise SeqcheckError(
                ErrorCode.PROJECT_NOT_FOUND,
                f"expected a project folder, but {path} {what}. Pass a project folder, "
                "or a parent folder with --recursive.",
                file=path,
            )
        for project in projects:
            key = project.resolve()
            if key not in seen:
                seen.add(key)
                out.append(project)
    return out


def project_roots_for_changed(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The project roots that hold the changed files ``paths`` (pre-commit passes the
    staged files). A whole project is validated because a change in one sequence file
    can break a rule elsewhere (a duplicate id, a project.json copy).

    ``<root>/project.json`` and ``<root>/sequences/<any>`` map to ``<root>``; other
    paths, and roots that are not projects, are skipped.
    """
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.name == layout.PROJECT_FILE:
            root = path.parent
        elif path.parent.name == layout.SEQUENCES_DIR:
            root = path.parent.parent
        else:
            continue
        if root not in out and is_project(root):
            out.append(root)
    return out
