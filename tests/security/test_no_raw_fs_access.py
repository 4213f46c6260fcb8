"""Nothing but conformance/projectfs.py opens a project path (issue 13: "a test scans
for it").

The scan parses every module of ``conformance/`` and ``migrate/`` and lists each
call that reads, writes, creates, renames or deletes by name: ``open``, the ``os``
functions that do so, ``shutil``'s tree and copy functions, and the ``pathlib``
methods of the same kind. Calls that only look (``exists``, ``is_dir``, ``stat``)
are not listed: they read no content and change nothing, and the operation that
follows goes through projectfs, which re-checks on the descriptor.

Every hit must be in ``conformance/projectfs.py`` or on :data:`ALLOWED`, which says
per module which calls may stay and why (the module works on paths that are not in
a project: its own temp folders, package resources, the user's ``-o`` file). Modules
still converting to projectfs are on :data:`PENDING`; the test fails when a pending
module is clean (take it off the list) and when a module not listed has a hit.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("conformance", "migrate")
THE_MODULE = "conformance/projectfs.py"

#: ``os.<name>(...)`` calls that touch the file system by name.
OS_CALLS = frozenset({
    "open", "scandir", "listdir", "walk", "fwalk", "remove", "unlink", "rename",
    "renames", "replace", "mkdir", "makedirs", "rmdir", "removedirs", "symlink", "link",
    "readlink", "chmod", "chown", "truncate", "mkfifo", "mknod", "utime",
})
#: ``shutil.<name>(...)`` calls.
SHUTIL_CALLS = frozenset({
    "rmtree", "copy", "copy2", "copyfile", "copytree", "move", "copymode", "copystat",
})
#: Method calls of pathlib (matched by name on any object; the allow-list names the
#: few non-path receivers).
PATH_METHODS = frozenset({
    "open", "read_bytes", "read_text", "write_bytes", "write_text", "unlink", "mkdir",
    "rmdir", "rename", "replace", "touch", "iterdir", "glob", "rglob", "symlink_to",
    "hardlink_to", "chmod", "lchmod",
})

#: module -> {call: why it may stay}. A call is ``open`` (the builtin), ``os.X``,
#: ``shutil.X`` or ``.X`` (a method).
_SUITE = ("the conformance suite builds its own temp projects and inspects what the "
          "implementation under test wrote there; no path comes from a user's project")
_CRASH = ("the crash harness builds its own temp projects and reads what the "
          "implementation under test left after a kill; no path comes from a user's project")
ALLOWED: dict[str, dict[str, str]] = {
    "conformance/atomic.py": {
        "os.open": "fsync_dir opens a folder read-only to fsync it, by the path the "
                   "caller already reached (kept for migrate until it uses ProjectFS)",
    },
    "conformance/schema_registry.py": {
        ".iterdir": "lists seqcheck's own schemas in the installed package (resources)",
        ".read_text": "reads seqcheck's own schemas from the installed package",
    },
    "conformance/validate/discovery.py": {
        "os.scandir": "looks for project folders under the paths the user gave (names "
                      "only, links not followed); the projects found are read via ProjectFS",
        "os.walk": "walks the paths the user gave to find projects (links not followed)",
    },
    "conformance/cli/validate_cmd.py": {
        ".write_text": "writes the report to the -o file the user named",
    },
    "conformance/certify/progress.py": {
        ".open": "appends progress events to the file certify named in its own temp folder",
    },
    "conformance/protocol/process.py": {
        "os.scandir": "lists /proc to find processes holding a stopped adapter's pipes",
    },
    "conformance/cli/certify_cmd.py": {
        ".open": "appends the certificate summary to the file the user (or "
                 "GITHUB_STEP_SUMMARY) named",
    },
    "conformance/certify/runner.py": {
        ".write_text": "writes pytest.ini into certify's own temp folder",
        ".open": "the suite's output log and progress events in certify's own temp folder",
        ".read_text": "reads the results file certify's own pytest run wrote",
    },
    "conformance/suite/results.py": {
        ".write_text": "writes the raw-results file the user named",
    },
    "conformance/suite/disk.py": {call: _SUITE for call in (
        "os.walk", ".mkdir", ".write_bytes", ".read_bytes", "os.utime", ".rglob")},
    "conformance/suite/cases/test_bad_files.py": {call: _SUITE for call in (
        ".rmdir", ".write_bytes", ".iterdir", ".unlink")},
    "conformance/suite/cases/test_concurrency.py": {call: _SUITE for call in (
        "os.open", ".read_bytes")},
    "conformance/suite/cases/test_crash.py": {".iterdir": _SUITE},
    "conformance/suite/cases/test_scale.py": {".mkdir": _SUITE, ".write_bytes": _SUITE},
    "conformance/suite/cases/test_security.py": {call: _SUITE for call in (
        ".rglob", ".symlink_to", ".rmdir", ".iterdir", ".unlink")},
    "conformance/suite/replay.py": {".read_bytes": _SUITE, "os.walk": _SUITE},
    "conformance/cli/schema_cmd.py": {
        ".read_bytes": "reads seqcheck's own schemas from the installed package",
        ".mkdir": "creates the --output folder the user named",
    },
    "conformance/explain.py": {call: "reads seqcheck's own SPEC.md and suite sources "
                               "shipped in the installed package" for call in (
        ".read_text", ".iterdir")},
    "conformance/spec_prose.py": {
        ".read_text": "reads seqcheck's own SPEC.md shipped in the installed package",
    },
    "migrate/repair.py": {
        ".replace": "datetime.replace(tzinfo=...), not a file",
    },
    "conformance/suite/cases/test_sequences.py": {".iterdir": _SUITE},
    "conformance/suite/cases/test_update.py": {
        ".replace": "datetime.replace(microsecond=0), not a file",
    },
    "conformance/crash/reader.py": {".read_bytes": _CRASH},
    "conformance/crash/state.py": {call: _CRASH for call in (
        ".read_bytes", ".mkdir", ".iterdir")},
    "conformance/crash/strace.py": {
        ".read_text": "reads the strace output file in the harness's own temp folder",
    },
    "conformance/crash/torn.py": {".touch": _CRASH},
    "conformance/crash/write_protocol.py": {".iterdir": _CRASH},
    "migrate/project_files.py": {
        ".unlink": "ProjectFS.unlink (migrate's thin layer over projectfs), not pathlib",
        ".rmdir": "ProjectFS.rmdir (migrate's thin layer over projectfs), not pathlib",
    },
    "migrate/plan.py": {
        ".replace": "holder.replace(new_shot) replaces a shot in the plan, not a file",
    },
}

#: Modules that still do raw I/O on project paths, owned by another change (the
#: migrate-safety work converts migrate/ to ProjectFS). The lead empties this list
#: after merging it; the test fails as soon as a listed module is clean.
PENDING: dict[str, str] = {}


def calls_in(path: Path) -> list[tuple[int, str]]:
    """``(line, call)`` for every file-system call by name in the module at ``path``."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "open":
            hits.append((node.lineno, "open"))
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id == "os" and func.attr in OS_CALLS:
                hits.append((node.lineno, f"os.{func.attr}"))
            elif isinstance(owner, ast.Name) and owner.id == "shutil" and (
                func.attr in SHUTIL_CALLS
            ):
                hits.append((node.lineno, f"shutil.{func.attr}"))
            elif (func.attr in PATH_METHODS and not _is_str_replace(node)
                  and not _is_projectfs(owner)):
                hits.append((node.lineno, f".{func.attr}"))
    return hits


def _is_projectfs(owner: ast.expr) -> bool:
    """A ProjectFS receiver: ``ProjectFS(...)`` itself, or a name ending in ``fs``
    (the convention for ProjectFS instances: ``fs``, ``self._fs``)."""
    if isinstance(owner, ast.Call):
        return isinstance(owner.func, ast.Name) and owner.func.id == "ProjectFS"
    name = owner.id if isinstance(owner, ast.Name) else (
        owner.attr if isinstance(owner, ast.Attribute) else "")
    return name == "fs" or name.endswith("_fs")


def _is_str_replace(node: ast.Call) -> bool:
    """``s.replace(a, b)`` (two arguments) is str.replace; Path.replace takes one."""
    assert isinstance(node.func, ast.Attribute)
    return node.func.attr == "replace" and len(node.args) + len(node.keywords) >= 2


def modules() -> list[str]:
    return sorted(
        p.relative_to(ROOT).as_posix()
        for top in SCANNED for p in (ROOT / top).rglob("*.py")
    )


def test_only_projectfs_touches_project_paths() -> None:
    offenders: dict[str, list[str]] = {}
    for rel in modules():
        if rel == THE_MODULE or rel in PENDING:
            continue
        allowed = ALLOWED.get(rel, {})
        bad = [f"line {line}: {call}" for line, call in calls_in(ROOT / rel)
               if call not in allowed]
        if bad:
            offenders[rel] = bad
    assert offenders == {}, (
        "file-system calls outside conformance/projectfs.py; use ProjectFS, or add the "
        f"module to ALLOWED with the reason: {offenders}"
    )


def test_pending_modules_still_need_converting() -> None:
    """A pending module with no raw call left must leave the list."""
    for rel in PENDING:
        assert (ROOT / rel).is_file(), f"{rel} no longer exists: remove it from PENDING"
        allowed = ALLOWED.get(rel, {})
        left = [call for _, call in calls_in(ROOT / rel) if call not in allowed]
        assert left, f"{rel} is clean now: remove it from PENDING"


def test_allow_list_is_live_and_explained() -> None:
    for rel, calls in ALLOWED.items():
        assert (ROOT / rel).is_file(), rel
        found = {call for _, call in calls_in(ROOT / rel)}
        for call, why in calls.items():
            assert why.strip(), f"{rel}: {call} needs its reason"
            assert call in found, f"{rel}: {call} is allowed but no longer used"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan can fail: each kind of call in a sample module is found."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, shutil\n"
        "open('x')\n"
        "os.open('x', 0)\n"
        "shutil.rmtree('x')\n"
        "p.read_bytes()\n"
        "p.replace(q)\n"
        "'a'.replace('b', 'c')\n"
        "os.scandir('.')\n"
        "fs.read_bytes('x')\n"
        "self._fs.write_atomic('x', b'')\n"
        "ProjectFS(root).read_bytes('x')\n"
        "path.unlink()\n"
    )
    assert [call for _, call in calls_in(sample)] == [
        "open", "os.open", "shutil.rmtree", ".read_bytes", ".replace", "os.scandir",
        ".unlink",
    ]
