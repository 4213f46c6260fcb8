"""Benchmark: update_shot through the Node adapter against the reference store's adapter.

Run on demand (not collected by pytest):

    /work/venv/bin/python tests/node/bench_node_service.py [--samples 40]

Every implementation runs behind a stdio adapter (same protocol client, same request
lines), so the ratios compare the implementations, not the transports. The baseline is the
reference store's stdio adapter at 10 sequences, measured in the same run. Each cell is
the median of ``--samples`` updates of one shot in a sequence of 100 shots, in projects of
10 and 1000 sequences.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.protocol import reference_command

REPO = Path(__file__).resolve().parents[2]
ADAPTER = REPO / "conformance" / "adapters" / "node" / "adapter.mjs"
SHOTS = 100


def node_command(module: str) -> list[str]:
    return ["node", str(ADAPTER), "--module", str(REPO / module), "--export", "ProjectService"]


IMPLEMENTATIONS = {
    "reference (python, stdio)": reference_command(),
    "examples/node-service": node_command("examples/node-service/ProjectService.mjs"),
    "app-like (the app today)": node_command("tests/suite/js/app-like/ProjectService.mjs"),
}


def make_project(root: Path, sequences: int) -> Path:
    project = root / f"project-{sequences}"
    (project / "sequences").mkdir(parents=True)
    (project / "project.json").write_text(
        json.dumps({"schema_version": "1.0", "project_name": "bench"}), "utf-8"
    )
    for n in range(1, sequences + 1):
        seq_id = f"{n:03d}"
        shots = [
            {
                "id": f"{seq_id}-s{k}",
                "sequencePlanId": seq_id,
                "number": k,
                "type": "wide",
                "timing": {"duration": 2.5, "inPoint": 0, "outPoint": 2.5},
                "generation": {
                    "prompt": "a harbour at dawn " * 4,
                    "parameters": {"steps": 20, "seed": k},
                },
                "notes": "",
            }
            for k in range(1, SHOTS + 1)
        ]
        doc = {
            "id": seq_id,
            "name": f"Sequence {n}",
            "order": n,
            "shots": shots,
            "metadata": {"created_at": "2026-01-20T10:00:00.000Z"},
        }
        path = project / "sequences" / f"sequence_{seq_id}.json"
        path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    return project


class LineClient:
    """A bare protocol v1 client: one request line out, one response line in, no checks
    (the app-like service answers ``null`` for updates, which the real client rejects)."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO)
        self.next_id = 0

    def call(self, op: str, args: dict[str, object]) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.next_id += 1
        self.proc.stdin.write(
            json.dumps({"id": self.next_id, "op": op, "args": args}).encode() + b"\n"
        )
        self.proc.stdin.flush()
        response: dict[str, object] = json.loads(self.proc.stdout.readline())
        if response.get("ok") is not True:
            raise RuntimeError(f"{op} failed: {response}")
        return response

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(60)


def median_update_ms(argv: list[str], project: Path, samples: int) -> float:
    client = LineClient(argv)
    try:
        client.call("hello", {"protocol": 1})
        middle = f"{max(1, len(list((project / 'sequences').iterdir())) // 2):03d}"
        args = {"project": str(project), "sequence_id": middle, "shot_id": f"{middle}-s50"}
        client.call("update_shot", {**args, "updates": {"notes": "warm-up"}})
        times = []
        for i in range(samples):
            start = time.perf_counter()
            client.call("update_shot", {**args, "updates": {"notes": f"take {i}"}})
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)
    finally:
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        projects = {n: make_project(Path(tmp), n) for n in (10, 1000)}
        results: dict[tuple[str, int], float] = {}
        for name, argv in IMPLEMENTATIONS.items():
            for n, project in projects.items():
                results[(name, n)] = median_update_ms(argv, project, args.samples)
    baseline = results[("reference (python, stdio)", 10)]
    print(
        f"update_shot, {SHOTS} shots per sequence, median of {args.samples}; "
        f"baseline = reference at 10 sequences = {baseline:.2f} ms"
    )
    header = ("implementation", "10 seq ms", "x base", "1000 seq ms", "x base", "1000/10")
    print("{:28} {:>10} {:>7} {:>12} {:>7} {:>8}".format(*header))
    for name in IMPLEMENTATIONS:
        small, large = results[(name, 10)], results[(name, 1000)]
        row = (name, small, small / baseline, large, large / baseline, large / small)
        print("{:28} {:10.2f} {:7.2f} {:12.2f} {:7.2f} {:8.2f}".format(*row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
