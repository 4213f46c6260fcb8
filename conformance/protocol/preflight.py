"""Starting an implementation once before a run: bad input is a usage error, not a suite.

:func:`preflight` opens what the user named (``--impl`` / ``--adapter``), checks its
``hello`` and shuts it down. When that fails, :class:`StartProblem` says what was
expected, what happened and what the adapter wrote to stderr, so ``seqcheck certify``
can answer in a few lines with exit status 2 instead of a table of errors.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from dataclasses import dataclass

from conformance.errors import SeqcheckError
from conformance.protocol.factory import SPEC_FORMS, load_factory, split_spec
from conformance.protocol.faults import AdapterFault
from conformance.protocol.implementation import Implementation, ImplementationInfo
from conformance.protocol.launch import REFERENCE, open_adapter, open_python, split_command

#: Default bound on the preflight ``hello`` (a start is retried once when silent).
PREFLIGHT_START_TIMEOUT = 4.0


@dataclass(frozen=True)
class StartProblem(Exception):
    """The implementation could not be started and greeted."""

    expected: str
    happened: str
    stderr_tail: str = ""
    #: It stayed silent (rather than dying): a longer start timeout may help.
    stalled: bool = False

    def __str__(self) -> str:
        text = f"expected {self.expected}; {self.happened}"
        if self.stderr_tail.strip():
            text += "\n--- adapter stderr (tail) ---\n" + self.stderr_tail.rstrip("\n")
        return text


@dataclass(frozen=True)
class Greeting:
    """What the preflight learnt: the hello, and how many silent starts were retried."""

    info: ImplementationInfo
    start_stalls: int


def _from_fault(expected: str, fault: AdapterFault) -> StartProblem:
    happened = f"{fault.kind}: {fault.detail}"
    if fault.exit_code is not None:
        happened += f" (exit code {fault.exit_code})"
    return StartProblem(expected, happened, fault.stderr_tail, stalled=fault.stalled)


def _greet(impl: Implementation) -> Greeting:
    greeting = Greeting(impl.info, impl.start_stalls)
    # A lingering exit is a protocol fault the suite reports per test; not a usage error.
    with contextlib.suppress(AdapterFault):
        impl.close()
    return greeting


def _check_adapter(adapter: str, start_timeout: float) -> Greeting:
    expected = "an adapter command that starts and answers hello (protocol v1)"
    try:
        argv = split_command(adapter)
    except ValueError as exc:
        raise StartProblem("a shell-style command line", str(exc)) from None
    try:
        impl = open_adapter(argv, timeout=start_timeout, start_timeout=start_timeout)
    except AdapterFault as fault:
        raise _from_fault(expected, fault) from None
    return _greet(impl)


def _check_factory(spec: str) -> Greeting:
    try:
        split_spec(spec)
    except ValueError:
        found = f"found {json.dumps(spec)}" + (", with no ':factory' part" * (":" not in spec))
        raise StartProblem(f"--impl as {SPEC_FORMS}", found) from None
    expected = f"--impl naming an importable factory ({SPEC_FORMS})"
    try:
        factory = load_factory(spec)
    except AdapterFault as fault:
        raise StartProblem(expected, fault.detail) from None
    with tempfile.TemporaryDirectory(prefix="seqcheck-preflight-") as project:
        try:
            factory(project)
        except SeqcheckError:
            pass  # a spec error about an empty folder is an answer, not a broken factory
        except Exception as exc:
            raise StartProblem(
                "factory(project_dir) to return a store object",
                f"calling {spec} with an empty project folder raised "
                f"{type(exc).__name__}: {exc}",
            ) from None
    try:
        impl = open_python(spec)
    except AdapterFault as fault:
        raise _from_fault(expected, fault) from None
    return _greet(impl)


def preflight(
    *, impl: str | None = None, adapter: str | None = None,
    start_timeout: float = PREFLIGHT_START_TIMEOUT,
) -> Greeting:
    """Start the implementation once and check its hello; raise :class:`StartProblem`.

    ``impl`` is ``"reference"`` or a factory spec, ``adapter`` a shell-style command;
    exactly one is given.
    """
    if (impl is None) == (adapter is None):
        raise ValueError("name exactly one implementation: impl or adapter")
    if adapter is not None:
        return _check_adapter(adapter, start_timeout)
    assert impl is not None
    if impl == REFERENCE:
        from conformance.protocol.launch import open_reference

        return _greet(open_reference())
    return _check_factory(impl)


__all__ = ["PREFLIGHT_START_TIMEOUT", "Greeting", "StartProblem", "preflight"]
