"""Drill results (DOMAIN.md section 10) in the database: one row per drill, append-only.

A row keeps the case, when it was drilled, the PM's answer (type, four ratings,
verdict), the case's reference ratings at the time and the scores, so that the
statistics stay what they were even if the casebook's ratings are revised.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..domain.drill import DrillResult

DRILLS_TABLE = """
    CREATE TABLE drills (
        seq BIGINT NOT NULL,
        case_id VARCHAR NOT NULL,
        drilled_at TIMESTAMP NOT NULL,
        harm_type VARCHAR NOT NULL,
        severity TINYINT NOT NULL,
        likelihood TINYINT NOT NULL,
        reversibility TINYINT NOT NULL,
        detectability TINYINT NOT NULL,
        verdict VARCHAR NOT NULL,
        reference_severity TINYINT NOT NULL,
        reference_likelihood TINYINT NOT NULL,
        reference_reversibility TINYINT NOT NULL,
        reference_detectability TINYINT NOT NULL,
        type_match BOOLEAN NOT NULL,
        tier TINYINT NOT NULL,
        reference_tier TINYINT NOT NULL,
        tier_agrees BOOLEAN NOT NULL,
        reference_verdict VARCHAR NOT NULL,
        verdict_agrees BOOLEAN NOT NULL
    )
"""

_COLUMNS = (
    "seq, case_id, drilled_at, harm_type, severity, likelihood, reversibility, detectability, "
    "verdict, reference_severity, reference_likelihood, reference_reversibility, "
    "reference_detectability, type_match, tier, reference_tier, tier_agrees, "
    "reference_verdict, verdict_agrees"
)


def record(con, result: DrillResult, now: dt.datetime) -> DrillResult:
    """Append one drill; ``now`` (naive UTC) when the result carries no time."""
    from dataclasses import replace

    at = result.drilled_at or now
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM drills").fetchone()[0]
    a = result.answer
    con.execute(
        f"INSERT INTO drills ({_COLUMNS}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            seq,
            result.case_id,
            at,
            a.harm_type,
            *a.ratings,
            a.verdict.value,
            *result.reference,
            result.type_match,
            int(result.tier),
            int(result.reference_tier),
            result.tier_agrees,
            result.reference_verdict.value,
            result.verdict_agrees,
        ],
    )
    return replace(result, drilled_at=at.replace(tzinfo=dt.UTC))


def results(con) -> list[DrillResult]:
    """Every drill, oldest first."""
    from ..domain.drill import DrillAnswer, DrillResult
    from ..domain.vocab import Tier, Verdict

    rows = con.execute(f"SELECT {_COLUMNS} FROM drills ORDER BY seq").fetchall()
    out = []
    for row in rows:
        case_id, at, harm_type = row[1:4]
        mine, verdict, reference = row[4:8], row[8], row[9:13]
        match, tier, rtier, rverdict = row[13], row[14], row[15], row[17]
        out.append(
            DrillResult(
                case_id=case_id,
                answer=DrillAnswer(harm_type, *mine, Verdict(verdict)),
                reference=tuple(reference),
                type_match=bool(match),
                tier=Tier(tier),
                reference_tier=Tier(rtier),
                reference_verdict=Verdict(rverdict),
                drilled_at=at.replace(tzinfo=dt.UTC),
            )
        )
    return out


def drilled_case_ids(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT DISTINCT case_id FROM drills").fetchall()}
