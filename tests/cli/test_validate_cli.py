"""``seqcheck validate`` as users call it: paths, -j, colour, the summary with -o, the
progress line, and examples in every --help."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformance.cli.main import COMMANDS, SUMMARIES, cli
from conformance.cli.terminal import ProgressLine, use_color
from conformance.errors import ErrorCode, SeqcheckError
from conformance.validate import validate_many, validate_projects

REPO = Path(__file__).parents[2]
CORPUS = REPO / "tests" / "validate" / "corpus"
SEQCHECK = Path(sys.executable).with_name("seqcheck")


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["validate", *args], env=env, catch_exceptions=False)


# --- paths --------------------------------------------------------------------------

def test_a_file_means_the_project_holding_it() -> None:
    whole = run(str(CORPUS / "sc305_split_brain"), "-f", "json").stdout
    for rel in ("project.json", "sequences/sequence_001.json"):
        assert run(str(CORPUS / "sc305_split_brain" / rel), "-f", "json").stdout == whole
    # A project named twice (folder and file) is validated once.
    both = run(str(CORPUS / "clean"), str(CORPUS / "clean" / "project.json"))
    assert both.stdout.startswith("1 project, ")


def test_dash_is_a_usage_error() -> None:
    result = run("-")
    assert result.exit_code == 2
    assert "found '-'" in result.stderr and "standard input" in result.stderr


def test_file_outside_any_project(tmp_path: Path) -> None:
    loose = tmp_path / "notes.json"
    loose.write_text("{}")
    result = run(str(loose))
    assert result.exit_code == 2
    assert f'"{loose}" is a file outside any project' in result.stderr


def _refused_without_hanging(path: Path, kind: str) -> None:
    proc = subprocess.run([str(SEQCHECK), "validate", str(path)], capture_output=True,
                          text=True, timeout=30)  # a FIFO opened for reading would block
    assert proc.returncode == 2, proc.stderr
    assert f'"{path}" is {kind}; it was not opened' in proc.stderr


def test_fifo_socket_and_device_are_refused_unopened(tmp_path: Path) -> None:
    project = tmp_path / "film"
    shutil.copytree(CORPUS / "clean", project)
    fifo = project / "sequences" / "sequence_777.json"
    os.mkfifo(fifo)
    _refused_without_hanging(fifo, "a FIFO (named pipe)")
    sock_path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        _refused_without_hanging(sock_path, "a socket")
    _refused_without_hanging(Path("/dev/null"), "a character device")
    # A link to a FIFO is a FIFO too.
    link = tmp_path / "link.json"
    link.symlink_to(fifo)
    _refused_without_hanging(link, "a FIFO (named pipe)")


# --- -j ---------------------------------------------------------------------------

def test_jobs_give_the_serial_output_and_status() -> None:
    for fmt in ("text", "json", "sarif"):
        serial = run("-r", str(CORPUS), "-j", "1", "-f", fmt, "--color", "never")
        parallel = run("-r", str(CORPUS), "-j", "2", "-f", fmt, "--color", "never")
        assert serial.exit_code == parallel.exit_code == 1
        assert serial.stdout == parallel.stdout
    assert run("-r", str(CORPUS), "-j", "0").exit_code == 2


@pytest.mark.parametrize(("size", "gone_at"), [(6, (1, 4)), (24, (10, 11, 20))])
def test_parallel_failure_is_the_serial_one(
    tmp_path: Path, size: int, gone_at: tuple[int, ...]
) -> None:
    """Projects that vanish after discovery raise; -j 2 raises what -j 1 raises:
    the error of the first such project in input order (24 projects: chunks of 3)."""
    batch = []
    for i in range(size):
        if i in gone_at:
            batch.append(tmp_path / f"gone-{'abc'[gone_at.index(i)]}")
        else:
            shutil.copytree(CORPUS / "clean", tmp_path / f"ok{i}")
            batch.append(tmp_path / f"ok{i}")
    errors = []
    for jobs in (1, 2):
        with pytest.raises(SeqcheckError) as info:
            validate_many(batch, jobs=jobs)
        assert info.value.code is ErrorCode.PROJECT_NOT_FOUND
        errors.append(info.value.message)
    assert errors[0] == errors[1] and "gone-a" in errors[0]


def test_a_dead_worker_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    import conformance.validate.batch as batch

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the patched function reaches the workers only when they are forked")
    real = batch.validate_project  # type: ignore[attr-defined]

    def dies_on_bom(project: Path, **options: Any) -> Any:
        if project.name == "sc103_bom":
            os._exit(9)  # as the OOM killer would end it
        return real(project, **options)

    monkeypatch.setattr(batch, "validate_project", dies_on_bom)  # inherited by fork
    result = run(str(CORPUS / "clean"), str(CORPUS / "sc103_bom"), "-j", "2")
    assert result.exit_code == 3
    assert "a worker process died while validating (-j 2)" in result.stderr
    assert result.stdout == ""


def test_progress_is_reported_for_every_project() -> None:
    seen: list[tuple[int, int]] = []
    reports = validate_projects([CORPUS], recursive=True, jobs=2,
                                progress=lambda done, total, p: seen.append((done, total)))
    assert [d for d, _ in seen] == list(range(1, len(reports) + 1))
    assert {t for _, t in seen} == {len(reports)}


# --- colour, summary, progress -----------------------------------------------------

class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("mode", "env", "tty", "expected"),
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": ""}, True, True),  # empty means unset (no-color.org)
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"FORCE_COLOR": "0"}, True, False),
        ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        ("always", {"NO_COLOR": "1"}, False, True),
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_use_color(mode: str, env: dict[str, str], tty: bool, expected: bool,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert use_color(mode, _Stream(tty)) is expected
    assert use_color(mode, None) is (mode == "always")  # an -o file


def test_color_option_end_to_end(tmp_path: Path) -> None:
    bad = str(CORPUS / "sc310_out_point_before_in_point")
    clean_env = {"NO_COLOR": "", "FORCE_COLOR": ""}
    assert "\x1b[" in run(bad, "--color", "always", env=clean_env).stdout
    assert "\x1b[" not in run(bad, env=clean_env).stdout  # not a terminal
    assert "\x1b[" in run(bad, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout
    assert "\x1b[" not in run(bad, "--color", "never", env={"FORCE_COLOR": "1"}).stdout
    out = tmp_path / "r.txt"
    run(bad, "-o", str(out), env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" not in out.read_text("utf-8")  # a report file is data


def test_summary_goes_to_stderr_with_output_unless_quiet(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    loud = run(str(CORPUS / "clean"), "-f", "sarif", "-o", str(out))
    assert loud.stdout == ""
    assert loud.stderr == f"1 project, 3 files checked: no findings. Report written to {out}.\n"
    quiet = run(str(CORPUS / "clean"), "-f", "sarif", "-o", str(out), "-q")
    assert quiet.stdout == quiet.stderr == ""


def test_unwritable_output_is_exit_3(tmp_path: Path) -> None:
    result = run(str(CORPUS / "clean"), "-o", str(tmp_path / "missing" / "r.txt"))
    assert result.exit_code == 3
    assert f'"{tmp_path / "missing" / "r.txt"}"' in result.stderr


def test_progress_line_erases_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.cli.validate_cmd as cmd

    monkeypatch.setattr(cmd, "_stderr_is_tty", lambda: True)
    result = run(str(CORPUS / "clean"), str(CORPUS / "sc103_bom"), "-f", "json", "-j", "1")
    err = result.stderr
    assert "Validating 2/2 (100%)" in err
    assert err.endswith("\r\x1b[2K")  # the last thing written erases the line
    assert "\n" not in err

    stream = _Stream(True)
    with ProgressLine(stream, 3, "Doing") as line:
        line.advance()
        line.advance(5)  # never past the total
    assert stream.getvalue() == (
        "\r\x1b[2KDoing 0/3 (0%)\r\x1b[2KDoing 1/3 (33%)\r\x1b[2KDoing 3/3 (100%)\r\x1b[2K"
    )


# --- help --------------------------------------------------------------------------

@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_help_has_examples(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:\n", 1)[1]
    assert examples.count(f"seqcheck {command}") >= 3


def test_top_level_help_lists_whole_summaries() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    text = " ".join(result.stdout.split())
    commands = result.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    assert result.exit_code == 0 and "..." not in commands
    for name, summary in SUMMARIES.items():
        assert f"{name} {summary}" in text
    assert "Examples:" in result.stdout
    assert set(SUMMARIES) == set(COMMANDS)


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = CliRunner().invoke(cli, ["valdate", "."])
    assert result.exit_code == 2
    assert 'found "valdate". Did you mean \'seqcheck validate\'?' in result.stderr


def test_top_level_help_imports_no_command() -> None:
    code = ("import sys; from click.testing import CliRunner; from conformance.cli.main import "
            "cli; CliRunner().invoke(cli, ['--help']); "
            "print(sorted(m for m in sys.modules if m.endswith('_cmd')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == "[]"


