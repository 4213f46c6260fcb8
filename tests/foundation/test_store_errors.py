"""Every error code the reference store can raise, produced through its public API.

Each case builds a project from raw bytes, makes one call, and checks the code, the
``file`` and ``pointer`` fields, a non-empty message, and that no file changed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import ErrorCode, SeqcheckError
from conformance.reference import ReferenceStore

S1 = "sequences/sequence_001.json"
S2 = "sequences/sequence_002.json"
S3 = "sequences/sequence_003.json"
PJ = "project.json"
SEQS = "sequences"
ROOT = "."

BASE: dict[str, Any] = {
    PJ: {"schema_version": "1.0", "project_name": "P",
         "shots": [{"id": "legacy", "title": "L"}], "storyboard": [{"id": "legacy"}]},
    S1: {"id": "001", "shots": [{"id": "a", "sequencePlanId": "001"}, {"id": "b"}]},
}

Call = Callable[[ReferenceStore], Any]


@dataclass
class Case:
    name: str
    call: Call
    code: ErrorCode
    file: str | None  # relative to the project folder; ROOT is the folder itself
    pointer: str | None
    files: dict[str, Any] = field(default_factory=lambda: dict(BASE))
    project: str = ""  # store on a sub-path of the project (for missing projects)


def with_files(**changes: Any) -> dict[str, Any]:
    files = dict(BASE)
    for key, value in changes.items():
        path = {"s1": S1, "s2": S2, "s3": S3, "pj": PJ}[key]
        if value is None:
            files.pop(path, None)
        else:
            files[path] = value
    return files


def upd(seq: Any, shot: Any, updates: Any) -> Call:
    return lambda store: store.update_shot(seq, shot, updates)


def get(seq: Any) -> Call:
    return lambda store: store.get_shots(seq)


def all_seqs() -> Call:
    return lambda store: store.get_all_sequences()


def legacy(shot: Any, updates: Any) -> Call:
    return lambda store: store.update_legacy_shot(shot, updates)


def save(shot: Any, updates: Any) -> Call:
    return lambda store: store.save_shot(shot, updates)


E = ErrorCode
CASES = [
    # PROJECT_NOT_FOUND
    Case("project-missing-update", upd("001", "a", {}), E.PROJECT_NOT_FOUND, "missing", None,
         project="missing"),
    Case("project-missing-all", all_seqs(), E.PROJECT_NOT_FOUND, "missing", None,
         project="missing"),
    Case("project-is-a-file", get("001"), E.PROJECT_NOT_FOUND, PJ, None, project=PJ),
    Case("project-json-missing-legacy", legacy("legacy", {}), E.PROJECT_NOT_FOUND, PJ, None,
         files=with_files(pj=None)),
    # SEQUENCE_NOT_FOUND
    Case("sequence-missing", get("999"), E.SEQUENCE_NOT_FOUND, SEQS, None),
    Case("sequence-missing-update", upd("002", "a", {}), E.SEQUENCE_NOT_FOUND, SEQS, None),
    Case("no-sequences-folder", get("001"), E.SEQUENCE_NOT_FOUND, SEQS, None,
         files=with_files(s1=None)),
    Case("file-name-is-not-identity", get("001"), E.SEQUENCE_NOT_FOUND, SEQS, None,
         files=with_files(s1={"id": "1737000000000-seqa1b2c3", "shots": []})),
    Case("ids-compare-exactly", get("1"), E.SEQUENCE_NOT_FOUND, SEQS, None),
    Case("save-routes-to-missing-sequence", save("p1", {}), E.SEQUENCE_NOT_FOUND, SEQS, None,
         files=with_files(pj={"schema_version": "1.0", "project_name": "P",
                              "shots": [{"id": "p1", "sequencePlanId": "777"}]})),
    # SHOT_NOT_FOUND
    Case("shot-missing", upd("001", "zzz", {}), E.SHOT_NOT_FOUND, S1, "/shots"),
    Case("shot-missing-legacy", legacy("zzz", {}), E.SHOT_NOT_FOUND, PJ, None),
    Case("shot-missing-everywhere", save("zzz", {}), E.SHOT_NOT_FOUND, ROOT, None),
    Case("save-routes-to-sequence-without-shot", save("p2", {"notes": "x"}), E.SHOT_NOT_FOUND,
         S1, "/shots",
         files=with_files(pj={"schema_version": "1.0", "project_name": "P",
                              "storyboard": [{"id": "p2", "sequence_id": "001"}]})),
    # INVALID_ID (checked before any file access: even a missing project)
    *[Case(f"invalid-sequence-id-{i}", upd(bad, "a", {}), E.INVALID_ID, None, None,
           project="missing")
      for i, bad in enumerate(["../x", "a/b", "a\\b", "C:x", ".hidden", "", "x\x00", 1, None])],
    Case("invalid-shot-id", upd("001", "..", {}), E.INVALID_ID, None, None),
    Case("invalid-id-get", get("../../etc"), E.INVALID_ID, None, None),
    Case("invalid-id-legacy", legacy("/abs", {}), E.INVALID_ID, None, None),
    Case("invalid-id-save", save("c:\\x", {}), E.INVALID_ID, None, None),
    # INVALID_UPDATE
    Case("updates-not-object", upd("001", "a", ["notes"]), E.INVALID_UPDATE, None, None),
    Case("updates-nan", upd("001", "a", {"x": float("nan")}), E.INVALID_UPDATE, None, None),
    Case("updates-non-string-key", upd("001", "a", {"x": {2: 1}}), E.INVALID_UPDATE, None, None),
    Case("id-change", upd("001", "a", {"id": "a2"}), E.INVALID_UPDATE, S1, "/shots/0/id"),
    Case("membership-change", upd("001", "a", {"sequencePlanId": "002"}), E.INVALID_UPDATE, S1,
         "/shots/0/sequencePlanId"),
    Case("membership-added-wrong", upd("001", "b", {"sequence_id": "002"}), E.INVALID_UPDATE,
         S1, "/shots/1/sequence_id"),
    Case("legacy-id-change", legacy("legacy", {"id": "other"}), E.INVALID_UPDATE, PJ,
         "/shots/0/id"),
    Case("legacy-gains-membership", legacy("legacy", {"sequencePlanId": "001"}),
         E.INVALID_UPDATE, PJ, "/shots/0/sequencePlanId"),
    Case("legacy-not-object", legacy("legacy", "x"), E.INVALID_UPDATE, None, None),
    # CORRUPT_FILE
    Case("bad-json", get("001"), E.CORRUPT_FILE, S2, "",
         files=with_files(s2=b'{"id": "002", "shots": [')),
    Case("duplicate-keys", get("002"), E.CORRUPT_FILE, S2, "",
         files=with_files(s2=b'{"id": "002", "shots": [], "shots": []}')),
    Case("nan-literal", get("002"), E.CORRUPT_FILE, S2, "",
         files=with_files(s2=b'{"id": "002", "shots": [{"id": "a", "x": NaN}]}')),
    Case("bad-utf8", get("002"), E.CORRUPT_FILE, S2, "",
         files=with_files(s2=b'\xef\xbb\xbf{"id": "002", "shots": [], "n": "\xff"}')),
    Case("lone-surrogate", get("001"), E.CORRUPT_FILE, S2, "/shots/0/x",
         files=with_files(s2=b'{"id": "002", "shots": [{"id": "a", "x": "\\ud800"}]}')),
    Case("not-an-object", all_seqs(), E.CORRUPT_FILE, S2, "", files=with_files(s2=b"[]")),
    Case("file-without-id-blocks-lookups", get("001"), E.CORRUPT_FILE, S2, "",
         files=with_files(s2={"name": "Sequence 1", "shots": []})),
    Case("file-without-id-blocks-listing", all_seqs(), E.CORRUPT_FILE, S2, "",
         files=with_files(s2={"name": "Sequence 1", "shots": []})),
    Case("unsafe-id-in-file", upd("001", "a", {}), E.CORRUPT_FILE, S2, "",
         files=with_files(s2={"id": "../x", "shots": []})),
    Case("schema-invalid-file", get("001"), E.CORRUPT_FILE, S1, "/shots/0/number",
         files=with_files(s1={"id": "001", "shots": [{"id": "a", "number": 0}]})),
    Case("schema-invalid-listing", all_seqs(), E.CORRUPT_FILE, S1, "/order",
         files=with_files(s1={"id": "001", "order": "1", "shots": []})),
    Case("membership-broken-file", upd("001", "a", {}), E.CORRUPT_FILE, S1,
         "/shots/0/sequencePlanId",
         files=with_files(s1={"id": "001", "shots": [{"id": "a", "sequencePlanId": "002"}]})),
    Case("duplicate-shot-ids", get("001"), E.CORRUPT_FILE, S1, "/shots/1/id",
         files=with_files(s1={"id": "001", "shots": [{"id": "a"}, {"id": "a"}]})),
    Case("sequences-is-a-file", get("001"), E.CORRUPT_FILE, SEQS, None,
         files={PJ: BASE[PJ], SEQS: b"{}"}),
    Case("folder-with-sequence-name", get("001"), E.CORRUPT_FILE, S3, "",
         files=with_files(s3=None) | {S3 + "/keep": b""}),
    Case("project-json-corrupt-legacy", legacy("legacy", {}), E.CORRUPT_FILE, PJ, "",
         files=with_files(pj=b'{"schema_version": "1.0",')),
    Case("project-json-schema-legacy", legacy("legacy", {}), E.CORRUPT_FILE, PJ, "",
         files=with_files(pj={"project_name": "P", "shots": [{"id": "legacy"}]})),
    Case("shot-in-two-sequences-save", save("a", {}), E.CORRUPT_FILE, SEQS, None,
         files=with_files(s2={"id": "002", "shots": [{"id": "a"}]})),
    Case("save-corrupt-sequence-no-fallback", save("legacy", {"notes": "x"}), E.CORRUPT_FILE,
         S2, "", files=with_files(s2=b"{")),
    # SCHEMA_VIOLATION
    Case("update-breaks-schema", upd("001", "a", {"number": 0}), E.SCHEMA_VIOLATION, S1,
         "/shots/0/number"),
    Case("update-breaks-nested-schema", upd("001", "b", {"timing": {"duration": -1}}),
         E.SCHEMA_VIOLATION, S1, "/shots/1/timing/duration"),
    Case("legacy-update-breaks-schema", legacy("legacy", {"duration": 0}), E.SCHEMA_VIOLATION,
         PJ, "/shots/0/duration",
         files=with_files(pj={"schema_version": "1.0", "project_name": "P",
                              "shots": [{"id": "legacy"}]})),
    Case("save-update-breaks-schema", save("a", {"type": "wideshot"}), E.SCHEMA_VIOLATION, S1,
         "/shots/0/type"),
    # DUPLICATE_SEQUENCE_ID
    Case("duplicate-update", upd("001", "a", {"notes": "x"}), E.DUPLICATE_SEQUENCE_ID, S2, "/id",
         files=with_files(s2={"id": "001", "shots": [{"id": "a"}]})),
    Case("duplicate-get", get("001"), E.DUPLICATE_SEQUENCE_ID, S2, "/id",
         files=with_files(s2={"id": "001", "shots": []})),
    Case("duplicate-listing", all_seqs(), E.DUPLICATE_SEQUENCE_ID, S2, "/id",
         files=with_files(s2={"id": "001", "shots": []})),
    Case("duplicate-routed-save", save("p1", {}), E.DUPLICATE_SEQUENCE_ID, S3, "/id",
         files=with_files(s3={"id": "001", "shots": []},
                          pj={"schema_version": "1.0", "project_name": "P",
                              "shots": [{"id": "p1", "sequencePlanId": "001"}]})),
    # IO_ERROR (permission and disk faults are in test_store_faults.py)
    Case("lock-file-is-a-folder", upd("001", "a", {}), E.IO_ERROR,
         "sequences/.sequence_001.json.lock", None,
         files=with_files() | {"sequences/.sequence_001.json.lock/x": b""}),
    Case("project-lock-is-a-folder", legacy("legacy", {}), E.IO_ERROR, ".project.json.lock",
         None, files=with_files() | {".project.json.lock/x": b""}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_error_code_through_public_api(case: Case, kit: Any, tmp_path: Path) -> None:
    root = kit.build_project(tmp_path / "p", case.files)
    before = kit.snapshot(root)
    store = ReferenceStore(root / case.project if case.project else root, lock_timeout=0.5)
    with pytest.raises(SeqcheckError) as info:
        case.call(store)
    err = info.value
    assert err.code == case.code, err
    expected_file = None if case.file is None else str(root / case.file) if case.file != ROOT \
        else str(root)
    assert err.file == expected_file, err
    assert err.pointer == case.pointer, err
    # The message says what was expected (or, for OS failures, what could not be done).
    word = {ErrorCode.IO_ERROR: "could not", ErrorCode.INVALID_ID: "not a valid identifier"}
    assert word.get(err.code, "expected") in err.message, err
    assert kit.snapshot(root) == before  # SEQ-ERR-2: a failed call changes no file
    assert not [p for p in root.rglob("*.tmp")]


def test_lock_timeout_when_another_holder_keeps_the_lock(kit: Any, tmp_path: Path) -> None:
    root = kit.build_project(tmp_path / "p", BASE)
    before = kit.snapshot(root)
    lock = root / "sequences" / ".sequence_001.json.lock"
    # flock belongs to the open file description: a second open in this process is
    # a different holder, just like another process.
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(SeqcheckError) as info:
            ReferenceStore(root, lock_timeout=0.2).update_shot("001", "a", {"notes": "x"})
    finally:
        os.close(fd)
    assert info.value.code is ErrorCode.LOCK_TIMEOUT
    assert info.value.file == str(lock) and info.value.pointer is None
    assert kit.snapshot(root) == before
    # Once the holder is gone the same call succeeds.
    ReferenceStore(root, lock_timeout=0.2).update_shot("001", "a", {"notes": "x"})


def test_every_store_error_code_is_covered() -> None:
    covered = {c.code for c in CASES} | {ErrorCode.LOCK_TIMEOUT}
    protocol_only = {ErrorCode.UNSUPPORTED, ErrorCode.INTERNAL_ERROR}
    assert covered == set(ErrorCode) - protocol_only


def test_error_round_trips_through_the_protocol_dict() -> None:
    err = SeqcheckError(ErrorCode.SHOT_NOT_FOUND, "m", file="f", pointer="/shots")
    again = SeqcheckError.from_dict(err.to_dict())
    assert (again.code, again.message, again.file, again.pointer) == (
        err.code, "m", "f", "/shots")
    assert str(err) == "SHOT_NOT_FOUND: m [f at /shots]"
