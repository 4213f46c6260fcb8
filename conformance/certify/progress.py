"""Progress and the whole-run deadline of a certification, as a small pytest plugin.

``seqcheck certify`` loads it into the child pytest process (``-p
conformance.certify.progress``). With ``--seqcheck-progress FILE`` it appends one JSON
object per line to FILE, flushed at once, which the parent tails for its live line:

* ``{"event": "collected", "total": N}``
* ``{"event": "start", "nodeid": ..., "group": ..., "requirements": [...]}``
* ``{"event": "done", "nodeid": ..., "record": {...}}``: the suite's own record of the
  test (outcome, reason, requirements), so the parent can still issue a certificate
  if it has to stop the child before it writes its results;
* ``{"event": "header", "header": {...}}``: the raw-results header, after collection and
  again after the first test (by then with what ``hello`` said);
* ``{"event": "deadline", "not_run": N, "next": nodeid}``: the deadline passed.

With ``--seqcheck-deadline SECONDS`` no test starts once SECONDS have passed since the
session began: the session ends early (its results are written as usual, the tests not
run are absent) and the ``deadline`` event says how many were left.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any

import pytest

_KEY = pytest.StashKey["Progress"]()


class Progress:
    """Writes progress events and enforces the deadline for one session."""

    def __init__(self, path: Path | None, deadline_seconds: float | None) -> None:
        self._out: IO[str] | None = path.open("a", encoding="utf-8") if path else None
        self._deadline = (
            time.monotonic() + deadline_seconds if deadline_seconds is not None else None
        )
        self.total = 0
        self.header_sent = False
        self.stopped = False

    def emit(self, event: dict[str, Any]) -> None:
        """Append one event line (flushed: the parent reads it while we run)."""
        if self._out is not None:
            self._out.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            self._out.flush()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self._deadline is not None and time.monotonic() >= self._deadline

    def close(self) -> None:
        """Close the event file."""
        if self._out is not None:
            self._out.close()
            self._out = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seqcheck-progress", "seqcheck certify progress")
    group.addoption("--seqcheck-progress", metavar="FILE", default=None,
                    help="append progress events (JSON lines) to FILE")
    group.addoption("--seqcheck-deadline", metavar="SECONDS", type=float, default=None,
                    help="start no test after SECONDS from the session's start")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("seqcheck_progress")
    config.stash[_KEY] = Progress(
        Path(path) if path else None, config.getoption("seqcheck_deadline")
    )


def _progress(config: pytest.Config) -> Progress:
    return config.stash[_KEY]


def group_of(item: pytest.Item) -> str:
    """The requirement group a suite test belongs to: its module, e.g. ``crash``."""
    stem = item.path.stem
    return stem.removeprefix("test_")


def _requirements(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(str(v) for v in mark.args if str(v) not in ids)
    return ids


def _emit_header(progress: Progress, state: Any) -> None:
    try:
        header = state.header()
    except Exception:  # progress must never break the run
        return
    progress.emit({"event": "header", "header": header})


def pytest_collection_finish(session: pytest.Session) -> None:
    progress = _progress(session.config)
    progress.total = len(session.items)
    progress.emit({"event": "collected", "total": progress.total})
    state = _suite_state(session.config)
    if state is not None:
        _emit_header(progress, state)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    progress = _progress(item.config)
    if progress.expired():
        if not progress.stopped:
            progress.stopped = True
            items = item.session.items
            left = len(items) - items.index(item) if item in items else 1
            progress.emit({"event": "deadline", "not_run": left, "next": item.nodeid})
            item.session.shouldstop = "seqcheck: the certification deadline passed"
        return True  # not run: the session stops after this item
    progress.emit({
        "event": "start", "nodeid": item.nodeid, "group": group_of(item),
        "requirements": _requirements(item),
    })
    return None


def _suite_state(config: pytest.Config) -> Any:
    try:
        from conformance.suite.plugin import suite_state
    except ImportError:  # pragma: no cover - the suite is part of the package
        return None
    return suite_state(config)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    config = _CONFIG[0] if _CONFIG else None
    if config is None:
        return
    progress = _progress(config)
    state = _suite_state(config)
    record = None
    if state is not None and nodeid in state.recorder.records:
        record = state.recorder.records[nodeid].to_dict()
    progress.emit({"event": "done", "nodeid": nodeid, "record": record})
    if state is not None and not progress.header_sent:
        progress.header_sent = True  # now with what hello said
        _emit_header(progress, state)


# pytest_runtest_logfinish gets no config: remember the session's.
_CONFIG: list[pytest.Config] = []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG[:] = [session.config]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _KEY in config.stash:
        _progress(config).close()
    _CONFIG.clear()
