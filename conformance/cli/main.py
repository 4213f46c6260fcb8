"""The ``seqcheck`` click group.

Subcommands are registered by import path in :data:`COMMANDS` and imported only when
used, so ``seqcheck --help`` stays fast (it lists the one-line summaries kept here,
whole, instead of importing every command to cut its docstring at 45 characters) and
one command's heavy imports never slow another. Each subcommand module is a thin layer
over a library function.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

from conformance import __version__
from conformance.exit_codes import ExitCode

#: name -> "module:attribute" of a click command.
COMMANDS: dict[str, str] = {
    "certify": "conformance.cli.certify_cmd:certify",
    "explain": "conformance.cli.explain_cmd:explain",
    "migrate": "conformance.cli.migrate_cmd:migrate",
    "schema": "conformance.cli.schema_cmd:schema",
    "validate": "conformance.cli.validate_cmd:validate",
}

#: name -> the one-line summary ``seqcheck --help`` lists (a whole sentence).
SUMMARIES: dict[str, str] = {
    "certify": "Certify an implementation against the conformance suite.",
    "explain": "Explain a finding code (SC305) or a requirement (SEQ-UPDATE-3).",
    "migrate": "Move legacy project.json shots into sequence files, safely.",
    "schema": "List, print or bundle the JSON Schemas, for editors and CI.",
    "validate": "Check projects against the spec; report findings with locations.",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = click.utils.make_str(args[0])
        if name not in COMMANDS and not name.startswith("-"):
            import difflib  # only for a mistyped command: not on every start-up

            close = difflib.get_close_matches(name, list(COMMANDS), n=1)
            hint = f" Did you mean 'seqcheck {close[0]}'?" if close else ""
            ctx.fail(
                f"expected a command ({', '.join(sorted(COMMANDS))}), found "
                f"{json.dumps(name)}.{hint}"
            )
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUMMARIES[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("seqcheck: interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except Exception as exc:  # a bug in seqcheck: say so, briefly, and exit 3
            import traceback  # only for an internal error

            tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-4:])
            click.echo(
                f"seqcheck: internal error: {type(exc).__name__}: {exc}\n{tail}"
                f"This is a bug in seqcheck {__version__}; please report it to the seqcheck "
                "maintainers with the command you ran and this output.",
                err=True,
            )
            sys.exit(ExitCode.ERROR)


_EPILOG = """\b
Examples:
  seqcheck validate examples/demo-project   check one project
  seqcheck validate -r ~/StoryCoreProjects  every project under a folder
  seqcheck explain SC305                    what a finding means, how to fix it
  seqcheck schema sequence --bundle         a schema that works offline
  seqcheck migrate examples/legacy-project --dry-run
  seqcheck certify --reference

\b
Run 'seqcheck COMMAND --help' for a command's options and examples."""


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_EPILOG,
)
@click.version_option(__version__, prog_name="seqcheck")
def cli() -> None:
    """Validate, migrate and certify StoryCore sequence files."""
