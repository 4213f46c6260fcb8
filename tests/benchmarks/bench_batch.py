"""Benchmark: ``seqcheck validate -r -j 2`` vs ``-j 1`` on a folder of many projects.

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/bench_batch.py [--projects 200] [--files 5]
        [--shots 20] [--rounds 5] [--jobs 2]

Generates PROJECTS projects of FILES sequence files x SHOTS shots (the shot shape of
bench_validate.py) in a temp folder; every tenth project has a finding, so the
report is not empty. Then runs whole ``seqcheck validate -r -q`` processes, the
serial run (``-j 1``, the floor) and the parallel one alternating in each round, and
prints the median wall time of each and their ratio. It also checks that both runs
print the same report and exit with the same status. The same comparison is then made
in process (``validate_many(projects, jobs=N)``), without process start-up and output,
which is steadier on a busy machine.

Target (issue 11): ``-j 2`` faster than ``-j 1`` on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_validate import generate

from conformance.validate import resolve_projects, validate_many

BIN = Path(sys.executable).parent


def make_projects(root: Path, projects: int, files: int, shots: int) -> int:
    """Write the projects under ``root``; return the bytes written."""
    total = 0
    for i in range(projects):
        total += generate(root / f"film-{i:04d}", files, shots, broken=i % 10 == 0)
    return total


def run(jobs: int, root: Path) -> tuple[float, float, int, bytes]:
    """(wall seconds, CPU seconds of the process and its workers, exit status, stdout)
    of one ``seqcheck validate -r`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "seqcheck"), "validate", "-r", "-q", "-j", str(jobs), str(root)],
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--shots", type=int, default=50)
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
        load_before = os.getloadavg()[0]
        walls: dict[int, list[float]] = {1: [], args.jobs: []}
        cpus: dict[int, list[float]] = {1: [], args.jobs: []}
        for r in range(args.rounds):
            order = [1, args.jobs] if r % 2 == 0 else [args.jobs, 1]
            outputs = {}
            for jobs in order:
                wall, cpu, status, out = run(jobs, root)
                walls[jobs].append(wall)
                cpus[jobs].append(cpu)
                outputs[jobs] = (status, out)
            if outputs[1] != outputs[args.jobs]:
                sys.exit(f"FAIL: -j 1 and -j {args.jobs} disagree on the report or exit status")
        for jobs, label in ((1, "-j 1 (floor)"), (args.jobs, f"-j {args.jobs}        ")):
            print(f"  {label}  wall median {statistics.median(walls[jobs]):.2f} s, CPU median "
                  f"{statistics.median(cpus[jobs]):.2f} s  "
                  f"(walls: {', '.join(f'{t:.2f}' for t in walls[jobs])})")
        s, p = statistics.median(walls[1]), statistics.median(walls[args.jobs])
        overhead = statistics.median(cpus[args.jobs]) / statistics.median(cpus[1])
        print(f"  speed-up -j {args.jobs} vs -j 1: {s / p:.2f}x "
              f"({'faster' if p < s else 'NOT faster'}); CPU cost ratio {overhead:.2f}; "
              "same report and exit status: yes")
        library_walls: dict[int, list[float]] = {1: [], args.jobs: []}
        projects = resolve_projects([root], recursive=True)
        for r in range(args.rounds):
            for jobs in ([1, args.jobs] if r % 2 == 0 else [args.jobs, 1]):
                start = time.perf_counter()
                validate_many(projects, jobs=jobs)
                library_walls[jobs].append(time.perf_counter() - start)
        ls, lp = statistics.median(library_walls[1]), statistics.median(library_walls[args.jobs])
        print(f"  in process: validate_many jobs=1 median {ls:.2f} s, jobs={args.jobs} median "
              f"{lp:.2f} s: speed-up {ls / lp:.2f}x")
        print(f"  load average (1 min) before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} "
              f"on {cores} cores (a loaded machine leaves no core free for -j)")


if __name__ == "__main__":
    main()
