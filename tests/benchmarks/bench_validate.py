"""Benchmark: ``seqcheck validate`` against floors measured in the same run.

Run on demand (not collected by pytest)::

    .venv/bin/python tests/benchmarks/bench_validate.py [--case clean] [--files 1000] ...

Every case generates its project(s) in a temp folder, then runs whole processes in
interleaved rounds (every command once per round, ``--repeat`` rounds) and reports per
command the median wall time, median CPU time and highest peak RSS (from wait4), and
each ratio as the median over rounds of (command / the other command in that round),
see ``rounds.py``. Cases:

``clean`` (issue 12)
    FILES sequence files x SHOTS shots. ``seqcheck validate`` (default ``-j``: one
    process per core, over which a project this big shares out its sequence files)
    vs a floor script that only reads and parses every file with orjson in one
    process (target <= 1.5x); ``seqcheck validate -j 1`` (one process) is shown
    beside it, for the CPU cost and the serial time; and
    ``check-jsonschema`` on the sequence files (schema only; from the ``bench`` extra:
    ``pip install -e '.[bench]'``; the case stops before generating anything when it
    is missing; ``--no-check-jsonschema`` skips it). Target: keep the lead (>= 5x).
``legacy`` (issue 14)
    A project.json with LEGACY_SHOTS legacy shots (one SC307 finding each) vs the same
    project with the shots naming no sequence (same size, no finding): the findings
    should cost little (target: about the clean time).
``huge`` (issue 14)
    The same pair with HUGE_SHOTS shots (~214 MB of project.json by default).
``bad-shots`` (issue 14)
    One sequence file (~4.3 MB) of BAD_SHOTS shots that each violate the shot schema,
    vs the orjson floor of the same file and validate of a clean file of the same size.
``dup-keys`` (issue 14)
    One sequence file whose shots repeat their "id" key (BAD_SHOTS duplicates), vs the
    same two references.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_bytecode import compile_tree
from tests.benchmarks.rounds import paired_ratio

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

FLOOR = """
import os, sys, orjson
project = sys.argv[1]
with open(os.path.join(project, "project.json"), "rb") as f:
    orjson.loads(f.read())
folder = os.path.join(project, "sequences")
if os.path.isdir(folder):
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            orjson.loads(f.read())
"""

PROJECT_HEAD = {
    "schema_version": "1.0",
    "project_name": "Benchmark",
    "created_at": "2026-01-20T10:00:00.000Z",
    "modified_at": "2026-01-20T10:00:00.000Z",
    "storycore_version": "1.0.0",
}


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
        **PROJECT_HEAD,
        "shots": [],
        "metadata": {"sequences": files, "totalShots": files * shots},
    }
    (root / "sequences").mkdir(parents=True)
    total = (root / "project.json").write_text(json.dumps(project, indent=2) + "\n")
    for i in range(1, files + 1):
        seq_id = f"{i:03d}"
        doc: dict[str, Any] = {
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


def generate_legacy(root: Path, shots: int, named: bool) -> int:
    """A project.json holding ``shots`` legacy shots; with ``named`` each names a
    sequence that has no file (SC307), else the membership key is renamed to one of
    the same length (an unknown field: no finding). Returns the file size."""
    root.mkdir(parents=True)
    key = "sequencePlanId" if named else "sequencePlanIx"
    with (root / "project.json").open("w", encoding="utf-8") as out:
        head = json.dumps({**PROJECT_HEAD, "shots": []}, indent=2)
        out.write(head[: head.rindex("[]")] + "[\n")
        for n in range(shots):
            shot = make_shot(f"{n % 1000:03d}", n + 1)
            shot[key] = shot.pop("sequencePlanId")
            text = json.dumps(shot, indent=2, ensure_ascii=False)
            out.write("    " + text.replace("\n", "\n    ") + (",\n" if n < shots - 1 else "\n"))
        out.write("  ]\n}\n")
    return (root / "project.json").stat().st_size


def generate_one_file(root: Path, shots: int, kind: str) -> int:
    """A project with one sequence file of ``shots`` small shots: ``bad`` shots violate
    the shot schema (a numeric id), ``dup`` shots repeat their "id" key, ``clean``
    shots are valid and padded to the same size. Returns the file's size."""
    (root / "sequences").mkdir(parents=True)
    (root / "project.json").write_text(json.dumps(PROJECT_HEAD, indent=2) + "\n")
    items = []
    for n in range(shots):
        if kind == "bad":
            items.append(f'    {{"id": {10**9 + n}, "notes": "a bad shot"}}')
        elif kind == "dup":
            items.append(f'    {{"id": "s{n:07d}", "id": "s{n:07d}", "notes": "x"}}')
        else:
            items.append(f'    {{"id": "s{n:07d}", "notes": "a good shot"}}')
    text = '{\n  "id": "001",\n  "shots": [\n' + ",\n".join(items) + "\n  ]\n}\n"
    path = root / "sequences" / "sequence_001.json"
    path.write_text(text, encoding="utf-8")
    return path.stat().st_size


Run = tuple[float, float, int, float]  # wall s, peak RSS MB, exit code, CPU s


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if err and proc.returncode not in (0, 1):
        print(f"  stderr of {cmd[0]}: {err[-300:]}")
    return wall, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


@dataclass
class Stats:
    """One command's rounds: wall and CPU seconds per round, highest peak RSS, last
    exit code."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: float = 0.0
    code: int = 0

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    def over(self, other: Stats) -> str:
        """This command against ``other``: wall and CPU ratios, paired by round."""
        return (
            f"{paired_ratio(self.walls, other.walls):.2f}x wall, "
            f"{paired_ratio(self.cpus, other.cpus):.2f}x CPU"
        )


def interleaved(commands: dict[str, list[str]], cwd: Path, repeat: int) -> dict[str, Stats]:
    """Run the commands in turn, ``repeat`` rounds. Interleaving makes a burst of load
    from other processes hit every command alike; medians ignore one-off bursts."""
    runs = {name: Stats() for name in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            wall, rss, code, cpu = measure(cmd, cwd)
            stats = runs[name]
            stats.walls.append(wall)
            stats.cpus.append(cpu)
            stats.rss, stats.code = max(stats.rss, rss), code
    return runs


def show(runs: dict[str, Stats]) -> None:
    for name, r in runs.items():
        print(
            f"  {name:<28} {r.wall:8.2f} s wall  {r.cpu:8.2f} s CPU  {r.rss:7.0f} MB peak "
            f"RSS  exit {r.code}"
        )


def seqcheck(project: Path) -> list[str]:
    return [str(BIN / "seqcheck"), "validate", str(project)]


def floor(project: Path) -> list[str]:
    return [sys.executable, "-c", FLOOR, str(project)]


def case_clean(tmp: Path, args: argparse.Namespace) -> bool:
    checker = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    if checker is None and not args.no_check_jsonschema:
        print(
            "check-jsonschema is not installed: it comes with the bench extra "
            "(pip install -e '.[bench]'); or pass --no-check-jsonschema to skip it.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    project = tmp / "clean"
    size = generate(project, args.files, args.shots)
    print(
        f"clean: {args.files} files, {args.files * args.shots} shots, {size / 1e6:.0f} MB of JSON"
    )
    runs = interleaved(
        {
            "seqcheck validate": seqcheck(project),
            "seqcheck validate -j 1": [*seqcheck(project)[:2], "-j", "1", str(project)],
            "orjson floor": floor(project),
        },
        project,
        args.repeat,
    )
    if checker is not None and not args.no_check_jsonschema:
        schema = REPO / "schemas" / "sequence.schema.json"
        files = sorted(str(p) for p in (project / "sequences").iterdir())
        runs.update(
            interleaved(
                {
                    "check-jsonschema": [
                        checker,
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
    show(runs)
    ours, base = runs["seqcheck validate"], runs["orjson floor"]
    ratio = paired_ratio(ours.walls, base.walls)
    ok = ratio <= 1.5 and ours.code == 0
    serial = runs["seqcheck validate -j 1"]
    print(
        f"  validate / orjson floor: {ours.over(base)} (target <= 1.5x); "
        f"-j 1: {serial.over(base)}"
    )
    if "check-jsonschema" in runs:
        # Run in rounds of its own (it is slow): a ratio of medians.
        speedup = runs["check-jsonschema"].wall / ours.wall
        print(f"  speed-up vs check-jsonschema: {speedup:.1f}x (target >= 5x)")
        ok = ok and speedup >= 5
    return ok


def _pair(tmp: Path, name: str, make: Callable[[Path, bool], int], repeat: int) -> bool:
    bad, good = tmp / f"{name}-findings", tmp / f"{name}-clean"
    size = make(bad, True)
    make(good, False)
    print(f"{name}: project.json of {size / 1e6:.0f} MB")
    runs = interleaved(
        {
            "validate (findings)": seqcheck(bad),
            "validate (clean, same size)": seqcheck(good),
            "orjson floor": floor(bad),
        },
        tmp,
        repeat,
    )
    show(runs)
    ours, clean, base = (
        runs["validate (findings)"], runs["validate (clean, same size)"], runs["orjson floor"]
    )
    print(
        f"  findings / clean: {ours.over(clean)} (target: about 1x); "
        f"findings / floor: {ours.over(base)}"
    )
    return paired_ratio(ours.walls, clean.walls) <= 1.5


def case_legacy(tmp: Path, args: argparse.Namespace) -> bool:
    return _pair(
        tmp,
        "legacy",
        lambda root, named: generate_legacy(root, args.legacy_shots, named),
        args.repeat,
    )


def case_huge(tmp: Path, args: argparse.Namespace) -> bool:
    return _pair(
        tmp,
        "huge",
        lambda root, named: generate_legacy(root, args.huge_shots, named),
        args.repeat_huge,
    )


def _one_file(tmp: Path, kind: str, args: argparse.Namespace) -> bool:
    bad, good = tmp / kind, tmp / f"{kind}-clean"
    size = generate_one_file(bad, args.bad_shots, kind)
    generate_one_file(good, args.bad_shots, "clean")
    print(f"{kind}: one sequence file of {args.bad_shots} shots, {size / 1e6:.1f} MB")
    runs = interleaved(
        {
            f"validate ({kind})": seqcheck(bad),
            "validate (clean file)": seqcheck(good),
            "orjson floor": floor(bad),
        },
        tmp,
        args.repeat,
    )
    show(runs)
    ours, clean, base = (
        runs[f"validate ({kind})"], runs["validate (clean file)"], runs["orjson floor"]
    )
    print(
        f"  {kind} / clean: {ours.over(clean)}; {kind} / floor: {ours.over(base)} "
        "(no target: linear, and listed findings capped)"
    )
    return ours.code == 1


CASES: dict[str, Callable[[Path, argparse.Namespace], bool]] = {
    "clean": case_clean,
    "legacy": case_legacy,
    "huge": case_huge,
    "bad-shots": lambda tmp, args: _one_file(tmp, "bad", args),
    "dup-keys": lambda tmp, args: _one_file(tmp, "dup", args),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=[*CASES, "all"], default="clean")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--shots", type=int, default=100, help="shots per file (clean)")
    parser.add_argument("--legacy-shots", type=int, default=40_000)
    parser.add_argument("--huge-shots", type=int, default=175_000)
    parser.add_argument("--bad-shots", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--repeat-huge", type=int, default=3)
    parser.add_argument("--repeat-baseline", type=int, default=1, help="check-jsonschema runs")
    parser.add_argument("--no-check-jsonschema", action="store_true")
    args = parser.parse_args()
    names = list(CASES) if args.case == "all" else [args.case]
    print(compile_tree(REPO))
    ok = True
    scratch = os.environ.get("BENCH_DIR")
    with tempfile.TemporaryDirectory(prefix="seqcheck-bench-", dir=scratch) as tmp:
        for name in names:
            ok = CASES[name](Path(tmp), args) and ok
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
