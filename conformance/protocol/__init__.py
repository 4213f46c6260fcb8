"""The seqcheck adapter protocol v1: drive any implementation, in process or over stdio.

>>> from conformance.protocol import open_reference
>>> with open_reference() as impl:          # doctest: +SKIP
...     impl.get_shots("/path/to/project", "001")

See ``conformance/spec/adapter-protocol.md`` for the wire format and
``schemas/adapter-protocol.schema.json`` for its schema.
"""

from conformance.protocol.dispatch import StoreFactory, handle
from conformance.protocol.faults import FAULT_KINDS, AdapterFault, FaultKind
from conformance.protocol.implementation import Implementation, ImplementationInfo
from conformance.protocol.launch import (
    load_factory,
    open_adapter,
    open_implementation,
    open_python,
    open_reference,
    python_command,
    reference_command,
)
from conformance.protocol.messages import OPS, PROTOCOL_VERSION

__all__ = [
    "FAULT_KINDS",
    "OPS",
    "PROTOCOL_VERSION",
    "AdapterFault",
    "FaultKind",
    "Implementation",
    "ImplementationInfo",
    "StoreFactory",
    "handle",
    "load_factory",
    "open_adapter",
    "open_implementation",
    "open_python",
    "open_reference",
    "python_command",
    "reference_command",
]
