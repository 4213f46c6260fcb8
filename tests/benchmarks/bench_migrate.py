"""Benchmark: migrate a generated legacy project (100k shots over 1000 sequences).

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/bench_migrate.py [--shots 100000] [--sequences 1000]
        [--repeat 3] [--baseline /tmp/old-tree]

Each phase runs in its own child process on a fresh copy of the same project, so peak
RSS is per phase. Phases:

* floor-json       - parse project.json (json.loads), group the shots, write the same
                     sequence files (json.dumps indent 2 + fsync each).
* floor-orjson     - the same with orjson (same bytes, fastest parser/encoder): the
                     least any migrator must do. The targets are against this one.
* migrate          - ``migrate.apply(..., verify_after=False)``: strict parse and checks,
                     plan, backup, manifest, journal, atomic writes under locks.
* migrate+verify   - ``seqcheck migrate PROJECT`` (the CLI, its default: verification
                     included - backup compared shot by shot, ``seqcheck validate``).
* base:...         - with ``--baseline TREE`` (e.g. ``git archive`` of an older commit
                     unpacked in /tmp), the two migrate phases again with that tree's
                     code first on ``sys.path``: before/after in the same run.

Each round runs every phase once (interleaved, ``--repeat`` rounds); prints the median
seconds, their spread, the highest peak RSS and the ratios to the floors (the median
over rounds of phase / that round's floor, see ``rounds.py``), then each target row
(issue 12) with PASS or MISS:
migrate+verify <= 3x the orjson floor and peak RSS <= 4x project.json's size;
migrate without verify <= 2x the orjson floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_bytecode import compile_tree
from tests.benchmarks.rounds import paired_ratio

NOW = "2026-02-01T12:00:00.000Z"


def make_project(root: Path, shots: int, sequences: int) -> None:
    """A legacy project.json: production shots (sequencePlanId) and wizard shots
    (sequence_id) interleaved across sequences, plus a few storyboard orphans."""
    legacy = []
    for i in range(shots):
        seq = f"seq-{i % sequences:04d}"
        shot: dict[str, Any] = {
            "id": f"shot-{i:07d}",
            "number": i // sequences + 1,
            "type": "medium",
            "timing": {"duration": 4, "inPoint": 0, "outPoint": 4, "transition": "cut"},
            "generation": {
                "model": "flux-dev",
                "prompt": f"Shot {i}: a lighthouse at dawn, mist, ✓ légère",
                "parameters": {"width": 1024, "height": 576, "steps": 20, "cfgScale": 7.5},
            },
            "status": "planned",
            "x-unknown": {"kept": True},
        }
        shot["sequencePlanId" if i % 2 else "sequence_id"] = seq
        legacy.append(shot)
    doc = {
        "schema_version": "1.0",
        "project_name": "bench",
        "shots": legacy,
        "storyboard": [{"id": f"sb-{i}", "title": "orphan", "duration": 1} for i in range(10)],
    }
    root.mkdir(parents=True)
    (root / "project.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False), "utf-8")


def _stdlib_codec() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    def dumps(doc: Any) -> bytes:
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    return json.loads, dumps


def _orjson_codec() -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    import orjson

    def dumps(doc: Any) -> bytes:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)

    return orjson.loads, dumps


def floor(root: Path, fast: bool) -> None:
    """Parse project.json and write the same sequence files, fsyncing each (json or
    orjson: the same bytes, orjson being the fastest parser/encoder available)."""
    loads, dumps = _orjson_codec() if fast else _stdlib_codec()
    doc = loads((root / "project.json").read_bytes())
    groups: dict[str, list[Any]] = {}
    for shot in doc["shots"]:
        groups.setdefault(shot.get("sequencePlanId") or shot["sequence_id"], []).append(shot)
    folder = root / "sequences"
    folder.mkdir()
    for n, (seq, shots) in enumerate(groups.items(), start=1):
        data = dumps({"id": seq, "shots": shots})
        fd = os.open(folder / f"sequence_{n:03d}.json", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def _cli_migrate(root: Path) -> None:
    """``seqcheck migrate ROOT`` in this process, its output discarded; exit 0 or fail."""
    import contextlib
    import io

    from conformance.cli.main import cli

    os.environ["SEQCHECK_MIGRATE_NOW"] = NOW
    code: int | str | None = 0
    with contextlib.redirect_stdout(io.StringIO()) as out:
        try:
            cli(["migrate", str(root)], standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
    if code not in (0, None):
        raise SystemExit(f"seqcheck migrate exited {code}: {out.getvalue()[-2000:]}")


def run_phase(phase: str, root: Path) -> dict[str, float]:
    start = time.perf_counter()
    step = phase.removeprefix("base:")
    if step.startswith("floor"):
        floor(root, fast=step == "floor-orjson")
    elif step == "migrate+verify":
        _cli_migrate(root)
    else:
        from migrate import apply

        result = apply(root, now=NOW, verify_after=False)
        assert result.state == "migrated", result.state
    seconds = time.perf_counter() - start
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_rss_mib": rss_mib}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shots", type=int, default=100_000)
    parser.add_argument("--sequences", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--baseline", type=Path,
                        help="a source tree (e.g. the base commit's) to run before/after")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "generate":
        make_project(Path(args.root), args.shots, args.sequences)
        return
    if args.phase:
        print(json.dumps(run_phase(args.phase, Path(args.root))))
        return
    print(compile_tree(Path(__file__).resolve().parents[2]))
    if args.baseline is not None:
        print(compile_tree(args.baseline))
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        source = Path(tmp) / "source"
        # Generated in a child: a child's peak RSS includes its parent's at fork time
        # (Linux keeps ru_maxrss across exec), so the parent must stay small.
        subprocess.run([sys.executable, __file__, "--phase", "generate", "--root", str(source),
                        "--shots", str(args.shots), "--sequences", str(args.sequences)],
                       check=True)
        size = (source / "project.json").stat().st_size
        print(f"project.json: {args.shots} shots over {args.sequences} sequences, "
              f"{size / 2**20:.1f} MiB; {args.repeat} interleaved rounds, medians")
        phases: tuple[str, ...] = ("floor-json", "floor-orjson", "migrate", "migrate+verify")
        if args.baseline is not None:
            phases += ("base:migrate", "base:migrate+verify")
        runs: dict[str, list[dict[str, float]]] = {phase: [] for phase in phases}
        # Every phase once per round: a burst of load from other processes hits all
        # phases alike, and the median of each ignores one-off bursts.
        for _ in range(args.repeat):
            for phase in phases:
                root = Path(tmp) / phase.replace("+", "-")
                shutil.copytree(source, root)
                env = dict(os.environ)
                if phase.startswith("base:"):
                    env["PYTHONPATH"] = os.pathsep.join(
                        p for p in (str(args.baseline.resolve()), env.get("PYTHONPATH"))
                        if p)
                out = subprocess.run(
                    [sys.executable, __file__, "--phase", phase, "--root", str(root)],
                    capture_output=True, text=True, check=True, env=env,
                )
                runs[phase].append(json.loads(out.stdout.strip().splitlines()[-1]))
                shutil.rmtree(root)
        results = _summary(runs)
        fast = results["floor-orjson"]["seconds"]
        print(f"{'phase':<20} {'median s':>8} {'spread s':>9} {'peak RSS':>10} "
              f"{'x json floor':>13} {'x orjson floor':>15}")
        for phase, r in results.items():
            print(f"{phase:<20} {r['seconds']:>8.2f} {r['spread']:>9.2f} "
                  f"{r['peak_rss_mib']:>7.0f} MiB "
                  f"{r['x_json']:>12.2f}x {r['x_orjson']:>14.2f}x")
        size_mib = size / 2**20
        print(f"\ntargets (issue 12), against the orjson floor (median {fast:.2f} s) and "
              f"project.json {size_mib:.1f} MiB:")
        for prefix in ("", "base:") if args.baseline is not None else ("",):
            print(_verdict(f"{prefix}migrate+verify", results, 3.0))
            print(_rss_verdict(f"{prefix}migrate+verify", results, size_mib, 4.0))
            print(_verdict(f"{prefix}migrate", results, 2.0))


def _summary(runs: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per phase: median seconds, their spread, the highest peak RSS, and the ratios to
    both floors (:func:`paired_ratio`, round by round)."""
    seconds = {phase: [r["seconds"] for r in rs] for phase, rs in runs.items()}
    return {
        phase: {
            "seconds": statistics.median(seconds[phase]),
            "spread": max(seconds[phase]) - min(seconds[phase]),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in rs),
            "x_json": paired_ratio(seconds[phase], seconds["floor-json"]),
            "x_orjson": paired_ratio(seconds[phase], seconds["floor-orjson"]),
        }
        for phase, rs in runs.items()
    }


def _verdict(phase: str, results: dict[str, dict[str, float]], target: float) -> str:
    ratio = results[phase]["x_orjson"]
    return (f"  {phase:<20} time {ratio:5.2f}x the floor (target <= {target:g}x): "
            f"{'PASS' if ratio <= target else 'MISS'}")


def _rss_verdict(phase: str, results: dict[str, dict[str, float]], size_mib: float,
                 target: float) -> str:
    ratio = results[phase]["peak_rss_mib"] / size_mib
    return (f"  {phase:<20} peak RSS {results[phase]['peak_rss_mib']:.0f} MiB = "
            f"{ratio:5.2f}x project.json (target <= {target:g}x): "
            f"{'PASS' if ratio <= target else 'MISS'}")


if __name__ == "__main__":
    main()
