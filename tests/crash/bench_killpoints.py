"""Measure the crash tools (run on demand, not collected by pytest):

    /work/venv/bin/python tests/crash/bench_killpoints.py [--random-trials 40]

Prints, per implementation: kill points per update, full-sweep time and its ratio to
one uninterrupted un-traced run measured in the same process (the baseline), how many
runs the strace sweep needed to catch a non-atomic writer, and how often random
SIGKILL trials catch the same writer on a large file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conformance.crash import kill_point_sweep, random_kill_trials
from conformance.crash.runner import run_update
from conformance.jsonio import dump_bytes
from conformance.protocol import python_command, reference_command

HERE = Path(__file__).parent
DEMO = HERE.parent.parent / "examples" / "demo-project"
TARGET = "sequences/sequence_001.json"
UPDATE = ("001", "shot-0001", {"notes": "bench"})


def make_demo(folder: Path) -> None:
    shutil.copytree(DEMO, folder, dirs_exist_ok=True)


def make_large(folder: Path) -> None:
    """The demo with ~1 MB of notes in the target, so an in-place write is slow."""
    make_demo(folder)
    target = folder / TARGET
    doc = json.loads(target.read_bytes())
    doc["shots"][1]["notes"] = "x" * 1_000_000  # not the updated shot: the new file is large too
    target.write_bytes(dump_bytes(doc))


def plain_run_seconds(argv: list[str], tmp: Path) -> float:
    project = tmp / "plain"
    make_demo(project)
    began = time.monotonic()
    run_update(argv, project.resolve(), *UPDATE)
    return time.monotonic() - began


def bench(label: str, argv: list[str], broken_argv: list[str], trials: int, tmp: Path) -> None:
    baseline = plain_run_seconds(argv, tmp / label)
    sweep = kill_point_sweep(argv, make_demo, TARGET, *UPDATE)
    per_run = sweep.elapsed / (len(sweep.outcomes) + 1)
    print(f"\n== {label}")
    print(f"uninterrupted run, no strace (baseline): {baseline:.2f} s")
    print(
        f"kill points per update: {sweep.points_total} (exact hits: "
        f"{sum(o.exact for o in sweep.outcomes)}/{len(sweep.outcomes)}), "
        f"bad outcomes: {len(sweep.bad)}"
    )
    print(
        f"full sweep: {sweep.elapsed:.1f} s = {per_run:.2f} s per run "
        f"= {per_run / baseline:.1f}x baseline"
    )
    caught = kill_point_sweep(broken_argv, make_demo, TARGET, *UPDATE)
    first = next((i for i, o in enumerate(caught.outcomes) if o in caught.bad), None)
    if first is None:
        print("non-atomic writer: NOT caught by the full sweep")
    else:
        runs = first + 2  # the recording run + kills up to and including the catching one
        print(
            f"non-atomic writer caught after {runs} runs of {len(caught.outcomes) + 1} "
            f"({caught.elapsed * runs / (len(caught.outcomes) + 1):.1f} s): "
            f"{caught.outcomes[first].syscall} -> {caught.outcomes[first].state}"
        )
    for points in (4, 8):
        sample = kill_point_sweep(broken_argv, make_demo, TARGET, *UPDATE, max_points=points)
        print(f"  with max_points={points}: caught={bool(sample.bad)} in {sample.elapsed:.1f} s")
    if trials:
        random = random_kill_trials(broken_argv, make_large, TARGET, *UPDATE, trials=trials, seed=1)
        hits = len(random.bad)
        print(
            f"random SIGKILL, 1 MB file: caught {hits}/{len(random.outcomes)} trials "
            f"({100 * hits / max(len(random.outcomes), 1):.0f}%) in {random.elapsed:.1f} s"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--random-trials", type=int, default=40)
    options = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        bench(
            "python reference",
            reference_command(),
            python_command(f"{HERE / 'broken_impls.py'}:InPlaceStore"),
            options.random_trials,
            Path(tmp),
        )
        node = shutil.which("node")
        if (
            node
            and subprocess.run([node, "--version"], capture_output=True, check=False).returncode
            == 0
        ):
            store = str(HERE / "node_store.mjs")
            bench(
                "node (tests/crash/node_store.mjs)",
                [node, store, "atomic"],
                [node, store, "inplace"],
                options.random_trials,
                Path(tmp),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
