"""The spec's own words per requirement, read from the ``SPEC.md`` shipped in the package.

SPEC.md is the one place the rules are stated. Certificates quote a requirement's rule
next to its failure and ``seqcheck explain`` shows its rule and its *Why*; both read
the text here, so the spec and what seqcheck prints cannot drift apart.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_REQUIREMENT_START = re.compile(r"^\*\*(SEQ-[A-Z]+-\d+)\*\* ")


def spec_markdown() -> str:
    """The text of ``conformance/SPEC.md`` as installed with seqcheck."""
    return resources.files("conformance").joinpath("SPEC.md").read_text("utf-8")


@cache
def requirement_sections() -> dict[str, tuple[str, ...]]:
    """requirement id -> the lines of its section: from the line opening with its bold
    ID up to the next requirement or heading (the first section wins when an ID is
    stated twice)."""
    out: dict[str, tuple[str, ...]] = {}
    current: str | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None and current not in out:
            out[current] = tuple(lines)

    for line in spec_markdown().splitlines():
        start = _REQUIREMENT_START.match(line)
        if start or line.startswith("#"):
            close()
            current, lines = (start.group(1) if start else None), []
        if current is not None:
            lines.append(line)
    close()
    return out


def strip_requirement_id(text: str) -> str:
    """``text`` without the leading bold requirement ID (``**SEQ-X-1** ``)."""
    return _REQUIREMENT_START.sub("", text, count=1)


def rule_paragraph(requirement_id: str, limit: int = 900) -> str:
    """The first paragraph of ``requirement_id``'s section without its bold ID, on one
    line (level kept: "(MUST) ..."), cut to ``limit`` characters; ``""`` for an ID the
    spec does not state."""
    section = requirement_sections().get(requirement_id, ())
    first: list[str] = []
    for line in section:
        if not line.strip():
            break
        first.append(line)
    text = strip_requirement_id(" ".join(" ".join(first).split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["requirement_sections", "rule_paragraph", "spec_markdown", "strip_requirement_id"]
