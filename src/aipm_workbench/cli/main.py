"""The root command group, global options and exit codes shared by every command.

Whatever a command raises that a person can act on ends here as a message and an
exit code, never a traceback: invalid input (a file, a path, a setting) exits 2,
a database that cannot be used exits 3.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ..settings import today  # noqa: F401  (the one "today" every command asks)

# Exit codes across the CLI.
EXIT_OK = 0
EXIT_FINDINGS = 1  # --strict and error-level findings
EXIT_INVALID = 2  # invalid input or usage
EXIT_DB = 3  # database unavailable

# The commands that use the database: each also takes --db after its name.
DB_COMMANDS = frozenset(
    {
        "import",
        "rank",
        "show",
        "history",
        "diff",
        "export",
        "decide",
        "observe",
        "observations",
        "due",
        "drill",
        "sync",
    }
)
DB_HELP = (
    "Workbench database file (default: $AIPM_WORKBENCH_DB, else the workspace's "
    "index, else workbench.duckdb in the user data directory)."
)
WORKSPACE_HELP = (
    "A team's workspace (a folder with aipm.toml; default: the current folder or a "
    "parent that has one). Its files are synced into its local index first."
)


# Each command and the module that registers it (imported when the command is used).
COMMAND_MODULES = {
    "open": "app",
    "check": "check",
    "schema": "check",
    "taxonomy": "check",
    "drill": "drill",
    "export": "export",
    "incidents": "incidents",
    "decide": "living",
    "due": "living",
    "observations": "living",
    "observe": "living",
    "demo": "portfolio",
    "diff": "portfolio",
    "history": "portfolio",
    "import": "portfolio",
    "rank": "portfolio",
    "show": "portfolio",
    "init": "workspace",
    "sync": "workspace",
}


@dataclass
class Context:
    db_option: str | None
    workspace_option: str | None = None
    synced: bool = False

    @property
    def workspace(self) -> Path | None:
        """The workspace in use; None when --db or $AIPM_WORKBENCH_DB names a database."""
        from ..settings import workspace_root

        if self.db_option:
            return None
        return workspace_root(self.workspace_option)

    @property
    def db_path(self) -> Path:
        """The database; in a workspace, its index, synced with the files once per command."""
        from ..settings import resolve_db_path

        workspace = self.workspace
        path = resolve_db_path(self.db_option, workspace)
        if workspace is not None and not self.synced:
            self.synced = True
            report = sync_workspace(workspace, path)
            for line in report.problems:
                click.echo(f"aipm-workbench: warning: {line}", err=True)
        return path


def sync_workspace(workspace: Path, path: Path):
    """Sync a workspace's files into its index at ``path`` (a SyncReport)."""
    from ..domain.formatting import safe_text
    from ..services.workspace import sync
    from ..settings import lock_timeout
    from ..storage import Store

    report = sync(workspace, Store(path, lock_timeout=lock_timeout()))
    report.problems = [safe_text(p) for p in report.problems]
    return report


def fail(message: str, code: int = EXIT_INVALID) -> None:
    """Print a plain message on stderr and exit; never a traceback."""
    click.echo(f"aipm-workbench: {message}", err=True)
    sys.exit(code)


def _db_after_command(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``COMMAND --db PATH``: the same as ``--db PATH COMMAND``; both is a usage error."""
    if value is None:
        return
    obj = ctx.find_object(Context)
    if obj is None:  # the command invoked on its own (outside the group)
        ctx.obj = Context(db_option=value)
        return
    if obj.db_option is not None:
        raise click.UsageError(
            f"--db is given twice ({obj.db_option!r} before the command, {value!r} after "
            "it): give it once",
            ctx,
        )
    obj.db_option = value


class Group(click.Group):
    """The root group; usage errors exit 2 (click's default)."""

    ORDER = (
        "import", "rank", "show", "history", "diff", "decide", "observe", "observations", "due",
        "export", "check", "taxonomy", "schema",
    )  # fmt: skip

    def get_command(self, ctx: click.Context | None, name: str) -> click.Command | None:
        """A command, its module imported on first use: starting one command (or the
        full-screen app) loads no other command's code."""
        if name not in self.commands and name in COMMAND_MODULES:
            import importlib

            importlib.import_module(f"{__package__}.{COMMAND_MODULES[name]}")
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The help lists the daily workflow first, then the file tools, then the rest."""
        for name in COMMAND_MODULES:
            self.get_command(ctx, name)
        order = {name: i for i, name in enumerate(self.ORDER)}
        return sorted(self.commands, key=lambda name: order.get(name, len(order)))

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Register a command; one that uses the database also accepts ``--db`` after its
        name (unless it has a ``--db`` of its own)."""
        name = name or cmd.name
        if name in DB_COMMANDS and not any("--db" in p.opts for p in cmd.params):
            cmd.params.append(
                click.Option(
                    ["--db"],
                    metavar="PATH",
                    expose_value=False,
                    callback=_db_after_command,
                    help=DB_HELP,
                )
            )
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        """Run the command; an error a person can act on becomes its message and exit code."""
        from ..domain.errors import InvalidInput
        from ..settings import SettingsError
        from ..storage.errors import StoreError

        try:
            return super().invoke(ctx)
        except InvalidInput as exc:
            for line in exc.lines()[:-1]:
                click.echo(line, err=True)
            fail(exc.lines()[-1])
        except SettingsError as exc:
            fail(str(exc))
        except StoreError as exc:
            fail(str(exc), EXIT_DB)


@click.group(cls=Group, invoke_without_command=True)
@click.option("--db", "db", metavar="PATH", envvar=None, help=DB_HELP)
@click.option("--workspace", "workspace", metavar="DIR", help=WORKSPACE_HELP)
@click.version_option(package_name="aipm-workbench", prog_name="aipm-workbench")
@click.pass_context
def main(ctx: click.Context, db: str | None, workspace: str | None) -> None:
    """aipm-workbench: decide whether an AI feature ships.

    Without a command, opens the full-screen workbench on the database.
    """
    ctx.obj = Context(db_option=db, workspace_option=workspace)
    if ctx.invoked_subcommand is None:
        open_app = main.get_command(ctx, "open")
        if open_app is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(open_app)
