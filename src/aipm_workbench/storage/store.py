"""``Store``: the workbench database, one DuckDB file (docs/ARCHITECTURE.md, "Storage contract").

A store holds no database file open while idle. Every call attaches the file,
does its work in one transaction and detaches it, so that the full-screen app
and a command can share the file: DuckDB lets only one process open a file for
writing, and a second one waits (up to ``lock_timeout`` seconds) for the first
to finish. Reads attach the file read-only, so they never modify it; a file of
an older schema is attached once for writing to migrate it.

The engine, the attached files, the per-file locks, the check of what a path
holds and the translation of DuckDB's errors live in :mod:`.engine`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import settings as _settings
from ..domain.vocab import NO_TIER, UNDECIDED
from . import sql as _sql
from .engine import connect as _connect
from .engine import (  # noqa: F401  (engine_running, process_*: used through this module)
    engine_cursor,
    engine_running,
    file_state,
    first_line,
    locked_error,
    process_command,
    process_lock,
    process_name,
    real_path,
    remove_empty,
    rollback,
    translate,
    warn,
)
from .errors import DatabaseDamaged, DatabaseLocked, DatabaseTooNew, StoreError
from .schema import CREATE, MIGRATIONS, SCHEMA_VERSION
from .types import Draft, ImportReport, PortfolioRow, RevisionInfo, StoredRevision

if TYPE_CHECKING:
    from ..domain import Assessment
    from ..domain.drill import DrillResult
    from ..domain.living import DueItem, LiveDecision, Observation
    from ..domain.living import Revision as LivingRevision
    from . import rows as _rows_module


def _rows():
    """The row builders, which score assessments with the domain (pydantic and the
    models): loaded on the first write, so that reading the portfolio starts fast."""
    from . import rows

    return rows


APPLICATION = "aipm-workbench"
# Rows per INSERT statement when writing in bulk (bounds the size of one statement).
BATCH = 2000
# Imports of at least this many assessments are written with DuckDB's memory bounded.
BOUNDED_FROM = 1000
WRITE_MEMORY = "96MB"

_RANK_DEFAULTS: dict[str, Any] = dict(
    by="residual",
    stage=None,
    verdict=None,
    tier=None,
    search=None,
    state=None,
    include_removed=False,
    sort=None,
    descending=False,
    limit=None,
    offset=0,
)


def _live():
    from . import live

    return live


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a draft")


class Store:
    """The workbench database at ``path``. Opens nothing until a method is called."""

    def __init__(self, path: str | os.PathLike, lock_timeout: float | None = None):
        self.path = Path(path)
        if lock_timeout is None:
            from ..settings import SettingsError
            from ..settings import lock_timeout as _setting

            try:
                lock_timeout = _setting()
            except SettingsError as exc:
                raise StoreError(str(exc)) from None
        self.lock_timeout = float(lock_timeout)
        # A rank query started ahead of time (prefetch_rank): (arguments, future)
        self._prefetched: tuple[dict[str, Any], Future] | None = None
        self._prefetch_guard = threading.Lock()
        # The revisions :meth:`latest_assessments` parsed last, by (feature, number): a
        # revision never changes, so recording observations next reuses them.
        self._parsed: dict[tuple[str, int], Assessment] = {}

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ------------------------------------------------------------ sessions

    def _file_state(self) -> str:
        """'missing', 'empty' or 'duckdb'; DatabaseDamaged for anything else."""
        return file_state(self.path)

    def _open(self, read_only: bool):
        """Attach the file, retrying a busy lock for up to ``lock_timeout`` seconds."""
        import duckdb

        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                return _connect(str(real_path(self.path)), read_only)
            except duckdb.Error as exc:
                message = str(exc)
                if "Could not set lock" not in message:
                    raise self._translate(exc) from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._locked(message) from None
                time.sleep(min(delay, left))
                delay = min(delay * 2, 0.25)

    def _locked(self, message: str) -> DatabaseLocked:
        return locked_error(self.path, message, self.lock_timeout)

    def _translate(self, exc: Exception) -> StoreError:
        return translate(self.path, exc)

    @contextmanager
    def _session(self, write: bool) -> Iterator[Any]:
        """A connection to a current-schema database, or None for a read of no database.

        Writes run in one transaction: committed when the block ends, rolled back
        (nothing written) when it raises.
        """
        import duckdb

        with process_lock(self.path):
            state = self._file_state()
            if state != "duckdb" and not write:
                yield None
                return
            if state == "empty":
                remove_empty(self.path)
            elif state == "missing":
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(
                        f"cannot create the folder {self.path.parent}: {exc.strerror or exc}"
                    ) from None
            con = self._open(read_only=not write)
            committed = False
            try:
                version = self._version(con)
                if version is not None and version > SCHEMA_VERSION:
                    raise DatabaseTooNew(
                        f"{self.path} was written by a newer aipm-workbench (schema version "
                        f"{version}; this one knows up to {SCHEMA_VERSION}); it was left "
                        "untouched: upgrade aipm-workbench to open it"
                    )
                if not write and version is None:
                    yield None  # an empty DuckDB database: nothing stored yet
                    return
                if not write and version < SCHEMA_VERSION:
                    con.close()
                    con = self._open(read_only=False)
                    version = self._version(con)
                    assert version is not None
                if version is None or version < SCHEMA_VERSION:
                    self._upgrade(con, version)
                if write:
                    con.execute("BEGIN TRANSACTION")
                    try:
                        yield con
                    except BaseException:
                        rollback(con)
                        raise
                    con.execute("COMMIT")
                    committed = True
                else:
                    yield con
            except duckdb.Error as exc:
                raise self._translate(exc) from None
            finally:
                self._close(con, committed)

    def _close(self, con, committed: bool) -> None:
        """Detach the file. When a write was committed and only closing it fails (a full
        disk refusing the checkpoint, say), the data is written: the caller is told it
        was, with a warning about the close, instead of an error."""
        import duckdb

        try:
            con.close()
        except duckdb.Error as exc:
            if not committed:
                raise self._translate(exc) from None
            warn(
                f"the changes were saved to {self.path}, but closing the database failed "
                f"({first_line(str(exc))}): they are kept in its write-ahead log "
                f"({self.path.name}.wal) and applied the next time it is opened; free some "
                "disk space before the next write"
            )

    def _version(self, con) -> int | None:
        """The schema version, None for an empty database; refuses other programs' files."""
        import duckdb

        try:
            meta = dict(
                con.execute(
                    "SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')"
                ).fetchall()
            )
        except duckdb.CatalogException:
            meta = None  # no meta table (or no table at all)
        except duckdb.BinderException:
            meta = {}  # a meta table of some other shape: another program's
        if meta is None:
            objects = con.execute(
                "SELECT (SELECT count(*) FROM duckdb_tables() "
                "        WHERE database_name = current_database()) "
                "     + (SELECT count(*) FROM duckdb_views() "
                "        WHERE database_name = current_database() AND NOT internal)"
            ).fetchone()[0]
            if objects == 0:
                return None
            meta = {}
        if meta.get("application") != APPLICATION or "schema_version" not in meta:
            raise DatabaseDamaged(
                f"{self.path} is a DuckDB database of another program, not a workbench "
                "database; it was left untouched: choose another --db path"
            )
        try:
            return int(meta["schema_version"])
        except ValueError:
            raise DatabaseDamaged(
                f"{self.path} has an unreadable schema version "
                f"({meta['schema_version']!r}); it was left untouched"
            ) from None

    def _upgrade(self, con, version: int | None) -> None:
        """Create the schema in an empty database, or migrate an older one; one transaction."""
        con.execute("BEGIN TRANSACTION")
        try:
            if version is None:
                for statement in CREATE:
                    con.execute(statement)
                now = _utcnow().isoformat(timespec="seconds")
                con.execute(
                    "INSERT INTO meta VALUES ('application', ?), ('schema_version', ?), "
                    "('created_at', ?)",
                    [APPLICATION, str(SCHEMA_VERSION), now],
                )
            else:
                for v in range(version, SCHEMA_VERSION):
                    MIGRATIONS[v](con)
                con.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                    [str(SCHEMA_VERSION)],
                )
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    [f"migrated_from_{version}_at", _utcnow().isoformat(timespec="seconds")],
                )
        except BaseException:
            rollback(con)
            raise
        con.execute("COMMIT")

    def schema_version(self) -> int | None:
        """The file's schema version after opening it (None when there is no database yet)."""
        with self._session(write=False) as con:
            if con is None:
                return None
            return int(
                con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
            )

    def meta(self) -> dict[str, str]:
        with self._session(write=False) as con:
            if con is None:
                return {}
            return dict(con.execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, key: str, value: str) -> None:
        with self._session(write=True) as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    # -------------------------------------------------------------- writing

    def save(
        self,
        assessment: Assessment,
        *,
        note: str | None = None,
        file: tuple[str, int, int, str] | None = None,
    ) -> RevisionInfo:
        """A new revision; none when it equals the latest (``created=False``). Discards the draft.

        ``file`` is the workspace file just written with it (path, size, mtime_ns,
        sha256): noted in the same transaction, so that the next sync finds it unchanged.
        """
        prepared = _rows().prepare(assessment)
        fid = prepared.feature_id
        with self._session(write=True) as con:
            current = self._latest_numbers(con, [fid]).get(fid)
            con.execute("DELETE FROM drafts WHERE feature_id = ?", [fid])
            if file is not None:
                con.execute(
                    "INSERT OR REPLACE INTO workspace_files VALUES (?, ?, ?, ?, ?)", [*file, fid]
                )
                con.execute("DELETE FROM removed_features WHERE feature_id = ?", [fid])
            if current is not None and current[1] == prepared.content_hash:
                number = current[0]
                created = False
            else:
                number = (current[0] if current else 0) + 1
                created = True
                self._write(con, [(prepared, number)], {fid} if current else set(), note)
                _live().refresh(con, [fid], {(fid, number): assessment})
            previous = None
            if number > 1:
                row = con.execute(
                    "SELECT body FROM revisions WHERE feature_id = ? AND number = ?",
                    [fid, number - 1],
                ).fetchone()
                previous = _load(row[0], fid, number - 1)
            saved_at, saved_note = con.execute(
                "SELECT saved_at, note FROM revisions WHERE feature_id = ? AND number = ?",
                [fid, number],
            ).fetchone()
        changes = _changes(previous, assessment, number)
        d = assessment.decision
        return RevisionInfo(
            feature_id=fid,
            number=number,
            saved_at=_aware(saved_at),
            content_hash=prepared.content_hash,
            verdict=d.verdict.value if d else None,
            recommended=prepared.values["recommended"],
            decided_on=d.decided_on if d else None,
            changes=changes,
            created=created,
            note=saved_note,
        )

    def import_assessments(
        self,
        items: Sequence[tuple[str, Assessment]],
        *,
        dry_run: bool = False,
        note: str | None = None,
    ) -> ImportReport:
        """Save many assessments in one transaction: all of them or, on any error, none.

        An assessment equal to its feature's latest revision creates nothing. A
        feature that occurs twice gets its revisions in the order given.
        """
        prepared = [_rows().prepare(a) for _, a in items]
        return self.import_prepared(prepared, dry_run=dry_run, note=note)

    def import_prepared(
        self,
        prepared: Sequence[_rows_module.Prepared],
        *,
        dry_run: bool = False,
        note: str | None = None,
    ) -> ImportReport:
        """``import_assessments`` for assessments already turned into rows (``rows.prepare``)."""
        ids = list(dict.fromkeys(p.feature_id for p in prepared))
        bounded = not dry_run and len(prepared) >= BOUNDED_FROM
        with self._bounded_memory(bounded), self._session(write=not dry_run) as con:
            current = self._latest_numbers(con, ids) if con is not None else {}
            state = dict(current)
            created: list[tuple[str, int]] = []
            unchanged: list[str] = []
            to_write: list[tuple[_rows_module.Prepared, int]] = []
            for p in prepared:
                now = state.get(p.feature_id)
                if now is not None and now[1] == p.content_hash:
                    unchanged.append(p.feature_id)
                    continue
                number = (now[0] if now else 0) + 1
                state[p.feature_id] = (number, p.content_hash)
                created.append((p.feature_id, number))
                to_write.append((p, number))
            if not dry_run and to_write:
                self._write(con, to_write, set(current), note)
                _live().refresh(con, [p.feature_id for p, _ in to_write])
        return ImportReport(created=created, unchanged=unchanged, dry_run=dry_run)

    @contextmanager
    def _bounded_memory(self, bounded: bool) -> Iterator[None]:
        """While a large import is written, DuckDB keeps at most ``WRITE_MEMORY`` of it in
        memory (beyond that, it writes blocks to its temporary folder), so that
        the import's peak memory does not grow with its size. The engine's default is
        restored afterwards."""
        if not bounded:
            yield
            return
        cursor = engine_cursor()
        try:
            cursor.execute(f"SET memory_limit = '{WRITE_MEMORY}'")
            try:
                yield
            finally:
                cursor.execute("RESET memory_limit")  # (nothing else sets it)
        finally:
            cursor.close()

    @staticmethod
    def _latest_numbers(con, ids: list[str]) -> dict[str, tuple[int, str]]:
        """Feature id -> (latest revision number, its content hash), for the ids that exist."""
        if not ids:
            return {}
        out = {}
        for i in range(0, len(ids), 50_000):
            chunk = ids[i : i + 50_000]
            for fid, number, digest in con.execute(
                """
                SELECT r.feature_id, r.number, r.content_hash
                FROM latest r
                WHERE r.feature_id IN (SELECT unnest($ids))
                """,
                {"ids": chunk},
            ).fetchall():
                out[fid] = (number, digest)
        return out

    def _write(
        self,
        con,
        items: list[tuple[_rows_module.Prepared, int]],
        existing: set[str],
        note: str | None,
    ) -> None:
        """Insert revisions and their harms in bulk and move each feature's latest pointer."""
        saved_at = _utcnow()
        latest: dict[str, int] = {}
        for p, number in items:
            latest[p.feature_id] = number
        new_features = [fid for fid in latest if fid not in existing]
        old_features = [fid for fid in latest if fid in existing]
        _insert_columns(
            con,
            "features",
            {
                "id": new_features,
                "created_at": [saved_at] * len(new_features),
                "latest": [latest[f] for f in new_features],
            },
        )
        if old_features:
            con.execute(
                """
                UPDATE features SET latest = u.latest
                FROM (SELECT unnest($ids) AS id, unnest($numbers) AS latest) u
                WHERE features.id = u.id
                """,
                {"ids": old_features, "numbers": [latest[f] for f in old_features]},
            )
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            columns: dict[str, list] = {
                "feature_id": [p.feature_id for p, _ in chunk],
                "number": [n for _, n in chunk],
                "saved_at": [saved_at] * len(chunk),
                "note": [note] * len(chunk),
                "content_hash": [p.content_hash for p, _ in chunk],
                "body": [p.body for p, _ in chunk],
            }
            for i, key in enumerate(_rows().REVISION_COLUMNS):
                columns[key] = [p.row[i] for p, _ in chunk]
            _insert_columns(con, "revisions", columns)
            harms = [(p.feature_id, number, *h) for p, number in chunk for h in p.harms]
            names = ("feature_id", "revision", *_rows().HARM_COLUMNS)
            by_column = zip(*harms, strict=True) if harms else ([] for _ in names)
            _insert_columns(con, "harms", dict(zip(names, map(list, by_column), strict=True)))

    # --------------------------------------------------------------- drafts

    def save_draft(self, feature_id: str, data: dict, step: str) -> None:
        """Keep the one in-progress draft of a feature (replacing the previous one)."""
        text = json.dumps(data, ensure_ascii=False, default=_json_default)
        with self._session(write=True) as con:
            con.execute(
                "INSERT OR REPLACE INTO drafts VALUES (?, ?, ?, ?)",
                [feature_id, text, step, _utcnow()],
            )

    def drafts(self) -> list[Draft]:
        with self._session(write=False) as con:
            if con is None:
                return []
            rows = con.execute(
                "SELECT feature_id, data, step, updated_at FROM drafts ORDER BY feature_id"
            ).fetchall()
        return [Draft(fid, json.loads(data), step, _aware(at)) for fid, data, step, at in rows]

    def draft(self, feature_id: str) -> Draft | None:
        with self._session(write=False) as con:
            if con is None:
                return None
            row = con.execute(
                "SELECT feature_id, data, step, updated_at FROM drafts WHERE feature_id = ?",
                [feature_id],
            ).fetchone()
        if row is None:
            return None
        return Draft(row[0], json.loads(row[1]), row[2], _aware(row[3]))

    def discard_draft(self, feature_id: str) -> None:
        if self._file_state() != "duckdb":
            return
        with self._session(write=True) as con:
            con.execute("DELETE FROM drafts WHERE feature_id = ?", [feature_id])

    # -------------------------------------------------------------- reading

    def feature_ids(self) -> list[str]:
        with self._session(write=False) as con:
            if con is None:
                return []
            return [r[0] for r in con.execute("SELECT id FROM features ORDER BY id").fetchall()]

    def latest(self, feature_id: str) -> StoredRevision | None:
        return self.revision(feature_id, None)

    def revision(self, feature_id: str, number: int | None) -> StoredRevision | None:
        """Revision ``number`` of a feature (its latest when ``number`` is None)."""
        with self._session(write=False) as con:
            if con is None:
                return None
            if number is None:
                row = con.execute(
                    "SELECT latest FROM features WHERE id = ?", [feature_id]
                ).fetchone()
                if row is None:
                    return None
                number = row[0]
            rows = con.execute(
                f"""
                SELECT {_INFO_COLUMNS}, body FROM revisions
                WHERE feature_id = $id AND number IN ($n, $n - 1)
                ORDER BY number
                """,
                {"id": feature_id, "n": number},
            ).fetchall()
        if not rows or rows[-1][1] != number:
            return None
        previous = _load(rows[0][-1], feature_id, number - 1) if len(rows) == 2 else None
        assessment = _load(rows[-1][-1], feature_id, number)
        info = _info(rows[-1], _changes(previous, assessment, number))
        return StoredRevision(info, assessment)

    def revisions(self, feature_id: str) -> list[RevisionInfo]:
        """Every revision of a feature, oldest first, each with what changed."""
        return self._infos(feature_id, decided_only=False)

    def decided_revisions(self, feature_id: str) -> list[RevisionInfo]:
        """Revisions with a decision, oldest first."""
        return self._infos(feature_id, decided_only=True)

    def _infos(self, feature_id: str, decided_only: bool) -> list[RevisionInfo]:
        with self._session(write=False) as con:
            if con is None:
                return []
            rows = con.execute(
                f"SELECT {_INFO_COLUMNS}, body FROM revisions WHERE feature_id = ? ORDER BY number",
                [feature_id],
            ).fetchall()
        out = []
        previous: Assessment | None = None
        for row in rows:
            assessment = _load(row[-1], row[0], row[1])
            if not decided_only or row[4] is not None:
                out.append(_info(row, _changes(previous, assessment, row[1])))
            previous = assessment
        return out

    def rank(
        self,
        *,
        by: str = "residual",
        stage: str | None = None,
        verdict: str | None = None,
        tier: str | None = None,
        search: str | None = None,
        state: str | None = None,
        sort: str | None = None,
        descending: bool = False,
        limit: int | None = None,
        offset: int = 0,
        today: dt.date | None = None,
        include_removed: bool = False,
    ) -> list[PortfolioRow]:
        """The ranked portfolio (latest revisions). ``rank`` numbers are places in the
        whole portfolio by ``by``; filters hide rows without renumbering them."""
        args = self._rank_args(
            by=by,
            stage=stage,
            verdict=verdict,
            tier=tier,
            search=search,
            state=state,
            include_removed=include_removed,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
            today=today,
        )
        ahead = self._take_prefetched(args)
        if ahead is not None:
            try:
                return ahead.result()
            except StoreError:
                pass  # asked again below, so the error is raised where it is expected
        return self._rank(**args)

    @staticmethod
    def _rank_args(**given: Any) -> dict[str, Any]:
        args = {**_RANK_DEFAULTS, **given}
        args["today"] = _settings.today(given.get("today"))
        return args

    def prefetched_rank(self, **args: Any) -> list[PortfolioRow] | None:
        """``rank(**args)`` when :meth:`prefetch_rank` has already answered it, without
        waiting; None otherwise (then ``rank`` waits for it, or asks, and raises its
        error). The app draws its first frame with these rows when they are here."""
        ahead = self._take_prefetched(self._rank_args(**args), answered=True)
        return None if ahead is None else ahead.result()

    def prefetch_rank(self, **args: Any) -> None:
        """Start ``rank(**args)`` in a thread now; the first ``rank`` call with the same
        arguments takes its answer. The full-screen app asks for its first page this
        way while Textual loads.

        DuckDB's Python modules are imported first, on the calling thread: two threads
        importing at once slow each other down, while DuckDB's own work (the engine,
        the query) runs beside the caller's next imports."""
        import duckdb  # noqa: F401

        args = self._rank_args(**args)
        future: Future = Future()
        with self._prefetch_guard:
            self._prefetched = (args, future)

        def run() -> None:
            try:
                future.set_result(self._rank(**args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller of rank
                future.set_exception(exc)

        threading.Thread(target=run, name="rank-prefetch", daemon=True).start()

    def _take_prefetched(self, args: dict[str, Any], answered: bool = False) -> Future | None:
        """The prefetch of these arguments, taken (once); with ``answered``, only when it
        has its rows already."""
        with self._prefetch_guard:
            if self._prefetched is None or self._prefetched[0] != args:
                return None
            future = self._prefetched[1]
            if answered and not (future.done() and future.exception() is None):
                return None
            self._prefetched = None
            return future

    def _rank(
        self,
        *,
        by: str,
        stage: str | None,
        verdict: str | None,
        tier: str | None,
        search: str | None,
        state: str | None,
        include_removed: bool,
        sort: str | None,
        descending: bool,
        limit: int | None,
        offset: int,
        today: dt.date,
    ) -> list[PortfolioRow]:
        if by not in _sql.RANK_ORDER:
            raise ValueError(f"unknown ranking {by!r}: use one of {', '.join(_sql.BY)}")
        if sort is not None and sort not in _sql.SORT_KEYS:
            raise ValueError(
                f"cannot sort by {sort!r}: use a PortfolioRow field ({', '.join(_sql.SORT_KEYS)})"
            )
        where, params = _sql.filters(stage, verdict, tier, search, state)
        params["today"] = _settings.today(today)
        page = ""
        if limit is not None:
            page += f" LIMIT {max(int(limit), 0)}"
        if offset:
            page += f" OFFSET {max(int(offset), 0)}"
        order = _sql.RANK_ORDER[by]
        source = "latest" if include_removed else _sql.SHOWN
        if sort is None and not where and not descending:
            # The whole portfolio in rank order: find the page on the narrow order
            # columns (a top-N sort), then compute the row details for it alone.
            query = f"""
                SELECT 0 AS rank, {_sql.DETAILS}
                FROM latest
                SEMI JOIN (
                    SELECT feature_id, number FROM {source} ORDER BY {order}{page}
                ) p USING (feature_id, number)
                ORDER BY {order}
            """
            numbered = True
        else:
            if sort is None:
                then = "rank DESC" if descending else "rank"
            else:
                direction = "DESC" if descending else "ASC"
                then = f"{_sql.SORT_KEYS[sort]} {direction} NULLS LAST, rank"
            query = f"""
                SELECT * FROM (
                    SELECT k.rank, {_sql.DETAILS}
                    FROM latest
                    JOIN (
                        SELECT feature_id, number, row_number() OVER (ORDER BY {order}) AS rank
                        FROM {source}
                    ) k USING (feature_id, number)
                ){where}
                ORDER BY {then}{page}
            """
            numbered = False
        with self._session(write=False) as con:
            if con is None:
                return []
            cursor = con.execute(query, params)
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        return [
            _portfolio_row(
                dict(zip(names, values, strict=True)), offset + i + 1 if numbered else None
            )
            for i, values in enumerate(rows)
        ]

    def count(
        self,
        *,
        stage: str | None = None,
        verdict: str | None = None,
        tier: str | None = None,
        search: str | None = None,
        state: str | None = None,
        today: dt.date | None = None,
    ) -> int:
        """How many features the same filters as ``rank`` give (``state`` as of ``today``)."""
        where, params = _sql.filters(stage, verdict, tier, search, state)
        params["today"] = _settings.today(today)
        with self._session(write=False) as con:
            if con is None:
                return 0
            return con.execute(
                f"SELECT count(*) FROM (SELECT {_sql.DETAILS} FROM {_sql.SHOWN}){where}", params
            ).fetchone()[0]

    def summary(self, today: dt.date | None = None) -> dict:
        """Counts across the portfolio's latest revisions.

        ``{"total", "by_tier": {critical, high, medium, low, none}, "by_verdict":
        {ship, ship_with_guardrails, hold, kill, undecided}, "by_recommended": {ship, ...,
        kill}, "overdue", "with_errors"}``; every key is present (0 when none).
        """
        out: dict[str, Any] = {
            "total": 0,
            "by_tier": {name: 0 for name in [*_sql.TIER_NAMES_WORST_FIRST, NO_TIER]},
            "by_verdict": {v: 0 for v in [*_sql.VERDICTS, UNDECIDED]},
            "by_recommended": {v: 0 for v in _sql.VERDICTS},
            "overdue": 0,
            "with_errors": 0,
        }
        with self._session(write=False) as con:
            if con is None:
                return out
            params = {"today": _settings.today(today)}
            base = f"({_sql.PORTFOLIO})"
            total, overdue, with_errors = con.execute(
                f"SELECT count(*), count(*) FILTER (overdue), count(*) FILTER (errors > 0) "
                f"FROM {base}",
                params,
            ).fetchone()
            tiers = con.execute(
                f"SELECT residual_tier, count(*) FROM {base} GROUP BY ALL", params
            ).fetchall()
            verdicts = con.execute(
                f"SELECT verdict, count(*) FROM {base} GROUP BY ALL", params
            ).fetchall()
            recommended = con.execute(
                f"SELECT recommended_verdict, count(*) FROM {base} GROUP BY ALL", params
            ).fetchall()
        out["total"], out["overdue"], out["with_errors"] = total, overdue, with_errors
        for t, n in tiers:
            out["by_tier"][_sql.TIER_NAMES[t] if t is not None else NO_TIER] = n
        for v, n in verdicts:
            out["by_verdict"][v or UNDECIDED] = n
        for v, n in recommended:
            out["by_recommended"][v] = n
        return out

    def risk_matrix(
        self,
        feature_id: str | None = None,
        axes: tuple[str, str] = ("reversibility", "detectability"),
    ) -> dict[tuple[int, int], dict[str, int]]:
        """(residual rating ``axes[0]``, residual rating ``axes[1]``) -> {residual tier
        name: harms}; by default reversibility x detectability.

        Over the harms of the latest revisions (of one feature when ``feature_id`` is
        given); all 25 cells are present, empty ones as ``{}``.
        """
        ratings = ("severity", "likelihood", "reversibility", "detectability")  # no pydantic
        if len(axes) != 2 or not set(axes) <= set(ratings):
            raise ValueError(f"axes must be two of {', '.join(ratings)}, not {axes!r}")
        first, second = axes
        out: dict[tuple[int, int], dict[str, int]] = {
            (r, d): {} for r in range(1, 6) for d in range(1, 6)
        }
        where = "WHERE f.id = $id" if feature_id is not None else ""
        params = {"id": feature_id} if feature_id is not None else {}
        with self._session(write=False) as con:
            if con is None:
                return out
            rows = con.execute(
                f"""
                SELECT h.residual_{first}, h.residual_{second}, h.residual_tier, count(*)
                FROM features f
                JOIN harms h ON h.feature_id = f.id AND h.revision = f.latest
                {where}
                GROUP BY ALL
                """,
                params,
            ).fetchall()
        for r, d, t, n in rows:
            out[(r, d)][_sql.TIER_NAMES[t]] = n
        return out

    # ------------------------------------------------------ living decisions

    def latest_assessments(self, feature_ids: Sequence[str]) -> dict[str, Assessment]:
        """The latest assessment of each of these features that exists."""
        with self._session(write=False) as con:
            if con is None or not feature_ids:
                return {}
            rows = con.execute(
                "SELECT feature_id, number, body FROM latest "
                "WHERE feature_id IN (SELECT unnest($ids))",
                {"ids": list(dict.fromkeys(feature_ids))},
            ).fetchall()
        self._parsed = {(fid, n): _load(body, fid, n) for fid, n, body in rows}
        return {fid: a for (fid, _), a in self._parsed.items()}

    def record_observations(self, rows: Sequence[Observation]) -> tuple[int, int, int]:
        """Append observations in one transaction (all or none); see ``live.record``.
        Returns (recorded, unchanged, superseded within the batch)."""
        known, self._parsed = self._parsed, {}
        with self._session(write=True) as con:
            return _live().record(con, rows, _utcnow(), known)

    def observations(self, feature_id: str) -> list[Observation]:
        """Every observation of a feature as recorded, oldest date first (corrections after
        the value they correct)."""
        with self._session(write=False) as con:
            if con is None:
                return []
            found = _live().observations_of(con, [feature_id])[feature_id]
        return sorted(found, key=lambda o: o.observed_on)

    def history(self, feature_id: str) -> list[LivingRevision]:
        """Every revision of a feature as the living-decision rules read them, oldest first."""
        from ..domain.living import Revision

        with self._session(write=False) as con:
            if con is None:
                return []
            rows = con.execute(
                "SELECT number, saved_at, body FROM revisions WHERE feature_id = ? ORDER BY number",
                [feature_id],
            ).fetchall()
        return [Revision(n, _aware(at), _load(body, feature_id, n)) for n, at, body in rows]

    def decision(self, feature_id: str, today: dt.date | None = None) -> LiveDecision | None:
        """Where the feature's decision stands today (DOMAIN.md 9); None for no feature."""
        from ..domain.living import decision_state

        history = self.history(feature_id)
        if not history:
            return None
        return decision_state(history, self.observations(feature_id), _settings.today(today))

    def due(self, today: dt.date | None = None, within: int = 14) -> list[DueItem]:
        """The portfolio's due work (DOMAIN.md 9), one entry per cause, in ``due``'s order."""
        from ..domain.living import due_items

        day = _settings.today(today)
        with self._session(write=False) as con:
            if con is None:
                return []
            return due_items(_live().due(con, day, within), ordered=True)

    # ---------------------------------------------------------------- drills

    def record_drill(self, result: DrillResult) -> DrillResult:
        """Append one scored drill (DOMAIN.md 10); returns it with the time it was kept."""
        from . import drills

        with self._session(write=True) as con:
            return drills.record(con, result, _utcnow())

    def drill_results(self) -> list[DrillResult]:
        """Every drill kept, oldest first."""
        from . import drills

        with self._session(write=False) as con:
            return [] if con is None else drills.results(con)

    def drilled_case_ids(self) -> set[str]:
        """The casebook ids drilled at least once."""
        from . import drills

        with self._session(write=False) as con:
            return set() if con is None else drills.drilled_case_ids(con)

    # ------------------------------------------------------ workspace index

    def workspace_files(self) -> dict[str, tuple[int, int, str, str | None]]:
        """A workspace's files as last synced: path -> (size, mtime_ns, sha256, feature id)."""
        with self._session(write=False) as con:
            if con is None:
                return {}
            rows = con.execute(
                "SELECT path, size, mtime_ns, sha256, feature_id FROM workspace_files"
            ).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def set_workspace_files(
        self, files: dict[str, tuple[int, int, str, str | None]], removed: Sequence[str] = ()
    ) -> None:
        """Replace the index of a workspace's files and the set of features whose file
        was deleted (hidden from the portfolio, their revisions kept); one transaction."""
        with self._session(write=True) as con:
            con.execute("DELETE FROM removed_features")
            if removed:
                _insert_columns(con, "removed_features", {"feature_id": sorted(set(removed))})
            con.execute("DELETE FROM workspace_files")
            paths = list(files)
            if paths:
                _insert_columns(
                    con,
                    "workspace_files",
                    {
                        "path": paths,
                        "size": [files[p][0] for p in paths],
                        "mtime_ns": [files[p][1] for p in paths],
                        "sha256": [files[p][2] for p in paths],
                        "feature_id": [files[p][3] for p in paths],
                    },
                )


# ------------------------------------------------------------------ helpers

_INFO_COLUMNS = "feature_id, number, saved_at, content_hash, verdict, recommended, decided_on, note"


def _info(row: Sequence[Any], changes: list[str]) -> RevisionInfo:
    fid, number, saved_at, digest, verdict, recommended, decided_on, note = row[:8]
    return RevisionInfo(
        feature_id=fid,
        number=number,
        saved_at=_aware(saved_at),
        content_hash=digest,
        verdict=verdict,
        recommended=recommended,
        decided_on=decided_on,
        changes=changes,
        created=True,
        note=note,
    )


def _portfolio_row(columns: dict[str, Any], rank: int | None) -> PortfolioRow:
    """A portfolio row from a query's columns by name (``DETAILS``; tiers as numbers)."""
    tiers = {"inherent_tier": "inherent_priority", "residual_tier": "residual_priority"}
    for column, field in tiers.items():
        number = columns.pop(column)
        columns[field] = _sql.TIER_NAMES.get(number) if number is not None else None
    if rank is not None:
        columns["rank"] = rank
    return PortfolioRow(**columns)


def _load(body: str, feature_id: str, number: int) -> Assessment:
    """A stored revision's assessment (validated when it was saved). One that no longer
    validates (a database changed by other means) is a damaged database."""
    from ..domain.errors import load_stored

    try:
        return load_stored(body)
    except ValueError as exc:  # no longer valid, or not JSON
        problem = str(exc)
    from ..domain.formatting import safe_text

    raise DatabaseDamaged(
        f"the database holds an invalid assessment for the feature id {safe_text(feature_id)!r} "
        f"(revision {number}: {safe_text(problem)}); it is damaged and was left untouched: "
        "restore it from a backup, or re-import your exported assessments into a new database"
    )


def _changes(previous: Assessment | None, current: Assessment, number: int) -> list[str]:
    if previous is None:
        return ["first revision"] if number == 1 else []
    from ..domain.diff import diff_assessments

    return diff_assessments(previous, current) or ["no change"]


def _insert_columns(con, table: str, columns: dict[str, list]) -> None:
    """INSERT many rows in one statement: each column is one list parameter, unnested.

    Measured on 5,000 harm rows: about 0.06 s this way, 1.5 s as multi-row
    ``INSERT ... VALUES (?, ...), (?, ...)`` statements of 500 rows, and about
    10 s row by row with ``executemany``.
    """
    names = list(columns)
    n = len(columns[names[0]])
    if n == 0:
        return
    select = ", ".join(
        f"unnest(${i + 1}{', max_depth := 1' if _nested(columns[c]) else ''}) AS {c}"
        for i, c in enumerate(names)
    )
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {select}",
        [columns[c] for c in names],
    )


def _nested(values: list) -> bool:
    """Whether a column holds lists (its first value that is not None says: a column
    holds one kind of value)."""
    return isinstance(next((v for v in values if v is not None), None), list)
