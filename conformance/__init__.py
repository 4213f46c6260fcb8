"""seqcheck: the spec, reference store, validator and conformance suite for StoryCore
sequence files (``sequences/sequence_NNN.json``) and legacy ``project.json``.

Public entry points live in submodules: :mod:`conformance.errors`,
:mod:`conformance.requirements`, :mod:`conformance.reference`.
"""

__version__ = "0.2.0"
