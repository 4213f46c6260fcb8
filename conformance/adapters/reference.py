"""seqcheck's reference store behind the adapter protocol v1 (stdio).

    python -m conformance.adapters.reference

Used on every CI run so that the out-of-process path is exercised with an
implementation known to be right.
"""

from __future__ import annotations

import sys

from conformance import __version__
from conformance.reference import ReferenceStore
from conformance.requirements import Capability


class ReferenceFactory:
    """Factory of :class:`ReferenceStore` objects that declares every capability."""

    name = "seqcheck-reference"
    version = __version__
    capabilities = tuple(c.value for c in Capability)

    def __call__(self, project_dir: str) -> ReferenceStore:
        return ReferenceStore(project_dir)


#: The factory behind ``open_reference()`` and this module's stdio server.
reference_factory = ReferenceFactory()


def main() -> int:
    """Serve the reference store on stdin/stdout."""
    from conformance.adapters.python import main as serve_main

    return serve_main([], factory=reference_factory)


if __name__ == "__main__":
    sys.exit(main())
