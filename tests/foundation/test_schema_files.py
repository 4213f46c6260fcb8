"""Where the schemas are read from: the ``schemas`` package's folder, or through
importlib.resources when the package is not a folder (installed in a zip)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import schemas
from conformance import schema_registry


def test_the_package_folder_is_read_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_resources(package: str) -> Any:
        raise AssertionError(f"importlib.resources asked for {package!r}")

    monkeypatch.setattr(resources, "files", no_resources)
    schema_registry._package_files.cache_clear()
    try:
        assert schema_registry._package_files() == Path(schemas.__file__).parent
    finally:
        schema_registry._package_files.cache_clear()


def test_a_package_that_is_no_folder_is_read_through_importlib_resources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As inside a zip: __file__ names a path whose parent is not a folder on disk.
    monkeypatch.setattr(schemas, "__file__", "/nonexistent.zip/schemas/__init__.py")
    asked: list[str] = []
    real_files = resources.files

    def files_spy(package: str) -> Any:
        asked.append(package)
        return real_files(package)

    monkeypatch.setattr(resources, "files", files_spy)
    schema_registry._package_files.cache_clear()
    schema_registry.load_schema.cache_clear()
    try:
        schema_registry._package_files()
        assert asked == ["schemas"]
        names = schema_registry.schema_names()
        assert "sequence" in names and "shot" in names
        on_disk = json.loads(
            (Path(__file__).parents[2] / "schemas" / "sequence.schema.json").read_text("utf-8")
        )
        assert schema_registry.load_schema("sequence") == on_disk
    finally:
        schema_registry._package_files.cache_clear()
        schema_registry.load_schema.cache_clear()
