"""Implementations that misbehave at the process level, to test how the harness reports it."""

from __future__ import annotations

import os
import sys
from typing import Any

from conformance.reference import ReferenceStore


class CrashOnGetAll(ReferenceStore):
    """Dies (exit status 70) in get_all_sequences, after saying why on stderr."""

    name = "crash-on-get-all"
    version = "1.0.0"
    capabilities = ()

    def get_all_sequences(self) -> list[dict[str, Any]]:
        sys.stderr.write("fatal: simulated crash in get_all_sequences\n")
        sys.stderr.flush()
        os._exit(70)
