"""Pause Python's cyclic garbage collector around bulk JSON work without the caller
noticing.

Parsed JSON documents are trees, freed by reference counting as soon as a file is done;
the cyclic collector only re-scans their containers, which costs a large share of the
run time on big projects. ``gc.disable()`` is process-wide, so the pause is scoped:

* pauses nest and overlap across threads: a counter under a lock; the first pause
  records whether the collector was enabled and the last one restores exactly that,
  so concurrent validations never re-enable each other's pause midway or leave the
  collector off;
* thresholds, generation counts and the frozen set are never touched;
* a collector the caller enabled while a pause was active stays enabled (only a
  collector still off is switched back on). The one change that cannot be told apart
  is a ``gc.disable()`` made by another thread during the pause: the collector is off
  already, so the last pause restores the state it found. Callers that manage the
  collector themselves should do so outside validation.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off; restore the caller's state after."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore and not gc.isenabled():
                gc.enable()
