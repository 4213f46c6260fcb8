"""Running one function over many items on forked worker processes, results in order.

Used for the sequence files of one big project: the workers are forked after the
parent has built the state they read (project.json's legacy shots), so that state is
shared without being pickled; only the items and the results cross the process
boundary. Forking is only done where it is safe: the ``fork`` start method exists
(POSIX but macOS) and this process runs no other thread (a fork copies locks held
by other threads, which can deadlock the child). Elsewhere callers run serially.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Chunks per worker: fewer means less IPC, more means less time idle behind a slow one.
_CHUNKS_PER_WORKER = 16

# The state every worker reads; set in the parent before the workers fork.
_state: Any = None


def can_fork() -> bool:
    """Whether :func:`map_forked` may run here (else run serially): not on macOS,
    where system libraries are not fork-safe (Python's default there is spawn), not
    with other threads running, and not inside a multiprocessing worker (a parallel
    batch already uses the cores: a pool in each worker would multiply the processes)."""
    import multiprocessing

    return (
        sys.platform != "darwin"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and multiprocessing.parent_process() is None
    )


def _ignore_sigint() -> None:
    # Ctrl-C goes to the whole process group; the parent alone reports and exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_chunk(fn: Callable[[Any, _T], _R], chunk: Sequence[_T]) -> list[_R]:
    return [fn(_state, item) for item in chunk]


def map_forked(
    fn: Callable[[Any, _T], _R], state: Any, items: Sequence[_T], jobs: int
) -> Generator[_R, None, None]:
    """``fn(state, item)`` for each item, computed on ``jobs`` forked processes and
    yielded in the order of ``items``. ``fn`` must be a module-level function (it is
    named, not pickled by value); items and results must be picklable. An exception
    in ``fn`` is raised here, at its item; a worker that dies raises
    :class:`concurrent.futures.process.BrokenProcessPool`. Call only when
    :func:`can_fork` says so."""
    global _state
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, math.ceil(len(items) / (jobs * _CHUNKS_PER_WORKER)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    _state = state
    pool = ProcessPoolExecutor(
        max_workers=min(jobs, len(chunks)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_ignore_sigint,
    )
    try:
        futures = [pool.submit(_run_chunk, fn, chunk) for chunk in chunks]
        for future in futures:
            yield from future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _state = None
