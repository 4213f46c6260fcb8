"""How deep the suite digs: the quick profile (default) and the full one.

The quick profile keeps a whole certification of a correct implementation to well
under a minute; the full one (``--seqcheck-depth full``) runs the numbers the spec
names (100+ read-modify-write cycles per writer over 3 repetitions on a ~1 MB file,
every kill point, longer torn-reader and state-machine runs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The knobs of one suite depth."""

    name: str
    #: Kill points tried by the deterministic crash sweep (None: every one).
    kill_points: int | None
    #: Random SIGKILL trials when ptrace is unavailable.
    random_kill_trials: int
    #: Seconds a reader parses the file while the implementation writes.
    torn_reader_seconds: float
    #: Updates the writer makes during the torn-reader check.
    torn_reader_updates: int
    #: Concurrent writer processes, cycles per writer, repetitions, file size.
    writers: int
    cycles: int
    repetitions: int
    sequence_bytes: int
    #: Hypothesis state machine: examples, steps per example, and whether a failure is
    #: shrunk to a minimal reproduction (slow against an out-of-process adapter).
    examples: int
    steps: int
    shrink: bool
    #: Timed updates per scale measurement.
    scale_samples: int


QUICK = Profile(
    name="quick",
    kill_points=3,
    random_kill_trials=10,
    torn_reader_seconds=0.6,
    torn_reader_updates=15,
    writers=2,
    cycles=12,
    repetitions=1,
    sequence_bytes=150_000,
    examples=8,
    steps=15,
    shrink=False,
    scale_samples=7,
)

FULL = Profile(
    name="full",
    kill_points=None,
    random_kill_trials=100,
    torn_reader_seconds=5.0,
    torn_reader_updates=200,
    writers=4,
    cycles=100,
    repetitions=3,
    sequence_bytes=1_000_000,
    examples=100,
    steps=40,
    shrink=True,
    scale_samples=40,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (QUICK, FULL)}

__all__ = ["FULL", "PROFILES", "QUICK", "Profile"]
