"""One protocol, two transports: every op gives identical dicts in process and over stdio."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.errors import ErrorCode, SeqcheckError
from conformance.protocol import (
    AdapterFault,
    Implementation,
    open_adapter,
    open_implementation,
    open_python,
    open_reference,
    python_command,
    reference_command,
)

HERE = Path(__file__).parent
DEMO = HERE.parent.parent / "examples" / "demo-project"
FIXED = f"{HERE / 'fixed_clock_impl.py'}:make"
QUIRKY = f"{HERE / 'fixed_clock_impl.py'}:Quirky"
SEQ_B = "1737000000000-seqb7k2m"

#: (op, args without project): every op, every store method, success and error paths.
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("get_all_sequences", {}),
    ("get_shots", {"sequence_id": "001"}),
    (
        "update_shot",
        {
            "sequence_id": "001",
            "shot_id": "shot-0002",
            "updates": {"notes": "ünï \u2028 line", "n": 10**30},
        },
    ),
    (
        "update_shot",
        {"sequence_id": SEQ_B, "shot_id": "shot-0101", "updates": {"status": "approved", "f": 0.1}},
    ),
    ("get_shots", {"sequence_id": SEQ_B}),
    ("update_legacy_shot", {"shot_id": "sb-title-card", "updates": {"caption": "Harbour"}}),
    ("save_shot", {"shot_id": "sb-title-card", "updates": {"caption": "Storm"}}),
    ("save_shot", {"shot_id": "shot-0003", "updates": {"notes": "saved"}}),
    ("get_all_sequences", {}),
    # errors
    ("update_shot", {"sequence_id": SEQ_B, "shot_id": "shot-0101", "updates": {"status": "done"}}),
    ("get_shots", {"sequence_id": "999"}),
    ("get_shots", {"sequence_id": "../etc"}),
    ("update_shot", {"sequence_id": "001", "shot_id": "nope", "updates": {}}),
    (
        "update_shot",
        {"sequence_id": "001", "shot_id": "shot-0001", "updates": ["not", "an", "object"]},
    ),
    ("update_shot", {"sequence_id": "001", "shot_id": "shot-0001", "updates": {"id": "changed"}}),
    ("frobnicate", {}),
]


def outcome(impl: Implementation, op: str, args: dict[str, Any]) -> tuple[str, Any]:
    try:
        return ("ok", impl.call(op, args))
    except SeqcheckError as exc:
        return ("error", exc.to_dict())


def run_script(impl: Implementation, project: Path) -> list[tuple[str, Any]]:
    results = []
    for op, args in SCRIPT:
        full = {"project": str(project), **args} if op != "frobnicate" else args
        results.append(outcome(impl, op, full))
    return results


def normalise(value: Any, project: Path) -> Any:
    """Replace the project path (the two runs use two copies) with a placeholder."""
    if isinstance(value, str):
        return value.replace(str(project), "<project>")
    if isinstance(value, list):
        return [normalise(v, project) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v, project) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(normalise(v, project) for v in value)
    return value


@pytest.fixture
def two_projects(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(DEMO, a)
    shutil.copytree(DEMO, b)
    return a, b


def test_every_op_identical_in_process_and_over_stdio(two_projects: tuple[Path, Path]) -> None:
    a, b = two_projects
    inproc = open_python(FIXED)
    stdio = open_adapter(python_command(FIXED))
    try:
        assert inproc.info == stdio.info
        assert inproc.info.capabilities == frozenset({"legacy-fallback", "save-shot"})
        left = normalise(run_script(inproc, a), a)
        right = normalise(run_script(stdio, b), b)
    finally:
        inproc.close()
        stdio.close()
    assert left == right
    kinds = [kind for kind, _ in left]
    assert kinds.count("error") == 7
    codes = [r["code"] for kind, r in left if kind == "error"]
    assert codes == [
        "SCHEMA_VIOLATION",
        "SEQUENCE_NOT_FOUND",
        "INVALID_ID",
        "SHOT_NOT_FOUND",
        "INVALID_UPDATE",
        "INVALID_UPDATE",
        "UNSUPPORTED",
    ]
    # And the bytes on disk agree too.
    for rel in ("project.json", "sequences/sequence_001.json", "sequences/sequence_002.json"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes()


def test_reference_in_process_and_stdio_agree(two_projects: tuple[Path, Path]) -> None:
    a, b = two_projects
    with open_reference() as inproc, open_adapter(reference_command()) as stdio:
        assert inproc.info == stdio.info
        assert inproc.info.name == "seqcheck-reference"
        assert inproc.info.capabilities == {"legacy-fallback", "save-shot", "concurrent-writers"}
        assert inproc.command() == stdio.command() == reference_command()
        for op, args in SCRIPT[:2] + SCRIPT[10:]:
            left = outcome(inproc, op, {**args, "project": str(a)})
            right = outcome(stdio, op, {**args, "project": str(b)})
            assert normalise(left, a) == normalise(right, b)


def test_python_implementation_failures_map_to_codes(tmp_path: Path) -> None:
    for impl in (open_python(QUIRKY), open_adapter(python_command(QUIRKY))):
        with impl:
            assert impl.get_shots(tmp_path, "001") == [{"id": "s1", "sequencePlanId": "001"}]
            with pytest.raises(SeqcheckError) as boom:
                impl.get_shots(tmp_path, "boom")
            assert boom.value.code is ErrorCode.INTERNAL_ERROR
            assert boom.value.message.startswith("ValueError: kaboom (at fixed_clock_impl.py:")
            with pytest.raises(SeqcheckError) as spec:
                impl.get_shots(tmp_path, "spec")
            assert spec.value.to_dict() == {
                "code": "SEQUENCE_NOT_FOUND",
                "message": "no such",
                "file": "/x/y.json",
                "pointer": "/id",
            }
            with pytest.raises(SeqcheckError) as notjson:
                impl.get_shots(tmp_path, "notjson")
            assert notjson.value.code is ErrorCode.INTERNAL_ERROR
            assert "not JSON" in notjson.value.message
            for op, code in (("update_legacy_shot", "UNSUPPORTED"), ("save_shot", "UNSUPPORTED")):
                with pytest.raises(SeqcheckError) as unsupported:
                    impl.call(op, {"project": str(tmp_path), "shot_id": "s", "updates": {}})
                assert unsupported.value.code.value == code
            out_of_process = impl.pid is not None
        if out_of_process:  # the stray print went to the log, not the protocol
            # (read after close: stderr is drained by a thread, complete once it ends)
            assert "a stray print from the implementation" in impl.stderr_tail


def faults_both_ways(spec: str) -> list[AdapterFault]:
    """The AdapterFault of opening factory ``spec`` in process, then as a stdio adapter."""
    openers: list[Callable[[], object]] = [
        lambda: open_python(spec), lambda: open_adapter(python_command(spec))
    ]
    faults = []
    for opener in openers:
        with pytest.raises(AdapterFault) as caught:
            opener()
        faults.append(caught.value)
    return faults


def test_undeclarable_capability_is_malformed_both_ways() -> None:
    for fault in faults_both_ways(f"{HERE / 'fixed_clock_impl.py'}:bad_capabilities"):
        assert fault.kind == "malformed"
        assert "teleport" in fault.detail


def test_unloadable_factory_is_start_failed_both_ways() -> None:
    for fault in faults_both_ways("conformance.no_such_module:factory"):
        assert fault.kind == "start-failed"
        assert "no_such_module" in fault.detail + fault.stderr_tail


def test_open_implementation_choices(tmp_path: Path) -> None:
    with open_implementation(impl="reference") as ref:
        assert ref.pid is None and ref.info.name == "seqcheck-reference"
    with open_implementation(adapter=" ".join(reference_command())) as ada:
        assert ada.pid is not None and ada.info.name == "seqcheck-reference"
    with open_implementation(impl=FIXED) as fixed:
        assert fixed.command() == python_command(FIXED)
    bads: list[dict[str, Any]] = [{}, {"impl": "reference", "adapter": "x"}]
    for bad in bads:
        with pytest.raises(ValueError, match="exactly one"):
            open_implementation(**bad)


def test_in_process_restart_discards_objects(tmp_path: Path) -> None:
    impl = open_python(QUIRKY)
    cache = impl._transport._cache  # type: ignore[attr-defined]
    impl.restart()
    assert impl._transport._cache is not cache  # type: ignore[attr-defined]
    assert impl.get_shots(tmp_path, "7") == [{"id": "s1", "sequencePlanId": "7"}]


def test_results_do_not_alias_the_store(two_projects: tuple[Path, Path]) -> None:
    a, _ = two_projects
    with open_reference() as impl:
        shots = impl.get_shots(a, "001")
        shots[0]["id"] = "mutated"
        assert impl.get_shots(a, "001")[0]["id"] == "shot-0001"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def module_pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Implementation, Implementation, Path, Path]]:
    base = tmp_path_factory.mktemp("pair")
    a, b = base / "a", base / "b"
    shutil.copytree(DEMO, a)
    shutil.copytree(DEMO, b)
    inproc, stdio = open_python(FIXED), open_adapter(python_command(FIXED))
    yield inproc, stdio, a, b
    inproc.close()
    stdio.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    updates=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(
            lambda k: k not in ("id", "sequencePlanId", "sequence_id")
        ),
        json_values,
        max_size=4,
    )
)
def test_arbitrary_updates_round_trip_identically(
    module_pair: tuple[Implementation, Implementation, Path, Path], updates: dict[str, Any]
) -> None:
    inproc, stdio, a, b = module_pair
    left = outcome(
        inproc,
        "update_shot",
        {"project": str(a), "sequence_id": "001", "shot_id": "shot-0001", "updates": updates},
    )
    right = outcome(
        stdio,
        "update_shot",
        {"project": str(b), "sequence_id": "001", "shot_id": "shot-0001", "updates": updates},
    )
    assert normalise(left, a) == normalise(right, b)
    if left[0] == "ok":
        for key, value in updates.items():
            assert left[1][key] == value
