"""The store and the files the app's SequenceService writes (SEQ-LAYOUT-2).

``sequenceService.ts`` names a sequence file after the first 8 characters of its id
(field guide S-1, S-2): for a uuid id a name outside the layout. The store never
reads a sequence from such a name, and never passes over it either: a lookup of the
id it holds, and ``get_all_sequences``, fail with CORRUPT_FILE naming it. Every other
``sequence_*.json`` name outside the layout stays ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

UUID = "3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"
APP_NAME = "sequence_3f2b8c1e.json"  # sequenceService.ts: sequence_<id.substring(0, 8)>.json

#: What createSequence writes (S-1): the reference shape, no shots array.
CREATED = {
    "id": UUID, "name": "Opening", "order": 1, "duration": 0, "shots_count": 0,
    "resume": "", "shot_ids": [], "created_at": "2026-01-20T10:00:00.000Z",
    "updated_at": "2026-01-20T10:00:00.000Z",
}


def canonical(seq_id: str, *shot_ids: str) -> dict[str, Any]:
    return {"id": seq_id, "shots": [{"id": s, "sequencePlanId": seq_id} for s in shot_ids]}


def build(kit: Any, tmp_path: Path, files: dict[str, Any]) -> Path:
    root: Path = kit.build_project(tmp_path / "p", {
        "project.json": {"schema_version": "1.0", "project_name": "P"},
        "sequences/sequence_001.json": canonical("001", "a"),
        **files,
    })
    return root


def app_file_error(call: Any, *args: Any) -> SeqcheckError:
    with pytest.raises(SeqcheckError) as info:
        call(*args)
    return info.value


def assert_names_app_file(err: SeqcheckError, root: Path, name: str, seq_id: str) -> None:
    assert err.code is ErrorCode.CORRUPT_FILE
    assert err.file == str(root / "sequences" / name)
    assert err.pointer == ""
    assert "SequenceService" in err.message
    assert "sequenceService.ts" in err.message
    assert "'seqcheck migrate --repair'" in err.message
    assert json.dumps(seq_id) in err.message and json.dumps(name) in err.message


def test_get_all_sequences_fails_on_a_created_sequence(kit: Any, tmp_path: Path) -> None:
    root = build(kit, tmp_path, {f"sequences/{APP_NAME}": CREATED})
    before = kit.snapshot(root)
    err = app_file_error(ReferenceStore(root).get_all_sequences)
    assert_names_app_file(err, root, APP_NAME, UUID)
    assert kit.snapshot(root) == before


def test_lookup_of_the_id_fails_before_not_found(kit: Any, tmp_path: Path) -> None:
    """No layout file holds the id: the id-prefix file is named, not SEQUENCE_NOT_FOUND."""
    root = build(kit, tmp_path, {f"sequences/{APP_NAME}": CREATED})
    store = ReferenceStore(root)
    assert_names_app_file(app_file_error(store.get_shots, UUID), root, APP_NAME, UUID)
    before = kit.snapshot(root)
    err = app_file_error(store.update_shot, UUID, "a", {"notes": "x"})
    assert_names_app_file(err, root, APP_NAME, UUID)
    assert kit.snapshot(root) == before
    assert not (root / "sequences" / ".sequence_001.json.lock").exists()


def test_edited_copy_beside_the_original_fails_before_duplicates(
    kit: Any, tmp_path: Path
) -> None:
    """updateSequence read sequence_001.json and wrote the edit to the id-prefix name
    (S-2): two files, one id. Neither is written; the id-prefix file is named."""
    original = canonical(UUID, "s1", "s2")
    edited = {**original, "name": "Renamed", "shot_ids": [], "updated_at": "2026-02-01T00:00:00Z"}
    root = build(kit, tmp_path, {
        "sequences/sequence_002.json": original,
        f"sequences/{APP_NAME}": edited,
    })
    store = ReferenceStore(root)
    before = kit.snapshot(root)
    for call, args in ((store.update_shot, (UUID, "s1", {"notes": "x"})),
                       (store.get_shots, (UUID,)), (store.save_shot, ("s1", {"notes": "x"}))):
        assert_names_app_file(app_file_error(call, *args), root, APP_NAME, UUID)
    assert kit.snapshot(root) == before


def test_other_ids_are_unaffected(kit: Any, tmp_path: Path) -> None:
    root = build(kit, tmp_path, {f"sequences/{APP_NAME}": CREATED})
    app_bytes = (root / "sequences" / APP_NAME).read_bytes()
    store = ReferenceStore(root)
    assert store.get_shots("001") == [{"id": "a", "sequencePlanId": "001"}]
    assert store.update_shot("001", "a", {"notes": "x"})["notes"] == "x"
    assert store.save_shot("a", {"notes": "y"})["notes"] == "y"
    assert json.loads((root / "sequences/sequence_001.json").read_bytes())["shots"][0][
        "notes"] == "y"
    assert (root / "sequences" / APP_NAME).read_bytes() == app_bytes
    with pytest.raises(SeqcheckError) as info:
        store.get_shots("missing")
    assert info.value.code is ErrorCode.SEQUENCE_NOT_FOUND


@pytest.mark.parametrize(("name", "content"), [
    # Not the id's prefix name.
    ("sequence_3f2b8c1f.json", CREATED),
    # The id's prefix name, but no shot_ids: not SequenceService's (a hand-made file).
    ("sequence_1.json", {"id": "1", "shots": []}),
    (APP_NAME, {k: v for k, v in CREATED.items() if k != "shot_ids"}),
    # Not strictly parseable: duplicate key, syntax error, not UTF-8, not an object.
    (APP_NAME, b'{"id": "3f2b8c1e-9d", "id": "3f2b8c1e-9d", "shot_ids": []}'),
    (APP_NAME, b'{"id": "3f2b8c1e-9d", "shot_ids": [}'),
    (APP_NAME, b'{"id": "3f2b8c1e-\xff", "shot_ids": []}'),
    (APP_NAME, [UUID]),
    # A backup copy of a layout file: its id is 001's, not a duplicate of it.
    ("sequence_001 copy.json", {**canonical("001", "a"), "shot_ids": []}),
])
def test_every_other_name_outside_the_layout_stays_ignored(
    kit: Any, tmp_path: Path, name: str, content: Any
) -> None:
    root = build(kit, tmp_path, {f"sequences/{name}": content})
    store = ReferenceStore(root)
    assert [s["id"] for s in store.get_all_sequences()] == ["001"]
    assert store.update_shot("001", "a", {"notes": "x"})["notes"] == "x"
    with pytest.raises(SeqcheckError) as info:
        store.get_shots(UUID)
    assert info.value.code is ErrorCode.SEQUENCE_NOT_FOUND


def test_a_timestamp_id_prefix_is_a_layout_name_read_as_usual(
    kit: Any, tmp_path: Path
) -> None:
    """A timestamp id gives sequence_17370000.json, a layout name: read as a sequence."""
    seq_id = "1737000000000-seqa1b2c3"
    root = build(kit, tmp_path, {
        "sequences/sequence_17370000.json": {**canonical(seq_id, "t"), "shot_ids": ["t"]},
    })
    store = ReferenceStore(root)
    assert [s["id"] for s in store.get_all_sequences()] == ["001", seq_id]
    assert store.update_shot(seq_id, "t", {"notes": "x"})["notes"] == "x"


def test_a_warm_store_notices_the_file_appear_and_go(kit: Any, tmp_path: Path) -> None:
    original = canonical(UUID, "s1")
    root = build(kit, tmp_path, {"sequences/sequence_002.json": original})
    store = ReferenceStore(root)
    assert store.update_shot(UUID, "s1", {"notes": "1"})["notes"] == "1"  # warm
    app_file = root / "sequences" / APP_NAME
    app_file.write_bytes(json.dumps({**original, "shot_ids": ["s1"]}).encode())
    before = kit.snapshot(root)
    err = app_file_error(store.update_shot, UUID, "s1", {"notes": "2"})
    assert_names_app_file(err, root, APP_NAME, UUID)
    assert kit.snapshot(root) == before
    assert_names_app_file(app_file_error(store.get_all_sequences), root, APP_NAME, UUID)
    app_file.unlink()  # what --repair does once the sequence is in its layout file
    assert store.update_shot(UUID, "s1", {"notes": "3"})["notes"] == "3"


def test_a_file_rewritten_into_an_id_prefix_file_is_seen_by_the_next_sweep(
    kit: Any, tmp_path: Path
) -> None:
    """A stray file's content is remembered by signature, never trusted past a change."""
    root = build(kit, tmp_path, {f"sequences/{APP_NAME}": {"id": "other", "shot_ids": []}})
    store = ReferenceStore(root)
    assert [s["id"] for s in store.get_all_sequences()] == ["001"]
    (root / "sequences" / APP_NAME).write_text(json.dumps(CREATED))
    assert_names_app_file(app_file_error(store.get_all_sequences), root, APP_NAME, UUID)


def test_first_of_several_is_named(kit: Any, tmp_path: Path) -> None:
    other = "0a1b2c3d-0000-4000-8000-000000000000"
    root = build(kit, tmp_path, {
        f"sequences/{APP_NAME}": CREATED,
        "sequences/sequence_0a1b2c3d.json": {**CREATED, "id": other},
    })
    err = app_file_error(ReferenceStore(root).get_all_sequences)
    assert_names_app_file(err, root, "sequence_0a1b2c3d.json", other)


def test_links_are_read_inside_the_project_only(kit: Any, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(CREATED))
    root = build(kit, tmp_path, {"elsewhere/created.json": CREATED})
    link = root / "sequences" / APP_NAME
    link.symlink_to(outside)  # out of the project: never read, a stray name
    store = ReferenceStore(root)
    assert [s["id"] for s in store.get_all_sequences()] == ["001"]
    link.unlink()
    link.symlink_to(Path("..") / "elsewhere" / "created.json")  # inside: read
    assert_names_app_file(app_file_error(store.get_all_sequences), root, APP_NAME, UUID)
