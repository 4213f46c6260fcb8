"""examples/node-service behaves exactly like the reference store, byte for byte.

Each case sets up two identical projects, runs the same calls on the reference store
(in process) and on the Node service (through adapter.mjs, both with one fixed clock),
and requires the same outcome after every call: the same result (values, types and key
order), or the same error code, file and pointer; and the same bytes in every file of
the project. A hypothesis test does the same with random updates.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import SeqcheckError
from conformance.reference import ReferenceStore

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEMO = REPO / "examples" / "demo-project"
FIXED_NOW = "2026-11-25T09:00:00.000Z"  # = fixtures/fixed-clock.mjs FIXED_NOW
SEQ1, SEQ2 = "001", "1737000000000-seqb7k2m"
Call = tuple[str, dict[str, Any]]


class Pair:
    """The reference store and the Node service over two copies of one project."""

    def __init__(self, adapter: Any, root: Path) -> None:
        self.adapter = adapter
        self.ref_dir = root / "ref" / "project"
        self.js_dir = root / "js" / "project"

    @staticmethod
    def fresh(target: Path, prepare: Callable[[Path], None]) -> None:
        if target.parent.exists():
            shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        shutil.copytree(DEMO, target)
        prepare(target)

    def setup(self, prepare: Callable[[Path], None]) -> None:
        for target in (self.ref_dir, self.js_dir):
            self.fresh(target, prepare)

    def reference(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        store = ReferenceStore(self.ref_dir, clock=lambda: FIXED_NOW)
        try:
            return {"ok": True, "result": getattr(store, op)(**args)}
        except SeqcheckError as exc:
            return {"ok": False, "error": exc.to_dict()}

    def node(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        response = self.adapter.request(op, shape=False, project=str(self.js_dir), **args)
        del response["id"]
        return response  # type: ignore[no-any-return]

    def outcome(self, response: dict[str, Any], project: Path, compare_pointer: bool) -> Any:
        if response["ok"]:
            return ("ok", json.dumps(response["result"], ensure_ascii=False))
        error = response["error"]
        file = error.get("file")
        if file is not None:
            file = (
                Path(file).relative_to(project).as_posix()
                if file.startswith(str(project))
                else file
            )
        return ("error", error["code"], file, error.get("pointer") if compare_pointer else None)

    def compare(self, op: str, args: dict[str, Any], *, compare_pointer: bool = True) -> Any:
        """Run one call on both; assert equal outcomes and equal project bytes."""
        ref = self.outcome(self.reference(op, args), self.ref_dir, compare_pointer)
        js = self.outcome(self.node(op, args), self.js_dir, compare_pointer)
        assert js == ref, f"{op} {args!r}: node {js} != reference {ref}"
        assert snapshot(self.js_dir) == snapshot(self.ref_dir), f"files differ after {op} {args!r}"
        return ref

    def reference_trace(
        self, case_id: str, prepare: Callable[[Path], None], calls: list[Call]
    ) -> list[Any]:
        """The reference's outcome and project bytes after each call (computed once per case)."""
        if case_id not in _TRACES:
            self.fresh(self.ref_dir, prepare)
            _TRACES[case_id] = [
                (self.outcome(self.reference(op, args), self.ref_dir, True), snapshot(self.ref_dir))
                for op, args in calls
            ]
        return _TRACES[case_id]

    def check_case(self, case_id: str, prepare: Callable[[Path], None], calls: list[Call]) -> None:
        """Run a case's calls on the Node side; assert each outcome and the bytes match."""
        trace = self.reference_trace(case_id, prepare, calls)
        self.fresh(self.js_dir, prepare)
        for (op, args), (ref, ref_files) in zip(calls, trace, strict=True):
            js = self.outcome(self.node(op, args), self.js_dir, True)
            assert js == ref, f"{op} {args!r}: node {js} != reference {ref}"
            assert snapshot(self.js_dir) == ref_files, f"files differ after {op} {args!r}"


#: case id -> the reference's trace; the reference is deterministic (fixed clock).
_TRACES: dict[str, list[Any]] = {}


def snapshot(project: Path) -> dict[str, bytes | str]:
    """Every entry under ``project``, sidecar lock files excepted (only lock takers make them)."""
    out: dict[str, bytes | str] = {}
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project).as_posix()
        if re.fullmatch(r"(.*/)?\.[^/]+\.lock", rel):
            continue
        out[rel] = path.read_bytes() if path.is_file() else "<dir>"
    return out


@pytest.fixture(scope="module")
def pair(fixed_clock_adapter: Any, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    return Pair(fixed_clock_adapter, tmp_path_factory.mktemp("pair"))


# -- project set-ups (each mutates a fresh copy of the demo project) ------------------------------


def seq_file(project: Path, name: str = "sequence_001.json") -> Path:
    return project / "sequences" / name


def edit(name: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def prepare(project: Path) -> None:
        path = seq_file(project, name)
        doc = json.loads(path.read_text("utf-8"))
        change(doc)
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")

    return prepare


def raw(name: str, data: bytes) -> Callable[[Path], None]:
    def prepare(project: Path) -> None:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return prepare


def steps(*prepares: Callable[[Path], None]) -> Callable[[Path], None]:
    def prepare(project: Path) -> None:
        for step in prepares:
            step(project)

    return prepare


def as_is(project: Path) -> None:
    """The demo project unchanged."""


def prepend_bom(project: Path) -> None:
    path = seq_file(project)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def lossless_fields(project: Path) -> None:
    # Number and key-order forms that JSON.parse/JSON.stringify would change.
    path = seq_file(project)
    extra = (
        '{"x-numbers": {"big": 12345678901234567890, "neg": -98765432109876543210, "one": 1.0,'
        ' "negzero": -0.0, "exp": 1E5, "small": 1e-07, "huge": 1e300, "tiny": 5e-324,'
        ' "pi": 3.141592653589793, "e16": 1e16, "int_e16": 10000000000000000},'
        ' "x-keys": {"b": 1, "10": 2, "2": 3, "a": {"z": 0, "0": 1, "__proto__": {"k": 1}}},'
        ' "x-text": "caf\\u00e9 \\u0000\\u001f\\u007f \\u2028 \\ud83c\\udfac \\"q\\" \\\\",'
        ' "x-deep": [[[[{"a": [[], {}]}]]]],'
    )
    path.write_bytes(extra.encode() + path.read_bytes().lstrip()[1:])


def sorting_project(project: Path) -> None:
    def sequence(seq_id: str, order: int | None) -> dict[str, Any]:
        doc: dict[str, Any] = {"id": seq_id, "shots": []}
        if order is not None:
            doc["order"] = order
        return doc

    for n, (seq_id, order) in enumerate(
        [("b", None), ("a", None), ("\U0001f600", 2), ("\uffff", 2), ("zz", 0), ("m", -3)], start=3
    ):
        seq_file(project, f"sequence_{n:03d}.json").write_text(
            json.dumps(sequence(seq_id, order)), "utf-8"
        )


def two_copies_of_seq1(project: Path) -> None:
    shutil.copy(seq_file(project), seq_file(project, "sequence_010.json"))


def stray_files(project: Path) -> None:
    data = seq_file(project).read_bytes()
    for name in (
        "sequence_001.json.bak",
        "sequence_001 copy.json",
        ".sequence_001.json.3f9a0c1d2e4b.tmp",
        "notes.json",
        "sequence_01.json",
        "Sequence_001.json",
    ):
        (project / "sequences" / name).write_bytes(
            data.replace(b'"id": "001"', b'"id": "stray"', 1)
        )


def no_sequences_folder(project: Path) -> None:
    shutil.rmtree(project / "sequences")


def sequences_is_a_file(project: Path) -> None:
    shutil.rmtree(project / "sequences")
    (project / "sequences").write_text("not a folder")


def project_json_shots_and_storyboard(project: Path) -> None:
    path = project / "project.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["shots"] = [
        {"id": "legacy-1", "title": "Shot 1", "duration": 3, "position": 0, "x-note": "main"},
        {"id": "named-missing", "title": "S", "duration": 1, "sequencePlanId": "999"},
        {"id": "named-existing", "title": "S", "duration": 1, "sequence_id": SEQ1},
    ]
    doc["storyboard"].append(
        {"id": "legacy-1", "title": "Shot 1", "duration": 3, "position": 0, "effects": []}
    )
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")


def shot_in_two_sequences(project: Path) -> None:
    doc = json.loads(seq_file(project, "sequence_002.json").read_text("utf-8"))
    doc["shots"].append({"id": "shot-0001"})
    seq_file(project, "sequence_002.json").write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def updated_at_metadata(doc: dict[str, Any]) -> None:
    doc["metadata"] = {
        "created_at": "2026-01-20T10:00:00.000Z",
        "updated_at": "2026-01-20T10:00:00.000Z",
        "status": "draft",
    }


UPD = "update_shot"


def u(seq: Any, shot: Any, updates: Any) -> Call:
    return (UPD, {"sequence_id": seq, "shot_id": shot, "updates": updates})


def get(seq: Any) -> Call:
    return ("get_shots", {"sequence_id": seq})


ALL: Call = ("get_all_sequences", {})


def legacy(shot: Any, updates: Any) -> Call:
    return ("update_legacy_shot", {"shot_id": shot, "updates": updates})


def save(shot: Any, updates: Any) -> Call:
    return ("save_shot", {"shot_id": shot, "updates": updates})


UNSAFE_IDS = ["../x", "a/b", "a\\b", "nul\x00", "C:x", ".hidden", "", "x\n..", 1, None]

CASES: list[Any] = [
    pytest.param(
        as_is, [u(SEQ1, "shot-0001", {"notes": "tighter"}), get(SEQ1), ALL], id="update-merge-get"
    ),
    pytest.param(
        as_is,
        [u(SEQ2, "shot-0102", {"timing": {"duration": 4}, "new": None, "x": [1, 2.5]}), get(SEQ2)],
        id="ordinal-named-file-nested-replace-null-new-keys",
    ),
    pytest.param(
        as_is,
        [u(SEQ1, "shot-0002", {}), u(SEQ1, "shot-0002", {"id": "shot-0002"})],
        id="empty-update-and-same-id",
    ),
    pytest.param(
        as_is,
        [
            u(SEQ1, "shot-0002", {"id": "other"}),
            u(SEQ1, "shot-0002", {"sequencePlanId": SEQ2}),
            u(SEQ1, "shot-0002", {"sequencePlanId": None}),
            u(SEQ1, "shot-0002", {"sequence_id": SEQ1}),
            u(SEQ1, "shot-0003", {"sequence_id": "zzz"}),
        ],
        id="immutable-id-and-membership",
    ),
    pytest.param(
        as_is,
        [
            u(SEQ1, "shot-0001", {"type": "wideshot"}),
            u(SEQ1, "shot-0001", {"timing": {"duration": -1}}),
            u(SEQ1, "shot-0001", {"number": 0}),
            u(SEQ1, "shot-0001", {"generation": {"parameters": {"steps": 2.5}}}),
            u(SEQ1, "shot-0001", {"tags": ["a", 1]}),
        ],
        id="schema-violations",
    ),
    pytest.param(
        as_is,
        [u("999", "shot-0001", {}), u(SEQ1, "nope", {}), get("999"), get("1"), get(" 001")],
        id="missing-sequence-and-shot-exact-ids",
    ),
    pytest.param(
        as_is,
        [u(bad, "shot-0001", {}) for bad in UNSAFE_IDS]
        + [u(SEQ1, bad, {}) for bad in UNSAFE_IDS]
        + [get(bad) for bad in UNSAFE_IDS]
        + [legacy(bad, {}) for bad in UNSAFE_IDS]
        + [save(bad, {}) for bad in UNSAFE_IDS],
        id="unsafe-ids",
    ),
    pytest.param(
        as_is,
        [u(SEQ1, "shot-0001", bad) for bad in ([], "x", None, 1, [["a", 1]])]
        + [u("../x", "shot-0001", []), legacy("sb-title-card", []), save("shot-0001", "x")],
        id="invalid-updates",
    ),
    pytest.param(
        raw("sequences/sequence_001.json", b'{"id": "001", "shots": [}'),
        [u(SEQ1, "shot-0001", {}), u(SEQ2, "shot-0101", {}), get(SEQ2), ALL],
        id="corrupt-json-blocks-every-lookup",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"id": "x", "shots": [], "n": NaN}'),
        [u(SEQ1, "shot-0001", {}), ALL],
        id="nan-literal",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"id": "x", "shots": [], "n": 1e400}'),
        [get(SEQ1), get("x"), ALL],
        id="infinity",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"id": "x", "shots": [], "s": "\\ud800"}'),
        [get(SEQ1), ALL],
        id="lone-surrogate",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"id": "x", "shots": [], "s": "\xff"}'),
        [get(SEQ1), ALL],
        id="bad-utf8",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"id": "x", "id": "y", "shots": []}'),
        [get("y"), get(SEQ1), ALL],
        id="duplicate-keys",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b"[1, 2]"), [get(SEQ1), ALL], id="not-an-object"
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"name": "no id", "shots": []}'),
        [get(SEQ1), ALL, save("shot-0001", {})],
        id="file-without-id",
    ),
    pytest.param(
        raw("sequences/sequence_002.json", b'{"id": "../up", "shots": []}'),
        [get(SEQ1), ALL],
        id="file-with-unsafe-id",
    ),
    pytest.param(
        edit("sequence_002.json", lambda d: d["shots"][0].update(number=0)),
        [get(SEQ2), get(SEQ1), u(SEQ2, "shot-0102", {}), ALL],
        id="schema-invalid-file",
    ),
    pytest.param(
        edit("sequence_002.json", lambda d: d["shots"][1].update(sequencePlanId=SEQ1)),
        [get(SEQ2), ALL],
        id="membership-broken",
    ),
    pytest.param(
        edit("sequence_002.json", lambda d: d["shots"][1].update(id="shot-0101")),
        [get(SEQ2), ALL],
        id="duplicate-shot-ids",
    ),
    pytest.param(
        prepend_bom, [get(SEQ1), ALL, u(SEQ1, "shot-0003", {"notes": "bom dropped"})], id="bom"
    ),
    pytest.param(
        lossless_fields,
        [get(SEQ1), u(SEQ1, "shot-0002", {"notes": "keep the rest"}), ALL],
        id="lossless-round-trip",
    ),
    pytest.param(
        edit("sequence_001.json", lambda d: d.pop("metadata")),
        [u(SEQ1, "shot-0001", {"a": 1})],
        id="metadata-added",
    ),
    pytest.param(
        edit("sequence_002.json", updated_at_metadata),
        [u(SEQ2, "shot-0101", {"a": 1})],
        id="updated-at-kept-in-step",
    ),
    pytest.param(sorting_project, [ALL], id="get-all-order-missing-last-code-point-ties"),
    pytest.param(
        two_copies_of_seq1,
        [u(SEQ1, "shot-0001", {}), get(SEQ1), ALL, get(SEQ2), u(SEQ2, "shot-0101", {"z": 1})],
        id="duplicate-sequence-ids",
    ),
    pytest.param(
        stray_files, [ALL, get("stray"), u(SEQ1, "shot-0001", {"n": 1})], id="stray-files-ignored"
    ),
    pytest.param(
        no_sequences_folder,
        [ALL, get(SEQ1), u(SEQ1, "shot-0001", {}), save("sb-title-card", {"title": "x"})],
        id="no-sequences-folder",
    ),
    pytest.param(sequences_is_a_file, [ALL, get(SEQ1)], id="sequences-is-a-file"),
    pytest.param(
        lambda p: (p / "sequences" / "sequence_009.json").mkdir(),
        [ALL, get(SEQ1), save("shot-0001", {})],
        id="folder-named-like-a-sequence-file",
    ),
    pytest.param(
        project_json_shots_and_storyboard,
        [
            legacy("legacy-1", {"title": "both copies"}),
            legacy("sb-title-card", {"duration": 5}),
            legacy("nope", {}),
            legacy("legacy-1", {"id": "x"}),
            legacy("legacy-1", {"sequencePlanId": "001"}),
            legacy("sb-title-card", {"duration": -1}),
            legacy("named-existing", {"sequence_id": SEQ1}),
        ],
        id="legacy-update",
    ),
    pytest.param(
        project_json_shots_and_storyboard,
        [
            save("shot-0101", {"notes": "in its file"}),
            save("sb-title-card", {"title": "legacy"}),
            save("named-missing", {"title": "x"}),
            save("named-existing", {"title": "x"}),
            save("nowhere", {}),
        ],
        id="save-shot-routing-without-fallback",
    ),
    pytest.param(
        shot_in_two_sequences, [save("shot-0001", {"a": 1})], id="save-shot-id-in-two-sequences"
    ),
    pytest.param(
        raw("project.json", b'{"schema_version": "1.0"'),
        [legacy("sb-title-card", {}), save("sb-title-card", {}), save("shot-0001", {})],
        id="corrupt-project-json",
    ),
    pytest.param(
        lambda p: (p / "project.json").unlink(),
        [legacy("sb-title-card", {}), save("sb-title-card", {}), ALL],
        id="no-project-json",
    ),
]


CASES_BY_ID = {case.id: case.values for case in CASES}


@pytest.mark.parametrize("case_id", list(CASES_BY_ID))
def test_node_service_matches_the_reference(pair: Pair, case_id: str) -> None:
    pair.check_case(case_id, *CASES_BY_ID[case_id])


def replace_with_file(project: Path) -> None:
    shutil.rmtree(project)
    project.write_text("not a folder")


def test_missing_or_file_project_is_project_not_found(pair: Pair) -> None:
    pair.setup(as_is)
    for make in (shutil.rmtree, replace_with_file):
        for target in (pair.ref_dir, pair.js_dir):
            make(target)
        for op, args in [u(SEQ1, "shot-0001", {}), get(SEQ1), ALL, legacy("x", {}), save("x", {})]:
            assert pair.compare(op, args)[1] == "PROJECT_NOT_FOUND"
        pair.setup(as_is)


def test_a_failed_update_leaves_no_temp_file(pair: Pair) -> None:
    pair.setup(as_is)
    before = snapshot(pair.js_dir)
    pair.compare(*u(SEQ1, "shot-0001", {"type": "nope"}))
    assert snapshot(pair.js_dir) == before


# -- random updates -------------------------------------------------------------------------------

# Any JSON the harness can send: integers of any size, integral floats (1.0, -0.0, 1e300)
# and integer-like keys ("0", "10") included; the example declares seqcheckLosslessJson, so
# the adapter hands it exact values and it must store them exactly as the reference does.
keys = st.text(max_size=6) | st.sampled_from(["0", "10", "2", "__proto__"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(2**53 - 2, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1.0, -0.0, 1e300, 1e16, 5e-324, 0.1])
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
shot_fields = st.sampled_from(
    [
        "notes",
        "type",
        "number",
        "status",
        "tags",
        "timing",
        "x-extra",
        "id",
        "sequencePlanId",
        "duration",
    ]
)
updates_strategy = st.dictionaries(shot_fields | keys, json_values, max_size=4)
targets = st.sampled_from(
    [u(SEQ1, s, {}) for s in ("shot-0001", "shot-0002", "shot-0003", "gone")]
    + [u(SEQ2, s, {}) for s in ("shot-0101", "shot-0102")]
    + [legacy("sb-title-card", {}), save("shot-0102", {}), save("sb-title-card", {})]
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(targets, updates_strategy), min_size=1, max_size=4))
def test_random_updates_match_the_reference(
    pair: Pair, plan: list[tuple[Call, dict[str, Any]]]
) -> None:
    pair.setup(as_is)
    for (op, args), updates in plan:
        # Which violation a message points at first may differ when there are several;
        # the code, file and result bytes may not.
        pair.compare(op, {**args, "updates": updates}, compare_pointer=False)


# -- the single-defect JS implementations differ from the reference only by their defect ----------

#: export in fixtures/fixed-clock.mjs -> the CASES whose outcome must differ from the reference.
DEFECT_CASES = {
    "emptyOnMissing": {
        "missing-sequence-and-shot-exact-ids",
        "no-sequences-folder",
        "stray-files-ignored",
    },
    "fallbackLegacy": {
        "save-shot-routing-without-fallback",
        "file-without-id",
        "folder-named-like-a-sequence-file",
        "save-shot-id-in-two-sequences",
        "no-project-json",
    },
    "firstMatch": {"duplicate-sequence-ids"},
    # its defect is in the syscalls, not the bytes: test_write_protocol.py catches it
    "inplaceWrite": set(),
    # not a defect: the flock-taking service must behave exactly like the reference
    "lockingService": set(),
    "uncheckedIds": {"unsafe-ids", "invalid-updates"},
}


@pytest.mark.parametrize(
    "export",
    # The defect sweeps are deep runs (-m slow); the flock-taking service runs by default.
    [
        pytest.param(e, marks=[] if e == "lockingService" else [pytest.mark.slow])
        for e in sorted(DEFECT_CASES)
    ],
)
def test_single_defect_variant_differs_only_in_its_defect(
    node: str, tmp_path: Path, start_adapter: Any, export: str
) -> None:
    variant = Pair(
        start_adapter("--module", "tests/node/fixtures/fixed-clock.mjs", "--export", export),
        tmp_path,
    )
    differing = set()
    for case_id, (prepare, calls) in CASES_BY_ID.items():
        try:
            variant.check_case(case_id, prepare, calls)
        except AssertionError:
            differing.add(case_id)
    assert differing == DEFECT_CASES[export]
