"""The reference store: the persistence API done right.

>>> from conformance.reference import ReferenceStore
"""

from conformance.reference.store import ReferenceStore, utc_now_iso

__all__ = ["ReferenceStore", "utc_now_iso"]
