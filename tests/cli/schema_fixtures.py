"""Every JSON fixture of the repository, paired with the schema it is checked against."""

from __future__ import annotations

from pathlib import Path

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
