"""The update every strace tool runs: which adapter, on what project, which update."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class UpdateScenario:
    """One ``update_shot`` run by an adapter process on a fresh project.

    ``make_project(folder)`` writes a fresh project into ``folder`` (called once per
    run); ``target_rel`` is the file the update must replace, relative to it.
    """

    #: The adapter command.
    argv: tuple[str, ...]
    make_project: Callable[[Path], None]
    target_rel: str
    sequence_id: Any
    shot_id: Any
    updates: Any
    #: Seconds one run may take.
    timeout: float = 60.0
    cwd: str | os.PathLike[str] | None = None
    env: dict[str, str] | None = None

    @property
    def request(self) -> tuple[Any, Any, Any]:
        """``(sequence_id, shot_id, updates)``: the arguments of ``update_shot``."""
        return self.sequence_id, self.shot_id, self.updates
