"""How every benchmark here turns interleaved rounds into a verdict.

A round runs each command (or call) once, back to back; a benchmark runs several
rounds. The verdict ratio is the median over rounds of (ours / that round's floor):
on a shared machine the floor itself drifts several-fold during a run (disk fsync
latency, other tenants' load), and a pair measured seconds apart sees the same
drift, which a ratio of two medians taken at different moments does not.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def paired_ratio(ours: Sequence[float], floor: Sequence[float]) -> float:
    """The median over rounds of ``ours[i] / floor[i]`` (one pair per round)."""
    if not ours or len(ours) != len(floor):
        raise ValueError(f"expected one floor per round, got {len(ours)} and {len(floor)}")
    return statistics.median(o / f for o, f in zip(ours, floor, strict=True))
