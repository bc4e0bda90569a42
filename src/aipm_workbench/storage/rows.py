"""An assessment as the rows the database keeps: its revision row and its harm rows.

Every stored number comes from ``domain.evaluate``. Finding counts are stored
without the findings that depend on the date (F02 of an undecided assessment,
F08 for a passed review date, F14 for an open hypothesis past its check date),
together with the dates those depend on, so that a query adds them for any
"today" (see ``sql.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from ..domain import Assessment, HypothesisStatus, Level, dump_json, evaluate

# Any date does: every stored value is independent of "today".
_REFERENCE_DAY = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Prepared:
    """One assessment ready to write: canonical JSON, its hash, revision and harm values."""

    feature_id: str
    body: str
    content_hash: str
    row: tuple  # revision columns in REVISION_COLUMNS order (tuples: an import holds many)
    harms: list[tuple]  # harm columns in HARM_COLUMNS order, one tuple per harm

    @property
    def values(self) -> dict:
        """The revision columns by name (without feature_id, number, saved_at, note)."""
        return dict(zip(REVISION_COLUMNS, self.row, strict=True))


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def prepare(a: Assessment) -> Prepared:
    """Score an assessment and lay it out as the rows ``Store.import_prepared`` writes."""
    body = dump_json(a)
    ev = evaluate(a, _REFERENCE_DAY, with_sensitivity=False)
    d = a.decision
    base_errors = base_warnings = 0
    for f in ev.findings:
        if _depends_on_today(f.code, a):
            continue
        if f.level == Level.error:
            base_errors += 1
        else:
            base_warnings += 1
    worst = ev.worst_harm
    values = {
        "name": a.feature.name,
        "owner": a.feature.owner,
        "stage": a.feature.stage.value,
        "harm_count": len(ev.harms),
        "inherent_tier": int(ev.priority) if ev.priority is not None else None,
        "residual_tier": int(ev.residual_priority) if ev.residual_priority is not None else None,
        "max_rpn": ev.max_rpn,
        "residual_max_rpn": ev.residual_max_rpn,
        "harmed_low": ev.harmed_low,
        "harmed_high": ev.harmed_high,
        "worst_harm": worst.id if worst else None,
        "worst_harm_type": worst.harm.type if worst else None,
        "recommended": ev.recommended.value,
        "recommended_reason": ev.recommended_reason,
        "verdict": d.verdict.value if d else None,
        "decision_status": d.status.value if d else None,
        "decided_on": d.decided_on if d else None,
        "review_by": ev.review_by,
        "review_by_set": bool(d and d.review_by is not None),
        "base_errors": base_errors,
        "base_warnings": base_warnings,
        "first_metric_on": min((m.decided_on for m in a.metrics), default=None),
        "open_check_by": sorted(
            h.check_by
            for h in a.hypotheses
            if h.status == HypothesisStatus.open and h.check_by is not None
        ),
    }
    harms = []
    for pos, h in enumerate(ev.harms):
        s, l, r, dd = h.ratings  # noqa: E741
        rs, rl, rr, rd = h.residual_ratings
        harms.append(
            {
                "position": pos,
                "harm_id": h.id,
                "type": h.harm.type,
                "source": h.harm.source.value,
                "severity": s,
                "likelihood": l,
                "reversibility": r,
                "detectability": dd,
                "residual_severity": rs,
                "residual_likelihood": rl,
                "residual_reversibility": rr,
                "residual_detectability": rd,
                "inherent_tier": int(h.inherent.tier),
                "residual_tier": int(h.residual.tier),
                "inherent_rule": h.inherent.rule.id,
                "residual_rule": h.residual.rule.id,
                "rpn": h.rpn,
                "residual_rpn": h.residual_rpn,
                "harmed_low": h.exposure.harmed_low if h.exposure else None,
                "harmed_high": h.exposure.harmed_high if h.exposure else None,
            }
        )
    return Prepared(
        a.feature.id,
        body,
        content_hash(body),
        tuple(values[k] for k in REVISION_COLUMNS),
        [tuple(h[k] for k in HARM_COLUMNS) for h in harms],
    )


def _depends_on_today(code: str, a: Assessment) -> bool:
    """Findings whose presence changes with the date; queries add them for their "today"."""
    if code == "F14":  # an open hypothesis past its check_by date
        return True
    if code == "F08":  # the passed-review variant; a missing review_by is permanent
        return a.decision is not None and a.decision.review_by is not None
    if code == "F02":  # undecided: judged against today, unless there is no metric at all
        return a.decision is None and bool(a.metrics)
    return False


REVISION_COLUMNS = (
    "name",
    "owner",
    "stage",
    "harm_count",
    "inherent_tier",
    "residual_tier",
    "max_rpn",
    "residual_max_rpn",
    "harmed_low",
    "harmed_high",
    "worst_harm",
    "worst_harm_type",
    "recommended",
    "recommended_reason",
    "verdict",
    "decision_status",
    "decided_on",
    "review_by",
    "review_by_set",
    "base_errors",
    "base_warnings",
    "first_metric_on",
    "open_check_by",
)

HARM_COLUMNS = (
    "position",
    "harm_id",
    "type",
    "source",
    "severity",
    "likelihood",
    "reversibility",
    "detectability",
    "residual_severity",
    "residual_likelihood",
    "residual_reversibility",
    "residual_detectability",
    "inherent_tier",
    "residual_tier",
    "inherent_rule",
    "residual_rule",
    "rpn",
    "residual_rpn",
    "harmed_low",
    "harmed_high",
)
