"""The root command group, global options and exit codes shared by every command."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

# Exit codes across the CLI.
EXIT_OK = 0
EXIT_FINDINGS = 1  # --strict and error-level findings
EXIT_INVALID = 2  # invalid input or usage
EXIT_DB = 3  # database unavailable


@dataclass
class Context:
    db_option: str | None

    @property
    def db_path(self) -> Path:
        from ..settings import resolve_db_path

        return resolve_db_path(self.db_option)


def fail(message: str, code: int = EXIT_INVALID) -> None:
    """Print a plain message on stderr and exit; never a traceback."""
    click.echo(f"aipm-workbench: {message}", err=True)
    sys.exit(code)


def today():
    from ..settings import SettingsError
    from ..settings import today as _today

    try:
        return _today()
    except SettingsError as exc:
        fail(str(exc))


class Group(click.Group):
    """The root group; usage errors exit 2 (click's default)."""

    ORDER = ("import", "rank", "show", "history", "diff", "export", "check", "taxonomy", "schema")

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The help lists the daily workflow first, then the file tools, then the rest."""
        order = {name: i for i, name in enumerate(self.ORDER)}
        return sorted(self.commands, key=lambda name: order.get(name, len(order)))


@click.group(cls=Group, invoke_without_command=True)
@click.option(
    "--db",
    "db",
    metavar="PATH",
    envvar=None,
    help="Workbench database file (default: $AIPM_WORKBENCH_DB, else workbench.duckdb "
    "in the user data directory).",
)
@click.version_option(package_name="aipm-workbench", prog_name="aipm-workbench")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """aipm-workbench: decide whether an AI feature ships.

    Without a command, opens the full-screen workbench on the database.
    """
    ctx.obj = Context(db_option=db)
    if ctx.invoked_subcommand is None:
        open_app = main.commands.get("open")
        if open_app is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(open_app)
