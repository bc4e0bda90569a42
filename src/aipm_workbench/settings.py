"""Where things are and what day it is: the database path and the reference date.

``AIPM_WORKBENCH_TODAY`` (an ISO date) fixes "today" for reproducible reports,
demos and tests; everything that judges "overdue" asks :func:`today`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

DB_ENV = "AIPM_WORKBENCH_DB"
TODAY_ENV = "AIPM_WORKBENCH_TODAY"
LOCK_TIMEOUT_ENV = "AIPM_WORKBENCH_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 5.0
DB_NAME = "workbench.duckdb"


class SettingsError(ValueError):
    pass


def today(given: dt.date | None = None) -> dt.date:
    """The reference date: ``given`` when there is one, else ``$AIPM_WORKBENCH_TODAY``,
    else the system's date. The one place "today" is resolved."""
    if given is not None:
        return given
    raw = os.environ.get(TODAY_ENV)
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise SettingsError(
                f"{TODAY_ENV}={raw!r} is not a date: use the form 2026-03-01 or unset it"
            ) from None
    return dt.date.today()


def lock_timeout() -> float:
    """Seconds to wait for a database another process holds: ``$AIPM_WORKBENCH_LOCK_TIMEOUT``, else 5."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV)
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise SettingsError(
            f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds: use e.g. 5 or 0.5, or unset it"
        )
    return value


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("aipm-workbench", appauthor=False)) / DB_NAME


WORKSPACE_FILE = "aipm.toml"  # marks a team's workspace (``aipm-workbench init``)
WORKSPACE_INDEX = Path(".aipm") / "workbench.duckdb"  # the local index, never committed


def find_workspace(start: str | os.PathLike | None = None) -> Path | None:
    """The folder holding ``aipm.toml``: ``start`` (the current folder) or a parent."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    return None


def workspace_root(option: str | os.PathLike | None) -> Path | None:
    """The workspace in use: none when ``--db`` or ``$AIPM_WORKBENCH_DB`` names a database
    (the caller checks ``--db``), else ``--workspace DIR``, else the one found upward."""
    if os.environ.get(DB_ENV):
        return None
    if option:
        root = Path(option).expanduser()
        if not (root / WORKSPACE_FILE).is_file():
            raise SettingsError(
                f"--workspace {root}: no {WORKSPACE_FILE} there; make one with "
                f"`aipm-workbench init {root}`"
            )
        return root.resolve()
    return find_workspace()


def resolve_db_path(
    option: str | os.PathLike | None, workspace: str | os.PathLike | None = None
) -> Path:
    """``--db``, else ``$AIPM_WORKBENCH_DB``, else the workspace's index, else the user
    data directory."""
    if option:
        return Path(option).expanduser()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    if workspace is not None:
        return Path(workspace) / WORKSPACE_INDEX
    return default_db_path()


def resource_dir(name: str) -> Path:
    """A folder shipped with the package (templates, sample_projects).

    Installed wheels carry it inside the package; an editable install finds it at
    the repository root.
    """
    here = Path(__file__).resolve().parent
    inside = here / name
    if inside.is_dir():
        return inside
    return here.parent.parent / name
