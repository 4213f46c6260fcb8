"""Loading a Python implementation's factory from ``module:attr`` or ``file.py:attr``.

Its own module (imported by both the launcher and the stdio server) so that neither
imports the other.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from conformance.protocol.dispatch import StoreFactory
from conformance.protocol.faults import AdapterFault, FaultKind

#: What an implementation spec looks like, for error messages.
SPEC_FORMS = "'module:factory' or 'path/to/file.py:factory'"


def split_spec(spec: str) -> tuple[str, str]:
    """``(module or file, attribute path)`` of ``spec``; ValueError when it has no factory."""
    module, sep, attr = spec.rpartition(":")
    # "C:\\x\\impl.py:make" keeps its drive colon: split on the last colon only.
    if not sep or not module or not attr:
        raise ValueError(
            f"expected an implementation as {SPEC_FORMS}, found {json.dumps(spec)}"
            + (" (no ':factory' part)" if not sep else "")
        )
    return module, attr


def _import_file(path: Path) -> Any:
    # A stable, unique module name per file, so re-opening reuses the module.
    name = "seqcheck_impl_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {json.dumps(str(path))}")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {json.dumps(str(path))}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Its siblings must import the way they do when the file is run as a script.
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.append(folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _import_module(name: str) -> Any:
    # `python -m pytest` and `python -m conformance...` put the working folder on
    # sys.path; the `pytest`/`seqcheck` console scripts do not. A package in the folder
    # the user runs from must load either way (appended: installed packages win).
    cwd = str(Path.cwd())
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    return importlib.import_module(name)


def normalize_spec(spec: str) -> str:
    """``spec`` with a file path made absolute (so a fresh process finds the same file)."""
    module, attr = split_spec(spec)
    if module.endswith(".py"):
        return f"{Path(module).resolve()}:{attr}"
    return spec


def load_factory(spec: str) -> StoreFactory:
    """Import the factory named by ``module:attr`` or ``path/to/file.py:attr``.

    Raises AdapterFault ``start-failed`` naming the spec and the import error, the same
    fault a stdio adapter gives when it cannot load it.
    """
    try:
        module_name, attr = split_spec(spec)
    except ValueError as exc:
        raise AdapterFault(FaultKind.START_FAILED, str(exc)) from None
    try:
        module = (
            _import_file(Path(module_name).resolve())
            if module_name.endswith(".py")
            else _import_module(module_name)
        )
        target: Any = module
        for part in attr.split("."):
            target = getattr(target, part)
    except Exception as exc:
        raise AdapterFault(
            FaultKind.START_FAILED,
            f"cannot load implementation factory {json.dumps(spec)}: "
            f"{type(exc).__name__}: {exc}",
        ) from exc
    if not callable(target):
        raise AdapterFault(
            FaultKind.START_FAILED,
            f"{json.dumps(spec)} is a {type(target).__name__}, not a callable factory",
        )
    factory: StoreFactory = target
    return factory


__all__ = ["SPEC_FORMS", "load_factory", "normalize_spec", "split_spec"]
