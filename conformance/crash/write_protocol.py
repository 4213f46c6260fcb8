"""Check the durable-write protocol from a syscall trace (SEQ-ATOMIC-2).

A crash-safe replace of a target file looks like this in the trace:

1. a temp file in the target's folder is created and written;
2. the temp file is flushed: ``fsync``/``fdatasync`` on its descriptor (or a
   ``sync``/``syncfs``) completes after its last write and before the rename;
3. ``rename``/``renameat``/``renameat2`` moves it onto the target;
4. the folder is flushed: ``fsync``/``fdatasync`` on a descriptor of the folder after
   the rename, so the rename itself survives a power cut;

and the target itself is never opened for writing, truncated or written in place.
A missing fsync is invisible to kill tests (the page cache survives a killed
process) but not to this check.

The same trace decides three requirements, each by its own rules:

* SEQ-ATOMIC-2 (:func:`check_write_protocol` minus the flush rules): temp file in the
  target's folder, renamed over the target, the target never written in place;
* SEQ-DURABLE-1 (:func:`check_durability`): the new bytes reached the disk before the
  update returned: the temp file fsynced before the rename and the folder after it
  (or, for a writer that rewrites in place, the target fsynced after its last write);
* SEQ-ID-5 (:func:`writes_outside`): nothing outside the project folder is created,
  opened for writing, written, truncated, renamed, linked, re-moded or deleted. Only
  descriptors that are not files on a file system (pipes, sockets, the terminal,
  ``/dev/null``) may be written.
"""

from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.crash.runner import run_update
from conformance.crash.strace import Syscall, is_under, read_trace, strace_prefix

OPEN_CALLS = frozenset({"open", "openat", "openat2", "creat"})
WRITE_CALLS = frozenset({"write", "pwrite64", "writev", "pwritev", "pwritev2"})
FSYNC_CALLS = frozenset({"fsync", "fdatasync"})
GLOBAL_SYNC_CALLS = frozenset({"sync", "syncfs"})
RENAME_CALLS = frozenset({"rename", "renameat", "renameat2"})
TRUNCATE_CALLS = frozenset({"truncate", "ftruncate"})
#: Calls that change a file system entry named by a path argument.
NAMESPACE_CALLS = frozenset({
    "unlink", "unlinkat", "rmdir", "mkdir", "mkdirat", "link", "linkat", "symlink",
    "symlinkat", "mknod", "mknodat", "chmod", "fchmodat", "chown", "lchown", "fchownat",
    "utime", "utimes", "utimensat", "futimesat", "setxattr", "lsetxattr", "removexattr",
    "lremovexattr",
}) | RENAME_CALLS | frozenset({"truncate"})
#: Descriptor-based calls that change the file behind the descriptor.
FD_CHANGE_CALLS = WRITE_CALLS | frozenset({"ftruncate", "fchmod", "fchown", "fallocate"})
#: Special files any process may write: they hold no data of anyone's.
_HARMLESS = ("/dev/null", "/dev/tty", "/dev/pts/", "/dev/stdout", "/dev/stderr", "/dev/full")
#: The flush rules of :func:`check_write_protocol`: SEQ-DURABLE-1's, not SEQ-ATOMIC-2's.
FLUSH_VIOLATIONS = frozenset({
    "temp file not fsynced before rename", "folder not fsynced after rename",
})


@dataclass
class WriteTrace:
    """Result of :func:`trace_update`."""

    #: The update was answered ``ok: true``.
    ok: bool
    #: The update_shot response (``{}`` when the adapter wrote none).
    response: dict[str, Any]
    #: Rule violations, each a short sentence; empty means the protocol was followed.
    violations: list[str]
    #: The calls that touched the project, rendered one per line, for reports.
    events: list[str] = field(default_factory=list)
    stderr_tail: str = ""
    #: Why the change may not be on disk when the update returned (SEQ-DURABLE-1).
    durability: list[str] = field(default_factory=list)
    #: Changes made outside the project folder (SEQ-ID-5), one per call.
    outside: list[str] = field(default_factory=list)

    @property
    def protocol_violations(self) -> list[str]:
        """:attr:`violations` without the flush rules (those are :attr:`durability`)."""
        return [v for v in self.violations if v not in FLUSH_VIOLATIONS]


def _open_flags(call: Syscall) -> str:
    return " ".join(a for a in call.args if "O_" in a)


def _opened_path(call: Syscall) -> str | None:
    return call.path_args[0] if call.path_args else (call.paths[-1] if call.paths else None)


def describe(call: Syscall, project: Path | None = None, *, result: bool = True) -> str:
    """``name(path, ...) = ret`` with paths shown relative to ``project``."""

    def show(path: str) -> str:
        if project is not None and is_under(path, str(project)):
            return os.path.relpath(path, project)
        return path

    shown = ", ".join(show(p) for p in dict.fromkeys(call.paths))
    flags = f" {_open_flags(call)}" if call.name in OPEN_CALLS else ""
    error = f" {call.errno}" if call.errno else ""
    text = f"{call.name}({shown}{flags})"
    if result:
        text += f" = {call.ret}{error}" + (" [killed]" if call.killed else "")
    return text


def _flushes(call: Syscall, path: str) -> bool:
    """Whether ``call`` flushes the file or folder at ``path`` (or everything)."""
    return (call.name in FSYNC_CALLS and call.fd_path(0) == path) or (
        call.name in GLOBAL_SYNC_CALLS
    )


def _renames_onto(ok_calls: list[Syscall], target_s: str) -> list[Syscall]:
    return [
        c for c in ok_calls
        if c.name in RENAME_CALLS and len(c.path_args) == 2 and c.path_args[1] == target_s
    ]


def _in_place_change(call: Syscall, target_s: str) -> str | None:
    """The violation when ``call`` changes the target in place, else None."""
    if call.name in OPEN_CALLS and _opened_path(call) == target_s:
        flags = _open_flags(call)
        if "O_TRUNC" in flags or call.name == "creat":
            return "target opened with O_TRUNC"
        if "O_WRONLY" in flags or "O_RDWR" in flags:
            return "target opened for writing"
        return None
    if call.name in WRITE_CALLS and call.fd_path(0) == target_s:
        return "target written in place"
    if call.name in TRUNCATE_CALLS and target_s in call.paths:
        return "target truncated"
    return None


def _rename_violations(rename: Syscall, ok_calls: list[Syscall], folder_s: str) -> list[str]:
    """What is wrong with one rename onto the target: where its source lives, whether
    the source was flushed after its last write and the folder after the rename."""
    found: list[str] = []
    source = rename.path_args[0]
    if posixpath.dirname(source) != folder_s:
        found.append("temp file not in the target's folder")
    last_write = max(
        (
            c.end
            for c in ok_calls
            if c.end < rename.start and c.name in WRITE_CALLS and c.fd_path(0) == source
        ),
        default=-1,
    )
    if not any(
        last_write < c.start and c.end < rename.start and _flushes(c, source) for c in ok_calls
    ):
        found.append("temp file not fsynced before rename")
    if not any(c.start > rename.end and _flushes(c, folder_s) for c in ok_calls):
        found.append("folder not fsynced after rename")
    return found


def check_write_protocol(calls: list[Syscall], target: Path) -> list[str]:
    """Every violation of the write protocol for ``target`` in ``calls`` (in trace order)."""
    target_s, folder_s = str(target), str(target.parent)
    ok_calls = [c for c in calls if c.ok]
    found = [_in_place_change(call, target_s) for call in ok_calls]
    renames = _renames_onto(ok_calls, target_s)
    if not renames:
        found.append("no rename onto target")
    for rename in renames:
        found.extend(_rename_violations(rename, ok_calls, folder_s))
    return list(dict.fromkeys(v for v in found if v is not None))


def check_durability(calls: list[Syscall], target: Path) -> list[str]:
    """Why the update's new bytes for ``target`` may not have reached the disk."""
    target_s = str(target)
    ok_calls = [c for c in calls if c.ok]
    if _renames_onto(ok_calls, target_s):
        return [v for v in check_write_protocol(calls, target) if v in FLUSH_VIOLATIONS]
    writes = [c for c in ok_calls if c.name in WRITE_CALLS and c.fd_path(0) == target_s]
    if not writes:
        return []  # nothing was written to the target at all: SEQ-ATOMIC-2 reports that
    last = max(c.end for c in writes)
    flushed = any(c.start > last and _flushes(c, target_s) for c in ok_calls)
    return [] if flushed else ["target rewritten in place and never fsynced"]


def _outside(path: str, root: str) -> bool:
    """A file system path (not ``pipe:[..]``, ``socket:[..]``) outside ``root`` that is
    not a harmless special file."""
    if not path.startswith("/") or is_under(path, root):
        return False
    return not any(path.startswith(h) if h.endswith("/") else path == h for h in _HARMLESS)


def writes_outside(calls: list[Syscall], project: Path) -> list[str]:
    """Each call that changed something outside ``project`` (see the module docstring),
    rendered ``name(path)``; reads and harmless special files are not listed."""
    root = str(project)
    found: list[str] = []

    def add(call: Syscall, path: str) -> None:
        text = f"{call.name}({path})"
        if text not in found:
            found.append(text)

    for call in calls:
        if not call.ok:
            continue
        if call.name in OPEN_CALLS:
            path = _opened_path(call)
            flags = _open_flags(call)
            writes = call.name == "creat" or any(
                f in flags for f in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")
            )
            if path is not None and writes and _outside(path, root):
                add(call, path)
        elif call.name in NAMESPACE_CALLS:
            for path in call.path_args:
                if _outside(path, root):
                    add(call, path)
        elif call.name in FD_CHANGE_CALLS:
            path = call.fd_path(0)
            if path is not None and _outside(path, root):
                add(call, path)
    return found


def trace_update(
    argv: list[str],
    project: str | os.PathLike[str],
    sequence_id: Any,
    shot_id: Any,
    updates: Any,
    *,
    target: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> WriteTrace:
    """Run one update of ``project`` (changed in place) under strace and check the
    write protocol for the file it should write.

    ``target`` defaults to the sequence file holding ``sequence_id``, found the way the
    spec says: the file in ``sequences/`` whose ``id`` is ``sequence_id``.
    """
    from tempfile import TemporaryDirectory

    from conformance.crash.strace import strace_status

    usable, reason = strace_status()
    if not usable:
        raise RuntimeError(reason)
    root = Path(project).resolve()
    target_path = (
        Path(target).resolve() if target is not None else _sequence_file(root, sequence_id)
    )
    with TemporaryDirectory(prefix="seqcheck-trace-") as tmp:
        trace_file = Path(tmp) / "trace.txt"
        run = run_update(
            argv,
            root,
            sequence_id,
            shot_id,
            updates,
            prefix=strace_prefix(trace_file),
            timeout=timeout,
            cwd=cwd,
            env=env,
        )
        calls = read_trace(trace_file, cwd=str(Path(cwd or ".").resolve()))
    violations = check_write_protocol(calls, target_path)
    durability = check_durability(calls, target_path)
    outside = writes_outside(calls, root)
    events = [
        describe(c, root)
        for c in calls
        if any(is_under(p, str(root)) for p in c.paths)
    ]
    return WriteTrace(
        ok=run.success_reported,
        response=run.response or {},
        violations=violations,
        events=events,
        stderr_tail=run.stderr_tail,
        durability=durability,
        outside=outside,
    )


def _sequence_file(project: Path, sequence_id: Any) -> Path:
    from conformance.errors import SeqcheckError
    from conformance.jsonio import read_json
    from conformance.layout import is_sequence_file_name, sequences_dir

    folder = sequences_dir(project)
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if not is_sequence_file_name(path.name):
            continue
        try:
            doc, _ = read_json(path)
        except SeqcheckError:
            continue
        if isinstance(doc, dict) and doc.get("id") == sequence_id:
            return path.resolve()
    raise FileNotFoundError(
        f"no sequence file with id {json.dumps(sequence_id)} in {folder}; pass target="
    )
