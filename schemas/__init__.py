"""The seqcheck JSON Schemas (draft 2020-12), shipped as package data.

Load them through :mod:`conformance.schema_registry`, never by a path relative to a
checkout: this package is installed inside the wheel, as files or in a zip.
"""
