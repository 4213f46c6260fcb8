"""Each test starts with no adapter command declared broken (tests reuse fake commands)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.protocol import broken


@pytest.fixture(autouse=True)
def _no_broken_adapters() -> Iterator[None]:
    broken.forget_all()
    yield
    broken.forget_all()
