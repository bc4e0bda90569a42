"""``open``: the full-screen workbench, also what ``aipm-workbench`` alone runs."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .main import EXIT_INVALID, Context, fail, main, today

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..ui.app import WorkbenchApp


def make_app(
    db_path: str | os.PathLike,
    today: dt.date | None = None,
    *,
    lock_timeout: float | None = None,
    prefetch: bool = False,
    start: Callable[[], Any] | None = None,
    workspace: Path | None = None,
) -> WorkbenchApp:
    """The one way to build the app (the command and the tests use it).

    Nothing is opened here: the portfolio screen reads the database in a worker.
    With ``prefetch``, the portfolio's first page is queried in a thread while
    Textual loads, and is in the first frame when it is ready by then. ``lock_timeout`` is how
    long a call waits for another program's lock (the store's default,
    ``$AIPM_WORKBENCH_LOCK_TIMEOUT``, when None). ``start`` makes the screen
    opened over the portfolio when the app starts (``drill`` uses it). In a
    ``workspace``, saves write the feature's file first.
    """
    from ..storage import Store

    store = Store(Path(db_path), lock_timeout=lock_timeout)
    if prefetch:
        from ..ui.paging import PAGE_SIZE

        store.prefetch_rank(limit=PAGE_SIZE, today=today)
    from ..ui.app import WorkbenchApp

    return WorkbenchApp(store, today=today, start=start, workspace=workspace)


@main.command("open", hidden=True)
@click.option("--db", "db", metavar="PATH", hidden=True, help="Database file (as for the group).")
@click.pass_context
def open_app(ctx: click.Context, db: str | None = None) -> None:
    """Open the full-screen workbench on the database."""
    obj = ctx.find_object(Context)
    workspace = None
    if db is not None:
        db_path = Path(db).expanduser()
    elif obj is not None:
        db_path = obj.db_path
        workspace = obj.workspace
    else:
        from ..settings import resolve_db_path

        db_path = resolve_db_path(None)
    run_app(
        db_path,
        "the full-screen workbench needs a terminal; run it in one, or use a command "
        "(see `aipm-workbench --help`)",
        prefetch=True,
        workspace=workspace,
    )


def run_app(db_path: Path, no_terminal: str, **how: Any) -> None:
    """Run the full-screen app on ``db_path`` (``how``: ``make_app``'s options); exit 2
    with ``no_terminal`` when there is no terminal, and with the app's code when it has one."""
    today()  # a malformed AIPM_WORKBENCH_TODAY fails here, with a message
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail(no_terminal, EXIT_INVALID)
    app = make_app(db_path, **how)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)
