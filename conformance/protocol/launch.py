"""Opening an implementation: the reference, a Python factory, or any stdio adapter."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping

from conformance.protocol.factory import load_factory, normalize_spec
from conformance.protocol.implementation import Implementation
from conformance.protocol.inprocess import InProcessTransport
from conformance.protocol.stdio import StdioTransport

#: ``--seqcheck-impl`` value naming seqcheck's own reference store.
REFERENCE = "reference"
#: Default per-request timeout of stdio adapters, in seconds.
DEFAULT_TIMEOUT = 30.0


def reference_command() -> list[str]:
    """argv of the reference store's stdio adapter."""
    return [sys.executable, "-m", "conformance.adapters.reference"]


def python_command(spec: str) -> list[str]:
    """argv serving the Python factory ``spec`` as a stdio adapter."""
    return [sys.executable, "-m", "conformance.adapters.python", "--factory", spec]


def split_command(adapter: str) -> list[str]:
    """The argv of a shell-style adapter command line; ValueError saying what is wrong."""
    try:
        argv = shlex.split(adapter)
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        raise ValueError(
            f"the adapter command {json.dumps(adapter)} is not a valid shell-style command "
            f"line: {str(exc).lower()}; quote it as you would in a shell"
        ) from None
    if not argv:
        raise ValueError("the adapter command is empty: give the command that starts it")
    return argv


def open_reference() -> Implementation:
    """seqcheck's reference store, in process (all three capabilities)."""
    from conformance.adapters.reference import reference_factory

    return Implementation(InProcessTransport(reference_factory, reference_command()))


def open_python(spec: str) -> Implementation:
    """A Python implementation in process: ``spec`` is ``module:factory`` or
    ``file.py:factory``; ``factory(project_dir)`` returns the store object."""
    spec = normalize_spec(spec)
    return Implementation(InProcessTransport(load_factory(spec), python_command(spec)))


def open_adapter(
    argv: list[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    start_timeout: float | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Implementation:
    """Any implementation behind a protocol v1 stdio adapter, run as ``argv``.

    ``timeout`` bounds every request; ``start_timeout`` (default: ``timeout``) bounds
    the start-up ``hello``, which may include a slow runtime start.
    """
    return Implementation(
        StdioTransport(list(argv), timeout=timeout, start_timeout=start_timeout, cwd=cwd, env=env)
    )


def open_implementation(
    *, impl: str | None = None, adapter: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Implementation:
    """Open what the command line named: ``impl`` ("reference" or a factory spec) or
    ``adapter`` (a shell-style command line, split with :func:`shlex.split`)."""
    if (impl is None) == (adapter is None):
        raise ValueError(
            "name exactly one implementation: impl ('reference' or 'module:factory') "
            "or adapter (a command)"
        )
    if adapter is not None:
        return open_adapter(split_command(adapter), timeout=timeout)
    assert impl is not None
    return open_reference() if impl == REFERENCE else open_python(impl)


__all__ = [
    "DEFAULT_TIMEOUT",
    "REFERENCE",
    "load_factory",
    "normalize_spec",
    "open_adapter",
    "open_implementation",
    "open_python",
    "open_reference",
    "python_command",
    "reference_command",
    "split_command",
]
