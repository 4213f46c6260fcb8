"""Projects as the StoryCore app's own writers leave them (conformance/spec/field-guide.md).

Each builder re-states, from reading the app at zedarvates/StoryCore-Engine 10b393ba, what
one writer puts on disk (names, key order, types, the missing trailing newline of
``JSON.stringify(doc, null, 2)``); no app code is copied. Ids are fixed so findings can
be asserted exactly. A builder returns ``{relative path: bytes}``.
"""

from __future__ import annotations

import json
from typing import Any

Files = dict[str, bytes]

T0 = "2026-01-20T10:00:00.000Z"
T1 = "2026-01-20T10:05:00.000Z"
T2 = "2026-01-21T09:00:00.000Z"

#: The New Project dialog's format entries (CreateProjectDialog.tsx PROJECT_FORMATS):
#: (id, name, duration, durationMinutes, sequences, shotDuration, iconType), and the
#: description "<sequences> sequences of <shotDuration / 60> minute(s) each".
DIALOG_FORMATS: list[tuple[str, str, str, int, int, int, str]] = [
    ("court-metrage", "Court-métrage", "1-15 min", 15, 15, 60, "film"),
    ("moyen-metrage", "Moyen-métrage", "15-40 min", 40, 20, 120, "video"),
    ("long-metrage-standard", "Long-métrage standard", "70-90 min", 90, 30, 180, "film"),
    ("long-metrage-premium", "Long-métrage premium", "100-120 min", 120, 40, 180, "film"),
    ("tres-long-metrage", "Très long-métrage", "120+ min", 150, 50, 180, "film"),
    ("special-tv", "Spécial TV / Streaming", "40-60 min", 60, 25, 144, "tv"),
    ("episode-serie", "Épisode de série", "11 ou 22 min", 22, 11, 120, "clock"),
]


def js_json(doc: Any) -> bytes:
    """``JSON.stringify(doc, null, 2)``: two-space indent, non-ASCII as is, no newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def py_json(doc: Any) -> bytes:
    """Python ``json.dump(doc, f, indent=2)``: ASCII escapes, no trailing newline."""
    return json.dumps(doc, indent=2).encode("utf-8")


def gen_id(n: int, tag: str) -> str:
    """``${Date.now()}-${Math.random().toString(36).substr(2, 9)}`` (projectTemplateGenerator
    generateId): 13 digits, a dash, 9 base-36 characters."""
    return f"{1737000000000 + n}-{tag:0>9}"[:23]


def format_entry(index: int) -> dict[str, Any]:
    """The dialog's SerializableProjectFormat for entry ``index``."""
    fid, name, duration, minutes, sequences, shot_duration, icon = DIALOG_FORMATS[index]
    each = shot_duration / 60
    each_text = f"{each:g} minute{'s' if each != 1 else ''}"
    return {"id": fid, "name": name, "duration": duration, "durationMinutes": minutes,
            "sequences": sequences, "shotDuration": shot_duration, "iconType": icon,
            "description": f"{sequences} sequences of {each_text} each"}


def dialog_shot(seq_number: int, shot_duration: int) -> dict[str, Any]:
    """generateDefaultShot: one storyboard-style shot naming its sequence only in
    metadata.sequence_id."""
    return {
        "id": gen_id(2 * seq_number, f"shot{seq_number}"),
        "title": "Shot 1",
        "description": f"Default shot 1 for Sequence {seq_number}",
        "duration": shot_duration,
        "position": 1,
        "audioTracks": [],
        "effects": [],
        "textLayers": [],
        "animations": [],
        "metadata": {
            "shot_type": "medium",
            "camera_movement": "static",
            "frame_path": "",
            "sequence_id": gen_id(2 * seq_number + 1, f"seq{seq_number}"),
            "created_at": T0,
            "updated_at": T0,
            "status": "draft",
        },
    }


def electron_project(name: str, shots: list[dict[str, Any]], fmt: Any,
                     sequences: int) -> dict[str, Any]:
    """electron/ProjectService.ts createProject's project.json (DEFAULT_TEMPLATE config
    first, then the fields it sets)."""
    metadata: dict[str, Any] = {"id": "8f14e45f-ceea-4e3b-9c8a-1d2f3a4b5c6d",
                                "created_at": T0, "updated_at": T0}
    if fmt is not None:  # JSON.stringify drops an undefined format
        metadata["format"] = fmt
    metadata["sequences"] = sequences
    metadata["totalShots"] = len(shots)
    return {
        "schema_version": "1.0",
        "capabilities": {"grid_generation": True, "promotion_engine": True, "qa_engine": True,
                         "autofix_engine": True, "character_system": True,
                         "world_building": True, "casting_system": True},
        "generation_status": {"grid": "pending", "promotion": "pending"},
        "settings": {"default_resolution": "1920x1080", "quality_threshold": 100},
        "project_name": name,
        "created_at": T0,
        "modified_at": T0,
        "storycore_version": "1.0.0",
        "shots": shots,
        "metadata": metadata,
    }


def dialog_project(index: int) -> Files:
    """The New Project dialog's project for format entry ``index``: useLandingPage
    handleCreateProjectSubmit -> generateProjectTemplate -> createProject. The shots
    carry no top-level sequence_id, so createProject groups them all under the key
    ``undefined``: one sequences/sequence_001.json without an id, holding every shot,
    while project.json ``shots`` holds copies and metadata.format the whole entry."""
    fmt = format_entry(index)
    shots = [dialog_shot(i, fmt["shotDuration"]) for i in range(1, fmt["sequences"] + 1)]
    sequence = {
        "name": "Sequence 1",
        "description": "Default sequence 1",
        "duration": sum(s["duration"] for s in shots),
        "shots": shots,
        "order": 1,
        "metadata": {"created_at": T0, "updated_at": T0, "status": "draft"},
    }
    return {
        "project.json": js_json(electron_project(f"Dialog {fmt['id']}", shots, fmt, 1)),
        "sequences/sequence_001.json": js_json(sequence),
        "README.md": b"# A StoryCore project\n",
    }


def pipeline_project() -> Files:
    """The Python pipeline's project.json (complete_pipeline_test/project.json in the
    repository): four keys, ``created_at`` from time.time(), no shots, no sequences/."""
    doc = {"project_id": "complete_test_001", "project_name": "Complete Pipeline Test",
           "schema_version": "1.0", "created_at": 1768060952.2816522}
    return {"project.json": py_json(doc)}


def cli_init_project() -> Files:
    """src/project_manager.py _create_project_json (``storycore init``): no
    project_name (the app's ProjectValidator refuses to open it), utcnow()+"Z"."""
    now = "2026-01-20T10:00:00.123456Z"
    doc = {
        "schema_version": "1.0", "project_id": "storycore_demo", "created_at": now,
        "updated_at": now,
        "capabilities": {"grid_generation": True, "promotion_engine": True,
                         "qa_engine": True, "autofix_engine": True},
        "generation_status": {"grid": "pending", "promotion": "pending"},
        "config": {"hackathon_mode": True, "global_seed": 42},
        "shots_index": {"shot_01": {"active_version": "v1", "status": "placeholder"}},
        "asset_manifest": {},
        "status": {"current_phase": "initialization", "qa_passed": False},
    }
    return {"project.json": py_json(doc)}


def template_project() -> Files:
    """data/project.json in the repository: a ProjectTemplateService template, the
    whole project nested under ``project`` with a format object of its own."""
    doc = {"project": {
        "id": "template_base", "name": "Base template", "version": "1.0.0",
        "created_at": T0, "updated_at": T0, "description": "A template",
        "format": {"type": "standard_feature",
                   "duration_range": {"min_minutes": 60, "max_minutes": 120}},
        "genres": [], "metadata": {}, "custom_fields": {},
    }}
    return {"project.json": js_json(doc)}


def assistant_project() -> Files:
    """src/assistant/project_manager.py save_project: naive isoformat() timestamps and
    sequences embedded with their shots (shot ``type`` free text)."""
    doc = {
        "schema_version": "1.0", "project_name": "Assistant project",
        "capabilities": {"grid_generation": True, "promotion_engine": True,
                         "qa_engine": True, "autofix_engine": True},
        "generation_status": {"grid": "pending", "promotion": "pending"},
        "created_at": "2026-01-20T10:00:00.123456",
        "modified_at": "2026-01-20T10:05:00.654321",
        "scenes": [], "characters": [],
        "sequences": [{"id": "seq_1", "scene_id": "scene_1", "total_duration": 7.5,
                       "shots": [{"id": "shot_1", "number": 1, "type": "wide shot",
                                  "camera_movement": "static", "duration": 7.5,
                                  "description": "Opening", "visual_style": "noir"}]}],
    }
    return {"project.json": py_json(doc)}


def video_editor_project() -> Files:
    """backend/video_editor_api.py create_project: json.dump(project, default=str) on
    one line, datetimes as str(datetime), no schema_version or project_name."""
    doc = {"id": "6b1d2c3e-0000-4000-8000-000000000001", "name": "Cut", "description": "",
           "user_id": "u1", "aspect_ratio": "16:9", "resolution": "1920x1080",
           "frame_rate": 24, "duration": 0.0, "tracks": [],
           "created_at": "2026-01-20 10:00:00.123456",
           "modified_at": "2026-01-20 10:00:00.123456", "thumbnail_path": None,
           "path": "/projects/u1/6b1d2c3e"}
    return {"project.json": json.dumps(doc).encode()}


def v1_shot(n: int, **extra: Any) -> dict[str, Any]:
    """A Data Contract v1 storyboard shot (services/project/ProjectService.ts createShot)."""
    return {"id": f"shot_17370000000{n:02d}_{n}", "title": f"Shot {n}",
            "description": "", "duration": 3, "position": n, "audioTracks": [],
            "effects": [], "textLayers": [], "animations": [],
            "metadata": {"source": "manual", "created_at": T0, "status": "draft"}, **extra}


def v1_doc(storyboard: list[dict[str, Any]]) -> dict[str, Any]:
    """Data Contract v1 project.json (renderer ProjectService saveProject)."""
    return {
        "schema_version": "1.0", "project_name": "Storyboard",
        "capabilities": {"grid_generation": True, "promotion_engine": True,
                         "qa_engine": True, "autofix_engine": True,
                         "wizard_generation": True},
        "generation_status": {"grid": "pending", "promotion": "pending", "wizard": "pending"},
        "storyboard": storyboard, "assets": [], "characters": [], "scenes": [],
        "global_resume": "A story.",
    }


def v1_project() -> Files:
    """Data Contract v1 with storyboard shots that name no sequence: valid as is."""
    return {"project.json": js_json(v1_doc([v1_shot(1), v1_shot(2)]))}


def v1_with_members_project() -> Files:
    """Data Contract v1 after the dashboard's "force update" set ``sequence_id`` on the
    store's shots and the store was saved: legacy shots that belong in sequences/."""
    return {"project.json": js_json(v1_doc([v1_shot(1, sequence_id="seq-a"),
                                            v1_shot(2, sequence_id="seq-a"),
                                            v1_shot(3, sequence_id="seq-b")]))}


UUID_A = "3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"
UUID_B = "9a8b7c6d-1111-4222-8333-444455556666"
STAMP_ID = "1737000000000-seqa1b2c3"


def reference_doc(seq_id: str, order: int, shot_ids: list[str], *, created: str = T0,
                  updated: str = T1) -> dict[str, Any]:
    """The reference shape: ProjectDashboardNew saveSequenceToFile's key order (id, name,
    order, duration, shots_count, resume, shot_ids, created_at, updated_at)."""
    return {"id": seq_id, "name": f"Sequence {order}", "order": order,
            "duration": 3 * len(shot_ids), "shots_count": len(shot_ids), "resume": "",
            "shot_ids": shot_ids, "created_at": created, "updated_at": updated}


def _legacy_shots(n: int) -> list[dict[str, Any]]:
    return [dialog_shot(i, 3) for i in range(1, n + 1)]


def dashboard_overwrite_project() -> Files:
    """A dialog project after its sequences were saved from the dashboard:
    saveSequenceToFile wrote sequence_<order>.json in the reference shape over the
    canonical files; the shots themselves are only in project.json. The dashboard then
    called electron updateMetadata, which merged ``lastSequenceUpdate`` into metadata."""
    shots = _legacy_shots(3)
    ids = [s["id"] for s in shots]
    doc = electron_project("Dashboard", shots, format_entry(6), 2)
    doc["metadata"]["lastSequenceUpdate"] = T1
    doc["metadata"]["updated_at"] = doc["modified_at"] = T1
    return {
        "project.json": js_json(doc),
        "sequences/sequence_001.json": js_json(reference_doc(UUID_A, 1, ids[:2])),
        "sequences/sequence_002.json": js_json(reference_doc(UUID_B, 2, ids[2:])),
    }


def service_created_project() -> Files:
    """sequenceService.createSequence with a uuid id: sequence_<first 8 chars>.json, the
    caller's SequenceData then created_at/updated_at; one reference names no shot."""
    shots = _legacy_shots(2)
    doc = {"id": UUID_B, "name": "Sequence 1", "order": 1, "duration": 6,
           "shots_count": 3, "resume": "Night market", "shot_ids":
           [shots[0]["id"], shots[1]["id"], "deleted-shot"],
           "created_at": T1, "updated_at": T1}
    return {
        "project.json": js_json(electron_project("Service", shots, None, 0)),
        "sequences/sequence_9a8b7c6d.json": js_json(doc),
    }


def _seconds(shot: dict[str, Any]) -> float:
    timing = shot.get("timing")
    value = timing.get("duration") if isinstance(timing, dict) else shot.get("duration")
    return value if isinstance(value, (int, float)) else 0


def canonical_doc(seq_id: str, shots: list[dict[str, Any]]) -> dict[str, Any]:
    """A sequence file in the canonical layout as createProject writes one."""
    return {"id": seq_id, "name": "Sequence 1", "description": "Default sequence 1",
            "duration": sum(_seconds(s) for s in shots), "shots": shots,
            "order": 1, "metadata": {"created_at": T0, "updated_at": T0, "status": "draft"}}


def _edit_copy(doc: dict[str, Any], updates: dict[str, Any], when: str) -> dict[str, Any]:
    """updateSequence: ``{...sequence, ...updates, updated_at}`` where ``sequence`` is
    what loadSequences read (``shot_ids`` defaulted to [])."""
    read = {**doc, "shot_ids": doc.get("shot_ids", [])}
    return {**read, **updates, "updated_at": when}


def edit_duplicate_uuid_project() -> Files:
    """updateSequence of a uuid-id sequence read from sequence_001.json: the edit lands
    in sequence_3f2b8c1e.json, and updateShotInSequence later added a shot to the
    original (the first file its readdir finds), so each file holds something the
    other lacks."""
    shot1 = {"id": "s-1", "sequencePlanId": UUID_A, "timing": {"duration": 4, "inPoint": 0,
                                                               "outPoint": 4}}
    shot2 = {"id": "s-2", "sequencePlanId": UUID_A, "timing": {"duration": 2, "inPoint": 0,
                                                               "outPoint": 2}}
    original = canonical_doc(UUID_A, [shot1])
    copy = _edit_copy(original, {"name": "Opening", "x-color": "#ff8800"}, T2)
    later = {**original, "shots": [shot1, shot2], "duration": 6}
    return {
        "project.json": js_json(electron_project("Edited", [], None, 1)),
        "sequences/sequence_001.json": js_json(later),
        "sequences/sequence_3f2b8c1e.json": js_json(copy),
    }


def edit_duplicate_stamp_project() -> Files:
    """updateSequence of a sequence with the renderer's timestamp id: the id-prefix
    name sequence_17370000.json is itself a layout name, so two sequence files hold one
    id (identical shots, the copy has the edit and shot_ids)."""
    shot = {"id": "w-1", "sequence_id": STAMP_ID, "duration": 5}
    original = canonical_doc(STAMP_ID, [shot])
    copy = _edit_copy(original, {"description": "Rain"}, T2)
    return {
        "project.json": js_json(electron_project("Stamped", [], None, 1)),
        "sequences/sequence_001.json": js_json(original),
        "sequences/sequence_17370000.json": js_json(copy),
    }


def mixture_project() -> Files:
    """Everything at once: a dialog-born id-less file (2 intended sequences), a
    SequenceService file referencing a Data Contract v1 storyboard shot, a v1 shot
    naming a sequence, and the pipeline's float created_at."""
    shots = [dialog_shot(1, 4), dialog_shot(2, 4)]
    born = {"name": "Sequence 1", "description": "Default sequence 1", "duration": 8,
            "shots": shots, "order": 1,
            "metadata": {"created_at": T0, "updated_at": T0, "status": "draft"}}
    doc = electron_project("Mixture", shots, format_entry(0), 1)
    doc["created_at"] = 1768060952.2816522
    doc["storyboard"] = [v1_shot(7), v1_shot(8, sequence_id="seq-z")]
    return {
        "project.json": js_json(doc),
        "sequences/sequence_001.json": js_json(born),
        "sequences/sequence_9a8b7c6d.json": js_json(
            reference_doc(UUID_B, 3, [v1_shot(7)["id"]])),
    }


def electron_empty_project() -> Files:
    """createProject without initialShots or format (any caller but the dialog):
    ``shots`` empty, ``metadata.format`` dropped, ``metadata.sequences`` 0."""
    return {"project.json": js_json(electron_project("Empty", [], None, 0)),
            "README.md": b"# A StoryCore project\n"}


def rover_autosave_project() -> Files:
    """A dialog project after the renderer's autosave: projectPersistence serialises the
    store's Project and RoverBackend.save writes it as project.json. The store keeps
    schema_version, project_name, shots, assets, capabilities, generation_status and
    metadata (id, path, version, created_at, updated_at, then the file's own metadata,
    format object included); created_at, settings and storycore_version are gone."""
    files = dialog_project(6)
    electron = json.loads(files["project.json"])
    store = {
        "schema_version": electron["schema_version"],
        "project_name": electron["project_name"],
        "shots": electron["shots"],
        "assets": [],
        "capabilities": electron["capabilities"],
        "generation_status": electron["generation_status"],
        # convertElectronProjectToStore: {id, path, version, created_at, updated_at,
        # ...config.metadata}; the file's own keys come last and win.
        "metadata": {"id": electron["metadata"]["id"], "path": "/home/u/Projects/Episode",
                     "version": "1.0.0", "created_at": T0, "updated_at": T1,
                     **electron["metadata"]},
    }
    files["project.json"] = js_json(store)
    return files


def dialog_then_dashboard_project() -> Files:
    """A dialog project opened in the dashboard and saved: the dashboard groups the
    store's shots by a top-level ``sequence_id`` (none here), so every shot lands in
    one sequence ``"default"``, and saveSequenceToFile writes it in the reference shape
    over the id-less sequence_001.json (resume = the first shot's description)."""
    files = dialog_project(6)
    project = json.loads(files["project.json"])
    shots = project["shots"]
    files["sequences/sequence_001.json"] = js_json({
        "id": "default", "name": "Sequence 1", "order": 1,
        "duration": sum(s["duration"] for s in shots), "shots_count": len(shots),
        "resume": shots[0]["description"], "shot_ids": [s["id"] for s in shots],
        "created_at": T0, "updated_at": T1,
    })
    return files
