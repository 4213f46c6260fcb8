"""Group 2: an update survives the implementation's restart and is seen by new processes."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.protocol import open_adapter
from conformance.suite.checks import as_json, needed, require
from conformance.suite.scenarios import basic_project


@pytest.mark.requirement("SEQ-DURABLE-1")
def test_update_survives_restart(impl: Any, project: Any) -> None:
    b = basic_project(project)
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(),
           {"notes": "after restart"})
    impl.restart()
    shots = impl.get_shots(project.path, b.sequence_id)
    seen = [s.get("notes") for s in shots if s.get("id") == b.shot_id()]
    require("SEQ-DURABLE-1", seen == ["after restart"],
            f"after a restart the implementation reads {as_json(seen)} for the updated shot")
    on_disk = [s.get("notes") for s in project.read(b.rel)["shots"] if s["id"] == b.shot_id()]
    require("SEQ-DURABLE-1", on_disk == ["after restart"],
            f"the file on disk holds {as_json(on_disk)} for the updated shot")


@pytest.mark.requirement("SEQ-DURABLE-1")
def test_new_process_sees_update(impl: Any, project: Any) -> None:
    b = basic_project(project)
    needed("the update", impl.update_shot, project.path, b.sequence_id, b.shot_id(3),
           {"notes": "visible"})
    with open_adapter(impl.command()) as fresh:
        shots = fresh.get_shots(project.path, b.sequence_id)
    seen = [s.get("notes") for s in shots if s.get("id") == b.shot_id(3)]
    require("SEQ-DURABLE-1", seen == ["visible"],
            f"a new process reads {as_json(seen)} for the shot the old one updated")
