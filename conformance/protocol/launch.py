"""Opening an implementation: the reference, a Python factory, or any stdio adapter."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.protocol.dispatch import StoreFactory
from conformance.protocol.faults import AdapterFault
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


def _split_spec(spec: str) -> tuple[str, str]:
    module, sep, attr = spec.rpartition(":")
    # "C:\\x\\impl.py:make" keeps its drive colon: split on the last colon only.
    if not sep or not module or not attr:
        raise ValueError(
            f"expected an implementation as 'module:factory' or 'path/to/file.py:factory', "
            f"found {spec!r}"
        )
    return module, attr


def _import_file(path: Path) -> Any:
    # A stable, unique module name per file, so re-opening reuses the module.
    name = "seqcheck_impl_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def normalize_spec(spec: str) -> str:
    """``spec`` with a file path made absolute (so a fresh process finds the same file)."""
    module, attr = _split_spec(spec)
    if module.endswith(".py"):
        return f"{Path(module).resolve()}:{attr}"
    return spec


def load_factory(spec: str) -> StoreFactory:
    """Import the factory named by ``module:attr`` or ``path/to/file.py:attr``.

    Raises AdapterFault ``start-failed`` naming the spec and the import error, the same
    fault a stdio adapter gives when it cannot load it.
    """
    module_name, attr = _split_spec(spec)
    try:
        module = (
            _import_file(Path(module_name))
            if module_name.endswith(".py")
            else (importlib.import_module(module_name))
        )
        target: Any = module
        for part in attr.split("."):
            target = getattr(target, part)
    except Exception as exc:
        raise AdapterFault(
            "start-failed",
            f"cannot load implementation factory {spec!r}: {type(exc).__name__}: {exc}",
        ) from exc
    if not callable(target):
        raise AdapterFault(
            "start-failed", f"{spec!r} is a {type(target).__name__}, not a callable factory"
        )
    factory: StoreFactory = target
    return factory


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
        argv = shlex.split(adapter)
        if not argv:
            raise ValueError("the adapter command is empty")
        return open_adapter(argv, timeout=timeout)
    assert impl is not None
    return open_reference() if impl == REFERENCE else open_python(impl)
