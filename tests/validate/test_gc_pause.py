"""validate_project pauses the cyclic collector only while it runs, invisibly to callers."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.validate import engine, validate_project
from conformance.validate.gc_pause import cyclic_gc_paused


def _project(root: Path) -> Path:
    (root / "sequences").mkdir(parents=True)
    (root / "project.json").write_text(
        json.dumps({"project_name": "p", "schema_version": "1.0"}), encoding="utf-8"
    )
    (root / "sequences" / "sequence_001.json").write_text(
        json.dumps({"id": "001", "shots": [{"id": "s1", "title": "a", "duration": 1}]}),
        encoding="utf-8",
    )
    return root


@pytest.fixture
def gc_state() -> Iterator[None]:
    """Restores the collector whatever a failing test left behind."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()
    else:
        gc.disable()


def _spy(monkeypatch: pytest.MonkeyPatch, seen: list[bool], hook: Any = None) -> None:
    real = engine._validate

    def spying(*args: Any) -> Any:
        seen.append(gc.isenabled())
        if hook is not None:
            hook()
        return real(*args)

    monkeypatch.setattr(engine, "_validate", spying)


@pytest.mark.parametrize("enabled", [True, False])
def test_state_and_thresholds_are_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gc_state: None, enabled: bool
) -> None:
    seen: list[bool] = []
    _spy(monkeypatch, seen)
    gc.set_threshold(1234, 56, 78)
    if enabled:
        gc.enable()
    else:
        gc.disable()
    validate_project(_project(tmp_path / "p"))
    assert seen == [False]  # the speed-up is in place while validating
    assert gc.isenabled() is enabled
    assert gc.get_threshold() == (1234, 56, 78)


def test_restored_after_an_error(tmp_path: Path, gc_state: None) -> None:
    gc.enable()
    with pytest.raises(ZeroDivisionError), cyclic_gc_paused():
        assert not gc.isenabled()
        _ = 1 / 0
    assert gc.isenabled()


def test_overlapping_pauses_hold_until_the_last_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gc_state: None
) -> None:
    # A validation starts, another pause starts while it runs, the validation ends first:
    # the other pause must still have the collector off, and it is on after both.
    gc.enable()
    inside, other_entered, validation_done = (threading.Event() for _ in range(3))
    seen: list[bool] = []
    during_other: list[bool] = []

    def wait_for_other() -> None:
        inside.set()
        assert other_entered.wait(30)

    def other() -> None:
        assert inside.wait(30)
        with cyclic_gc_paused():
            other_entered.set()
            assert validation_done.wait(30)
            during_other.append(gc.isenabled())

    _spy(monkeypatch, seen, hook=wait_for_other)
    project = _project(tmp_path / "p")
    validation = threading.Thread(target=validate_project, args=(project,))
    pause = threading.Thread(target=other)
    pause.start()
    validation.start()
    validation.join(30)
    validation_done.set()
    pause.join(30)
    assert not validation.is_alive() and not pause.is_alive()
    assert seen == [False]
    assert during_other == [False], "the validation ending re-enabled another pause"
    assert gc.isenabled()
