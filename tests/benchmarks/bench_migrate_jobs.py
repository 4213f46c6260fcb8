"""Benchmark: ``seqcheck migrate -r`` over many projects, serial against ``-j N``.

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/bench_migrate_jobs.py [--projects 200] [--jobs 2]

Generates legacy projects (shots spread over a few sequences), then times the real
CLI on fresh copies: ``seqcheck migrate -r DIR`` (serial, the floor) and
``seqcheck migrate -r -j N DIR``, interleaved over rounds; prints the median seconds
of each and the speed-up (serial / parallel). Issue 11: ``-j 2`` faster than ``-j 1``
on 2 cores. Also checks both runs print the same output and exit status.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = "2026-02-01T12:00:00.000Z"
SEQCHECK = str(Path(sys.executable).with_name("seqcheck"))


def make_projects(base: Path, count: int, shots: int) -> None:
    for p in range(count):
        root = base / f"project-{p:04d}"
        root.mkdir(parents=True)
        legacy = [{"id": f"shot-{i:05d}", "sequencePlanId": f"seq-{i % 5}",
                   "timing": {"duration": 4}, "prompt": f"shot {i} of project {p}"}
                  for i in range(shots)]
        doc = {"schema_version": "1.0", "project_name": f"P{p}", "shots": legacy}
        (root / "project.json").write_text(json.dumps(doc, indent=2), "utf-8")


def timed(source: Path, work: Path, extra: list[str]) -> tuple[float, int, str]:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work)
    env = {**os.environ, "SEQCHECK_MIGRATE_NOW": NOW}
    start = time.perf_counter()
    done = subprocess.run([SEQCHECK, "migrate", "-r", str(work), *extra],
                          capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done.returncode, done.stdout.replace(str(work), "W")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--shots", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        make_projects(source, args.projects, args.shots)
        serial: list[float] = []
        parallel: list[float] = []
        for _ in range(args.rounds):  # interleaved, so both see the same machine load
            s_time, s_code, s_out = timed(source, Path(tmp) / "w", [])
            p_time, p_code, p_out = timed(source, Path(tmp) / "w", ["-j", str(args.jobs)])
            assert (s_code, s_out) == (p_code, p_out), "parallel output differs from serial"
            serial.append(s_time)
            parallel.append(p_time)
    s_med, p_med = statistics.median(serial), statistics.median(parallel)
    print(f"{args.projects} projects x {args.shots} shots, {os.cpu_count()} cores, "
          f"{args.rounds} rounds (medians)")
    print(f"  serial (floor)   {s_med:7.2f} s")
    print(f"  -j {args.jobs:<13} {p_med:7.2f} s   speed-up {s_med / p_med:.2f}x")


if __name__ == "__main__":
    main()
