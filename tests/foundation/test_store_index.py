"""The store's sequence index: cheap lookups that never write to the wrong file.

A long-lived store skips the full folder sweep while the folder looks unchanged
(SEQ-SCALE-1). These tests change the project behind the store's back, as another
program would, and check that the next call still sees the truth.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore
from conformance.reference import index as index_module

S1 = "sequences/sequence_001.json"
S2 = "sequences/sequence_002.json"


def project(kit: Any, tmp_path: Path) -> Path:
    root: Path = kit.build_project(tmp_path / "p", {
        S1: {"id": "001", "shots": [{"id": "a"}]},
        S2: {"id": "002", "shots": [{"id": "b"}]},
    })
    return root


def touch_folder(root: Path) -> None:
    """Give the folder an mtime it never had, whatever the file-system clock's grain."""
    folder = root / "sequences"
    mtime = folder.stat().st_mtime_ns + 1_000_000_007
    os.utime(folder, ns=(mtime, mtime))


def code_of(call: Any, *args: Any) -> ErrorCode:
    with pytest.raises(SeqcheckError) as info:
        call(*args)
    return info.value.code


def test_new_duplicate_file_is_noticed_by_a_warm_store(kit: Any, tmp_path: Path) -> None:
    root = project(kit, tmp_path)
    store = ReferenceStore(root)
    store.update_shot("001", "a", {"notes": "1"})  # warm: index built, folder mtime known
    (root / "sequences/sequence_003.json").write_text('{"id": "001", "shots": []}')
    touch_folder(root)
    before = (root / S1).read_bytes()
    assert code_of(store.update_shot, "001", "a", {"notes": "2"}) is ErrorCode.DUPLICATE_SEQUENCE_ID
    assert (root / S1).read_bytes() == before


def test_new_unidentifiable_file_is_noticed_by_a_warm_store(kit: Any, tmp_path: Path) -> None:
    root = project(kit, tmp_path)
    store = ReferenceStore(root)
    store.get_shots("001")
    (root / "sequences/sequence_000.json").write_text('{"name": "no id", "shots": []}')
    touch_folder(root)
    assert code_of(store.update_shot, "001", "a", {"notes": "2"}) is ErrorCode.CORRUPT_FILE


def test_target_rewritten_in_place_with_another_id_is_never_written(
    kit: Any, tmp_path: Path
) -> None:
    root = project(kit, tmp_path)
    store = ReferenceStore(root)
    store.update_shot("001", "a", {"notes": "1"})
    # Rewritten in place (same inode, folder mtime untouched), now sequence 999.
    with (root / S1).open("r+b") as f:
        f.truncate(0)
        f.write(b'{"id": "999", "shots": [{"id": "a"}]}')
    before = (root / S1).read_bytes()
    assert code_of(store.update_shot, "001", "a", {"notes": "2"}) is ErrorCode.SEQUENCE_NOT_FOUND
    assert (root / S1).read_bytes() == before
    assert store.get_shots("999") == [{"id": "a"}]


def test_renumbered_file_is_found_by_its_id(kit: Any, tmp_path: Path) -> None:
    root = project(kit, tmp_path)
    store = ReferenceStore(root)
    store.update_shot("002", "b", {"notes": "1"})
    (root / S2).rename(root / "sequences/sequence_017.json")
    shot = store.update_shot("002", "b", {"notes": "2"})
    assert shot["notes"] == "2"
    doc = json.loads((root / "sequences/sequence_017.json").read_bytes())
    assert doc["shots"][0]["notes"] == "2"
    assert not (root / S2).exists()


def test_removed_target_is_sequence_not_found(kit: Any, tmp_path: Path) -> None:
    root = project(kit, tmp_path)
    store = ReferenceStore(root)
    store.get_shots("002")
    (root / S2).unlink()
    assert code_of(store.get_shots, "002") is ErrorCode.SEQUENCE_NOT_FOUND
    assert code_of(store.update_shot, "002", "b", {}) is ErrorCode.SEQUENCE_NOT_FOUND


def test_in_place_duplicate_is_noticed_after_the_trust_window(
    kit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An in-place rewrite of another file leaves the folder mtime alone; the periodic
    full sweep (here: every lookup) must still catch the duplicate it creates."""
    monkeypatch.setattr(index_module, "TRUST_SECONDS", 0.0)
    root = project(kit, tmp_path)
    store = ReferenceStore(root)
    store.update_shot("001", "a", {"notes": "1"})
    with (root / S2).open("r+b") as f:
        f.truncate(0)
        f.write(b'{"id": "001", "shots": [{"id": "zz"}], "x-pad": "different size"}')
    before = (root / S1).read_bytes()
    assert code_of(store.update_shot, "001", "a", {"notes": "2"}) is ErrorCode.DUPLICATE_SEQUENCE_ID
    assert (root / S1).read_bytes() == before


def test_warm_store_follows_its_own_writes(kit: Any, tmp_path: Path) -> None:
    """Many updates through one store: each lands, the other file is never rewritten."""
    root = project(kit, tmp_path)
    other = (root / S2).read_bytes()
    store = ReferenceStore(root)
    for k in range(30):
        assert store.update_shot("001", "a", {f"x-{k}": k})[f"x-{k}"] == k
    doc = json.loads((root / S1).read_bytes())
    assert [key for key in doc["shots"][0] if key.startswith("x-")] == [
        f"x-{k}" for k in range(30)]
    assert (root / S2).read_bytes() == other


def test_another_store_writing_the_same_file_is_seen(kit: Any, tmp_path: Path) -> None:
    root = project(kit, tmp_path)
    first, second = ReferenceStore(root), ReferenceStore(root)
    first.update_shot("001", "a", {"x-first": 1})
    second.update_shot("001", "a", {"x-second": 2})
    first.update_shot("001", "a", {"x-third": 3})
    assert second.get_shots("001") == [{"id": "a", "x-first": 1, "x-second": 2, "x-third": 3}]


def test_warm_save_shot_routes_by_the_current_files(kit: Any, tmp_path: Path) -> None:
    root = project(kit, tmp_path)
    (root / "project.json").write_text(
        '{"schema_version": "1.0", "project_name": "P", "shots": [{"id": "b"}, {"id": "c"}]}')
    store = ReferenceStore(root)
    assert store.save_shot("b", {"notes": "1"})["notes"] == "1"  # in sequence 002
    pj = (root / "project.json").read_bytes()
    # Another program adds shot "c" to a new sequence file: save_shot must now write
    # there, not to the project.json copy.
    (root / "sequences/sequence_003.json").write_text('{"id": "003", "shots": [{"id": "c"}]}')
    touch_folder(root)
    assert store.save_shot("c", {"notes": "2"})["notes"] == "2"
    assert json.loads((root / "sequences/sequence_003.json").read_bytes())["shots"][0] == {
        "id": "c", "notes": "2"}
    assert (root / "project.json").read_bytes() == pj
    # And a second file holding "b" makes the routing ambiguous: an error, no write.
    (root / "sequences/sequence_004.json").write_text('{"id": "004", "shots": [{"id": "b"}]}')
    touch_folder(root)
    assert code_of(store.save_shot, "b", {"notes": "3"}) is ErrorCode.CORRUPT_FILE


def test_program_rewriting_right_after_our_write_is_not_masked(
    kit: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app (no lock) rewrites the file in place between the store's rename and its
    bookkeeping: the index must describe the file as it is, not as the store wrote it."""
    root = project(kit, tmp_path)
    (root / "project.json").write_text(
        '{"schema_version": "1.0", "project_name": "P", "shots": [{"id": "late"}]}')
    pj = (root / "project.json").read_bytes()
    import conformance.reference.store as store_module

    real_write = store_module.atomic_write_bytes  # type: ignore[attr-defined]

    def write_then_app_rewrites(target: Path, data: bytes, **where: Any) -> None:
        real_write(target, data, **where)
        doc = json.loads(target.read_bytes())
        doc["shots"].append({"id": "late"})
        with target.open("r+b") as f:  # in place, as the app writes
            f.truncate(0)
            f.write(json.dumps(doc).encode())

    monkeypatch.setattr(store_module, "atomic_write_bytes", write_then_app_rewrites)
    store = ReferenceStore(root)
    store.update_shot("001", "a", {"notes": "1"})
    monkeypatch.setattr(store_module, "atomic_write_bytes", real_write)
    # "late" now lives in sequence 001: saving it must go there, not to project.json.
    assert store.save_shot("late", {"notes": "2"})["notes"] == "2"
    assert json.loads((root / S1).read_bytes())["shots"][-1] == {"id": "late", "notes": "2"}
    assert (root / "project.json").read_bytes() == pj


def test_in_place_copy_keeping_mtime_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A same-size rewrite on the same inode with the old mtime restored (what cp -p or
    shutil.copy2 onto an existing file does) must still be re-read: only ctime differs."""
    monkeypatch.setattr(index_module, "TRUST_SECONDS", 0.0)  # sweep on every lookup
    seqs = tmp_path / "sequences"
    seqs.mkdir()
    (seqs / "sequence_001.json").write_bytes(b'{"id": "aa", "shots": []}\n')
    other = seqs / "sequence_002.json"
    other.write_bytes(b'{"id": "bb", "shots": []}\n')
    store = ReferenceStore(tmp_path)
    assert store.get_shots("aa") == []
    before = other.stat()
    with other.open("r+b") as fh:  # same inode, same size
        fh.write(b'{"id": "aa", "shots": []}\n')
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = other.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino, before.st_size, before.st_mtime_ns
    )
    with pytest.raises(SeqcheckError) as info:
        store.get_shots("aa")
    assert info.value.code is ErrorCode.DUPLICATE_SEQUENCE_ID


def test_links_out_of_the_project_are_never_followed(tmp_path: Path) -> None:
    """SEQ-ID-5: a sequence file (or the sequences folder) that is a symbolic link to
    a place outside the project is CORRUPT_FILE, and its content is never returned."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.json"
    secret.write_bytes(b'{"id": "secret", "shots": [{"id": "s"}]}\n')
    root = tmp_path / "p"
    (root / "sequences").mkdir(parents=True)
    (root / "sequences" / "sequence_001.json").write_bytes(b'{"id": "001", "shots": []}\n')
    link = root / "sequences" / "sequence_002.json"
    link.symlink_to(secret)
    store = ReferenceStore(root)
    for call, args in ((store.get_all_sequences, ()), (store.get_shots, ("secret",)),
                       (store.get_shots, ("001",))):
        with pytest.raises(SeqcheckError) as info:
            call(*args)
        assert info.value.code is ErrorCode.CORRUPT_FILE
        assert info.value.file == str(link)
        assert "outside the project" in info.value.message
    # A link that stays inside the project is an ordinary sequence file.
    link.unlink()
    inside = root / "shared.json"
    inside.write_bytes(b'{"id": "002", "shots": []}\n')
    link.symlink_to(inside)
    assert [s["id"] for s in ReferenceStore(root).get_all_sequences()] == ["001", "002"]
    # The sequences folder itself linked out of the project.
    root2 = tmp_path / "p2"
    root2.mkdir()
    (root2 / "sequences").symlink_to(outside)
    with pytest.raises(SeqcheckError) as info:
        ReferenceStore(root2).get_all_sequences()
    assert info.value.code is ErrorCode.CORRUPT_FILE
    assert "outside" in info.value.message
    assert secret.read_bytes() == b'{"id": "secret", "shots": [{"id": "s"}]}\n'
