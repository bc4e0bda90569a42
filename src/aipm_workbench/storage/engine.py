"""The plumbing under :class:`~aipm_workbench.storage.Store`: the DuckDB engine, attached
files, per-file locks, the check of what a path holds, and error translation.

The files are attached to one in-memory DuckDB engine per process, created on
first use and holding no file of its own: starting a DuckDB instance costs
about 30 ms (its built-in catalog), attaching a file about 1 ms, so a call costs
what its query costs. Each call uses its own cursor on the engine, so threads
never share one. Within one process, calls on the same file are serialised
(:func:`process_lock`), so that a file is never attached twice.

Before DuckDB sees a path, :func:`file_state` checks what it holds: only a
regular file that is a DuckDB file (or empty, or missing) is ever opened; a
folder, FIFO, device or socket is refused untouched, and a symbolic link is
followed to the file it names.
"""

from __future__ import annotations

import itertools
import os
import re
import stat
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from ..domain.formatting import plural
from .errors import DatabaseDamaged, DatabaseLocked, DatabaseTooNew, StoreError

# Bytes 8-11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"

_process_locks: dict[str, threading.RLock] = {}
_process_locks_guard = threading.Lock()


def process_lock(path: Path) -> threading.RLock:
    """The lock that serialises this process's calls on one file (by its real path)."""
    key = os.path.realpath(path)
    with _process_locks_guard:
        lock = _process_locks.get(key)
        if lock is None:
            lock = _process_locks[key] = threading.RLock()
        return lock


_engine = None
_engine_pid: int | None = None
_engine_guard = threading.Lock()
_aliases = itertools.count(1)


def engine_running() -> bool:
    """Whether this process has started its DuckDB engine (and so its threads)."""
    return _engine is not None and _engine_pid == os.getpid()


def _spill_folder() -> str:
    """Where the engine may write blocks it has no memory for: a folder of this process's
    own in the system's temporary folder (DuckDB's default is ``.tmp`` in the working
    folder, which is the user's)."""
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"aipm-workbench-{os.getpid()}.tmp")


def engine_cursor():
    """A new cursor on this process's in-memory engine (a fresh engine after a fork)."""
    global _engine, _engine_pid
    import duckdb

    with _engine_guard:
        if not engine_running():
            _engine = duckdb.connect(":memory:", config={"temp_directory": _spill_folder()})
            _engine_pid = os.getpid()
        return _engine.cursor()


class Attached:
    """One database file attached to the engine, on a cursor of its own.

    ``execute`` runs on the file (it is the cursor's default database);
    ``close`` detaches the file, which checkpoints it and releases its lock.
    """

    def __init__(self, cursor, alias: str):
        self._cursor = cursor
        self._alias = alias
        self._open = True

    def execute(self, query: str, parameters=None):
        if parameters is None:
            return self._cursor.execute(query)
        return self._cursor.execute(query, parameters)

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            self._cursor.execute("USE memory")
            try:
                self._cursor.execute(f"DETACH {self._alias}")
            except Exception as first:
                rollback(self)  # a transaction left open keeps the file attached
                try:
                    self._cursor.execute(f"DETACH {self._alias}")
                except Exception:
                    raise first from None  # (the second says only "database not found")
        finally:
            self._cursor.close()


def connect(path: str, read_only: bool) -> Attached:
    """Attach a database file to this process's engine."""
    cursor = engine_cursor()
    alias = f"workbench_{next(_aliases)}"
    literal = "'" + path.replace("'", "''") + "'"
    try:
        cursor.execute(f"ATTACH {literal} AS {alias}" + (" (READ_ONLY)" if read_only else ""))
        cursor.execute(f"USE {alias}")
    except BaseException:
        cursor.close()
        raise
    return Attached(cursor, alias)


def rollback(con) -> None:
    # When the failure took the transaction with it, closing the connection discards it.
    with suppress(Exception):
        con.execute("ROLLBACK")


def warn(message: str) -> None:
    """Tell the person something went wrong that did not stop the call: to each
    handler in :data:`warning_handlers`, else on stderr."""
    if warning_handlers:
        for handler in list(warning_handlers):
            handler(message)
        return
    import sys

    print(f"aipm-workbench: warning: {message}", file=sys.stderr)


# Callables given each warning (the full-screen app shows them); stderr when empty.
warning_handlers: list[Callable[[str], None]] = []


def first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


# ------------------------------------------------------------- the file


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"  # pragma: no cover - every kind is named above


def file_state(path: Path) -> str:
    """'missing', 'empty' or 'duckdb' for what ``path`` (followed through symbolic
    links) holds; DatabaseDamaged for anything else, which is never modified."""
    p = path
    try:
        st = p.stat()
    except FileNotFoundError:
        return "missing"  # (a dangling link: the database is created where it points)
    except OSError as exc:
        raise StoreError(f"cannot read {p}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise DatabaseDamaged(
            f"{p} is a folder, not a database file (not a workbench database); it was left "
            "untouched: give a file path"
        )
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseDamaged(
            f"{p} is not a workbench database: {_kind(st.st_mode)} at the path; it was left "
            "untouched: give the path of a database file"
        )
    if st.st_size == 0:
        return "empty"
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except PermissionError:
        raise StoreError(
            f"cannot read {p}: permission denied; check the file's permissions"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot read {p}: {exc.strerror or exc}") from None
    if len(head) < 12 or head[8:12] != DUCKDB_MAGIC:
        raise DatabaseDamaged(
            f"{p} is not a workbench database (it is not a DuckDB file); it was left "
            "untouched: check the --db path, or move the file away"
        )
    return "duckdb"


def real_path(path: Path) -> Path:
    """The file ``path`` names, through any symbolic links (absolute)."""
    return Path(os.path.realpath(path))


def remove_empty(path: Path) -> None:
    """Remove the empty regular file ``path`` names (DuckDB refuses an empty file; it
    holds nothing), so that a new database is created at the same place. Anything
    but an empty regular file is left alone."""
    target = real_path(path)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise DatabaseDamaged(
            f"{path} is not a workbench database: {_kind(st.st_mode)} at the path; it was "
            "left untouched: give the path of a database file"
        )
    if st.st_size == 0:
        target.unlink()


# ------------------------------------------------------------- errors


def locked_error(path: Path, message: str, timeout: float) -> DatabaseLocked:
    """DuckDB's lock conflict as a sentence naming the program that holds the file."""
    match = re.search(r"PID (\d+)", message)
    holder = None
    if match:
        pid = int(match.group(1))
        name = process_name(pid)
        if name is None:
            exe = re.search(r"held in (\S+) \(PID", message)
            name = os.path.basename(exe.group(1)) if exe else "a process"
        holder = f"{name} (PID {pid})"
        command = process_command(pid)
        running = f", running `{command}`," if command else ""
        who = f"by {holder}{running}"
    else:
        who = "by another program"
    waited = plural(float(timeout), "second")
    return DatabaseLocked(
        f"the database {path} is in use {who} and stayed locked for {waited}: "
        "close that program or wait for it to finish, then try again",
        holder,
    )


def translate(path: Path, exc: Exception) -> StoreError:
    """A DuckDB error as a store error whose message says what to do."""
    message = str(exc)
    p = path
    low = message.lower()
    if "not a valid duckdb database" in low:
        return DatabaseDamaged(
            f"{p} is not a workbench database (DuckDB cannot read it); it was left "
            "untouched: check the --db path, or move the file away"
        )
    if "newer version" in low or ("version number" in low and "trying to read" in low):
        return DatabaseTooNew(
            f"{p} was written by a newer version of DuckDB than this aipm-workbench "
            "uses; it was left untouched: upgrade aipm-workbench to open it"
        )
    if any(
        word in low for word in ("corrupt", "checksum", "serializ", "could not read enough bytes")
    ):
        return DatabaseDamaged(
            f"{p} is damaged and cannot be read ({first_line(message)}); it was left "
            "untouched: restore it from a backup, or re-import your exported assessments "
            "into a new database"
        )
    if "permission denied" in low:
        return StoreError(f"cannot open {p}: permission denied; check the file's permissions")
    if "read-only file system" in low or "no space left" in low:
        return StoreError(f"cannot write {p}: {first_line(message)}")
    return StoreError(f"cannot use the database {p}: {first_line(message)}")


# ------------------------------------------------------------- processes


def process_name(pid: int) -> str | None:
    """The name of a running process, from /proc or psutil; None when unknown."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
            name = f.read().strip()
        if name:
            return name
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).name()
    except Exception:
        return None


def process_command(pid: int) -> str | None:
    """The command line of a running process, shortened; None when unknown."""
    args: list[str] = []
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        try:
            import psutil

            args = psutil.Process(pid).cmdline()
        except Exception:
            return None
    if not args:
        return None
    text = " ".join(" ".join([os.path.basename(args[0]), *args[1:]]).split())
    return text if len(text) <= 80 else text[:77] + "..."
