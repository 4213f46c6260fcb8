"""Fixtures of the conformance suite (registered by the plugin only when it is active)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.suite.disk import Canary, ProjectDir
from conformance.suite.profiles import Profile
from conformance.suite.session import requirement_ids, suite_state
from conformance.suite.state import SuiteState

if TYPE_CHECKING:
    from conformance.protocol import Implementation


@pytest.fixture(scope="session")
def seqcheck_state(pytestconfig: pytest.Config) -> SuiteState:
    """The plugin's session state."""
    state = suite_state(pytestconfig)
    assert state is not None, "the seqcheck plugin is not active"
    return state


@pytest.fixture
def impl(
    request: pytest.FixtureRequest, seqcheck_state: SuiteState
) -> Iterator[Implementation]:
    """The implementation under test (started once per session, restarted when it died),
    wrapped so that the files set up and the calls made are kept as the test's minimal
    reproduction (written to the certificate when the test fails)."""
    from conformance.suite.replay import Recording, RecordingImplementation

    recording = Recording()
    wrapped: Any = RecordingImplementation(seqcheck_state.implementation(), recording)
    yield wrapped
    rec = seqcheck_state.recorder.record_for(request.node.nodeid, requirement_ids(request.node))
    rec.reproduction = recording.to_dict()


@pytest.fixture
def capabilities(impl: Implementation) -> frozenset[str]:
    """Capabilities the implementation declared in ``hello``."""
    return frozenset(impl.info.capabilities)


@pytest.fixture
def profile(seqcheck_state: SuiteState) -> Profile:
    """The depth profile of this run (quick or full)."""
    return seqcheck_state.profile


@pytest.fixture
def project(tmp_path: Path) -> ProjectDir:
    """An empty project folder; tests write raw files into it."""
    return ProjectDir(tmp_path / "project")


@pytest.fixture
def canary(tmp_path: Path) -> Canary:
    """A folder beside the project whose files must never be read or changed."""
    return Canary(tmp_path / "outside")


@pytest.fixture
def record(
    request: pytest.FixtureRequest, seqcheck_state: SuiteState
) -> Callable[[str, Any], None]:
    """``record(key, value)`` stores a measurement of this test in the certificate."""
    rec = seqcheck_state.recorder.record_for(request.node.nodeid, requirement_ids(request.node))

    def _record(key: str, value: Any) -> None:
        rec.measurements[key] = value

    return _record


@pytest.fixture
def note(seqcheck_state: SuiteState) -> Callable[[str], None]:
    """``note(text)`` adds a session-wide note to the certificate (e.g. reduced assurance)."""
    return seqcheck_state.note
