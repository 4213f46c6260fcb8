"""Crash safety: the real ``seqcheck migrate`` process is SIGKILLed at many points.

strace's fault injection kills the process on entry to the N-th rename (every
atomic write's commit point: backups, manifest, journal, each sequence file,
project.json), or the N-th ``fsync`` (slow sweep). Then the same command runs
again, and the end state - project files *and* the ``.seqcheck`` records - must equal
byte for byte the state an uninterrupted migration produces (the migration time is
fixed with SEQCHECK_MIGRATE_NOW). Between the kill and the rerun, no shot may be
missing: project.json is the last file written.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.migrate.conftest import (
    NOW,
    listing,
    load,
    project_doc,
    seq_doc,
    tree,
    without_project_sidecar,
    write_project,
)

STRACE = shutil.which("strace") or "/usr/bin/strace"
SEQCHECK = str(Path(sys.executable).with_name("seqcheck"))
ENV = {**os.environ, "SEQCHECK_MIGRATE_NOW": NOW}


def _strace_works() -> bool:
    if not Path(STRACE).exists():
        return False
    probe = subprocess.run([STRACE, "-qq", "-o", "/dev/null", "true"], capture_output=True)
    return probe.returncode == 0


_STRACE_OK = _strace_works()


def needs_strace(test: Callable[..., None]) -> Callable[..., None]:
    """Mark a test that kills through strace; skip it where strace cannot run."""
    skip = pytest.mark.skipif(not _STRACE_OK, reason="strace missing or ptrace not permitted")
    marked: Callable[..., None] = pytest.mark.needs_strace(skip(test))
    return marked


def _legacy(root: Path, shots_per_seq: int = 2) -> Path:
    shots = []
    for n in range(shots_per_seq):
        shots += [
            {"id": f"w{n}", "sequence_id": "001", "x-ünïcode": "✓", "n": n},
            {"id": f"p{n}", "sequencePlanId": "seq-b", "timing": {"duration": 1.5}},
            {"id": f"o{n}", "title": "orphan"},
        ]
    storyboard = [{"id": f"sb{n}", "sequence_id": "seq-c", "duration": 2}
                  for n in range(shots_per_seq)]
    return write_project(
        root, project_doc(shots=shots, storyboard=storyboard),
        {"sequence_001.json": seq_doc("001", [{"id": "e", "sequencePlanId": "001"}],
                                      duration=0, metadata={"updated_at": NOW})},
    )


def _run(root: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), SEQCHECK, "migrate", str(root)], env=ENV,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = _legacy(tmp_path_factory.mktemp("ref") / "p")
    done = _run(root)
    assert done.returncode == 0, done.stderr
    return tree(root, records=True)


def _all_original_shots_present(root: Path, original_ids: set[str]) -> None:
    found: set[str] = set()
    for rel in tree(root):
        if rel.endswith(".json") and not rel.startswith(".seqcheck"):
            doc = load(root, rel)
            for key in ("shots", "storyboard"):
                found.update(s["id"] for s in doc.get(key, []))
    assert original_ids <= found


#: The atomic write renames relative to the folder's descriptor (renameat, or renameat2
#: where the platform has only that); strace counts each syscall of a set separately,
#: and seqcheck uses one of them, so when=N is its N-th rename.
RENAMES = "rename,renameat,renameat2"


def _kill_and_resume(tmp_path: Path, reference: dict[str, bytes], syscall: str, n: int) -> bool:
    """Kill at the n-th ``syscall``; return False once n is past the last one."""
    root = _legacy(tmp_path / f"{syscall}{n}")
    original = tree(root)
    ids = {s["id"] for k in ("shots", "storyboard") for s in load(root, "project.json")[k]}
    killed = _run(root, [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
                         "-e", f"inject={syscall}:signal=KILL:when={n}"])
    if killed.returncode == 0:
        assert tree(root, records=True) == reference
        return False
    assert killed.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), killed.stderr
    pj = tree(root)["project.json"]
    assert pj in (original["project.json"], reference["project.json"])
    _all_original_shots_present(root, ids)
    recorded = (root / ".seqcheck/runs/0001/manifest.json").exists()
    resumed = _run(root)
    assert resumed.returncode == 0, (n, resumed.stdout, resumed.stderr)
    if recorded:
        assert tree(root, records=True) == reference, f"kill at {syscall} #{n}"
    else:
        # Killed before its manifest existed: the first attempt could not record that it
        # created project.json's sidecar, so the finished journal cannot claim it.
        assert without_project_sidecar(tree(root, records=True)) == \
            without_project_sidecar(reference), f"kill at {syscall} #{n}"
    if n == 1:  # once is enough: the resumed project is a migrated one
        again = _run(root)
        assert again.returncode == 0 and "already migrated" in again.stdout
        assert without_project_sidecar(tree(root, records=True)) == \
            without_project_sidecar(reference)
    return True


@needs_strace
@pytest.mark.parametrize("n", [1, 3, 4, 6, 8])
def test_sigkill_at_a_rename_of_each_phase_then_rerun_equals_uninterrupted(
    tmp_path: Path, reference: dict[str, bytes], n: int
) -> None:
    # One commit point per phase in the default run (the slow set takes them all):
    # 1 the manifest, 3 the last backup, 4 the first journal, 6 a created sequence
    # file, 8 project.json (the last step).
    assert _kill_and_resume(tmp_path, reference, RENAMES, n), "the kill did not fire"


@needs_strace
@pytest.mark.slow
def test_sigkill_at_every_rename_then_rerun_equals_uninterrupted(
    tmp_path: Path, reference: dict[str, bytes]
) -> None:
    n = 1
    while _kill_and_resume(tmp_path, reference, RENAMES, n):
        n += 1
    # Manifest + 2 backups + journal + 4 steps + the final journal: 9 commit points
    # (more when a slow step makes the group-committed journal write in between).
    assert n >= 10


@needs_strace
@pytest.mark.slow
def test_sigkill_at_every_fsync_then_rerun_equals_uninterrupted(
    tmp_path: Path, reference: dict[str, bytes]
) -> None:
    n = 1
    while _kill_and_resume(tmp_path, reference, "fsync", n):
        n += 1
    assert n > 20


@needs_strace
def test_sigkill_during_a_resume_then_rerun(tmp_path: Path, reference: dict[str, bytes]) -> None:
    root = _legacy(tmp_path / "twice")
    for when in (6, 3):  # kill the first attempt, then the resume itself
        killed = _run(root, [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={RENAMES}",
                             "-e", f"inject={RENAMES}:signal=KILL:when={when}"])
        assert killed.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL)
    assert _run(root).returncode == 0
    assert tree(root, records=True) == reference


@pytest.mark.slow
def test_real_sigkill_at_random_times(tmp_path: Path) -> None:
    """Supplement without strace: real timed SIGKILLs on a bigger project."""
    ref_root = _legacy(tmp_path / "ref", shots_per_seq=400)
    assert _run(ref_root).returncode == 0
    expected = tree(ref_root, records=True)
    for attempt, delay in enumerate((0.25, 0.35, 0.45, 0.55, 0.7, 0.9)):
        root = _legacy(tmp_path / f"t{attempt}", shots_per_seq=400)
        proc = subprocess.Popen([SEQCHECK, "migrate", str(root)], env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done = _run(root)
        assert done.returncode == 0, done.stderr
        assert tree(root, records=True) == expected


# -- issue 14: leftovers of a killed migrate are cleaned by rollback and resume -----------

def _killed_at(root: Path, n: int) -> subprocess.CompletedProcess[str]:
    return _run(root, [STRACE, "-f", "-qq", "-o", "/dev/null", "-e", f"trace={RENAMES}",
                       "-e", f"inject={RENAMES}:signal=KILL:when={n}"])


def _temps(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.tmp")
                  if ".seqcheck" not in p.parts)


@pytest.fixture(scope="module")
def reference_listing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes | None]:
    """Every entry (sidecars included) of an uninterrupted migration's project."""
    root = _legacy(tmp_path_factory.mktemp("ref-listing") / "p")
    assert _run(root).returncode == 0
    return listing(root)


def _leftovers_cleaned(tmp_path: Path, n: int, then: str,
                       reference: dict[str, bytes | None]) -> bool:
    """Kill a migrate at its n-th rename (a temp file is then on disk), run ``then``
    (rollback or resume) and check nothing of the killed run is left; False once n is
    past the last rename."""
    root = _legacy(tmp_path / f"{then}{n}")
    original = listing(root)
    killed = _killed_at(root, n)
    if killed.returncode == 0:
        return False
    assert killed.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), killed.stderr
    temps = _temps(root) + sorted(p.name for p in root.rglob(".*.tmp") if ".seqcheck" in p.parts)
    assert temps, "the kill left no temp file: the fault did not fire where aimed"
    if then == "rollback":
        done = subprocess.run([SEQCHECK, "migrate", str(root), "--rollback"], env=ENV,
                              capture_output=True, text=True, timeout=120)
        if "MIGRATE_NOTHING_TO_ROLL_BACK" in done.stderr:  # killed before the journal
            assert listing(root).keys() - original.keys() <= {".project.json.lock"} | {
                t for t in _temps(root)}
            return True
        assert done.returncode == 0, done.stderr
        assert listing(root) == original, f"kill at rename #{n}"  # no temp, no sidecar
    else:
        assert _run(root).returncode == 0
        assert _temps(root) == []
        assert listing(root) == reference, f"kill at rename #{n}"
    return True


@needs_strace
@pytest.mark.parametrize("then", ["rollback", "resume"])
def test_leftovers_of_a_killed_migrate_are_cleaned(
    tmp_path: Path, then: str, reference_listing: dict[str, bytes | None]
) -> None:
    # 5: a created sequence file's temp; 7: the rewritten sequence file's temp.
    for n in (5, 7):
        assert _leftovers_cleaned(tmp_path, n, then, reference_listing)


@needs_strace
@pytest.mark.slow
@pytest.mark.parametrize("then", ["rollback", "resume"])
def test_leftovers_at_every_rename_are_cleaned(
    tmp_path: Path, then: str, reference_listing: dict[str, bytes | None]
) -> None:
    n = 1
    while _leftovers_cleaned(tmp_path, n, then, reference_listing):
        n += 1
    assert n >= 8


@pytest.mark.slow
def test_real_sigkill_then_rollback_leaves_the_original_folder(tmp_path: Path) -> None:
    """Timed SIGKILLs (no strace), then --rollback: exactly the original entries."""
    for attempt, delay in enumerate((0.3, 0.45, 0.6, 0.8)):
        root = _legacy(tmp_path / f"t{attempt}", shots_per_seq=400)
        original = listing(root)
        proc = subprocess.Popen([SEQCHECK, "migrate", str(root)], env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        back = subprocess.run([SEQCHECK, "migrate", str(root), "--rollback"], env=ENV,
                              capture_output=True, text=True, timeout=120)
        if back.returncode == 0:
            assert listing(root) == original
        else:  # killed before the run was journalled: nothing of it touched the project
            assert "MIGRATE_NOTHING_TO_ROLL_BACK" in back.stderr
            assert tree(root) == {k: v for k, v in original.items() if v is not None
                                  and not k.endswith(".lock")}
