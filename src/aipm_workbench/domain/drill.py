"""The drill (DOMAIN.md section 10): rate a past incident before seeing its outcome.

A drill shows a casebook incident as the feature it was before launch; the PM
answers with the primary harm's type, its four ratings and a verdict. Scoring
compares the answer with the case: the type matches when it is any of the
case's harm types; each scale's difference is the PM's rating minus the
reference rating (negative: rated lower than the reference); the tiers agree
when the PM's four ratings fall in the same priority tier as the reference
ratings; and the verdict the reference implies is read from its tier, since a
case has no fallbacks or metrics. Pure domain: no database, no terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .casebook import SCALE_NAMES, Incident
from .scoring import priority
from .vocab import Tier, Verdict

Ratings = tuple[int, int, int, int]  # (S, L, R, D)

# The verdict a tier implies when nothing but the ratings is known.
VERDICT_OF_TIER: dict[Tier, Verdict] = {
    Tier.critical: Verdict.kill,
    Tier.high: Verdict.hold,
    Tier.medium: Verdict.ship_with_guardrails,
    Tier.low: Verdict.ship,
}


def implied_verdict(tier: Tier) -> Verdict:
    """The verdict the reference tier implies (Critical kill ... Low ship)."""
    return VERDICT_OF_TIER[tier]


@dataclass(frozen=True)
class DrillAnswer:
    """What the PM answered: the primary harm's type, four ratings, a verdict."""

    harm_type: str
    severity: int
    likelihood: int
    reversibility: int
    detectability: int
    verdict: Verdict

    def __post_init__(self) -> None:
        for name in SCALE_NAMES:
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise ValueError(f"{name}: a rating is a whole number from 1 to 5, not {value!r}")
        if not isinstance(self.verdict, Verdict):
            raise ValueError(f"verdict: {self.verdict!r} is not a verdict")

    @property
    def ratings(self) -> Ratings:
        return (self.severity, self.likelihood, self.reversibility, self.detectability)


@dataclass(frozen=True)
class DrillResult:
    """One scored drill, as stored: the answer, the reference, and the scores."""

    case_id: str
    answer: DrillAnswer
    reference: Ratings
    type_match: bool
    tier: Tier  # of the PM's ratings
    reference_tier: Tier
    reference_verdict: Verdict
    drilled_at: dt.datetime | None = None

    @property
    def diffs(self) -> dict[str, int]:
        """PM's rating minus the reference, per scale (negative: rated lower)."""
        return {
            name: mine - ref
            for name, mine, ref in zip(
                SCALE_NAMES, self.answer.ratings, self.reference, strict=True
            )
        }

    @property
    def abs_diffs(self) -> dict[str, int]:
        return {name: abs(d) for name, d in self.diffs.items()}

    @property
    def tier_agrees(self) -> bool:
        return self.tier == self.reference_tier

    @property
    def verdict_agrees(self) -> bool:
        return self.answer.verdict == self.reference_verdict


def score(incident: Incident, answer: DrillAnswer, at: dt.datetime | None = None) -> DrillResult:
    """Score an answer against a case (DOMAIN.md section 10)."""
    reference_tier = priority(*incident.ratings).tier
    return DrillResult(
        case_id=incident.id,
        answer=answer,
        reference=incident.ratings,
        type_match=answer.harm_type in incident.harm_types,
        tier=priority(*answer.ratings).tier,
        reference_tier=reference_tier,
        reference_verdict=implied_verdict(reference_tier),
        drilled_at=at,
    )


@dataclass(frozen=True)
class DrillStats:
    """What many drills say about a PM's judgment; rates and means None for no drills."""

    drills: int
    type_match_rate: float | None
    tier_agreement_rate: float | None
    mean_abs_diff: dict[str, float | None]
    # The scale rated lowest against the reference on average (signed mean difference)
    most_under_rated: str | None
    mean_diff: dict[str, float | None]
    verdict_agreement_rate: float | None

    def to_json(self) -> dict[str, Any]:
        """The object ``drill --stats --format json`` prints, keys fixed."""
        return {
            "drills": self.drills,
            "type_match_rate": _round(self.type_match_rate),
            "tier_agreement_rate": _round(self.tier_agreement_rate),
            "mean_abs_diff": {k: _round(v) for k, v in self.mean_abs_diff.items()},
            "most_under_rated": self.most_under_rated,
            "verdict_agreement_rate": _round(self.verdict_agreement_rate),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def drill_stats(results: Sequence[DrillResult]) -> DrillStats:
    """Rates and mean differences over ``results``.

    ``most_under_rated`` is the scale with the lowest mean signed difference
    (PM minus reference); on a tie, the first in S, L, R, D order.
    """
    n = len(results)
    if n == 0:
        none = dict.fromkeys(SCALE_NAMES)
        return DrillStats(0, None, None, dict(none), None, dict(none), None)

    def rate(flags) -> float:
        return sum(1 for f in flags if f) / n

    mean_diff = {s: sum(r.diffs[s] for r in results) / n for s in SCALE_NAMES}
    mean_abs = {s: sum(r.abs_diffs[s] for r in results) / n for s in SCALE_NAMES}
    lowest = min(SCALE_NAMES, key=lambda s: (mean_diff[s], SCALE_NAMES.index(s)))
    return DrillStats(
        drills=n,
        type_match_rate=rate(r.type_match for r in results),
        tier_agreement_rate=rate(r.tier_agrees for r in results),
        mean_abs_diff=mean_abs,
        most_under_rated=lowest,
        mean_diff=mean_diff,
        verdict_agreement_rate=rate(r.verdict_agrees for r in results),
    )
