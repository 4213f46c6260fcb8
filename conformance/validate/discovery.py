"""Which folders are projects: the paths given, the folders found by ``--recursive``,
and the project roots of changed files (the pre-commit hook)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from conformance import layout
from conformance.errors import ErrorCode, SeqcheckError
from conformance.projectfs import EntryKind, kind_of_mode

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


#: What a path that is neither a folder nor a regular file is, by its ``st_mode`` type.
def special_file_kind(path: Path) -> str | None:
    """``"a FIFO (named pipe)"``, ``"a socket"``, ... when ``path`` (links followed) is
    neither a folder nor a regular file, else None. Decided by ``stat`` alone: opening
    a FIFO blocks until a writer appears, and reading a device may never end."""
    try:
        kind = kind_of_mode(path.stat().st_mode)
    except OSError:
        return None
    return None if kind in (EntryKind.FILE, EntryKind.FOLDER) else f"a {kind}"


def project_holding(path: Path) -> Path | None:
    """The project a file belongs to: the folder of ``project.json`` (or of any file
    beside it), or the project above ``sequences/`` for a file in there; None when
    neither folder is a project. Never opens ``path``."""
    parent = path.parent
    candidates = [parent.parent, parent] if parent.name == layout.SEQUENCES_DIR else [parent]
    return next((c for c in candidates if is_project(c)), None)


def _not_a_project(path: Path, found: str) -> SeqcheckError:
    return SeqcheckError(
        ErrorCode.PROJECT_NOT_FOUND,
        f"expected a project folder or a file inside one, but {json.dumps(str(path))} "
        f"{found}. Pass a project folder (or its project.json), or a parent folder "
        "with --recursive.",
        file=path,
    )


def _projects_for(path: Path, recursive: bool) -> list[Path]:
    special = special_file_kind(path)
    if special is not None:
        raise _not_a_project(path, f"is {special}; it was not opened")
    if path.is_dir():
        if recursive:
            projects = find_projects(path)
            if not projects:
                raise SeqcheckError(
                    ErrorCode.PROJECT_NOT_FOUND,
                    f"expected at least one folder holding {layout.PROJECT_FILE} under "
                    f"{json.dumps(str(path))}, found none.",
                    file=path,
                )
            return projects
        if is_project(path):
            return [path]
        if path.name == layout.SEQUENCES_DIR and is_project(path.parent):
            raise _not_a_project(
                path,
                f"is the sequences folder of the project {json.dumps(str(path.parent))}, "
                "which is what to pass",
            )
        raise _not_a_project(
            path, f"is a folder holding neither {layout.PROJECT_FILE} nor sequence files"
        )
    if not os.path.lexists(path):
        raise _not_a_project(path, "does not exist")
    if not path.exists():
        raise _not_a_project(path, "is a link to nothing")
    holder = project_holding(path)
    if holder is None:
        raise _not_a_project(path, "is a file outside any project")
    return [holder]


def resolve_projects(paths: Iterable[str | os.PathLike[str]], *, recursive: bool) -> list[Path]:
    """The projects to validate for ``paths``, each once, in the order given.

    A folder is a project (or, with ``recursive``, searched for projects); a file
    means the project holding it (``project.json``, a file in ``sequences/``), as
    check-jsonschema users pass files. FIFOs, sockets and devices are refused
    without being opened. Raises ``PROJECT_NOT_FOUND`` for a path that is no
    project, holds none or is in none.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        for project in _projects_for(Path(given), recursive):
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
