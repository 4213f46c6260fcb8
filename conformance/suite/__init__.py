"""The seqcheck conformance suite: executable requirements for sequence-file persistence.

The suite is a set of pytest modules (:mod:`conformance.suite.cases`) plus a pytest
plugin (:mod:`conformance.suite.plugin`, registered as the ``pytest11`` entry point
``seqcheck``) that selects the implementation under test::

    pytest --seqcheck-impl reference
    pytest --seqcheck-impl mypackage.store:make_store
    pytest --seqcheck-adapter "node conformance/adapters/node/adapter.mjs \
        --module dist/ProjectService.js --export ProjectService"

Every test is tagged with the requirement IDs of :mod:`conformance.requirements` it
proves; ``seqcheck certify`` (:mod:`conformance.certify`) turns the outcomes into a
per-requirement certificate. Case IDs (test node ids) and requirement IDs are stable;
changes are listed in ``CHANGELOG.md`` beside this file.
"""

from __future__ import annotations

from pathlib import Path

#: Version of the suite's test content. Bump on any change to what is tested.
SUITE_VERSION = "1.1.0"

#: The folder holding the suite's test modules (what the plugin collects).
CASES_DIR = Path(__file__).resolve().parent / "cases"

__all__ = ["CASES_DIR", "SUITE_VERSION"]
