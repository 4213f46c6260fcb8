"""``seqcheck explain``: a thin click layer over :mod:`conformance.explain`."""

from __future__ import annotations

import json
import sys

import click

from conformance import explain as lib
from conformance.exit_codes import ExitCode

_EPILOG = """\b
Examples:
  seqcheck explain SC305             a finding code: meaning, why, example, fix
  seqcheck explain split-brain       the same, by the finding's name
  seqcheck explain SEQ-UPDATE-3      a requirement: the spec's rule, why, how it is tested
  seqcheck explain SC3               list the codes starting with SC3
  seqcheck explain                   list every code and requirement
  seqcheck explain SC105 -f json     as JSON

\b
Exit status: 0 explained, 2 unknown code or requirement."""


def _listing(subjects: list[str]) -> str:
    from conformance.requirements import BY_ID
    from conformance.validate.codes import CODES

    rows = []
    for s in subjects:
        if s in CODES:
            c = CODES[s]
            rows.append(f"{s:<14} {c.name} ({c.severity.value})")
        else:
            r = BY_ID[s]
            rows.append(f"{s:<14} {r.level.value}: {r.title}")
    return "\n".join(rows) + "\n"


@click.command("explain", epilog=_EPILOG)
@click.argument("subject", required=False)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def explain(subject: str | None, fmt: str) -> None:
    """Explain a finding code (SC305) or a requirement id (SEQ-UPDATE-3).

    Prints what it means, why it matters, an example and how to fix it. Without
    SUBJECT, or with a prefix (SC3, SEQ-ID), lists the matching subjects.
    """
    if subject is None:
        _print_listing(lib.subjects(), fmt)
        return
    try:
        found = lib.explain(subject)
    except lib.UnknownSubject as exc:
        prefixed = lib.matching_subjects(subject)
        if prefixed:
            _print_listing(prefixed, fmt)
            return
        hint = f" Did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else ""
        click.echo(
            f"seqcheck explain: expected a finding code (SC101..), a finding name "
            f"(duplicate-key) or a requirement id (SEQ-UPDATE-3), found "
            f"{json.dumps(subject)}.{hint} Run 'seqcheck explain' to list them all.",
            err=True,
        )
        sys.exit(ExitCode.USAGE)
    if fmt == "json":
        click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(lib.render_text(found), nl=False)



def _print_listing(subjects: list[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(subjects, indent=2))
    else:
        click.echo(_listing(subjects), nl=False)
