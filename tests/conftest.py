"""Settings every test of this repository shares.

Hypothesis runs without its per-example deadline and without the too-slow health
check: these tests run on shared, loaded CI workers (two pytest workers per two cores),
where an example's time says nothing about the code. Timing belongs to the benchmarks
under ``tests/benchmarks/``. A test's own ``@settings`` still sets what it names
(number of examples, other health checks) on top of this profile.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "seqcheck", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("seqcheck")
