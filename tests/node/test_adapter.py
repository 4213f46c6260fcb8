"""adapter.mjs speaks protocol v1: hello, every op, error mapping, start-up and framing.

Fixture services live in fixtures/; ``behaviours.mjs`` picks its behaviour from the
shot id, so one adapter process covers many error paths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.protocol import messages

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REPO = HERE.parents[1]
BEHAVIOURS = ["--module", "tests/node/fixtures/behaviours.mjs", "--export", "BehaviourService"]
FULL = ["--module", "tests/node/fixtures/full-service.mjs", "--export", "FullService"]
EXAMPLE = ["--module", "examples/node-service/ProjectService.mjs", "--export", "ProjectService"]


def update(adapter: Any, shot_id: str, updates: Any = None) -> dict[str, Any]:
    """update_shot on behaviours.mjs; only the envelope is schema-checked, since some
    behaviours return values that are not shots on purpose."""
    return adapter.request(  # type: ignore[no-any-return]
        "update_shot",
        shape=False,
        project="/p",
        sequence_id="001",
        shot_id=shot_id,
        updates={} if updates is None else updates,
    )


def update_line(adapter: Any, shot_id: str) -> bytes:
    """The raw response line of an empty update_shot on behaviours.mjs (bytes as sent)."""
    adapter.send_raw(
        messages.encode(
            messages.request(
                1,
                "update_shot",
                {"project": "/p", "sequence_id": "001", "shot_id": shot_id, "updates": {}},
            )
        )
    )
    return adapter.read_line()  # type: ignore[no-any-return]


# -- hello and capabilities -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "name", "version", "capabilities"),
    [
        (BEHAVIOURS, "BehaviourService", "unknown", []),
        (FULL, "FullService", "unknown", ["legacy-fallback", "save-shot"]),
        # a module-level seqcheckCapabilities wins over the method-based default
        (
            ["--module", "tests/node/fixtures/factory.mjs", "--export", "createService"],
            "createService",
            "unknown",
            ["concurrent-writers"],
        ),
        # static seqcheckCapabilities, name and version from the nearest package.json
        (
            EXAMPLE,
            "seqcheck-example-node-service:ProjectService",
            "1.0.0",
            ["legacy-fallback", "save-shot"],
        ),
        (
            ["--module", "tests/node/fixtures/cjs-folder", "--export", "FolderService"],
            "cjs-folder-fixture:FolderService",
            "0.3.1",
            [],
        ),
        (
            [
                *FULL,
                "--name",
                "storycore",
                "--version",
                "2.3.0",
                "--capabilities",
                "save-shot,concurrent-writers",
            ],
            "storycore",
            "2.3.0",
            ["save-shot", "concurrent-writers"],
        ),
        ([*FULL, "--capabilities="], "FullService", "unknown", []),
    ],
)
def test_hello_reports_identity_and_capabilities(
    start_adapter: Any, args: list[str], name: str, version: str, capabilities: list[str]
) -> None:
    result = start_adapter(*args).result("hello", protocol=1)
    assert result == {"name": name, "version": version, "protocol": 1, "capabilities": capabilities}


# -- every op reaches the right method with the right arguments -----------------------------------


def test_every_op_maps_to_its_method(start_adapter: Any) -> None:
    adapter = start_adapter(*FULL)
    updates = {"notes": "x", "timing": {"duration": 2}}
    assert adapter.result(
        "update_shot", project="/p", sequence_id="001", shot_id="s1", updates=updates
    ) == {
        "id": "s1",
        "via": "updateShotInSequence",
        "sequenceId": "001",
        **updates,
    }
    assert adapter.result("get_shots", project="/p", sequence_id="001") == []
    assert adapter.result("get_all_sequences", project="/p") == []
    assert adapter.result("update_legacy_shot", project="/p", shot_id="s2", updates={"a": 1}) == {
        "id": "s2",
        "via": "updateShot",
        "a": 1,
    }
    assert adapter.result("save_shot", project="/p", shot_id="s3", updates={"b": [1, 2]}) == {
        "id": "s3",
        "via": "saveShot",
        "b": [1, 2],
    }


def test_arguments_pass_unchanged_and_one_instance_serves_every_request(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    updates = {"notes": "é\u2028", "n": [1, 2.5, None, True], "deep": {"a": {"b": {}}}}
    first = adapter.result(
        "update_shot", project="/abs/project", sequence_id="seq 1", shot_id="echo", updates=updates
    )
    assert first == {
        "id": "echo",
        "projectPath": "/abs/project",
        "sequenceId": "seq 1",
        "updates": updates,
        "calls": 1,
    }
    assert (
        adapter.result("update_shot", project="/p", sequence_id="s", shot_id="echo", updates={})[
            "calls"
        ]
        == 2
    )
    assert adapter.result("get_shots", project="/p", sequence_id="007") == [
        {"id": "007-shot", "projectPath": "/p"}
    ]
    assert adapter.result("get_all_sequences", project="/q") == [
        {"id": "001", "shots": [], "projectPath": "/q"}
    ]


def test_requests_sent_together_are_answered_in_order(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    lines = b"".join(
        messages.encode(messages.request(n, "get_shots", {"project": "/p", "sequence_id": str(n)}))
        for n in range(1, 21)
    )
    adapter.send_raw(lines)
    answers = [adapter.response("get_shots") for _ in range(20)]
    assert [a["id"] for a in answers] == list(range(1, 21))
    assert [a["result"][0]["id"] for a in answers] == [f"{n}-shot" for n in range(1, 21)]


def test_module_object_and_factory_exports(start_adapter: Any) -> None:
    cjs = start_adapter("--module", "tests/node/fixtures/cjs-object.cjs", "--export", "service")
    assert cjs.result("get_all_sequences", project="/p") == [
        {"id": "cjs", "shots": [], "projectPath": "/p"}
    ]
    factory = start_adapter(
        "--module", "tests/node/fixtures/factory.mjs", "--export", "createService"
    )
    assert factory.result("get_all_sequences", project="/p")[0]["id"] == "from-factory"


def test_module_path_is_resolved_against_the_working_directory(start_adapter: Any) -> None:
    adapter = start_adapter(
        "--module", "behaviours.mjs", "--export", "BehaviourService", cwd=FIXTURES
    )
    assert adapter.result("get_shots", project="/p", sequence_id="a") == [
        {"id": "a-shot", "projectPath": "/p"}
    ]


def test_commonjs_folder_loads_through_require(start_adapter: Any) -> None:
    adapter = start_adapter(
        "--module", "tests/node/fixtures/cjs-folder", "--export", "FolderService"
    )
    assert adapter.result("get_all_sequences", project="/p") == [{"id": "folder", "shots": []}]


# -- UNSUPPORTED ----------------------------------------------------------------------------------


def test_unknown_op_is_unsupported_and_the_adapter_keeps_serving(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    error = adapter.error("frobnicate", project="/p")
    assert error["code"] == "UNSUPPORTED"
    assert "frobnicate" in error["message"]
    assert adapter.result("get_shots", project="/p", sequence_id="x")[0]["id"] == "x-shot"


@pytest.mark.parametrize(
    ("op", "args", "method"),
    [
        ("update_legacy_shot", {"project": "/p", "shot_id": "s", "updates": {}}, "updateShot"),
        ("save_shot", {"project": "/p", "shot_id": "s", "updates": {}}, "saveShot"),
    ],
)
def test_missing_method_is_unsupported(
    behaviours_adapter: Any, op: str, args: dict[str, Any], method: str
) -> None:
    error = behaviours_adapter.error(op, **args)
    assert error["code"] == "UNSUPPORTED"
    assert method in error["message"]


# -- error mapping --------------------------------------------------------------------------------


def test_spec_error_code_file_and_pointer_pass_through(behaviours_adapter: Any) -> None:
    response = update(behaviours_adapter, "spec-error")
    assert response["error"] == {
        "code": "SHOT_NOT_FOUND",
        "message": "expected shot spec-error, found none",
        "file": "/p/sequences/sequence_001.json",
        "pointer": "/shots",
    }


@pytest.mark.parametrize(
    ("shot_id", "code", "needles"),
    [
        ("rejected-promise", "LOCK_TIMEOUT", ["lock held for 10 s"]),
        ("enospc", "IO_ERROR", ["ENOSPC"]),
        ("eacces", "IO_ERROR", ["EACCES"]),
        # an fs error the spec does not treat as I/O failure must be mapped by the service
        ("enoent", "INTERNAL_ERROR", ["ENOENT", "behaviours.mjs"]),
        ("unknown-code", "INTERNAL_ERROR", ["made-up code", "NOT_A_SPEC_CODE"]),
        ("plain", "INTERNAL_ERROR", ["TypeError", "reading 'shots'", "behaviours.mjs:"]),
        ("string", "INTERNAL_ERROR", ["something went wrong"]),
        ("bigint", "INTERNAL_ERROR", ["no JSON form", "BigInt"]),
        ("nan", "INTERNAL_ERROR", ["no JSON form", "NaN"]),
        ("circular", "INTERNAL_ERROR", ["no JSON form", "circular"]),
    ],
)
def test_thrown_errors_and_unencodable_results_are_mapped(
    behaviours_adapter: Any, shot_id: str, code: str, needles: list[str]
) -> None:
    adapter = behaviours_adapter
    error = update(adapter, shot_id)["error"]
    assert error["code"] == code
    for needle in needles:
        assert needle in error["message"]
    if code == "IO_ERROR":
        assert error["file"] == "/p/sequences/sequence_001.json"
    assert update(adapter, "echo")["ok"] is True  # the adapter survived


MAPPING = {
    "NOT_A_SPEC_CODE": "SHOT_NOT_FOUND",
    "TypeError": "INVALID_UPDATE",
    "ENOENT": "PROJECT_NOT_FOUND",
    "update_shot/Error:ENOENT": "SEQUENCE_NOT_FOUND",
    "get_shots/ENOENT": "IO_ERROR",
    "LOCK_TIMEOUT": {"^lock held for \\d+ s$": "IO_ERROR", "never matches": "INVALID_ID"},
}


@pytest.mark.parametrize("where", ["inline", "file"])
def test_error_codes_map_the_services_own_errors(
    start_adapter: Any, tmp_path: Path, where: str
) -> None:
    value = json.dumps(MAPPING)
    if where == "file":
        path = tmp_path / "codes.json"
        path.write_text(value)
        value = str(path)
    adapter = start_adapter(*BEHAVIOURS, "--error-codes", value)
    hello = adapter.result("hello", protocol=1)
    assert hello["error_mapping"] == {
        "source": "inline" if where == "inline" else str(tmp_path / "codes.json"),
        "entries": len(MAPPING),
    }
    # by code; the service's message is kept
    assert update(adapter, "unknown-code")["error"] == {
        "code": "SHOT_NOT_FOUND", "message": "made-up code",
    }
    # by class
    plain = update(adapter, "plain")["error"]
    assert plain["code"] == "INVALID_UPDATE"
    assert "reading 'shots'" in plain["message"]
    # the most specific key wins: op-scoped Class:CODE over a bare CODE
    enoent = update(adapter, "enoent")["error"]
    assert enoent["code"] == "SEQUENCE_NOT_FOUND"
    assert enoent["file"] == "/p/sequences"
    # by message pattern; a message no pattern matches stays unmapped
    assert update(adapter, "rejected-promise")["error"]["code"] == "IO_ERROR"
    # unmapped errors keep the default treatment
    assert update(adapter, "enospc")["error"]["code"] == "IO_ERROR"
    assert update(adapter, "spec-error")["error"]["code"] == "SHOT_NOT_FOUND"


def test_the_harness_records_that_a_mapping_is_used(node: str) -> None:
    from conformance.protocol import open_adapter

    from .conftest import ADAPTER

    argv = [node, str(ADAPTER), *BEHAVIOURS, "--error-codes", json.dumps(MAPPING)]
    with open_adapter(argv, cwd=REPO) as impl:
        assert impl.info.error_mapping == {"source": "inline", "entries": len(MAPPING)}
    with open_adapter([node, str(ADAPTER), *BEHAVIOURS], cwd=REPO) as impl:
        assert impl.info.error_mapping is None


def test_without_error_codes_hello_has_no_mapping(behaviours_adapter: Any) -> None:
    assert "error_mapping" not in behaviours_adapter.result("hello", protocol=1)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("{not json", "is not valid JSON"),
        ('["NOT_FOUND"]', "expected a JSON object"),
        ('{"NOT_FOUND": "MISSING"}', 'maps to "MISSING", expected one of'),
        ('{"teleport/NOT_FOUND": "SHOT_NOT_FOUND"}', "is not CODE, Class, Class:CODE"),
        ('{"NOT_FOUND": {"(": "SHOT_NOT_FOUND"}}', "is not a regular expression"),
        ('{"NOT_FOUND": {"x": "GONE"}}', 'maps to "GONE", expected one of'),
        ("no-such-codes.json", "cannot read"),
    ],
)
def test_bad_error_codes_are_a_usage_error(run_adapter: Any, value: str, needle: str) -> None:
    done = run_adapter([*BEHAVIOURS, "--error-codes", value])
    assert done.returncode == 2
    assert done.stdout == b""
    assert needle in done.stderr.decode()


def test_internal_error_stack_goes_to_stderr(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    assert update(adapter, "plain")["error"]["code"] == "INTERNAL_ERROR"
    adapter.result("shutdown")
    adapter.wait()
    assert "without a spec code" in adapter.stderr()
    assert "at BehaviourService.updateShotInSequence" in adapter.stderr()


# -- results --------------------------------------------------------------------------------------


def test_undefined_result_is_null(behaviours_adapter: Any) -> None:
    response = update(behaviours_adapter, "undefined")
    assert response["ok"] is True
    assert response["result"] is None


def test_raw_numbers_and_key_order_survive_the_wire(start_adapter: Any) -> None:
    line = update_line(start_adapter(*BEHAVIOURS), "raw-json")
    assert (
        b'"result":{"id":"raw-json","seed":12345678901234567890,"scale":1.0,"b":1,"10":"ten","2":"two"}'
        in line
    )
    result = json.loads(line)["result"]
    assert result["seed"] == 12345678901234567890
    assert isinstance(result["scale"], float)
    assert list(result) == ["id", "seed", "scale", "b", "10", "2"]


LOSSLESS_UPDATES = (
    b'{"b": 1, "10": 1.0, "2": {"z": 0, "0": -0.0}, "big": 12345678901234567890,'
    b' "neg": -98765432109876543210, "e": 1e300, "f": 0.1, "safe": 9007199254740991}'
)


def echo_line(adapter: Any, shot_id: str) -> bytes:
    adapter.send_raw(
        b'{"id": 1, "op": "update_shot", "args": {"project": "/p", "sequence_id": "001", '
        b'"shot_id": "' + shot_id.encode() + b'", "updates": ' + LOSSLESS_UPDATES + b"}}\n"
    )
    return adapter.read_line()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("args", "shot_id"),
    [
        ([*BEHAVIOURS, "--lossless-json"], "echo"),
        (["--module", "tests/node/fixtures/factory.mjs", "--export", "createService"], "x"),
    ],
)
def test_lossless_json_keeps_request_numbers_and_key_order(
    start_adapter: Any, args: list[str], shot_id: str
) -> None:
    line = echo_line(start_adapter(*args), shot_id)
    exact = (
        b'"updates":{"b":1,"10":1.0,"2":{"z":0,"0":-0.0},"big":12345678901234567890,'
        b'"neg":-98765432109876543210,"e":1e300,"f":0.1,"safe":9007199254740991}'
    )
    assert exact in line


def test_without_lossless_json_requests_are_what_json_parse_gives(
    behaviours_adapter: Any,
) -> None:
    # What a JS service gets from real callers: rounded big integers, 1.0 as 1, -0.0 as
    # -0 (written 0), integer-like keys first. Services that can do better opt in.
    updates = json.loads(echo_line(behaviours_adapter, "echo"))["result"]["updates"]
    assert list(updates) == ["2", "10", "b", "big", "neg", "e", "f", "safe"]
    assert updates["big"] == 12345678901234567000 and isinstance(updates["big"], int)
    assert updates["10"] == 1 and isinstance(updates["10"], int)
    assert list(updates["2"]) == ["0", "z"]


def test_lines_are_ascii_and_unicode_round_trips(start_adapter: Any) -> None:
    line = update_line(start_adapter(*BEHAVIOURS), "unicode")
    assert line.isascii()
    assert json.loads(line)["result"]["text"] == "café \u2028 line\u2029 \U0001f3ac"


def test_service_output_never_reaches_stdout(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    assert update(adapter, "logs") == {"id": 1, "ok": True, "result": {"id": "logs"}}
    assert adapter.result("shutdown") is None
    assert adapter.wait() == 0
    assert adapter.remaining_stdout() == b""  # nothing after the shutdown answer
    stderr = adapter.stderr()
    for text in (
        "console.log must not",
        "console.info must not",
        "console.warn goes",
        "console.debug must not",
        "process.stdout.write must not",
    ):
        assert text in stderr


# -- IPC envelopes --------------------------------------------------------------------------------


def test_ipc_envelopes_are_not_unwrapped_by_default(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    assert update(adapter, "envelope-ok")["result"] == {
        "success": True,
        "shot": {"id": "envelope-ok", "notes": "wrapped"},
    }
    assert update(adapter, "envelope-error-text")["result"] == {
        "success": False,
        "error": "Sequence 001 not found",
    }


def test_ipc_envelope_flag_unwraps(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS, "--ipc-envelope")
    assert update(adapter, "envelope-ok")["result"] == {"id": "envelope-ok", "notes": "wrapped"}
    text = update(adapter, "envelope-error-text")["error"]
    assert text["code"] == "INTERNAL_ERROR"
    assert "without a spec error code: Sequence 001 not found" in text["message"]
    assert update(adapter, "envelope-error-code")["error"] == {
        "code": "SEQUENCE_NOT_FOUND",
        "message": "no sequence 001",
    }
    assert update(adapter, "echo")["result"]["id"] == "echo"  # a non-envelope passes as is


# -- framing, start-up and shutdown ---------------------------------------------------------------


def test_non_json_line_is_a_protocol_error_not_a_crash(start_adapter: Any) -> None:
    adapter = start_adapter(*BEHAVIOURS)
    adapter.send_raw(b"this is not json\n")
    response = adapter.response(None)
    assert response["id"] is None
    assert response["error"]["code"] == "INTERNAL_ERROR"
    assert "not valid JSON" in response["error"]["message"]
    assert adapter.result("hello")["protocol"] == 1
    assert adapter.proc.poll() is None


@pytest.mark.parametrize(
    ("line", "expected_id", "needle"),
    [
        (b"[1, 2]\n", None, "JSON object"),
        (b'{"id": 4, "op": "get_shots"}\n', 4, "'args'"),
        (b'{"id": -1, "op": "hello", "args": {}}\n', None, "'id'"),
        (
            b'{"id": 5, "op": "update_shot", "args": {"project": "/p"}}\n',
            5,
            "sequence_id, shot_id, updates",
        ),
    ],
)
def test_malformed_requests_get_an_error_response(
    behaviours_adapter: Any, line: bytes, expected_id: int | None, needle: str
) -> None:
    adapter = behaviours_adapter
    adapter.send_raw(line)
    response = adapter.response(None)
    assert response["id"] == expected_id
    assert response["error"]["code"] == "INTERNAL_ERROR"
    assert "malformed request" in response["error"]["message"]
    assert needle in response["error"]["message"]


def test_shutdown_answers_null_and_exits_zero(start_adapter: Any) -> None:
    adapter = start_adapter(*EXAMPLE)
    assert adapter.request("shutdown") == {"id": 1, "ok": True, "result": None}
    assert adapter.wait() == 0


def test_stdin_eof_exits_zero_after_answering(run_adapter: Any) -> None:
    done = run_adapter(BEHAVIOURS, messages.encode(messages.request(1, "hello", {"protocol": 1})))
    assert done.returncode == 0
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [1]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["--module", "tests/node/fixtures/load-fails.mjs", "--export", "X"],
            ["could not load", "electron is not available outside the app"],
        ),
        (
            ["--module", "tests/node/fixtures/does-not-exist.mjs", "--export", "X"],
            ["could not load", "does-not-exist.mjs"],
        ),
        (
            ["--module", "tests/node/fixtures/behaviours.mjs", "--export", "Nope"],
            ['has no export "Nope"', "BehaviourService"],
        ),
    ],
)
def test_module_that_fails_to_load_exits_before_hello(
    run_adapter: Any, args: list[str], needles: list[str]
) -> None:
    done = run_adapter(args, messages.encode(messages.request(1, "hello", {})))
    assert done.returncode == 1
    assert done.stdout == b""
    stderr = done.stderr.decode()
    assert stderr.startswith("seqcheck node adapter: ")
    for needle in needles:
        assert needle in stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--module", "x.mjs"], "--module and --export are required"),
        (
            ["--module", "x.mjs", "--export", "X", "--capabilities", "teleport"],
            "unknown capability teleport",
        ),
        (["--bogus"], "unknown option"),
    ],
)
def test_bad_command_line_is_a_usage_error(run_adapter: Any, args: list[str], needle: str) -> None:
    done = run_adapter(args)
    assert done.returncode == 2
    assert done.stdout == b""
    assert needle in done.stderr.decode()
