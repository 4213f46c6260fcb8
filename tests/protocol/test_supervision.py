"""The harness supervises adapters: every misbehaviour becomes the right AdapterFault,
with the adapter's stderr tail and exit code, and the next call recovers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conformance.protocol import AdapterFault, Implementation, open_adapter

FAKE = Path(__file__).with_name("fake_adapter.py")


def fake(
    mode: str, tmp_path: Path, *, once: bool = True, timeout: float = 5.0, **extra: str
) -> Implementation:
    argv = [sys.executable, str(FAKE), "--mode", mode]
    if once:
        argv += ["--once", str(tmp_path / "misbehaved")]
    for key, value in extra.items():
        argv += [f"--{key}", value]
    # A generous start-up bound: a loaded machine must not turn a slow start into a fault.
    return open_adapter(argv, timeout=timeout, start_timeout=max(timeout, 30.0))


def fault_of(impl: Implementation, op: str = "get_shots") -> AdapterFault:
    with pytest.raises(AdapterFault) as caught:
        impl.call(op, {"project": "/p", "sequence_id": "001"})
    return caught.value


def assert_recovers(impl: Implementation) -> None:
    """The next call starts a fresh adapter (new pid) and gets a real answer."""
    assert not impl.running
    assert impl.get_shots("/p", "001") == [{"id": "s1"}]
    assert impl.running
    impl.close()
    assert impl.exit_code == 0


@pytest.mark.parametrize(
    ("mode", "kind", "in_detail", "in_stderr", "timeout"),
    [
        ("hang", "timeout", "no response to get_shots within 1 s", "hanging on get_shots", 1.0),
        (
            "crash-on-op",
            "crash",
            "died while handling get_shots",
            "boom while handling get_shots",
            5.0,
        ),
        ("garbage", "malformed", '"this is not json"', "mode garbage", 5.0),
        ("wrong-id", "wrong-id", "request id", "mode wrong-id", 5.0),
        ("partial-line", "timeout", 'unterminated line "{\\"id\\": ', "mode partial-line", 1.0),
        ("partial-exit", "crash", 'unterminated line "{\\"id\\": ', "died mid-line", 5.0),
        ("block-buffered", "timeout", "no response to get_shots", "mode block-buffered", 1.0),
        ("bad-result", "malformed", "not a valid get_shots result", "mode bad-result", 5.0),
    ],
)
def test_fault_kind_stderr_and_recovery(
    tmp_path: Path, mode: str, kind: str, in_detail: str, in_stderr: str, timeout: float
) -> None:
    impl = fake(mode, tmp_path, timeout=timeout)
    first_pid = impl.pid
    fault = fault_of(impl)
    assert fault.kind == kind, str(fault)
    assert in_detail in fault.detail
    assert in_stderr in fault.stderr_tail
    assert in_stderr in str(fault)  # the report a user sees carries the stderr tail
    assert_recovers_pid = impl.get_shots("/p", "001")
    assert assert_recovers_pid == [{"id": "s1"}]
    assert impl.pid is not None and impl.pid != first_pid
    impl.close()


def test_crash_reports_exit_code(tmp_path: Path) -> None:
    impl = fake("crash-on-op", tmp_path)
    fault = fault_of(impl)
    assert fault.exit_code == 3
    assert_recovers(impl)


def test_timeout_kills_the_process(tmp_path: Path) -> None:
    impl = fake("hang", tmp_path, timeout=0.5)
    pid = impl.pid
    fault = fault_of(impl)
    assert fault.kind == "timeout"
    assert fault.exit_code == -15  # stopped by SIGTERM to its group
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert_recovers(impl)


def test_exit_after_hello_is_a_crash_then_restart(tmp_path: Path) -> None:
    impl = fake("exit-after-hello", tmp_path)
    fault = fault_of(impl)
    assert fault.kind == "crash"
    assert "exiting right after hello" in fault.stderr_tail
    assert fault.exit_code == 0
    assert_recovers(impl)


def test_stderr_flood_neither_blocks_nor_grows(tmp_path: Path) -> None:
    impl = fake("stderr-flood", tmp_path, once=False)
    # 2 MB of stderr per call: would deadlock a harness that does not drain stderr.
    for _ in range(2):
        assert impl.get_shots("/p", "001") == [{"id": "s1"}]
    tail = impl.stderr_tail
    assert len(tail) < 2200
    assert "earlier bytes omitted" in tail
    impl.close()
    assert impl.stderr_tail.rstrip().endswith("END-OF-FLOOD")


def test_slow_start_within_timeout_is_fine(tmp_path: Path) -> None:
    impl = fake("slow-start", tmp_path, once=False, delay="1.0", timeout=10.0)
    assert impl.info.name == "fake"
    assert impl.get_shots("/p", "001") == [{"id": "s1"}]
    impl.close()


def test_slow_start_beyond_timeout_is_start_failed(tmp_path: Path) -> None:
    with pytest.raises(AdapterFault) as caught:
        open_adapter(
            [sys.executable, str(FAKE), "--mode", "slow-start", "--delay", "30"],
            timeout=5.0,
            start_timeout=0.5,
        )
    assert caught.value.kind == "start-failed"
    assert "before answering hello" in caught.value.detail
    assert "after 1 stalled start(s)" in caught.value.detail
    assert "mode slow-start" in caught.value.stderr_tail


def test_one_stalled_start_is_retried_and_counted(tmp_path: Path) -> None:
    """A fresh adapter that stays silent at hello once (a rare stall under load) is
    killed and started again; the retry is counted, never hidden."""
    impl = open_adapter(
        [sys.executable, str(FAKE), "--mode", "slow-start", "--delay", "30",
         "--once", str(tmp_path / "stalled")],
        timeout=5.0,
        start_timeout=1.0,
    )
    assert impl.start_stalls == 1
    assert impl.get_shots("/p", "001") == [{"id": "s1"}]
    impl.close()


def test_missing_executable_is_start_failed(tmp_path: Path) -> None:
    with pytest.raises(AdapterFault) as caught:
        open_adapter([str(tmp_path / "no-such-adapter")])
    assert caught.value.kind == "start-failed"
    assert "no-such-adapter" in caught.value.detail


def test_adapter_dying_before_hello_is_start_failed() -> None:
    with pytest.raises(AdapterFault) as caught:
        open_adapter(
            [sys.executable, "-c", "import sys; print('cannot load', file=sys.stderr); sys.exit(2)"]
        )
    assert caught.value.kind == "start-failed"
    assert caught.value.exit_code == 2
    assert "cannot load" in caught.value.stderr_tail


def test_bad_hello_is_malformed(tmp_path: Path) -> None:
    with pytest.raises(AdapterFault) as caught:
        fake("bad-hello", tmp_path, once=False)
    assert caught.value.kind == "malformed"
    assert "hello" in caught.value.detail


def test_wrong_protocol_version_is_protocol(tmp_path: Path) -> None:
    with pytest.raises(AdapterFault) as caught:
        fake("wrong-protocol", tmp_path, once=False)
    assert caught.value.kind == "protocol"
    assert "speaks protocol 2" in caught.value.detail


def test_no_exit_after_shutdown_is_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("conformance.protocol.stdio.EXIT_GRACE_SECONDS", 1.0)
    impl = fake("no-exit-on-shutdown", tmp_path, once=False)
    pid = impl.pid
    with pytest.raises(AdapterFault) as caught:
        impl.close()
    assert caught.value.kind == "protocol"
    assert "did not exit" in caught.value.detail
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_restart_starts_a_new_process(tmp_path: Path) -> None:
    impl = fake("ok", tmp_path, once=False)
    pid = impl.pid
    impl.restart()
    assert impl.pid != pid
    assert impl.exit_code == 0  # the old one exited cleanly on shutdown
    assert impl.get_shots("/p", "001") == [{"id": "s1"}]
    impl.close()


def test_abandoned_adapter_is_killed_when_collected(tmp_path: Path) -> None:
    import gc

    impl = fake("hang", tmp_path, once=False)
    pid = impl.pid
    assert pid is not None
    del impl
    gc.collect()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
