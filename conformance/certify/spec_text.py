"""The normative prose of each requirement, read from ``conformance/SPEC.md``.

SPEC.md is the one place the rules are stated; certificates quote it so a team can read
the rule next to its failure without opening the spec.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parents[1] / "SPEC.md"
_START = re.compile(r"^\*\*(SEQ-[A-Z]+-\d+)\*\* ")
_LEAD = re.compile(r"^\*\*SEQ-[A-Z]+-\d+\*\* ")


@functools.lru_cache(maxsize=1)
def _paragraphs() -> dict[str, str]:
    try:
        text = SPEC_PATH.read_text(encoding="utf-8")
    except OSError:
        return {}
    found: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", text):
        match = _START.match(block.strip())
        if match and match.group(1) not in found:
            # The ID is shown beside the text wherever it is quoted: keep "(MUST) ...".
            found[match.group(1)] = _LEAD.sub("", " ".join(block.split()))
    return found


def spec_text(requirement_id: str, limit: int = 900) -> str:
    """The first paragraph of ``requirement_id`` in SPEC.md without its leading bold ID,
    on one line (cut to ``limit`` characters); ``""`` when the spec is not installed."""
    text = _paragraphs().get(requirement_id, "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["SPEC_PATH", "spec_text"]
