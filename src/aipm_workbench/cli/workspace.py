"""A team's workspace: ``init`` makes one, ``sync`` brings its index in step with its files."""

from __future__ import annotations

from pathlib import Path

import click

from ..domain.formatting import safe_text
from .main import EXIT_INVALID, Context, fail, main


@main.command()
@click.argument("folder", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--name", metavar="TEXT", help="The workspace's name (default: the folder's).")
def init(folder: Path, name: str | None) -> None:
    """Make FOLDER (default: here) a team's workspace: aipm.toml, assessments/,
    observations/ and a .gitignore entry for the local index (.aipm/)."""
    from ..services.workspace import WorkspaceError
    from ..services.workspace import init as make

    try:
        made = make(folder, name)
    except (WorkspaceError, OSError) as exc:
        fail(safe_text(str(exc)))
    for path in made:
        click.echo(f"created {safe_text(str(path))}")
    click.echo(
        f"{safe_text(str(folder))} is a workspace: put assessment files in assessments/ "
        "and commit them; every command run inside it syncs them first"
    )


@main.command()
@click.pass_context
def sync(ctx: click.Context) -> None:
    """Bring the workspace's local index in step with its files; exit 2 if any file
    is bad (each is named) or two files hold one feature id."""
    from .main import sync_workspace

    obj = ctx.find_object(Context)
    workspace = obj.workspace if obj else None
    if workspace is None:
        fail(
            "not in a workspace: run it inside a folder made by `aipm-workbench init` "
            "(or give --workspace DIR)"
        )
    obj.synced = True
    report = sync_workspace(workspace, obj.db_path)
    for line in report.problems:
        click.echo(line, err=True)
    click.echo(report.line())
    if not report.ok:
        raise SystemExit(EXIT_INVALID)
