"""Benchmark: update_shot latency of the reference store against its floor (issue 12,
SEQ-SCALE-1/2).

Run on demand (not collected by pytest)::

    python tests/benchmarks/bench_store.py [--rounds 200] [--profile]

Builds temporary projects with 10 and 1000 sequences, each in a variant with small
(3-shot, 2.4 KiB) and large (100-shot, 70.6 KiB) sequences, and measures with one
long-lived store per project the latency of ``update_shot`` on one sequence. The
floor is measured in the same run, interleaved with the store's calls (the order
alternating every round): a bare atomic write of the very bytes the store just wrote
(temp file + write + fsync + rename + folder fsync) into a folder holding as many
files. Every figure is a median over the rounds.

The output ends with the two verdicts of issue 12, one line each:

    update_shot, 100-shot sequence: <ratio>x the floor (target <= 2x): PASS|MISS
    update_shot, 3-shot sequence:   <ratio>x the floor (target <= 1.5x): PASS|MISS

where the ratio is the median over rounds of (update_shot / that round's floor), the
worse of the 10- and 1000-sequence projects: a floor that drifts during the run (the
disk's fsync latency varies several-fold on a shared machine) cancels out, which a
ratio of two medians taken over different moments does not. The table also shows
median(update) / median(floor). Only the standard library and seqcheck itself are needed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.reference import ReferenceStore
from tests.benchmarks.rounds import paired_ratio

SEQUENCE_COUNTS = (10, 1000)
SHOT_COUNTS = (3, 100)
TARGET = "sequence-0005"  # present in every project
#: Issue 12's targets: update_shot / floor, by shots per sequence.
TARGET_RATIOS = {100: 2.0, 3: 1.5}


def shot(seq_id: str, n: int) -> dict[str, Any]:
    """A realistic production shot (about 0.5 KB of JSON)."""
    return {
        "id": f"{seq_id}-shot-{n}",
        "sequencePlanId": seq_id,
        "number": n + 1,
        "type": "wide",
        "generation": {
            "prompt": f"A beautiful landscape, take {n}, golden hour, café terrace",
            "negativePrompt": "blurry, low quality",
            "model": "flux-dev",
            "parameters": {"steps": 20, "cfgScale": 7.5, "width": 1024, "height": 768,
                           "seed": 1234567 + n},
        },
        "timing": {"duration": 5, "inPoint": 0, "outPoint": 5},
        "status": "planned",
        "x-studio": {"color": "#ff8800", "locked": False},
    }


def build(root: Path, sequences: int, shots: int) -> None:
    folder = root / "sequences"
    folder.mkdir(parents=True)
    (root / "project.json").write_text(
        json.dumps({"schema_version": "1.0", "project_name": "bench", "shots": []})
    )
    for i in range(sequences):
        seq_id = f"sequence-{i:04d}"
        doc = {
            "id": seq_id, "name": f"Sequence {i}", "order": i,
            "shots": [shot(seq_id, n) for n in range(shots)],
            "metadata": {"created_at": "2026-01-20T10:00:00.000Z",
                         "updated_at": "2026-01-20T10:00:00.000Z"},
        }
        (folder / f"sequence_{i + 1:03d}.json").write_text(json.dumps(doc, indent=2))


def bare_write(target: Path, data: bytes) -> None:
    """The floor: what any crash-safe writer must do for these bytes."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@dataclass
class Config:
    sequences: int
    shots: int
    root: Path
    store: ReferenceStore = field(init=False)
    target_file: Path = field(init=False)
    store_s: list[float] = field(default_factory=list)
    save_s: list[float] = field(default_factory=list)
    get_s: list[float] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        build(self.root, self.sequences, self.shots)
        self.store = ReferenceStore(self.root)
        self.target_file = self.root / "sequences" / "sequence_006.json"
        # The baseline writes in a folder holding as many files as sequences/ (a
        # folder's fsync cost depends on its size), but not in sequences/ itself,
        # whose mtime the store watches.
        bare_dir = self.root / "bare"
        bare_dir.mkdir()
        for i in range(self.sequences):
            (bare_dir / f"filler_{i:04d}.json").write_bytes(b"{}")
        self.bare_file = bare_dir / "sequence_006.json"
        self.update(0)  # warm up: the index is built once per long-lived store

    def update(self, k: int) -> None:
        shot_id = f"{TARGET}-shot-{k % self.shots}"
        self.store.update_shot(TARGET, shot_id, {"notes": f"edit {k}", "x-k": k})

    def measure_update(self, k: int) -> None:
        start = time.perf_counter()
        self.update(k)
        self.store_s.append(time.perf_counter() - start)

    def measure_floor(self) -> None:
        data = self.target_file.read_bytes()  # the very bytes the store last wrote
        start = time.perf_counter()
        bare_write(self.bare_file, data)
        self.bare_s.append(time.perf_counter() - start)

    def measure_round(self, k: int) -> None:
        # The update and its floor back to back, in alternating order: a load change
        # on a busy machine hits both alike.
        if k % 2:
            self.measure_update(k)
            self.measure_floor()
        else:
            self.measure_floor()
            self.measure_update(k)
        start = time.perf_counter()  # the editor's path: find the shot, then update
        self.store.save_shot(f"{TARGET}-shot-{(k + 1) % self.shots}", {"x-save": k})
        self.save_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        self.store.get_shots(TARGET)
        self.get_s.append(time.perf_counter() - start)


def ratio(c: Config) -> float:
    """update_shot / floor: :func:`paired_ratio` of each update and the bare write
    measured back to back with it."""
    return paired_ratio(c.store_s, c.bare_s)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="updates per project")
    parser.add_argument("--profile", action="store_true",
                        help="profile updates in the 1000 x 100 project and print the top")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="seqcheck-bench-") as tmp:
        configs = [
            Config(n, s, Path(tmp) / f"p{n}x{s}") for s in SHOT_COUNTS for n in SEQUENCE_COUNTS
        ]
        # Interleave projects and baseline so load changes on a busy box hit all alike.
        for k in range(1, args.rounds + 1):
            for config in configs:
                config.measure_round(k)

        print(f"update_shot median latency, {args.rounds} updates per project "
              f"(Python {sys.version.split()[0]}, {tmp})")
        print("median ms per call; 'update mean' includes the periodic full sweeps")
        print(f"{'sequences':>9} {'shots/seq':>9} {'file KB':>8} {'update':>8} "
              f"{'upd mean':>8} {'save':>8} {'get':>8} {'bare':>8} {'update/bare':>11}")
        medians: dict[tuple[int, int], tuple[float, float, float]] = {}
        for c in configs:
            store_m = statistics.median(c.store_s)
            save_m = statistics.median(c.save_s)
            get_m = statistics.median(c.get_s)
            bare_m = statistics.median(c.bare_s)
            medians[(c.sequences, c.shots)] = (store_m, save_m, get_m)
            size_kb = c.target_file.stat().st_size / 1024
            print(f"{c.sequences:>9} {c.shots:>9} {size_kb:>8.1f} {ms(store_m)} "
                  f"{ms(statistics.mean(c.store_s))} {ms(save_m)} {ms(get_m)} {ms(bare_m)} "
                  f"{store_m / bare_m:>11.2f}")
        for s in SHOT_COUNTS:
            big, small = medians[(1000, s)], medians[(10, s)]
            print(f"ratio 1000/10 sequences, {s} shots/seq: update {big[0] / small[0]:.2f}, "
                  f"save_shot {big[1] / small[1]:.2f}, get_shots {big[2] / small[2]:.2f}")

        print("\nissue 12 targets: update_shot / floor (bare temp + fsync + rename + folder "
              "fsync of the same bytes), median of the per-round ratios, the worse of 10 "
              "and 1000 sequences")
        for s in sorted(SHOT_COUNTS, reverse=True):
            ratios = {c.sequences: ratio(c) for c in configs if c.shots == s}
            worst, target = max(ratios.values()), TARGET_RATIOS[s]
            detail = ", ".join(f"{n} seq {r:.2f}x" for n, r in sorted(ratios.items()))
            print(f"update_shot, {s}-shot sequence: {worst:.2f}x the floor "
                  f"(target <= {target:g}x): {'PASS' if worst <= target else 'MISS'}"
                  f"   [{detail}]")

        if args.profile:
            config = configs[-1]
            profiler = cProfile.Profile()
            profiler.enable()
            for k in range(50):
                config.update(10_000 + k)
            profiler.disable()
            print(f"\nprofile of 50 updates, {config.sequences} sequences x "
                  f"{config.shots} shots (cumulative):")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)
    return 0


if __name__ == "__main__":
    sys.exit(main())
