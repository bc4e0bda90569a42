"""Observations and the living-decision roll-up (DOMAIN.md section 9) in the database.

``observations`` is append-only: a correction is a new row for the same
(feature, metric, date), and the last recorded one stands. ``live`` keeps, per
feature, what the portfolio needs to show a decision's state without reading
every revision: the standing revision and its verdict and review date, whether
the latest decision is stale, the day it was re-opened and why, and the
recommendation and people-harmed bounds as the observations now say.
``live_checks`` and ``live_fallbacks`` keep the dates due work is judged by (open
hypotheses' check dates, last tests of the fallbacks of serious harms). Only
expiry and due dates depend on "today": :data:`DUE` and :data:`STATE` judge them
when they read, in the order of ``domain.living.state_of`` and ``due_entries``.

``refresh`` recomputes the rows of the features a save touched, inside the
write's transaction; ``record`` appends observations and refreshes what they
can change, reading only each feature's latest revision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..domain import Assessment
    from ..domain.living import LiveSummary, Observation

OBSERVATIONS_TABLE = """
    CREATE TABLE observations (
        seq BIGINT NOT NULL,
        feature_id VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        value DOUBLE NOT NULL,
        observed_on DATE NOT NULL,
        source VARCHAR,
        recorded_at TIMESTAMP NOT NULL
    )
"""

LIVE_TABLES = [
    """
    CREATE TABLE live (
        feature_id VARCHAR PRIMARY KEY,
        standing_revision INTEGER,
        standing_verdict VARCHAR,
        standing_decided_on DATE,
        standing_review_by DATE,
        stale BOOLEAN NOT NULL,
        stale_since DATE,
        marked_on DATE,
        marked_reason VARCHAR NOT NULL,
        reopened_on DATE,
        reason VARCHAR NOT NULL,
        recommended VARCHAR NOT NULL,
        recommended_reason VARCHAR NOT NULL,
        harmed_low DOUBLE,
        harmed_high DOUBLE,
        observed_errors INTEGER NOT NULL,
        observed_warnings INTEGER NOT NULL
    )
    """,
    "CREATE TABLE live_checks (feature_id VARCHAR NOT NULL, item VARCHAR NOT NULL, day DATE)",
    "CREATE TABLE live_fallbacks (feature_id VARCHAR NOT NULL, item VARCHAR NOT NULL, day DATE)",
]

LIVE_COLUMNS = (
    "feature_id", "standing_revision", "standing_verdict", "standing_decided_on",
    "standing_review_by", "stale", "stale_since", "marked_on", "marked_reason", "reopened_on",
    "reason", "recommended", "recommended_reason", "harmed_low", "harmed_high",
    "observed_errors", "observed_warnings",
)  # fmt: skip

# The decision state for "today" ($today), as domain.living.state_of judges it.
STATE = """
    CASE WHEN l.standing_revision IS NULL THEN 'undecided'
         WHEN l.stale THEN 'stale'
         WHEN l.reopened_on IS NOT NULL THEN 'reopened'
         WHEN $today > l.standing_review_by THEN 'expired'
         ELSE 'decided' END
"""

# Due work as of $today, reviews within $horizon, fallbacks untested since $untested:
# (feature, kind, date, detail), as domain.living.due_entries judges it.
DUE = f"""
    SELECT * FROM (
        SELECT l.feature_id,
               CASE {STATE}
                    WHEN 'decided' THEN
                        CASE WHEN l.standing_review_by <= $horizon THEN 'review_upcoming' END
                    WHEN 'undecided' THEN NULL
                    ELSE {STATE} END AS kind,
               CASE {STATE} WHEN 'stale' THEN l.stale_since WHEN 'reopened' THEN l.reopened_on
                    ELSE l.standing_review_by END AS day,
               l.reason AS detail
        FROM live l
    ) WHERE kind IS NOT NULL
    UNION ALL
    SELECT feature_id, 'hypothesis_overdue', day, item FROM live_checks WHERE day < $today
    UNION ALL
    SELECT feature_id, 'fallback_untested', day, item FROM live_fallbacks
    WHERE day IS NULL OR day < $untested
"""


def _load(body: str, feature_id: str, number: int) -> Assessment:
    from .store import _load as load  # a revision that no longer validates: a damaged database

    return load(body, feature_id, number)


def _insert(con, table: str, columns: dict[str, list]) -> None:
    from .store import _insert_columns  # the one bulk insert (unnested list parameters)

    _insert_columns(con, table, columns)


def observations_of(con, feature_ids: Sequence[str]) -> dict[str, list[Observation]]:
    """Every observation of the features, in the order they were recorded."""
    from ..domain.living import Observation

    out: dict[str, list[Observation]] = {fid: [] for fid in feature_ids}
    if not feature_ids:
        return out
    rows = con.execute(
        """
        SELECT feature_id, metric, value, observed_on, source, recorded_at FROM observations
        WHERE feature_id IN (SELECT unnest($ids)) ORDER BY seq
        """,
        {"ids": list(feature_ids)},
    ).fetchall()
    for fid, metric, value, on, source, at in rows:
        out[fid].append(Observation(fid, metric, value, on, source, at))
    return out


def _revisions_of(con, feature_ids: Sequence[str], known: dict[tuple[str, int], Assessment]):
    """Each feature's revisions as stored: (number, saved_at, body, or None when ``known``
    holds the assessment). Bodies are parsed one feature at a time (:func:`_parsed`), so
    that a large import holds the models of one feature, not of a whole chunk."""
    out: dict[str, list[tuple[int, Any, str | None]]] = {fid: [] for fid in feature_ids}
    rows = con.execute(
        """
        SELECT r.feature_id, r.number, r.saved_at,
               CASE WHEN k.known THEN NULL ELSE r.body END
        FROM revisions r
        LEFT JOIN (SELECT unnest($kid) AS fid, unnest($kn) AS n, true AS known) k
          ON k.fid = r.feature_id AND k.n = r.number
        WHERE r.feature_id IN (SELECT unnest($ids))
        ORDER BY r.feature_id, r.number
        """,
        {"ids": list(feature_ids), "kid": [k[0] for k in known], "kn": [k[1] for k in known]},
    ).fetchall()
    for fid, number, saved_at, body in rows:
        out[fid].append((number, saved_at, body))
    return out


def _parsed(fid: str, stored: list[tuple[int, Any, str | None]], known: dict) -> list:
    """One feature's revisions from :func:`_revisions_of`, as ``domain.living.Revision``."""
    from ..domain.living import Revision

    return [
        Revision(n, at, known.get((fid, n)) if body is None else _load(body, fid, n))
        for n, at, body in stored
    ]


def _latest_values(con, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
        r[0]: {
            "recommended": r[1],
            "recommended_reason": r[2],
            "harmed_low": r[3],
            "harmed_high": r[4],
            "saved_at": r[5],
        }
        for r in con.execute(
            """
            SELECT r.feature_id, r.recommended, r.recommended_reason, r.harmed_low,
                   r.harmed_high, r.saved_at
            FROM features f JOIN revisions r ON r.feature_id = f.id AND r.number = f.latest
            WHERE f.id IN (SELECT unnest($ids))
            """,
            {"ids": list(ids)},
        ).fetchall()
    }


def _observed_values(
    latest_a: Assessment, observations: Sequence[Observation], stored: dict, row: dict
) -> None:
    """The recommendation, bounds and finding counts as the observations now say."""
    from ..domain import evaluate
    from ..domain.living import breaches, observed, outgrown, standing_values

    row.update({k: stored[k] for k in ("recommended", "recommended_reason")})
    row.update({k: stored[k] for k in ("harmed_low", "harmed_high")})
    row["observed_errors"] = row["observed_warnings"] = 0
    if not observations:
        return
    current = standing_values(observations)
    now = observed(latest_a, current)
    if now is not latest_a:
        ev = evaluate(now, stored["saved_at"].date(), with_sensitivity=False)
        row["recommended"], row["recommended_reason"] = ev.recommended.value, ev.recommended_reason
        row["harmed_low"], row["harmed_high"] = ev.harmed_low, ev.harmed_high
    row["observed_errors"] = len(breaches(latest_a, current))
    row["observed_warnings"] = int(outgrown(latest_a, current) is not None)


def _summary_row(fid: str, s: LiveSummary) -> dict[str, Any]:
    fields = [c for c in LIVE_COLUMNS if c != "feature_id" and hasattr(s, c)]
    return {"feature_id": fid, **{c: getattr(s, c) for c in fields}}


def _write(con, ids: list[str], rows: list[dict], facts: dict[str, tuple[list, list]]) -> None:
    for table in ("live", "live_checks", "live_fallbacks"):
        con.execute(f"DELETE FROM {table} WHERE feature_id IN (SELECT unnest($ids))", {"ids": ids})
    _insert(con, "live", {c: [r[c] for r in rows] for c in LIVE_COLUMNS})
    for table, at in (("live_checks", 0), ("live_fallbacks", 1)):
        pairs = [(fid, item, day) for fid, f in facts.items() for item, day in f[at]]
        _insert(
            con,
            table,
            {
                "feature_id": [p[0] for p in pairs],
                "item": [p[1] for p in pairs],
                "day": [p[2] for p in pairs],
            },
        )


# Features whose revisions are read back at a time (their bodies as text; the models
# of one feature at a time).
REFRESH_CHUNK = 2_000


def refresh(
    con, feature_ids: Iterable[str], known: dict[tuple[str, int], Assessment] | None = None
) -> None:
    """Recompute the living-decision rows of these features from all their revisions."""
    from ..domain.living import live_summary

    ids = list(dict.fromkeys(feature_ids))
    known = known or {}
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        raw = _revisions_of(con, chunk, known)
        observations = observations_of(con, chunk)
        stored = _latest_values(con, chunk)
        rows, facts = [], {}
        for fid in chunk:
            if not raw[fid]:
                continue
            revisions = _parsed(fid, raw.pop(fid), known)
            s = live_summary(revisions, observations[fid])
            row = _summary_row(fid, s)
            _observed_values(revisions[-1].assessment, observations[fid], stored[fid], row)
            rows.append(row)
            facts[fid] = (s.open_checks, s.fallback_tests)
        _write(con, chunk, rows, facts)


def refresh_observed(
    con, feature_ids: Iterable[str], known: dict[tuple[str, int], Assessment] | None = None
) -> None:
    """Recompute what observations can change (re-opening, falsified hypotheses, the
    recommendation and bounds), reading only each feature's latest revision (parsed
    already when ``known`` holds it by (feature, number))."""
    from ..domain.living import due_facts, reopened

    known = known or {}
    ids = list(dict.fromkeys(feature_ids))
    for start in range(0, len(ids), 2_000):
        chunk = ids[start : start + 2_000]
        names = ", ".join(f"l.{c}" for c in LIVE_COLUMNS)
        current = con.execute(
            f"""
            SELECT {names}, r.number, r.body FROM live l
            JOIN latest r ON r.feature_id = l.feature_id
            WHERE l.feature_id IN (SELECT unnest($ids))
            """,
            {"ids": chunk},
        ).fetchall()
        observations = observations_of(con, chunk)
        stored = _latest_values(con, chunk)
        rows, facts = [], {}
        for values in current:
            row = dict(zip(LIVE_COLUMNS, values[:-2], strict=True))
            fid = row["feature_id"]
            number = values[-2]
            latest_a = known.get((fid, number)) or _load(values[-1], fid, number)
            obs = observations[fid]
            if row["standing_revision"] is not None:
                marked = (row["marked_on"], row["marked_reason"]) if row["marked_on"] else None
                day, reason, _ = reopened(latest_a, obs, row["standing_decided_on"], marked)
                row["reopened_on"] = day
                if not row["stale"]:
                    row["reason"] = reason
            _observed_values(latest_a, obs, stored[fid], row)
            rows.append(row)
            facts[fid] = due_facts(latest_a, obs)
        _write(con, [r["feature_id"] for r in rows], rows, facts)


def due(con, today: dt.date, within: int) -> list[tuple[str, str, dt.date | None, str]]:
    """(feature, kind, date, detail) of every due entry of the portfolio as of ``today``,
    in ``due``'s order: kind, date (none first), feature id."""
    from ..domain.living import UNTESTED_DAYS
    from ..domain.vocab import DueKind

    kinds = ", ".join(f"'{k.value}'" for k in DueKind)
    return con.execute(
        f"SELECT * FROM ({DUE}) ORDER BY list_position([{kinds}], kind), day NULLS FIRST, "
        "feature_id",
        {
            "today": today,
            "horizon": today + dt.timedelta(days=within),
            "untested": today - dt.timedelta(days=UNTESTED_DAYS),
        },
    ).fetchall()


def record(
    con,
    rows: Sequence[Observation],
    recorded_at: dt.datetime,
    known: dict[tuple[str, int], Assessment] | None = None,
) -> tuple[int, int, int]:
    """Append observations. For each (feature, metric, date) only the batch's last row
    counts (earlier ones are superseded within the batch), and it is recorded only when
    it differs from what stands, so re-sending a file is a no-op and a new value is a
    correction. Returns (recorded, unchanged, superseded)."""
    if not rows:
        return 0, 0, 0
    final: dict[tuple[str, str, dt.date], Observation] = {}
    for o in rows:
        final[(o.feature_id, o.metric, o.observed_on)] = o
    superseded = len(rows) - len(final)
    standing = {
        (fid, metric, on): (value, source)
        for fid, metric, on, value, source in con.execute(
            """
            SELECT feature_id, metric, observed_on, arg_max(value, seq), arg_max(source, seq)
            FROM observations WHERE feature_id IN (SELECT unnest($ids))
            GROUP BY ALL
            """,
            {"ids": list({o.feature_id for o in rows})},
        ).fetchall()
    }
    fresh = [o for key, o in final.items() if standing.get(key) != (float(o.value), o.source)]
    if fresh:
        start = con.execute("SELECT coalesce(max(seq), 0) FROM observations").fetchone()[0]
        _insert(
            con,
            "observations",
            {
                "seq": list(range(start + 1, start + 1 + len(fresh))),
                "feature_id": [o.feature_id for o in fresh],
                "metric": [o.metric for o in fresh],
                "value": [float(o.value) for o in fresh],
                "observed_on": [o.observed_on for o in fresh],
                "source": [o.source for o in fresh],
                "recorded_at": [recorded_at] * len(fresh),
            },
        )
        refresh_observed(con, [o.feature_id for o in fresh], known)
    return len(fresh), len(final) - len(fresh), superseded
