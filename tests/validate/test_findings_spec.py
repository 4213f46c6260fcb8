"""conformance/spec/findings.md and the code registry say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.requirements import BY_ID
from conformance.validate.codes import CODES, Severity, matching_codes

SPEC = Path(__file__).parents[2] / "conformance" / "spec" / "findings.md"
_ROW = re.compile(r"^\| (SC\d{3}) \| (.*) \|$")


def _rows() -> dict[str, list[str]]:
    rows = {}
    for line in SPEC.read_text("utf-8").splitlines():
        m = _ROW.match(line)
        if m:
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", m.group(2))]
            rows[m.group(1)] = cells
    return rows


def test_spec_table_equals_registry() -> None:
    rows = _rows()
    assert list(rows) == list(CODES), "same codes, same order"
    for code, (name, severity, requirement, meaning, hint) in rows.items():
        entry = CODES[code]
        assert (name, severity, meaning, hint) == (
            entry.name,
            entry.severity.value,
            entry.meaning,
            entry.hint,
        )
        assert requirement == (entry.requirement or "-")


def test_requirements_exist_and_names_unique() -> None:
    for entry in CODES.values():
        assert not entry.requirement or entry.requirement in BY_ID
    names = [c.name for c in CODES.values()]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names)


def test_severity_order() -> None:
    assert Severity.ERROR.rank > Severity.WARNING.rank > Severity.INFO.rank


def test_code_patterns() -> None:
    assert matching_codes("SC105") == ["SC105"]
    assert matching_codes("duplicate-key") == ["SC105"]
    assert matching_codes("sc3") == [c for c in CODES if c.startswith("SC3")]
    assert matching_codes("XX") == []
