"""``seqcheck certify``: usage errors, exit codes and the files it writes."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance import schema_registry
from conformance.cli.main import cli


def test_exactly_one_implementation_is_required() -> None:
    runner = CliRunner()
    none = runner.invoke(cli, ["certify"])
    assert none.exit_code == 2
    assert "choose exactly one implementation" in none.output
    both = runner.invoke(cli, ["certify", "--reference", "--adapter", "node x.mjs"])
    assert both.exit_code == 2
    assert "--reference, --adapter" in both.output


FAKE = Path(__file__).parents[1] / "protocol" / "fake_adapter.py"
SEQCHECK = str(Path(sys.executable).parent / "seqcheck")
#: A fast subset of the suite, for tests of certify's mechanics (never certified: -k).
SUBSET = "test_update_merges_and_persists or test_update_returns_the_stored_shot"


def fake(mode: str, *extra: str) -> str:
    return shlex.join([sys.executable, str(FAKE), "--mode", mode, *extra])


def _bad_factory_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "store.py"
    path.write_text(body)
    return f"{path}:make"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--adapter", "no-such-command-xyz", "could not run no-such-command-xyz"),
        ("--adapter", "true", "(exit code 0)"),
        ("--adapter", '"unbalanced quote', "no closing quotation"),
        ("--adapter", fake("slow-start", "--delay", "30"), "raise --start-timeout"),
        ("--adapter", fake("bad-hello"), "malformed: answered hello with an invalid response"),
        ("--impl", "mypkg.store", "with no ':factory' part"),
        ("--impl", "no_such_pkg_xyz.mod:make", "ModuleNotFoundError"),
        ("--impl", "FACTORY_RAISES", "RuntimeError: database unreachable"),
        ("--impl", "FILE_DOES_NOT_IMPORT", "SyntaxError"),
    ],
)
def test_an_implementation_that_does_not_start_is_a_usage_error(
    tmp_path: Path, option: str, value: str, expected: str
) -> None:
    if value == "FACTORY_RAISES":
        value = _bad_factory_file(
            tmp_path, "def make(project):\n    raise RuntimeError('database unreachable')\n"
        )
    elif value == "FILE_DOES_NOT_IMPORT":
        value = _bad_factory_file(tmp_path, "def make(project) return 1\n")
    started = time.monotonic()
    result = CliRunner().invoke(
        cli, ["certify", option, value, "--start-timeout", "0.5", "--report",
              str(tmp_path / "cert.json")],
    )
    elapsed = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert elapsed < 10, elapsed
    assert "did not start" in result.output
    assert expected in result.output
    assert "expected " in result.output
    assert len(result.output.splitlines()) < 15  # a few lines, not a table
    assert "REQUIREMENT" not in result.output
    assert not (tmp_path / "cert.json").exists()  # no certificate for a usage error


def test_preflight_shows_the_adapters_stderr_tail() -> None:
    script = "import sys; sys.stderr.write('no such module: storecore\\n'); sys.exit(3)"
    result = CliRunner().invoke(
        cli, ["certify", "--adapter", shlex.join([sys.executable, "-c", script])]
    )
    assert result.exit_code == 2
    assert "exit code 3" in result.output
    assert "no such module: storecore" in result.output


def test_adapter_broken_during_the_run_exits_1_and_writes_every_report(tmp_path: Path) -> None:
    # Answers hello (so it starts), then exits: every test of the run errors.
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = subprocess.run(
        [SEQCHECK, "certify", "--adapter", fake("exit-after-hello", "--trigger", "hello"),
         "-k", SUBSET,
         "--report", str(tmp_path / "cert.json"), "--junit", str(tmp_path / "cert.xml"),
         "--markdown", str(summary)],
        capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, **env},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ADAPTER BROKEN" in result.stdout
    doc = json.loads((tmp_path / "cert.json").read_text())
    assert schema_registry.is_valid("certification-report", doc)
    assert doc["verdict"] == "adapter-broken"
    assert doc["header"]["deadline"] is None
    assert "exiting right after hello" in json.dumps(doc["tests"])
    assert (tmp_path / "cert.xml").read_text().startswith("<?xml")
    text = summary.read_text()
    assert text.startswith("# Earlier step\n")  # the step summary is appended to
    assert "## seqcheck certification: adapter broken" in text


def test_impl_given_as_a_file_path_is_named_as_given(tmp_path: Path) -> None:
    store = tmp_path / "my_store.py"
    store.write_text(
        "from conformance.reference import ReferenceStore\n"
        "def make(project):\n    return ReferenceStore(project)\n"
        "make.capabilities = ['legacy-fallback']\n"
    )
    result = subprocess.run(
        [SEQCHECK, "certify", "--impl", "my_store.py:make", "-k", SUBSET, "--report",
         "cert.json"],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # partial run: not certified
    doc = json.loads((tmp_path / "cert.json").read_text())
    assert doc["header"]["target"] == {"kind": "python", "spec": "my_store.py:make"}
    assert doc["header"]["implementation"]["capabilities"] == ["legacy-fallback"]
    assert {t["outcome"] for t in doc["tests"]} == {"passed"}
    assert "\r" not in result.stderr  # not a terminal: no live line


def test_pytest_console_script_loads_a_package_from_the_working_folder(tmp_path: Path) -> None:
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text(
        "from conformance.reference import ReferenceStore\n"
        "def make(project):\n    return ReferenceStore(project)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pytest"), "-p", "no:cacheprovider", "-q",
         "--seqcheck-impl", "mypkg.store:make", "-k", SUBSET],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_verbose_prints_the_table_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [SEQCHECK, "certify", "--reference", "-k", SUBSET, "-v"],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("REQUIREMENT    LEVEL") == 1
    assert "test_update_merges_and_persists" in result.stdout  # the live pytest output


def test_progress_events_feed_the_live_line(tmp_path: Path) -> None:
    from conformance.certify.runner import Tally, run_suite
    from conformance.suite.state import Target

    seen: list[str] = []

    def on_progress(tally: Tally) -> None:
        seen.append(tally.line())

    run = run_suite(Target("reference", None), extra_args=["-k", SUBSET],
                    on_progress=on_progress, cwd=tmp_path)
    assert run.deadline is None
    assert seen[0] == "[0/2] starting the suite", seen
    assert "[0/2] update SEQ-UPDATE-1: test_update_merges_and_persists" in seen, seen
    assert seen[-1].startswith("[2/2] update ") and seen[-1].endswith("(2 passed)"), seen


def test_run_past_its_deadline_is_stopped_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.certify import runner
    from conformance.suite.state import Target

    # Room for pytest to start and the first test to reach its adapter on a busy machine.
    monkeypatch.setattr(runner, "DEADLINE_GRACE_SECONDS", 12.0)
    pidfile = tmp_path / "pids"
    started = time.monotonic()
    # Silent after hello: the first test waits on its 30 s request timeout.
    report = runner.certify(
        Target(None, fake("silent-after-hello", "--pidfile", str(pidfile))),
        deadline_seconds=1.0, cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    assert elapsed < 40, elapsed
    deadline = report.header["deadline"]
    assert deadline["stopped"] is True and deadline["seconds"] == 1.0
    assert report.verdict != "certified"
    assert any(n.startswith("timed out: the run passed its 1 s deadline")
               for n in report.header["notes"])
    assert schema_registry.is_valid("certification-report", report.to_dict())
    pids = [int(x) for x in pidfile.read_text().split()]
    assert pids and wait_gone(pids) == []  # the stopped run's adapter went with it


def test_timed_out_run_exits_4(tmp_path: Path) -> None:
    result = subprocess.run(
        [SEQCHECK, "certify", "--reference", "--timeout", "1", "--report", "cert.json"],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    assert "timed out: the run passed its 1 s deadline" in result.stdout
    doc = json.loads((tmp_path / "cert.json").read_text())
    assert doc["header"]["deadline"]["seconds"] == 1.0
    assert doc["verdict"] == "not-certified"


def test_killing_certify_takes_its_suite_and_adapters_down(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    certify = subprocess.Popen(
        [SEQCHECK, "certify", "--adapter", fake("silent-after-hello", "--pidfile", str(pidfile))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
        # A SIGKILLed certify cannot remove its temporary folder: keep it in tmp_path.
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 60
        # The preflight adapter, then the suite's: wait for the second to be running.
        while len(_pids(pidfile)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_pids(pidfile)) >= 2
        suite_side = _processes_mentioning(str(pidfile))
        assert suite_side  # the child pytest and its adapter
        certify.kill()  # SIGKILL: certify runs no cleanup at all
        certify.wait(timeout=10)
        assert wait_gone(_pids(pidfile) + suite_side) == []
    finally:
        if certify.poll() is None:
            certify.kill()
            certify.wait(timeout=10)


def test_sigterm_stops_the_run_and_cleans_up(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    certify = subprocess.Popen(
        [SEQCHECK, "certify", "--adapter", fake("silent-after-hello", "--pidfile", str(pidfile))],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    try:
        deadline = time.monotonic() + 60
        while len(_pids(pidfile)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        suite_side = _processes_mentioning(str(pidfile))
        certify.terminate()
        _, err = certify.communicate(timeout=30)
        assert certify.returncode == 4
        assert "terminated; the run was stopped" in err
        assert wait_gone(_pids(pidfile) + suite_side) == []
        assert list(tmp_path.glob("seqcheck-certify-*")) == []  # its temporary folder too
    finally:
        if certify.poll() is None:
            certify.kill()
            certify.wait(timeout=10)


def _pids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_gone(pids: list[int], seconds: float = 10.0) -> list[int]:
    """The pids still alive after up to ``seconds`` (zombies count as gone)."""

    def alive(pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")

    end = time.monotonic() + seconds
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < end:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def test_cli_defaults_match_the_library() -> None:
    from conformance.certify import runner
    from conformance.cli import certify_cmd
    from conformance.protocol.preflight import PREFLIGHT_START_TIMEOUT

    assert certify_cmd.DEFAULT_DEADLINE == runner.DEFAULT_DEADLINE_SECONDS
    assert certify_cmd.GRACE == runner.DEADLINE_GRACE_SECONDS
    assert certify_cmd.START_TIMEOUT == PREFLIGHT_START_TIMEOUT
