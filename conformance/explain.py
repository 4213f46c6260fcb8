"""What a finding code or a requirement means, why, and an example (``seqcheck explain``).

Everything comes from data shipped in the wheel, so a pip-installed user gets the
same answer as a reader of the repository: the finding registry
(:mod:`conformance.validate.codes`) and its examples
(:mod:`conformance.finding_examples`), the requirement registry
(:mod:`conformance.requirements`), the spec's own prose (``conformance/SPEC.md``,
package data) and the conformance suite's test cases (their requirement markers).
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import textwrap
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

from conformance import requirements, spec_prose
from conformance.finding_examples import (
    EXAMPLES,
    WHY_WITHOUT_REQUIREMENT,
    Fifo,
    Folder,
    Link,
    Sparse,
)
from conformance.validate.codes import CODES

_WHY = re.compile(r"^\*Why:\*\s*")
_LEVEL = re.compile(r"^\((MUST|SHOULD)[^)]*\)\s*")
_WIDTH = 88


class SubjectKind(str, Enum):
    """What ``seqcheck explain`` was asked about."""

    FINDING = "finding"
    REQUIREMENT = "requirement"


@dataclass(frozen=True)
class SuiteCase:
    """A conformance-suite test that proves a requirement."""

    module: str
    name: str
    doc: str


@dataclass(frozen=True)
class Explanation:
    """One subject explained: its text, why it matters and an example."""

    subject: str
    kind: SubjectKind
    title: str
    text: str
    why: str
    example: str
    fix: str = ""
    related: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (``seqcheck explain --format json``)."""
        return {
            "subject": self.subject,
            "kind": self.kind.value,
            "title": self.title,
            "text": self.text,
            "why": self.why,
            "example": self.example,
            "fix": self.fix,
            "related": list(self.related),
        }


class UnknownSubject(LookupError):
    """Neither a finding code nor a requirement id; ``suggestions`` are close ones."""

    def __init__(self, subject: str, suggestions: list[str]) -> None:
        self.subject = subject
        self.suggestions = suggestions
        super().__init__(subject)


@cache
def _spec_paragraphs() -> dict[str, tuple[str, str]]:
    """requirement id -> (its rule text, its *Why:* text) from SPEC.md."""
    out: dict[str, tuple[str, str]] = {}
    for req_id, section in spec_prose.requirement_sections().items():
        rule: list[str] = []
        why: list[str] = []
        in_why = False
        for line in section:
            if _WHY.match(line):
                in_why = True
                why.append(_WHY.sub("", line))
            elif in_why and line.strip():
                why.append(line)
            elif in_why:
                in_why = False
            else:
                rule.append(line)
        body = _LEVEL.sub("", spec_prose.strip_requirement_id("\n".join(rule).strip()))
        reason = "\n".join(why).strip()
        out[req_id] = (body, reason[:1].upper() + reason[1:])
    return out


@cache
def suite_cases() -> dict[str, tuple[SuiteCase, ...]]:
    """requirement id -> the suite tests marked ``@pytest.mark.requirement(id)``."""
    found: dict[str, list[SuiteCase]] = {}
    cases = resources.files("conformance").joinpath("suite").joinpath("cases")
    for entry in sorted(cases.iterdir(), key=lambda e: e.name):
        if not (entry.name.startswith("test_") and entry.name.endswith(".py")):
            continue
        tree = ast.parse(entry.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            doc = (ast.get_docstring(node) or "").strip().split("\n\n")[0].replace("\n", " ")
            for req in _marked_requirements(node):
                found.setdefault(req, []).append(SuiteCase(entry.name, node.name, doc))
    return {k: tuple(v) for k, v in found.items()}


def _marked_requirements(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    out: list[str] = []
    for deco in node.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "requirement"
        ):
            out.extend(a.value for a in deco.args if isinstance(a, ast.Constant)
                       and isinstance(a.value, str))
    return out


def subjects() -> list[str]:
    """Every subject ``explain`` answers for: finding codes, then requirement ids."""
    return [*CODES, *(r.id for r in requirements.REQUIREMENTS)]


def matching_subjects(pattern: str) -> list[str]:
    """Subjects that a prefix (``SC3``, ``SEQ-UPDATE``) selects, in registry order."""
    p = pattern.strip().upper()
    return [s for s in subjects() if s.startswith(p)]


def explain(subject: str) -> Explanation:
    """The explanation of a finding code (``SC305``, or its name ``split-brain``) or a
    requirement id (``SEQ-UPDATE-3``); :class:`UnknownSubject` otherwise."""
    key = subject.strip()
    if key.upper() in CODES:
        return _finding(key.upper())
    by_name = [c.code for c in CODES.values() if c.name == key.lower()]
    if by_name:
        return _finding(by_name[0])
    if key.upper() in requirements.BY_ID:
        return _requirement(key.upper())
    close = difflib.get_close_matches(key.upper(), subjects(), n=3, cutoff=0.6)
    raise UnknownSubject(subject, close or matching_subjects(key)[:3])


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _readable(text: str) -> str:
    """Long JSON indented for reading, unless indenting would hide the point of the
    example (a duplicate key, a literal JSON does not allow)."""
    if len(text) <= _WIDTH:
        return text

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in items}) != len(items):
            raise ValueError("duplicate key")
        return dict(items)

    def reject(literal: str) -> Any:
        raise ValueError(literal)

    try:
        doc = json.loads(text, object_pairs_hook=pairs, parse_constant=reject)
    except (ValueError, RecursionError):
        return text
    return json.dumps(doc, indent=2, ensure_ascii=False)


def example_text(code: str) -> str:
    """The files of ``code``'s example project as shown to a user, and its note."""
    ex = EXAMPLES.get(code)
    if ex is None:  # a test requires one per code; a user is never shown a traceback
        return "No example ships for this code yet."
    parts = []
    for path, content in ex.files.items():
        if path in ex.shown:
            parts.append(f"{path}:\n{_indent(ex.shown[path])}")
        elif content is None:
            parts.append(f"{path}: (absent)")
        elif isinstance(content, Folder):
            parts.append(f"{path}/ (a folder)")
        elif isinstance(content, Link):
            parts.append(f"{path} -> {content.target} (a symbolic link)")
        elif isinstance(content, Fifo):
            parts.append(f"{path} (a named pipe)")
        elif isinstance(content, Sparse):
            parts.append(f"{path} ({content.size} bytes)")
        else:
            body = content.decode("utf-8") if isinstance(content, bytes) else content
            parts.append(f"{path}:\n{_indent(_readable(body.rstrip()))}")
    return "\n".join(parts) + f"\n\n{ex.note}"


def _finding(code: str) -> Explanation:
    info = CODES[code]
    related: list[str] = []
    if info.requirement:
        req = requirements.get(info.requirement)
        _, why = _spec_paragraphs().get(req.id, ("", ""))
        why_text = textwrap.fill(
            f"It checks {req.id} ({req.level.value}): {req.title}.", _WIDTH
        )
        if why:
            why_text += f"\n\n{why}"
        related.append(req.id)
    else:
        why_text = textwrap.fill(WHY_WITHOUT_REQUIREMENT.get(code, info.meaning), _WIDTH)
    return Explanation(
        subject=code,
        kind=SubjectKind.FINDING,
        title=f"{code} {info.name} ({info.severity.value})",
        text=textwrap.fill(info.meaning, _WIDTH),
        why=why_text,
        example=example_text(code),
        fix=textwrap.fill(info.hint, _WIDTH),
        related=tuple(related),
    )


def _requirement(req_id: str) -> Explanation:
    req = requirements.get(req_id)
    rule, why = _spec_paragraphs().get(req_id, ("", ""))
    scope = f"capability {req.capability.value}" if req.capability else "core"
    if not why:
        why = f"A {req.level.value} of the spec: " + (
            "an implementation that breaks it is not certified."
            if req.level is requirements.Level.MUST
            else "breaking it is a warning on the certificate, not a failure."
        )
    cases = suite_cases().get(req_id, ())
    codes = [c.code for c in CODES.values() if c.requirement == req_id]
    lines = []
    if cases:
        lines.append("The conformance suite (seqcheck certify) checks it with:")
        lines.extend(
            f"  {c.name} ({c.module})" + (f": {c.doc}" if c.doc else "") for c in cases
        )
    for code in codes:
        if lines:
            lines.append("")
        lines.append(f"seqcheck validate reports a project on disk breaking it as {code}:")
        lines.append(_indent(example_text(code)))
    if not lines:
        lines.append("No automated check proves it yet; the rule above is the contract.")
    return Explanation(
        subject=req_id,
        kind=SubjectKind.REQUIREMENT,
        title=f"{req_id} ({req.level.value}, {scope}; section {req.section}): {req.title}",
        text=rule or req.title,
        why=why,
        example="\n".join(lines),
        related=tuple(codes),
    )


def render_text(e: Explanation) -> str:
    """The explanation as terminal text: title, then titled, indented sections."""
    sections = [("", e.text), ("Why", e.why), ("Example", e.example)]
    if e.fix:
        sections.append(("How to fix", e.fix))
    if e.related:
        sections.append(("See also", "\n".join(f"seqcheck explain {r}" for r in e.related)))
    out = [e.title, ""]
    for heading, body in sections:
        if heading:
            out.append(heading)
            out.append(_indent(body))
        else:
            out.append(body)
        out.append("")
    return "\n".join(out)
