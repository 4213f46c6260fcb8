"""Where the plugin keeps its session state and how tests are tagged.

Shared by the plugin (which creates the state) and the fixtures (which read it), so that
neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the plugin loads in every pytest run; the state is imported on use
    from conformance.suite.state import SuiteState

#: The pytest marker that names the requirement IDs a test proves.
MARKER = "requirement"
#: The pytest marker of suite tests run only with ``--seqcheck-depth full``.
FULL_MARKER = "seqcheck_full"

STATE_KEY = pytest.StashKey["SuiteState"]()


def suite_state(config: pytest.Config) -> SuiteState | None:
    """The session's :class:`~conformance.suite.state.SuiteState` (None when inactive)."""
    return config.stash.get(STATE_KEY, None)


def requirement_ids(item: pytest.Item) -> list[str]:
    """The requirement IDs ``item`` is tagged with, in order, without repeats."""
    ids: list[str] = []
    for mark in item.iter_markers(MARKER):
        for value in mark.args:
            if value not in ids:
                ids.append(str(value))
    return ids
