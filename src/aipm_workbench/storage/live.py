"""Observations and the living-decision roll-up (DOMAIN.md section 9) in the database.

``observations`` is append-only: a correction is a new row for the same
(feature, metric, date), and the last recorded one stands. ``live`` keeps, per
feature, what the portfolio needs to show a decision's state without reading
every revision: the standing revision and its verdict and review date, whether
the latest decision is stale, the day an observation re-opened it, and the
recommendation and people-harmed bounds as the observations now say. Only
expiry and due dates depend on "today": queries judge them when they read.

``refresh`` recomputes the rows of the features a write touched, inside the
write's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..domain import Assessment
    from ..domain.living import Observation

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

LIVE_TABLE = """
    CREATE TABLE live (
        feature_id VARCHAR PRIMARY KEY,
        standing_revision INTEGER,
        standing_verdict VARCHAR,
        standing_decided_on DATE,
        standing_review_by DATE,
        stale BOOLEAN NOT NULL,
        stale_since DATE,
        reopened_on DATE,
        reason VARCHAR NOT NULL,
        recommended VARCHAR NOT NULL,
        recommended_reason VARCHAR NOT NULL,
        harmed_low DOUBLE,
        harmed_high DOUBLE,
        observed_errors INTEGER NOT NULL,
        observed_warnings INTEGER NOT NULL,
        due_facts VARCHAR NOT NULL
    )
"""

LIVE_COLUMNS = (
    "feature_id",
    "standing_revision",
    "standing_verdict",
    "standing_decided_on",
    "standing_review_by",
    "stale",
    "stale_since",
    "reopened_on",
    "reason",
    "recommended",
    "recommended_reason",
    "harmed_low",
    "harmed_high",
    "observed_errors",
    "observed_warnings",
    "due_facts",
)


def _load(body: str) -> Assessment:
    from ..domain import Assessment

    return Assessment.model_validate(json.loads(body))


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
    from ..domain.living import Revision

    out: dict[str, list[Revision]] = {fid: [] for fid in feature_ids}
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
        {
            "ids": list(feature_ids),
            "kid": [k[0] for k in known],
            "kn": [k[1] for k in known],
        },
    ).fetchall()
    for fid, number, saved_at, body in rows:
        a = known.get((fid, number)) if body is None else _load(body)
        out[fid].append(Revision(number, saved_at, a))
    return out


def summary_row(fid: str, revisions, observations, stored: dict[str, Any]) -> dict[str, Any]:
    """The ``live`` row of one feature; ``stored`` is its latest revision's roll-up values."""
    from ..domain import evaluate
    from ..domain.living import breaches, live_summary, observed, outgrown, standing_values

    s = live_summary(revisions, observations)
    latest = revisions[-1].assessment
    row = {
        "feature_id": fid,
        "standing_revision": s.standing_revision,
        "standing_verdict": s.standing_verdict,
        "standing_decided_on": s.standing_decided_on,
        "standing_review_by": s.standing_review_by,
        "stale": s.stale,
        "stale_since": s.stale_since,
        "reopened_on": s.reopened_on,
        "reason": s.reason,
        "recommended": stored["recommended"],
        "recommended_reason": stored["recommended_reason"],
        "harmed_low": stored["harmed_low"],
        "harmed_high": stored["harmed_high"],
        "observed_errors": 0,
        "observed_warnings": 0,
        "due_facts": json.dumps(
            {
                "checks": [[h, d.isoformat()] for h, d in s.open_checks],
                "fallbacks": [[f, d.isoformat() if d else None] for f, d in s.fallback_tests],
            }
        ),
    }
    if observations:
        current = standing_values(observations)
        now = observed(latest, current)
        if now is not latest:
            ev = evaluate(now, revisions[-1].saved_at.date(), with_sensitivity=False)
            row["recommended"] = ev.recommended.value
            row["recommended_reason"] = ev.recommended_reason
            row["harmed_low"], row["harmed_high"] = ev.harmed_low, ev.harmed_high
        row["observed_errors"] = len(breaches(latest, current))
        row["observed_warnings"] = int(outgrown(latest, current) is not None)
    return row


def refresh(
    con,
    feature_ids: Iterable[str],
    known: dict[tuple[str, int], Assessment] | None = None,
) -> None:
    """Recompute the ``live`` rows of these features (inside the caller's transaction)."""
    ids = list(dict.fromkeys(feature_ids))
    if not ids:
        return
    known = known or {}
    rows = []
    for start in range(0, len(ids), 2_000):
        chunk = ids[start : start + 2_000]
        revisions = _revisions_of(con, chunk, known)
        observations = observations_of(con, chunk)
        stored = {
            r[0]: {
                "recommended": r[1],
                "recommended_reason": r[2],
                "harmed_low": r[3],
                "harmed_high": r[4],
            }
            for r in con.execute(
                """
                SELECT feature_id, recommended, recommended_reason, harmed_low, harmed_high
                FROM latest WHERE feature_id IN (SELECT unnest($ids))
                """,
                {"ids": chunk},
            ).fetchall()
        }
        for fid in chunk:
            if revisions[fid]:
                rows.append(summary_row(fid, revisions[fid], observations[fid], stored[fid]))
    con.execute("DELETE FROM live WHERE feature_id IN (SELECT unnest($ids))", {"ids": ids})
    columns = {c: [r[c] for r in rows] for c in LIVE_COLUMNS}
    _insert(con, "live", columns)


def _insert(con, table: str, columns: dict[str, list]) -> None:
    names = list(columns)
    if not columns[names[0]]:
        return
    select = ", ".join(f"unnest(${i + 1}) AS {c}" for i, c in enumerate(names))
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {select}",
        [columns[c] for c in names],
    )


def record(con, rows: Sequence[Observation], recorded_at: dt.datetime) -> tuple[int, int, int]:
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
        refresh(con, [o.feature_id for o in fresh])
    return len(fresh), len(final) - len(fresh), superseded
