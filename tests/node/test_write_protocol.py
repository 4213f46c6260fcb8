"""The example service writes with the spec's protocol; the in-place variants do not.

Runs one update through adapter.mjs under ``strace -f -y`` and reads the syscalls with
the crash tooling's trace parser (which joins calls another thread interrupted):
the correct service never opens the target for writing, writes a temp file beside it
(O_EXCL), fsyncs it, renames it over the target and fsyncs the folder; the
``inplace-write`` variant and the app-like service open the target with O_TRUNC.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.crash.strace import Syscall, read_trace
from conformance.protocol import messages

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ADAPTER = REPO / "conformance" / "adapters" / "node" / "adapter.mjs"
DEMO = REPO / "examples" / "demo-project"


@pytest.fixture(scope="module")
def strace() -> str:
    found = shutil.which("strace")
    if found is None:
        pytest.skip("strace is not installed, so syscalls cannot be traced")
    probe = subprocess.run(
        [found, "-f", "-o", "/dev/null", "true"], capture_output=True, timeout=30
    )
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here (ptrace refused): {probe.stderr.decode().strip()}")
    return found


def traced_update(
    strace: str, node: str, tmp_path: Path, module: str, export: str
) -> tuple[Path, list[Syscall]]:
    project = tmp_path / "project"
    shutil.copytree(DEMO, project)
    log = tmp_path / "strace.log"
    requests = b"".join(
        messages.encode(messages.request(n, op, args))
        for n, (op, args) in enumerate(
            [
                (
                    "update_shot",
                    {
                        "project": str(project),
                        "sequence_id": "001",
                        "shot_id": "shot-0001",
                        "updates": {"notes": "traced"},
                    },
                ),
                ("shutdown", {}),
            ],
            start=1,
        )
    )
    done = subprocess.run(
        [
            strace,
            "-f",
            "-y",
            "-qq",
            "-e",
            "trace=open,openat,rename,renameat,renameat2,fsync,fdatasync",
            "-o",
            str(log),
            node,
            str(ADAPTER),
            "--module",
            module,
            "--export",
            export,
        ],
        input=requests,
        capture_output=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b'"ok":true' in done.stdout.splitlines()[0]
    return project / "sequences" / "sequence_001.json", read_trace(log, cwd=str(REPO))


def opens_for_writing(calls: list[Syscall], path: Path) -> list[Syscall]:
    return [
        call
        for call in calls
        if call.name in ("open", "openat")
        and str(path) in call.path_args
        and re.search(r"O_(WRONLY|RDWR)", " ".join(call.args))
    ]


def test_example_service_writes_temp_fsync_rename_fsync_folder(
    strace: str, node: str, tmp_path: Path
) -> None:
    target, calls = traced_update(
        strace, node, tmp_path, "examples/node-service/ProjectService.mjs", "ProjectService"
    )
    assert opens_for_writing(calls, target) == [], "the target itself was opened for writing"
    tmp_re = re.compile(re.escape(str(target.parent)) + r"/\.sequence_001\.json\.[0-9a-f]{12}\.tmp")
    created = [
        call.start
        for call in calls
        if call.name in ("open", "openat")
        and any(tmp_re.fullmatch(path) for path in call.path_args)
        and "O_WRONLY|O_CREAT|O_EXCL" in " ".join(call.args)
    ]
    synced = [
        call.start
        for call in calls
        if call.name in ("fsync", "fdatasync") and tmp_re.fullmatch(call.fd_path() or "")
    ]
    renamed = [
        call.start
        for call in calls
        if call.name.startswith("rename")
        and len(call.path_args) == 2
        and tmp_re.fullmatch(call.path_args[0])
        and call.path_args[1] == str(target)
    ]
    folder_synced = [
        call.start
        for call in calls
        if call.name == "fsync" and call.fd_path() == str(target.parent)
    ]
    listing = "\n".join(
        f"{call.tid} {call.name}({', '.join(call.args)}) = {call.ret}" for call in calls
    )
    assert (len(created), len(synced), len(renamed), len(folder_synced)) == (1, 1, 1, 1), listing
    assert created[0] < synced[0] < renamed[0] < folder_synced[0], listing
    assert b"traced" in target.read_bytes()


@pytest.mark.parametrize(
    ("module", "export"),
    [
        ("tests/suite/js/inplace-write/ProjectService.mjs", "ProjectService"),
        ("tests/suite/js/app-like/ProjectService.mjs", "ProjectService"),
    ],
)
def test_in_place_writers_truncate_the_target(
    strace: str, node: str, tmp_path: Path, module: str, export: str
) -> None:
    target, calls = traced_update(strace, node, tmp_path, module, export)
    writes = opens_for_writing(calls, target)
    assert len(writes) == 1 and "O_TRUNC" in " ".join(writes[0].args)
    assert not any(call.name.startswith("rename") for call in calls)
    assert b"traced" in target.read_bytes()
