"""Group 10 (SHOULD): update latency with many sequences and many shots.

Latencies are compared with the same implementation on a small project measured in
the same run (interleaved, medians), so machine speed and noise cancel out. A ratio
above its threshold is a SHOULD failure: a warning on the certificate, never a fail.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest

from conformance.jsonio import dump_bytes
from conformance.suite.checks import needed, require
from conformance.suite.disk import ProjectDir
from conformance.suite.samples import sequence_doc

#: Allowed latency ratio at 1000 vs 10 sequences (an O(sequences) lookup is ~100x).
MANY_SEQUENCES_MAX_RATIO = 5.0
#: Allowed latency ratio at 200 vs 5 shots: at most the 40x growth of the file.
MANY_SHOTS_MAX_RATIO = 40.0


def _project(root: Any, sequences: int, shots: int = 5, target_shots: int = 5) -> ProjectDir:
    project = ProjectDir(root)
    folder = project.sequences
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, sequences + 1):
        count = target_shots if n == sequences // 2 else shots
        doc = sequence_doc(f"{n:03d}", [f"{n:03d}-s{i}" for i in range(1, count + 1)], order=n)
        (folder / f"sequence_{n:03d}.json").write_bytes(dump_bytes(doc))
    return project


def _medians(samples: int, *calls: Callable[[int], None]) -> list[float]:
    """Median latency of each call, interleaved so noise hits all alike (2 warm-ups)."""
    times: list[list[float]] = [[] for _ in calls]
    for i in range(samples + 2):
        for j, call in enumerate(calls):
            start = time.perf_counter()
            call(i)
            if i >= 2:
                times[j].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def _updater(impl: Any, project: ProjectDir, seq: str) -> Callable[[int], None]:
    def call(i: int) -> None:
        # A failing update would time the error path: nothing to judge then.
        needed("the timed update", impl.update_shot, project.path, seq, f"{seq}-s2",
               {"notes": f"n{i}"})
    return call


def _require_ratio(
    requirement: str, record: Any, small: tuple[float, str, str], large: tuple[float, str, str],
    max_ratio: float,
) -> None:
    """Record the two medians (seconds, how many, of what) and their ratio; require the
    ratio to stay within ``max_ratio``."""
    (base, few, unit), (many, lots, _) = small, large
    ratio = many / base
    record(f"update_ms_{few}_{unit}", round(base * 1000, 3))
    record(f"update_ms_{lots}_{unit}", round(many * 1000, 3))
    record("ratio", round(ratio, 2))
    record("max_ratio", max_ratio)
    require(requirement, ratio <= max_ratio,
            f"an update takes {ratio:.1f}x longer with {lots} {unit} than with {few} "
            f"({many * 1000:.2f} ms vs {base * 1000:.2f} ms; allowed {max_ratio}x)")


@pytest.mark.requirement("SEQ-SCALE-1")
def test_update_cost_flat_in_number_of_sequences(impl: Any, tmp_path: Any, profile: Any,
                                                 record: Any) -> None:
    small = _project(tmp_path / "ten", 10)
    large = _project(tmp_path / "thousand", 1000)
    base, many = _medians(profile.scale_samples, _updater(impl, small, "005"),
                          _updater(impl, large, "500"))
    _require_ratio("SEQ-SCALE-1", record, (base, "10", "sequences"), (many, "1000", "sequences"),
                   MANY_SEQUENCES_MAX_RATIO)


@pytest.mark.requirement("SEQ-SCALE-2")
def test_update_cost_proportionate_in_number_of_shots(impl: Any, tmp_path: Any, profile: Any,
                                                      record: Any) -> None:
    small = _project(tmp_path / "five", 10)
    large = _project(tmp_path / "two-hundred", 10, target_shots=200)
    base, many = _medians(profile.scale_samples, _updater(impl, small, "005"),
                          _updater(impl, large, "005"))
    _require_ratio("SEQ-SCALE-2", record, (base, "5", "shots"), (many, "200", "shots"),
                   MANY_SHOTS_MAX_RATIO)
