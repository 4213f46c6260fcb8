"""``seqcheck schema``: listing, printing, bundling; the bundles give check-jsonschema
and ajv, offline, the same verdict as seqcheck on every fixture."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from conformance import schema_registry
from conformance.cli.main import cli
from conformance.jsonio import parse_bytes
from conformance.schema_bundle import BundleError, bundle, bundle_id, bundles

sys.path.insert(0, str(Path(__file__).parent))
from schema_fixtures import REPO, fixtures, mutants

BIN = Path(sys.executable).parent
#: Any attempt to fetch a schema over the network fails at once.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "NO_PROXY": "", "no_proxy": ""}


def schema(*args: str) -> Any:
    return CliRunner().invoke(cli, ["schema", *args], catch_exceptions=False)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def seqcheck_verdict(name: str, path: Path) -> bool:
    return schema_registry.is_valid(name, parse_bytes(path.read_bytes()))


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Every fixture, plus one-change mutants of the demo project's documents."""
    out: dict[str, list[Path]] = fixtures()
    for name, paths in mutants(tmp_path_factory.mktemp("mutants")).items():
        out[name] = out[name] + paths
    return out


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundles")
    result = schema("--bundle", "--output", str(out))
    assert result.exit_code == 0, result.output
    n = len(schema_registry.schema_names())
    assert n >= 7
    assert result.stderr == f"Wrote {n} bundled schemas to {out}.\n"
    return out


# --- the command -----------------------------------------------------------------

def test_list_print_and_usage_errors(tmp_path: Path) -> None:
    listed = schema()
    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == schema_registry.schema_names()
    shipped = (REPO / "schemas" / "sequence.schema.json").read_bytes()
    assert schema("sequence").stdout_bytes == shipped
    assert schema("sequence.schema.json").stdout_bytes == shipped
    unknown = schema("sequnce")
    assert unknown.exit_code == 2 and 'found "sequnce"' in unknown.stderr
    assert schema("--bundle").exit_code == 2
    # Without --bundle, --output writes the schemas exactly as shipped.
    assert schema("shot", "--output", str(tmp_path)).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["shot.schema.json"]
    assert (tmp_path / "shot.schema.json").read_bytes() == (
        REPO / "schemas" / "shot.schema.json"
    ).read_bytes()


def test_output_into_a_file_is_an_io_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = schema("--bundle", "--output", str(blocker / "sub"))
    assert result.exit_code == 3 and str(blocker / "sub") in result.stderr
    assert blocker.read_text() == "x"


def test_bundles_are_self_contained(bundle_dir: Path) -> None:
    for name in schema_registry.schema_names():
        doc = json.loads((bundle_dir / f"{name}.schema.json").read_text("utf-8"))
        assert doc == bundle(name)
        assert doc["$id"] == bundle_id(name)
        assert all(ref.startswith("#/") or ref == "#" for ref in _refs(doc)), name
        # Every pointer resolves inside the document.
        for ref in _refs(doc):
            node: Any = doc
            for part in ref[2:].split("/") if ref != "#" else []:
                node = node[part.replace("~1", "/").replace("~0", "~")]
            assert isinstance(node, (dict, bool))
    seq = bundle("sequence")
    assert "shot" in seq["$defs"] and "$id" not in seq["$defs"]["shot"]
    assert seq["properties"]["shots"]["items"] == {"$ref": "#/$defs/shot"}


def test_bundler_leaves_data_alone_and_refuses_what_it_cannot_keep() -> None:
    base = "https://example.test/"
    leaf = {"$id": base + "leaf.json", "$defs": {"x": {"type": "string"}},
            "properties": {"a": {"$ref": "#/$defs/x"}}}
    root = {
        "$id": base + "root.json",
        "$defs": {"leaf": {"const": 1}},  # a name the embedded schema must not take
        "properties": {
            "$ref": {"type": "string"},  # a property named $ref is not a reference
            "e": {"enum": [{"$ref": "leaf.json"}]},  # nor is a $ref inside data
            "l": {"$ref": "leaf.json#/$defs/x"},
            "m": {"items": {"$ref": "leaf.json"}},
        },
    }
    out = bundle("root", {"root": root, "leaf": leaf})
    assert out["properties"]["$ref"] == {"type": "string"}
    assert out["properties"]["e"] == {"enum": [{"$ref": "leaf.json"}]}
    assert out["$defs"]["leaf"] == {"const": 1}
    assert out["properties"]["l"] == {"$ref": "#/$defs/leaf.schema/$defs/x"}
    assert out["properties"]["m"]["items"] == {"$ref": "#/$defs/leaf.schema"}
    assert out["$defs"]["leaf.schema"]["properties"]["a"] == {
        "$ref": "#/$defs/leaf.schema/$defs/x"
    }
    with pytest.raises(BundleError, match=re.escape('found "https://example.test/other.json"')):
        bundle("r", {"r": {"$id": base + "r.json", "items": {"$ref": "other.json"}}})
    with pytest.raises(BundleError, match="anchor"):
        bundle("r", {"r": {"$id": base + "r.json", "items": {"$ref": "#name"}}})
    with pytest.raises(BundleError, match="dynamicRef"):
        bundle("r", {"r": {"$id": base + "r.json", "items": {"$dynamicRef": "#meta"}}})


# --- agreement ---------------------------------------------------------------------

def test_fixture_set_has_both_verdicts(documents: dict[str, list[Path]]) -> None:
    found = documents
    for name in ("project", "sequence", "validation-report"):
        verdicts = {seqcheck_verdict(name, p) for p in found[name]}
        assert name == "validation-report" or verdicts == {True, False}, name
    assert sum(len(v) for v in found.values()) >= 80
    # Each mutant is as valid as its label says: the changes really change the verdict.
    for name, paths in found.items():
        for path in paths:
            if path.parent.name.startswith("mutants"):
                expected = path.stem.endswith(("unknown-field", "date-time-lowercase"))
                assert seqcheck_verdict(name, path) is expected, path.name


def test_bundles_validate_like_the_registry_in_jsonschema(
    documents: dict[str, list[Path]],
) -> None:
    """No registry, no network: the bundle alone decides as the shipped schemas do."""
    for name, paths in documents.items():
        doc = bundle(name)
        cls = jsonschema.validators.validator_for(doc)
        validator = cls(doc, format_checker=cls.FORMAT_CHECKER)
        for path in paths:
            instance = parse_bytes(path.read_bytes())
            assert validator.is_valid(instance) == seqcheck_verdict(name, path), path


def test_check_jsonschema_agrees_offline(
    bundle_dir: Path, documents: dict[str, list[Path]]
) -> None:
    exe = BIN / "check-jsonschema"
    if not exe.exists():
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    env = {**os.environ, **OFFLINE}
    for name, paths in documents.items():
        proc = subprocess.run(
            [str(exe), "-o", "json", "--schemafile", str(bundle_dir / f"{name}.schema.json"),
             *map(str, paths)],
            capture_output=True, text=True, env=env, timeout=120,
        )
        report = json.loads(proc.stdout)
        assert not report.get("parse_errors"), report
        failing = {e["filename"] for e in report.get("errors", [])}
        for path in paths:
            assert (str(path) not in failing) == seqcheck_verdict(name, path), (name, path)
        assert proc.returncode == (1 if failing else 0)


def test_the_shipped_schemas_alone_need_the_network(tmp_path: Path) -> None:
    """What issue 11 saw: the fault the bundle fixes fires under the same env, so the
    offline agreement above is a real proof."""
    exe = BIN / "check-jsonschema"
    if not exe.exists():
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    demo = REPO / "examples" / "demo-project" / "sequences" / "sequence_001.json"
    proc = subprocess.run(
        [str(exe), "--schemafile", str(REPO / "schemas" / "sequence.schema.json"), str(demo)],
        capture_output=True, text=True, env={**os.environ, **OFFLINE}, timeout=120,
    )
    assert proc.returncode != 0
    assert "shot.schema.json" in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def ajv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ajv-cli with ajv-formats, installed by npm into a temporary folder."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.skip("node/npm not found: the ajv agreement test needs Node.js")
    prefix = tmp_path_factory.mktemp("ajv")
    proc = subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix),
         "ajv@8", "ajv-formats@3", "ajv-cli@5"],
        capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        pytest.skip(f"npm could not install ajv-cli: {proc.stderr.strip()[-300:]}")
    return prefix / "node_modules" / ".bin" / "ajv"


@pytest.mark.slow  # npm install of ajv-cli, then node (~10 s); check-jsonschema runs by default
def test_ajv_agrees(bundle_dir: Path, ajv: Path, documents: dict[str, list[Path]]) -> None:
    for name, paths in documents.items():
        args = [str(ajv), "validate", "--spec=draft2020", "-c", "ajv-formats",
                "-s", str(bundle_dir / f"{name}.schema.json")]
        for path in paths:
            args += ["-d", str(path)]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        verdicts: dict[str, bool] = {}
        for line in (proc.stdout + proc.stderr).splitlines():
            file, _, word = line.rpartition(" ")
            if word in ("valid", "invalid") and file:
                verdicts[file] = word == "valid"
        assert set(verdicts) == {str(p) for p in paths}, proc.stderr[-2000:]
        for path in paths:
            assert verdicts[str(path)] == seqcheck_verdict(name, path), (name, path)


def test_every_shipped_schema_bundles() -> None:
    assert set(bundles()) == set(schema_registry.schema_names())
