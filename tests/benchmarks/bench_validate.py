"""Benchmark: ``seqcheck validate`` vs check-jsonschema vs an orjson parse floor.

Run on demand (not collected by pytest)::

    /work/venv/bin/python tests/benchmarks/bench_validate.py [--files 1000] [--shots 100]

Generates a project of FILES sequence files x SHOTS shots in a temp folder, then
measures three whole processes in the same run (wall time, best of --repeat rounds
that alternate seqcheck and the floor, and peak RSS from wait4):

- ``seqcheck validate PROJECT`` (file, schema and project-level rules);
- ``check-jsonschema --schemafile schemas/sequence.schema.json sequences/*.json``
  (schema only; ``--base-uri`` lets it resolve ``shot.schema.json`` offline);
- a floor script that only reads and parses every file with orjson.

Targets (issue 4): >= 5x faster than check-jsonschema, <= 3x the floor, <= 150 MB RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

FLOOR = """
import os, sys, orjson
project = sys.argv[1]
with open(os.path.join(project, "project.json"), "rb") as f:
    orjson.loads(f.read())
folder = os.path.join(project, "sequences")
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), "rb") as f:
        orjson.loads(f.read())
"""


def make_shot(seq_id: str, n: int) -> dict[str, object]:
    """A ProductionShot shaped like the demo project's (about 1 KB of JSON)."""
    return {
        "id": f"shot-{seq_id}-{n:04d}",
        "sequencePlanId": seq_id,
        "sceneId": f"scene-{n % 7}",
        "number": n,
        "type": "wide",
        "category": "coverage",
        "composition": {"ruleOfThirds": True},
        "camera": {"framing": "wide", "angle": "eye-level", "movement": {"type": "static"}},
        "timing": {
            "duration": 2.5,
            "inPoint": 0,
            "outPoint": 2.5,
            "transition": "cut",
            "transitionDuration": 0,
        },
        "generation": {
            "aiProvider": "comfyui",
            "model": "flux-dev",
            "prompt": f"Shot {n} of sequence {seq_id}: a harbour at dawn, mist, fishing boats",
            "negativePrompt": "blurry, low quality",
            "comfyuiPreset": "default",
            "parameters": {
                "width": 1024,
                "height": 576,
                "steps": 20,
                "cfgScale": 7.5,
                "sampler": "euler",
                "scheduler": "normal",
                "seed": n,
            },
            "styleReferences": [],
        },
        "dialogues": [],
        "status": "planned",
        "notes": "",
        "tags": ["bench"],
        "templates": {},
        "customField": {"kept": True, "by": "every writer"},
    }


def generate(root: Path, files: int, shots: int, broken: bool = False) -> int:
    """Write the project; return its size in bytes. With ``broken``, the last shot of
    every file ends before it starts (SC310): a finding at the end of every file, the
    worst case for locating line and column."""
    project = {
        "schema_version": "1.0",
        "project_name": "Benchmark",
        "created_at": "2026-01-20T10:00:00.000Z",
        "modified_at": "2026-01-20T10:00:00.000Z",
        "storycore_version": "1.0.0",
        "shots": [],
        "metadata": {"sequences": files, "totalShots": files * shots},
    }
    (root / "sequences").mkdir(parents=True)
    total = (root / "project.json").write_text(json.dumps(project, indent=2) + "\n")
    for i in range(1, files + 1):
        seq_id = f"{i:03d}"
        doc = {
            "id": seq_id,
            "name": f"Sequence {i}",
            "description": "",
            "duration": 2.5 * shots,
            "order": i,
            "shots": [make_shot(seq_id, n) for n in range(1, shots + 1)],
            "metadata": {
                "created_at": "2026-01-20T10:00:00Z",
                "modified_at": "2026-01-20T10:05:00Z",
            },
        }
        if broken:
            doc["shots"][-1]["timing"].update(inPoint=2.5, outPoint=0)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        total += (root / "sequences" / f"sequence_{seq_id}.json").write_text(text)
    return total


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace").strip()
        proc.stderr.close()
        if err:
            print(f"  stderr of {cmd[0]}: {err[:300]}")
    return wall, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def best_interleaved(
    commands: dict[str, list[str]], cwd: Path, repeat: int
) -> dict[str, tuple[float, float, int, float]]:
    """Run the commands in turn, ``repeat`` rounds; per command the best wall time,
    the highest peak RSS, the last exit code and the least CPU time. Interleaving
    makes a burst of load from other processes hit every command alike."""
    runs: dict[str, list[tuple[float, float, int, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            runs[name].append(measure(cmd, cwd))
    return {
        name: (min(r[0] for r in rs), max(r[1] for r in rs), rs[-1][2], min(r[3] for r in rs))
        for name, rs in runs.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--shots", type=int, default=100, help="shots per file")
    parser.add_argument("--repeat", type=int, default=5, help="runs of seqcheck and the floor")
    parser.add_argument("--repeat-baseline", type=int, default=1, help="runs of check-jsonschema")
    parser.add_argument(
        "--with-findings",
        action="store_true",
        help="also time a copy with a finding at the end of every file (no target)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="seqcheck-bench-") as tmp:
        project = Path(tmp) / "project"
        size = generate(project, args.files, args.shots)
        print(
            f"project: {args.files} files, {args.files * args.shots} shots, "
            f"{size / 1e6:.0f} MB of JSON"
        )
        schema = REPO / "schemas" / "sequence.schema.json"
        files = sorted(str(p) for p in (project / "sequences").iterdir())
        runs = best_interleaved(
            {
                "seqcheck validate": [str(BIN / "seqcheck"), "validate", str(project), "--quiet"],
                "orjson floor": [sys.executable, "-c", FLOOR, str(project)],
            },
            project,
            args.repeat,
        )
        runs.update(
            best_interleaved(
                {
                    "check-jsonschema": [
                        str(BIN / "check-jsonschema"),
                        "--base-uri",
                        schema.as_uri(),
                        "--schemafile",
                        str(schema),
                        *files,
                    ]
                },
                project,
                args.repeat_baseline,
            )
        )
        for name, (wall, rss, code, cpu) in runs.items():
            print(
                f"{name:<18} {wall:7.2f} s wall  {cpu:7.2f} s CPU  {rss:6.0f} MB peak RSS  "
                f"exit {code}"
            )
        ours, floor, baseline = (
            runs["seqcheck validate"],
            runs["orjson floor"],
            runs["check-jsonschema"],
        )
        speedup = baseline[0] / ours[0]
        over_floor = ours[0] / floor[0]
        print(f"speed-up vs check-jsonschema: {speedup:.1f}x   (target >= 5x)")
        print(f"time vs orjson floor:         {over_floor:.2f}x  (target <= 3x)")
        print(
            f"(CPU time, less sensitive to other load: {baseline[3] / ours[3]:.1f}x faster "
            f"than check-jsonschema, {ours[3] / floor[3]:.2f}x the floor)"
        )
        print(f"seqcheck peak RSS:            {ours[1]:.0f} MB  (target <= 150 MB)")
        ok = (
            speedup >= 5
            and over_floor <= 3
            and ours[1] <= 150
            and ours[2] == 0
            and baseline[2] == 0
        )
        print("all targets met" if ok else "TARGET MISSED")
        if args.with_findings:
            broken = Path(tmp) / "broken"
            generate(broken, args.files, args.shots, broken=True)
            wall, rss, code, _ = best_interleaved(
                {"broken": [str(BIN / "seqcheck"), "validate", str(broken), "--quiet"]},
                broken,
                args.repeat,
            )["broken"]
            print(
                f"with a finding at the end of every file: {wall:.2f} s, {rss:.0f} MB, "
                f"exit {code}; {wall / ours[0]:.2f}x the clean run, "
                f"{wall / floor[0]:.2f}x the floor"
            )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
