"""Benchmarks measure seqcheck as an installed package runs: from compiled bytecode.

pip compiles an installed package's modules once. An editable install on a machine
with ``PYTHONDONTWRITEBYTECODE=1`` (set on these CI machines) has no ``__pycache__``,
so every measured process would compile seqcheck's ~70 modules again (about 70 ms),
a cost no user pays and the orjson floor never has. The benchmarks compile the trees
they run first, and say so.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGES = ("conformance", "migrate", "schemas")


def compile_tree(root: Path) -> str:
    """Write the bytecode of ``root``'s seqcheck packages (as ``pip install`` does);
    a line for the benchmark's header."""
    for name in PACKAGES:
        folder = root / name
        if folder.is_dir() and not compileall.compile_dir(str(folder), quiet=1):
            raise SystemExit(f"bench: could not compile {folder} (see above)")
    return f"bytecode compiled in {root} (as an installed package has it)"
