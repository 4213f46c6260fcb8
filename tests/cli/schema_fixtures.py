"""Every JSON fixture of the repository, paired with the schema it is checked against."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from conformance import layout
from conformance.jsonio import BOM, parse_bytes

REPO = Path(__file__).parents[2]


def _schema_for(path: Path) -> str | None:
    if path.name == layout.PROJECT_FILE:
        return "project"
    if path.parent.name == layout.SEQUENCES_DIR and layout.is_sequence_file_name(path.name):
        return "sequence"
    return None


def strictly_parsable(path: Path) -> bool:
    """Files every JSON tool reads the same way: seqcheck's strict parser accepts them
    (no duplicate key, NaN or bad UTF-8, where tools differ) and no BOM."""
    try:
        raw = path.read_bytes()
        parse_bytes(raw)
    except Exception:
        return False
    return not raw.startswith(BOM)


def fixtures() -> dict[str, list[Path]]:
    """schema name -> the fixture files it applies to (project.json and sequence files
    of tests/validate/corpus and examples; seqcheck's own JSON reports)."""
    out: dict[str, list[Path]] = {}
    roots = [REPO / "tests" / "validate" / "corpus", REPO / "examples"]
    for root in roots:
        for path in sorted(root.rglob("*.json")):
            if "node_modules" in path.parts or path.is_symlink() or not path.is_file():
                continue
            name = _schema_for(path)
            if name is not None and strictly_parsable(path):
                out.setdefault(name, []).append(path)
    golden = REPO / "tests" / "validate" / "golden"
    out["validation-report"] = sorted(golden.glob("json*.json"))
    return out


def _set(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    out = copy.deepcopy(doc)
    node = out
    for part in path[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()

#: (schema, label, path, new value): one change each to a valid example document.
#: Values where the JSON tools themselves disagree on the date-time format are left
#: out on purpose (see the report): ajv-formats accepts "2026-01-20 10:00:00Z" (a
#: space for the T), and a leap second (":60") splits even seqcheck's two validators.
MUTATIONS: list[tuple[str, str, tuple[str | int, ...], Any]] = [
    ("sequence", "order-type", ("order",), "first"),
    ("sequence", "shot-id-empty", ("shots", 0, "id"), ""),
    ("sequence", "shot-id-traversal", ("shots", 0, "id"), "../escape"),
    ("sequence", "shot-type-enum", ("shots", 0, "type"), "dolly"),
    ("sequence", "shot-duration-string", ("shots", 0, "timing", "duration"), "5s"),
    ("sequence", "date-time-month-13", ("metadata", "created_at"), "2026-13-01T10:00:00Z"),
    ("sequence", "date-time-no-offset", ("metadata", "created_at"), "2026-01-20T10:00:00"),
    ("sequence", "date-time-lowercase", ("metadata", "created_at"), "2026-01-20t10:00:00z"),
    ("sequence", "shots-missing", ("shots",), _DELETE),
    ("sequence", "shots-object", ("shots",), {}),
    ("sequence", "unknown-field", ("x-studio",), {"kept": [1, 2.5, None]}),
    ("project", "name-type", ("project_name",), 5),
    ("project", "schema-version-missing", ("schema_version",), _DELETE),
    ("project", "created-at-words", ("created_at",), "yesterday"),
    ("project", "legacy-shot-id-empty", ("shots",), [{"id": ""}]),
    ("project", "storyboard-id-slash", ("storyboard",), [{"id": "a/b"}]),
    ("project", "unknown-field", ("x-studio",), {"kept": True}),
]


def mutants(out_dir: Path) -> dict[str, list[Path]]:
    """Write one file per :data:`MUTATIONS` entry (a change to the demo project's
    documents) under ``out_dir``; schema name -> the files."""
    demo = REPO / "examples" / "demo-project"
    sources = {
        "sequence": parse_bytes((demo / "sequences" / "sequence_001.json").read_bytes()),
        "project": parse_bytes((demo / "project.json").read_bytes()),
    }
    out: dict[str, list[Path]] = {}
    for name, label, path, value in MUTATIONS:
        target = out_dir / f"{name}-{label}.json"
        target.write_text(json.dumps(_set(sources[name], path, value), indent=2), "utf-8")
        out.setdefault(name, []).append(target)
    return out
