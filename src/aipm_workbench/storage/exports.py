"""Bulk reads and DuckDB ``COPY`` for exports (records, assessment files, the ranked table).

Exporting a thousand records through per-feature calls would open the database
file three thousand times; these functions read everything an export needs in
one session. They take a :class:`~aipm_workbench.storage.Store` and use its
session, so locking, read-only access and error translation are the store's.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

from .. import settings as _settings
from ..domain import Assessment
from . import sql as _sql
from .errors import StoreError
from .store import _INFO_COLUMNS, _changes, _info, _load
from .types import RevisionInfo, StoredRevision

COPY_FORMATS = {"csv": "FORMAT csv, HEADER true", "parquet": "FORMAT parquet"}

# The ranked table as the columns of PortfolioRow, tiers as lowercase names.
_TIER_NAME = (
    "list_extract(["
    + ", ".join(f"'{_sql.TIER_NAMES[n]}'" for n in sorted(_sql.TIER_NAMES))
    + "], {col})"
)
# People harmed as formatting.people_value rounds them: 3 significant digits, at most 3 decimals.
_PEOPLE = (
    "CASE WHEN {col} IS NULL OR {col} = 0 THEN {col} "
    "ELSE round({col}, least(3, 2 - floor(log10(abs({col}))))::INTEGER) END AS {col}"
)


def _columns(text) -> str:
    """The columns; ``text(col)`` is the SQL of each text column."""
    return f"""
    rank, {text("id")}, {text("name")}, {text("owner")}, stage, revision,
    {_TIER_NAME.format(col="inherent_tier")} AS inherent_priority,
    {_TIER_NAME.format(col="residual_tier")} AS residual_priority,
    max_rpn, residual_max_rpn, {_PEOPLE.format(col="harmed_low")},
    {_PEOPLE.format(col="harmed_high")}, {text("worst_harm")}, {text("worst_harm_type")},
    recommended_verdict, verdict, errors::INTEGER AS errors,
    warnings::INTEGER AS warnings, review_by, overdue, decision_state, standing_revision
"""


# Every character formatting.safe_text shows visibly (a newline stays: a quoted
# CSV cell may hold one), and what starts a formula in a spreadsheet: the same
# rule as render.cells.csv_cell, which writes `rank --format csv`.
_UNSAFE_CHARS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x0A] + list(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)
_UNSAFE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _UNSAFE_CHARS) + "]"
_FORMULA = "(CASE WHEN regexp_matches({col}, '^[=+@\\t\\r-]') THEN '''' ELSE '' END)"


def _csv_text(col: str) -> str:
    """SQL for one CSV text cell: control and bidi characters shown visibly, and a
    leading ``'`` on a cell a spreadsheet would read as a formula (OWASP)."""
    from ..domain.formatting import safe_text

    safe = col
    for ch in _UNSAFE_CHARS:
        shown = safe_text(ch).replace("'", "''")
        safe = f"replace({safe}, chr({ord(ch)}), '{shown}')"
    formula = _FORMULA.format(col=col)
    return (
        f"{formula} || CASE WHEN regexp_matches({col}, '{_UNSAFE_CLASS}') THEN {safe} "
        f"ELSE {col} END AS {col}"
    )


PORTFOLIO_COLUMNS = _columns(lambda col: col)


def _ids_filter(feature_ids: Iterable[str] | None) -> tuple[str, dict]:
    """A WHERE clause for these features; the range of their ids first, which lets DuckDB
    skip the blocks outside it (an export reads features in batches of neighbouring ids)."""
    if feature_ids is None:
        return "", {}
    ids = list(feature_ids)
    if not ids:
        return " WHERE false", {}
    return (
        " WHERE feature_id BETWEEN $lo AND $hi AND list_contains($ids, feature_id)",
        {"ids": ids, "lo": min(ids), "hi": max(ids)},
    )


def _rows(store, select: str, source: str, feature_ids: Iterable[str] | None) -> list[tuple]:
    """``SELECT select FROM source`` for the features (all when None), by feature id and
    revision number; one read session (no rows when there is no database yet)."""
    where, params = _ids_filter(feature_ids)
    order = "feature_id, number" if source == "revisions" else "feature_id"
    with store._session(write=False) as con:
        if con is None:
            return []
        return con.execute(
            f"SELECT {select} FROM {source}{where} ORDER BY {order}", params
        ).fetchall()


def revision_index(store, feature_ids: Iterable[str] | None = None) -> dict[str, list[tuple]]:
    """Feature id -> its revisions as (number, chosen verdict or None), oldest first, for
    the features (all when None): what an export needs to plan its files, without
    reading a single assessment."""
    out: dict[str, list[tuple]] = {}
    for fid, number, verdict in _rows(
        store, "feature_id, number, verdict", "revisions", feature_ids
    ):
        out.setdefault(fid, []).append((number, verdict))
    return out


def revisions_with_assessments(
    store, feature_ids: Iterable[str] | None = None, upto: dict[str, int] | None = None
) -> dict[str, list[StoredRevision]]:
    """Every revision of the features (all features when None), oldest first, each
    with its assessment and its changes against the previous revision; one session.

    With ``upto`` (feature id -> revision number), revisions after that number are
    left out: revisions are never changed once saved, so a feature read in parts
    (an export in batches) is read as it was when the export was planned.
    """
    rows = _rows(store, f"{_INFO_COLUMNS}, body", "revisions", feature_ids)
    out: dict[str, list[StoredRevision]] = {}
    previous: Assessment | None = None
    for row in rows:
        fid = row[0]
        if upto is not None and row[1] > upto.get(fid, 0):
            continue
        history = out.setdefault(fid, [])
        if not history:
            previous = None
        assessment = _load(row[-1], row[0], row[1])
        info = _info(row, _changes(previous, assessment, row[1]))
        history.append(StoredRevision(info, assessment))
        previous = assessment
    return out


def observations_by_feature(store, feature_ids: Iterable[str]) -> dict[str, list]:
    """Feature id -> its observations (``domain.living.Observation``) in the order they
    were recorded, for every given feature; one session, one query."""
    from .live import observations_of

    ids = list(feature_ids)
    with store._session(write=False) as con:
        if con is None:
            return {fid: [] for fid in ids}
        return observations_of(con, ids)


def latest_numbers(store, feature_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Feature id -> its latest revision number, in id order; one session."""
    return dict(_rows(store, "feature_id, number", "latest", feature_ids))


def assessments_at(store, revisions: dict[str, int]) -> dict[str, Assessment]:
    """The assessments of the given (feature id -> revision number); one session."""
    with store._session(write=False) as con:
        if con is None:
            return {}
        rows = con.execute(
            "SELECT feature_id, number, body FROM revisions "
            "WHERE (feature_id, number) IN (SELECT (unnest($ids), unnest($numbers))) "
            "ORDER BY feature_id",
            {"ids": list(revisions), "numbers": list(revisions.values())},
        ).fetchall()
    return {fid: _load(body, fid, number) for fid, number, body in rows}


def latest_assessments(store, feature_ids: Iterable[str] | None = None) -> dict[str, Assessment]:
    """Each feature's latest assessment, by feature id in id order; one session."""
    rows = _rows(store, "feature_id, number, body", "latest", feature_ids)
    return {fid: _load(body, fid, number) for fid, number, body in rows}


def decided(revisions: list[StoredRevision]) -> list[RevisionInfo]:
    """The infos of the revisions with a decision (``Store.decided_revisions``)."""
    return [r.info for r in revisions if r.info.verdict is not None]


def copy_portfolio(store, path: str | os.PathLike, fmt: str, today: dt.date | None = None) -> Path:
    """Write the ranked portfolio (``Store.rank()``'s rows and columns) to ``path`` as
    CSV or Parquet with DuckDB's own ``COPY``."""
    if fmt not in COPY_FORMATS:
        raise StoreError(f"cannot copy the portfolio as {fmt!r}: use csv or parquet")
    target = Path(path)
    literal = "'" + str(target).replace("'", "''") + "'"
    query = f"""
        COPY (
            SELECT {_columns(_csv_text) if fmt == "csv" else PORTFOLIO_COLUMNS} FROM (
                SELECT *, row_number() OVER (ORDER BY {_sql.RANK_ORDER["residual"]}) AS rank
                FROM ({_sql.PORTFOLIO})
            )
            ORDER BY rank
        ) TO {literal} ({COPY_FORMATS[fmt]})
    """
    with store._session(write=False) as con:
        if con is None:
            raise StoreError(
                f"the database {store.path} holds no features yet: import assessments first"
            )
        con.execute(query, {"today": _settings.today(today)})
    return target
