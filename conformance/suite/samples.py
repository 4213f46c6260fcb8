"""Documents the suite writes into projects: realistic, schema-valid, deterministic.

Shots look like the editor's ProductionShot (``sequencePlanId``) or the wizard's
(``sequence_id``); ``unknown=True`` adds fields no schema declares, nested and at the
top level, with values of every JSON type, because real files carry such fields and
they must survive every write.
"""

from __future__ import annotations

import copy
from typing import Any

CREATED = "2026-01-20T10:00:00.000Z"
MODIFIED = "2026-01-20T10:05:00.000Z"

#: Fields no schema declares, with every JSON type and non-ASCII text.
UNKNOWN_FIELDS: dict[str, Any] = {
    "x-vendor": {"renderQueue": [3, 1.5, None, True], "label": "Prise n°1 — 夜"},
    "customScore": 0.1,
    "emptyObj": {},
}


def production_shot(
    sequence_id: str, shot_id: str, number: int = 1, *, unknown: bool = False,
    wizard: bool = False, padding: int = 0,
) -> dict[str, Any]:
    """A ProductionShot of ``sequence_id`` (``sequence_id`` field when ``wizard``).

    ``padding`` adds a prompt of that many characters (for large files).
    """
    member = "sequence_id" if wizard else "sequencePlanId"
    shot: dict[str, Any] = {
        "id": shot_id,
        member: sequence_id,
        "number": number,
        "type": "wide",
        "camera": {"framing": "wide", "angle": "eye-level", "movement": {"type": "static"}},
        "timing": {"duration": 5, "inPoint": 0, "outPoint": 5},
        "generation": {
            "model": "flux-dev",
            "prompt": "A harbour at dawn" + (" " + "x" * padding if padding else ""),
            "parameters": {"steps": 20, "cfgScale": 7.5, "width": 1024, "height": 576},
        },
        "status": "planned",
    }
    if unknown:
        shot.update(copy.deepcopy(UNKNOWN_FIELDS))
    return shot


def storyboard_shot(shot_id: str, position: int = 0, **extra: Any) -> dict[str, Any]:
    """A Data Contract v1 storyboard shot (project.json ``storyboard``)."""
    shot: dict[str, Any] = {
        "id": shot_id,
        "title": f"Shot {position + 1}",
        "description": "Opening title over black",
        "duration": 2,
        "position": position,
        "audioTracks": [],
        "effects": [],
        "textLayers": [],
        "animations": [],
        "metadata": {"source": "manual", "created_at": CREATED, "status": "draft"},
    }
    shot.update(extra)
    return shot


def sequence_doc(
    sequence_id: str, shot_ids: list[str] | None = None, *, order: int | None = 1,
    unknown: bool = False, wizard: bool = False, updated_at: bool = False,
    padding: int = 0,
) -> dict[str, Any]:
    """A sequence file document holding ``shot_ids`` (default ``<id>-s1`` .. ``-s3``)."""
    ids = shot_ids if shot_ids is not None else [f"{sequence_id}-s{i}" for i in (1, 2, 3)]
    doc: dict[str, Any] = {
        "id": sequence_id,
        "name": f"Sequence {sequence_id}",
        "description": "",
        "duration": 5 * len(ids),
    }
    if order is not None:
        doc["order"] = order
    doc["shots"] = [
        production_shot(sequence_id, sid, i + 1, unknown=unknown, wizard=wizard, padding=padding)
        for i, sid in enumerate(ids)
    ]
    metadata: dict[str, Any] = {"created_at": CREATED, "modified_at": MODIFIED}
    if updated_at:
        metadata = {"created_at": CREATED, "updated_at": MODIFIED, "status": "draft"}
    doc["metadata"] = metadata
    if unknown:
        doc["x-top-level"] = {"keep": ["me", 1, 2.5, False, None]}
    return doc


def project_doc(
    *, shots: list[dict[str, Any]] | None = None,
    storyboard: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A project.json in the main process's shape, with the legacy arrays given."""
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "project_name": "Conformance project",
        "created_at": CREATED,
        "modified_at": MODIFIED,
        "storycore_version": "1.0.0",
        "capabilities": {"grid_generation": True, "qa_engine": False},
        "generation_status": {"grid": "pending", "promotion": "pending"},
        "settings": {"default_resolution": "1920x1080", "quality_threshold": 100},
    }
    if shots is not None:
        doc["shots"] = shots
    if storyboard is not None:
        doc["storyboard"] = storyboard
    doc["metadata"] = {"id": "3f6c1a2e-8b9d-4e5f-a1b2-c3d4e5f60718", "format": "storycore"}
    doc["x-project-extra"] = {"keep": True}
    return doc


__all__ = [
    "CREATED",
    "MODIFIED",
    "UNKNOWN_FIELDS",
    "production_shot",
    "project_doc",
    "sequence_doc",
    "storyboard_shot",
]
