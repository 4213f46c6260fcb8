"""Benchmark: ``seqcheck validate -r -j 2`` vs ``-j 1`` on a folder of many projects.

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/bench_batch.py [--projects 200] [--files 5]
        [--shots 20] [--rounds 5] [--jobs 2]

Generates PROJECTS projects of FILES sequence files x SHOTS shots (the shot shape of
bench_validate.py) in a temp folder; every tenth project has a finding, so the
report is not empty. Then runs whole ``seqcheck validate -r -q`` processes, the
serial run (``-j 1``, the floor) and the parallel one alternating in each round, and
prints the median wall time of each and their ratio. It also checks that both runs
print the same report and exit with the same status.

Target (issue 11): ``-j 2`` faster than ``-j 1`` on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_validate import generate

BIN = Path(sys.executable).parent


def make_projects(root: Path, projects: int, files: int, shots: int) -> int:
    """Write the projects under ``root``; return the bytes written."""
    total = 0
    for i in range(projects):
        total += generate(root / f"film-{i:04d}", files, shots, broken=i % 10 == 0)
    return total


def run(jobs: int, root: Path) -> tuple[float, int, bytes]:
    """(wall seconds, exit status, stdout) of one ``seqcheck validate -r`` process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "seqcheck"), "validate", "-r", "-q", "-j", str(jobs), str(root)],
        capture_output=True,
    )
    return time.perf_counter() - start, proc.returncode, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--shots", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="seqcheck-bench-batch-") as tmp:
        root = Path(tmp)
        size = make_projects(root, args.projects, args.files, args.shots)
        print(f"{args.projects} projects x {args.files} files x {args.shots} shots "
              f"({size / 1e6:.1f} MB) on {cores} cores; {args.rounds} rounds, interleaved")
        run(1, root)  # warm the page cache and the interpreter's files
        serial: list[float] = []
        parallel: list[float] = []
        for r in range(args.rounds):
            order = [(1, serial), (args.jobs, parallel)]
            if r % 2:
                order.reverse()
            outputs = {}
            for jobs, times in order:
                wall, status, out = run(jobs, root)
                times.append(wall)
                outputs[jobs] = (status, out)
            if outputs[1] != outputs[args.jobs]:
                sys.exit("FAIL: -j 1 and -j {args.jobs} disagree on the report or exit status")
        s, p = statistics.median(serial), statistics.median(parallel)
        print(f"  -j 1 (floor)  median {s:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in serial)})")
        print(f"  -j {args.jobs}         median {p:.2f} s  "
              f"(runs: {', '.join(f'{t:.2f}' for t in parallel)})")
        print(f"  speed-up -j {args.jobs} vs -j 1: {s / p:.2f}x "
              f"({'faster' if p < s else 'NOT faster'}); same report and exit status: yes")


if __name__ == "__main__":
    main()
