"""Crash-safety tooling: run an implementation's adapter under strace and report.

Each run starts the adapter command (``Implementation.command()``) in a fresh process
on a fresh project, sends hello + one update_shot + shutdown, and reports what the
disk looks like afterwards. Nothing here asserts; the conformance suite does.

>>> from conformance.crash import strace_status, kill_point_sweep   # doctest: +SKIP
"""

from conformance.crash.faults import FaultOutcome, inject_fault
from conformance.crash.killpoints import KillOutcome, KillPoint, SweepResult, kill_point_sweep
from conformance.crash.random_kill import random_kill_trials
from conformance.crash.scenario import UpdateScenario
from conformance.crash.state import VOLATILE_KEYS, State
from conformance.crash.strace import strace_status
from conformance.crash.torn import TornResult, torn_reader_check
from conformance.crash.write_protocol import WriteTrace, check_write_protocol, trace_update

__all__ = [
    "VOLATILE_KEYS",
    "FaultOutcome",
    "KillOutcome",
    "KillPoint",
    "State",
    "SweepResult",
    "TornResult",
    "UpdateScenario",
    "WriteTrace",
    "check_write_protocol",
    "inject_fault",
    "kill_point_sweep",
    "random_kill_trials",
    "strace_status",
    "torn_reader_check",
    "trace_update",
]
