"""``seqcheck schema``: list, print, bundle and write the shipped JSON Schemas."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import click

from conformance import schema_registry
from conformance.atomic import atomic_write_bytes
from conformance.errors import SeqcheckError, os_failure_hint
from conformance.exit_codes import ExitCode
from conformance.schema_bundle import bundle_bytes

_EPILOG = """\b
Examples:
  seqcheck schema                                 list the schemas
  seqcheck schema sequence                        print sequence.schema.json as shipped
  seqcheck schema sequence --bundle               print it self-contained (works offline)
  seqcheck schema --bundle --output .schemas      write every schema, bundled, to .schemas/
  check-jsonschema --schemafile .schemas/sequence.schema.json sequences/*.json

\b
A bundle inlines every schema it references under $defs and has a urn: $id, so
check-jsonschema, ajv and editors need no network and no --base-uri.
Exit status: 0 done, 2 unknown schema name, 3 the output could not be written."""


def _shipped_bytes(name: str) -> bytes:
    return resources.files("schemas").joinpath(f"{name}.schema.json").read_bytes()


def _listing() -> str:
    names = schema_registry.schema_names()
    width = max(len(n) for n in names)
    rows = []
    for name in names:
        doc = schema_registry.load_schema(name)
        title = str(doc.get("title", "")).strip()
        rows.append(f"{name:<{width}}  {title}")
    return "\n".join(rows) + "\n"


@click.command("schema", epilog=_EPILOG)
@click.argument("name", required=False)
@click.option("--bundle", "bundled", is_flag=True,
              help="Inline every referenced schema under $defs, with a local $id: one "
                   "self-contained file that works offline.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR",
              help="Write NAME (default: every schema) to DIR/<name>.schema.json instead "
                   "of printing.")
def schema(name: str | None, bundled: bool, output: Path | None) -> None:
    """List the shipped JSON Schemas, or print or write one (or all).

    Without NAME and --output, lists the schema names. The persisted formats are
    shot, sequence and project; the others describe seqcheck's own outputs and
    the adapter protocol.
    """
    names = schema_registry.schema_names()
    if name is not None and name.removesuffix(".schema.json") not in names:
        click.echo(
            f"seqcheck schema: expected one of {', '.join(names)}, found "
            f"{json.dumps(name)}. Run 'seqcheck schema' to list them.",
            err=True,
        )
        sys.exit(ExitCode.USAGE)
    chosen = [name.removesuffix(".schema.json")] if name is not None else names
    if output is None and name is None:
        if bundled:
            raise click.UsageError(
                "--bundle needs a schema NAME to print, or --output DIR to write them all."
            )
        click.echo(_listing(), nl=False)
        return

    def content(n: str) -> bytes:
        return bundle_bytes(n) if bundled else _shipped_bytes(n)

    if output is None:
        sys.stdout.buffer.write(content(chosen[0]))
        sys.stdout.buffer.flush()
        return
    try:
        output.mkdir(parents=True, exist_ok=True)
        for n in chosen:
            atomic_write_bytes(output / f"{n}.schema.json", content(n))
    except SeqcheckError as exc:
        click.echo(f"seqcheck schema: {exc.message}", err=True)
        sys.exit(ExitCode.ERROR)
    except OSError as exc:
        click.echo(
            f"seqcheck schema: could not create the folder {json.dumps(str(output))}: "
            f"{os_failure_hint(exc)}.",
            err=True,
        )
        sys.exit(ExitCode.ERROR)
    kind = "bundled schema" if bundled else "schema"
    click.echo(f"Wrote {len(chosen)} {kind}{'s' if len(chosen) != 1 else ''} to {output}.",
               err=True)
