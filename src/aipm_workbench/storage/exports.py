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
PORTFOLIO_COLUMNS = f"""
    rank, id, name, owner, stage, revision,
    {_TIER_NAME.format(col="inherent_tier")} AS inherent_priority,
    {_TIER_NAME.format(col="residual_tier")} AS residual_priority,
    max_rpn, residual_max_rpn, round(harmed_low, 4) AS harmed_low,
    round(harmed_high, 4) AS harmed_high, worst_harm, worst_harm_type,
    recommended_verdict, verdict, errors, warnings, review_by, overdue
"""


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


def revision_index(store, feature_ids: Iterable[str] | None = None) -> dict[str, list[tuple]]:
    """Feature id -> its revisions as (number, chosen verdict or None), oldest first, for
    the features (all when None): what an export needs to plan its files, without
    reading a single assessment."""
    where, params = _ids_filter(feature_ids)
    with store._session(write=False) as con:
        if con is None:
            return {}
        rows = con.execute(
            f"SELECT feature_id, number, verdict FROM revisions{where} ORDER BY feature_id, number",
            params,
        ).fetchall()
    out: dict[str, list[tuple]] = {}
    for fid, number, verdict in rows:
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
    where, params = _ids_filter(feature_ids)
    with store._session(write=False) as con:
        if con is None:
            return {}
        rows = con.execute(
            f"SELECT {_INFO_COLUMNS}, body FROM revisions{where} ORDER BY feature_id, number",
            params,
        ).fetchall()
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


def latest_numbers(store, feature_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Feature id -> its latest revision number, in id order; one session."""
    where, params = _ids_filter(feature_ids)
    with store._session(write=False) as con:
        if con is None:
            return {}
        rows = con.execute(
            f"SELECT feature_id, number FROM latest{where} ORDER BY feature_id", params
        ).fetchall()
    return dict(rows)


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
    where, params = _ids_filter(feature_ids)
    with store._session(write=False) as con:
        if con is None:
            return {}
        rows = con.execute(
            f"SELECT feature_id, number, body FROM latest{where} ORDER BY feature_id", params
        ).fetchall()
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
            SELECT {PORTFOLIO_COLUMNS} FROM (
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
