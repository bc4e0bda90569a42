"""Everything the workbench computes about one assessment: tiers, roll-ups, the
recommended verdict, review dates, findings and sensitivity (DOMAIN.md 4-7).

``evaluate(assessment, today)`` is the one entry point; every number or tier the
CLI, the records and the UI show comes from its result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from .findings import Finding, Level, Step, findings
from .living import Observation
from .models import (
    LAST_DATE,
    RATINGS,
    Assessment,
    Fallback,
    FallbackKind,
    Harm,
    HypothesisStatus,
    Verdict,
)
from .scoring import (
    EXPOSURE_SPREAD_LIMIT,
    ExposureBounds,
    Priority,
    Ratings,
    ResidualResult,
    Tier,
    exposure_bounds,
    priority,
    ratings_of,
    residual_ratings,
    rpn,
)

__all__ = [
    "EXPOSURE_SPREAD_LIMIT",
    "REVIEW_DAYS",
    "VERDICT_ORDER",
    "Evaluation",
    "Finding",
    "HarmResult",
    "Level",
    "SensitivityChange",
    "Step",
    "default_review_by",
    "evaluate",
    "findings",
    "recommend",
    "sensitivity",
]

VERDICT_ORDER = {
    Verdict.ship: 0,
    Verdict.ship_with_guardrails: 1,
    Verdict.hold: 2,
    Verdict.kill: 3,
}
REVIEW_DAYS = {Tier.critical: 30, Tier.high: 30, Tier.medium: 90, Tier.low: 180}


@dataclass(frozen=True)
class HarmResult:
    harm: Harm
    inherent: Priority
    residual: Priority
    ratings: Ratings
    residual_ratings: Ratings
    rpn: int
    residual_rpn: int
    exposure: ExposureBounds | None
    covered_by: tuple[str, ...]
    tested: bool  # at least one covering fallback has a tested_on date
    residual_detail: ResidualResult
    covering: tuple[Fallback, ...] = field(default=(), repr=False)  # in file order

    @property
    def id(self) -> str:
        return self.harm.id

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "type": self.harm.type,
            "priority": self.inherent.tier.name,
            "residual_priority": self.residual.tier.name,
            "rule": self.inherent.rule.id,
            "residual_rule": self.residual.rule.id,
            "rule_text": self.inherent.rule.text,
            "ratings": dict(zip(RATINGS, self.ratings, strict=True)),
            "residual_ratings": dict(zip(RATINGS, self.residual_ratings, strict=True)),
            "rpn": self.rpn,
            "residual_rpn": self.residual_rpn,
            "harmed_low": self.exposure.harmed_low if self.exposure else None,
            "harmed_high": self.exposure.harmed_high if self.exposure else None,
            "covered_by": list(self.covered_by),
        }


@dataclass(frozen=True)
class SensitivityChange:
    harm_id: str
    rating: str  # severity, likelihood, reversibility, detectability
    residual: bool
    old: int
    new: int
    verdict: Verdict
    direction: str  # "better" or "worse"

    @property
    def text(self) -> str:
        verb = "lower" if self.new < self.old else "raise"
        which = f"residual {self.rating}" if self.residual else self.rating
        return (
            f"{verb} {which} of harm {self.harm_id} from {self.old} to {self.new} "
            f"and the verdict becomes {self.verdict.label}"
        )

    def as_dict(self) -> dict:
        return {
            "harm": self.harm_id,
            "rating": self.rating,
            "residual": self.residual,
            "from": self.old,
            "to": self.new,
            "verdict": self.verdict.value,
            "direction": self.direction,
            "text": self.text,
        }


@dataclass(frozen=True)
class Evaluation:
    assessment: Assessment
    today: dt.date
    harms: list[HarmResult]
    priority: Tier | None
    residual_priority: Tier | None
    max_rpn: int | None
    residual_max_rpn: int | None
    harmed_low: float | None
    harmed_high: float | None
    recommended: Verdict
    recommended_reason: str
    review_by: dt.date | None
    review_by_defaulted: bool
    findings: list[Finding] = field(default_factory=list)
    sensitivity: list[SensitivityChange] = field(default_factory=list)
    # DOMAIN.md 9: the observations that stand (one per metric and day), and the
    # recommendation of the assessment's own content, which decisions are judged by
    observations: list[Observation] = field(default_factory=list)
    content_recommended: Verdict | None = None
    declared: Assessment | None = None  # the assessment as written, when observations changed it

    @property
    def as_written(self) -> Assessment:
        """The assessment as its file says, before observations (F18, F19 judge this)."""
        return self.declared or self.assessment

    @property
    def verdict(self) -> Verdict | None:
        d = self.assessment.decision
        return d.verdict if d else None

    @property
    def decided_against(self) -> Verdict:
        """The recommendation a decision is judged by: that of its own content, never
        of later observations (DOMAIN.md 9)."""
        return self.content_recommended or self.recommended

    @property
    def overridden(self) -> bool:
        return self.verdict is not None and self.verdict != self.decided_against

    @property
    def overdue(self) -> bool:
        return self.review_by is not None and self.review_by < self.today

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == Level.error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.level == Level.warning)

    @property
    def worst_harm(self) -> HarmResult | None:
        if not self.harms:
            return None
        return max(
            self.harms,
            key=lambda h: (h.residual.tier, h.inherent.tier, h.residual_rpn, h.rpn),
        )

    def harm(self, harm_id: str) -> HarmResult | None:
        return next((h for h in self.harms if h.id == harm_id), None)

    def as_dict(self) -> dict:
        """Plain data for JSON output: tiers lowercase, ``None`` where there are no harms."""
        a = self.assessment
        return {
            "feature_id": a.feature.id,
            "name": a.feature.name,
            "stage": a.feature.stage.value,
            "priority": _tier(self.priority),
            "residual_priority": _tier(self.residual_priority),
            "max_rpn": self.max_rpn,
            "residual_max_rpn": self.residual_max_rpn,
            "harmed_low": self.harmed_low,
            "harmed_high": self.harmed_high,
            "recommended_verdict": self.recommended.value,
            "recommended_reason": self.recommended_reason,
            "verdict": self.verdict.value if self.verdict else None,
            "review_by": self.review_by.isoformat() if self.review_by else None,
            "overdue": self.overdue,
            "harms": [h.as_dict() for h in self.harms],
            "findings": [f.as_dict() for f in self.findings],
            "sensitivity": [s.as_dict() for s in self.sensitivity],
        }

    def rank_key(self) -> tuple:
        """DOMAIN.md section 4's portfolio order; sort ascending."""
        if not self.harms:
            return (1, 0, 0, 0, 0.0, self.assessment.feature.id)
        return (
            0,
            -int(self.residual_priority or 0),
            -int(self.priority or 0),
            -(self.residual_max_rpn or 0),
            -(self.harmed_high or 0.0),
            self.assessment.feature.id,
        )


def _tier(t: Tier | None) -> str | None:
    return t.name if t is not None else None


# ------------------------------------------------------------------ harms


def _covering_index(a: Assessment) -> dict[str, list[Fallback]]:
    """Each harm id's covering fallbacks in file order (``Assessment.covering``, in one pass)."""
    index: dict[str, list[Fallback]] = {}
    for f in a.fallbacks:
        for hid in dict.fromkeys(f.covers):
            index.setdefault(hid, []).append(f)
    return index


def _harm_result(a: Assessment, harm: Harm, covering: list[Fallback]) -> HarmResult:
    inherent = ratings_of(harm)
    res = residual_ratings(a, harm, covering=covering)
    return HarmResult(
        harm=harm,
        inherent=priority(*inherent),
        residual=priority(*res.ratings),
        ratings=inherent,
        residual_ratings=res.ratings,
        rpn=rpn(*inherent),
        residual_rpn=rpn(*res.ratings),
        exposure=exposure_bounds(harm, a.feature.population),
        covered_by=tuple(f.id for f in covering),
        tested=any(f.tested_on is not None for f in covering),
        residual_detail=res,
        covering=tuple(covering),
    )


# ---------------------------------------------------------------- verdict

# What the verdict needs to know of one harm: inherent tier, residual tier,
# covered by any fallback, covered by a tested fallback.
HarmFacts = tuple[Tier, Tier, bool, bool]


# The harm clauses of the recommendation (DOMAIN.md section 6), as 0 or 1 for one
# harm: residual Critical, residual High, High or Critical without a covering
# fallback, High or Critical covered only by untested fallbacks, residual Medium.
# The verdict depends on how many harms meet each clause, so sensitivity can
# judge a change to one harm by moving only that harm's contribution.
Clauses = tuple[int, int, int, int, int]
CRITICAL, HIGH, UNCOVERED, UNTESTED, MEDIUM = range(5)


@cache
def _clauses(facts: HarmFacts) -> Clauses:
    inh, res, covered, tested = facts
    serious = inh >= Tier.high
    return (
        int(res == Tier.critical),
        int(res == Tier.high),
        int(serious and not covered),
        int(serious and covered and not tested),
        int(res == Tier.medium),
    )


def _verdict(counts: Clauses, falsified: bool, has_metrics: bool) -> tuple[Verdict, int | str]:
    """The recommended verdict from the clause counts, first match wins, with what
    decided it: a clause index, ``"falsified"``, ``"metrics"`` or ``"clear"``."""
    if counts[CRITICAL]:
        return Verdict.kill, CRITICAL
    if falsified:
        return Verdict.kill, "falsified"
    if counts[HIGH]:
        return Verdict.hold, HIGH
    if counts[UNCOVERED]:
        return Verdict.hold, UNCOVERED
    if not has_metrics:
        return Verdict.hold, "metrics"
    if counts[UNTESTED]:
        return Verdict.hold, UNTESTED
    if counts[MEDIUM]:
        return Verdict.ship_with_guardrails, MEDIUM
    return Verdict.ship, "clear"


def _totals(facts: list[HarmFacts]) -> Clauses:
    totals = [0, 0, 0, 0, 0]
    for f in facts:
        for k, v in enumerate(_clauses(f)):
            totals[k] += v
    return tuple(totals)  # type: ignore[return-value]


_REASONS = {
    CRITICAL: "harm {id} is still Critical after its fallbacks",
    HIGH: "harm {id} is still High after its fallbacks",
    UNCOVERED: "{tier} harm {id} has no covering fallback",
    UNTESTED: "no fallback covering {tier} harm {id} has ever been tested",
    MEDIUM: "harm {id} is Medium after its fallbacks",
    "metrics": "no metric says what good looks like",
    "clear": "no harm is above Low after its fallbacks",
}


def recommend(
    facts: list[HarmFacts], ids: list[str], falsified: list[str], has_metrics: bool
) -> tuple[Verdict, str]:
    """The recommended verdict (DOMAIN.md section 6), first match wins, with its reason
    (naming the first harm, or hypothesis, that decided it)."""
    verdict, why = _verdict(_totals(facts), bool(falsified), has_metrics)
    if why == "falsified":
        return verdict, f"hypothesis {falsified[0]} was falsified"
    if isinstance(why, int):
        f, hid = next((f, hid) for f, hid in zip(facts, ids, strict=True) if _clauses(f)[why])
        return verdict, _REASONS[why].format(id=hid, tier=f[0].label)
    return verdict, _REASONS[why]


def _facts(h: HarmResult) -> HarmFacts:
    return (h.inherent.tier, h.residual.tier, bool(h.covered_by), h.tested)


def default_review_by(decided_on: dt.date, worst_residual: Tier | None) -> dt.date:
    """The decision date + 30, 90 or 180 days (DOMAIN.md 6), at most the last valid date."""
    days = dt.timedelta(days=REVIEW_DAYS[worst_residual or Tier.low])
    if decided_on > LAST_DATE - days:
        return LAST_DATE
    return decided_on + days


# ------------------------------------------------------------ evaluation


def evaluate(
    a: Assessment,
    today: dt.date | None = None,
    *,
    with_sensitivity: bool = True,
    observations: Sequence[Observation] = (),
) -> Evaluation:
    """Score an assessment. ``with_sensitivity=False`` skips the sensitivity search
    (``Evaluation.sensitivity`` stays empty), for callers that only need the rest.

    With ``observations`` (DOMAIN.md 9) the assessment is scored as the world now
    stands: the observed reach when it outgrew the declared one, and hypotheses an
    observation falsified counted as falsified; breaches and outgrown reach become
    findings (F17, F18). Decisions are still judged by their own content's
    recommendation (``content_recommended``)."""
    today = today or dt.date.today()
    if observations:
        from .living import observed, standing_values

        current = standing_values(observations)
        scored = observed(a, current)
        own = _evaluate(a, today, False).recommended if scored is not a else None
        return _evaluate(scored, today, with_sensitivity, current, own, a if own else None)
    return _evaluate(a, today, with_sensitivity)


def _evaluate(
    a: Assessment,
    today: dt.date,
    with_sensitivity: bool,
    observations: Sequence[Observation] = (),
    content_recommended: Verdict | None = None,
    declared: Assessment | None = None,
) -> Evaluation:
    covering = _covering_index(a)
    harms = [_harm_result(a, h, covering.get(h.id, [])) for h in a.harms]
    ids = [h.id for h in harms]
    facts = [_facts(h) for h in harms]
    falsified = [h.id for h in a.hypotheses if h.status == HypothesisStatus.falsified]
    verdict, reason = recommend(facts, ids, falsified, bool(a.metrics))

    residual_tier = max((h.residual.tier for h in harms), default=None)
    exposures = [h.exposure for h in harms if h.exposure is not None]

    review_by: dt.date | None = None
    if a.decision is not None:
        review_by = a.decision.review_by or default_review_by(a.decision.decided_on, residual_tier)

    ev = Evaluation(
        assessment=a,
        today=today,
        harms=harms,
        priority=max((h.inherent.tier for h in harms), default=None),
        residual_priority=residual_tier,
        max_rpn=max((h.rpn for h in harms), default=None),
        residual_max_rpn=max((h.residual_rpn for h in harms), default=None),
        harmed_low=sum(e.harmed_low for e in exposures) if exposures else None,
        harmed_high=sum(e.harmed_high for e in exposures) if exposures else None,
        recommended=verdict,
        recommended_reason=reason,
        review_by=review_by,
        review_by_defaulted=a.decision is not None and a.decision.review_by is None,
        observations=list(observations),
        content_recommended=content_recommended,
        declared=declared,
    )
    ev.findings.extend(findings(ev))
    if with_sensitivity:
        ev.sensitivity.extend(sensitivity(ev, facts, falsified))
    return ev


# ------------------------------------------------------------ sensitivity


def _residual_from(
    inherent: Ratings, claimed: tuple[int | None, ...], covered: bool, warn_only_kinds: bool
) -> Ratings:
    if not covered:
        return inherent
    values = [c if c is not None else i for i, c in zip(inherent, claimed, strict=True)]
    if warn_only_kinds and inherent[2] == 5:
        values[0], values[2] = inherent[0], inherent[2]
    return tuple(values)  # type: ignore[return-value]


Candidate = tuple[int, bool, int, int, int, Tier, Tier]  # distance, residual, i, old, new, tiers


@lru_cache(maxsize=65536)
def _candidates(
    ratings: Ratings, claimed: tuple[int | None, ...], covered: bool, warn_only: bool
) -> tuple[Candidate, ...]:
    """Every single-rating change of one harm, nearest first, with the tiers it gives.

    Depends only on the harm's own ratings, so it is shared across a portfolio.
    """
    out: list[Candidate] = []
    current_res = _residual_from(ratings, claimed, covered, warn_only)
    for residual in (False, True):
        if residual and not covered:
            continue
        for i in range(4):
            if residual and warn_only and ratings[2] == 5 and i in (0, 2):
                continue  # a warning cannot lower S or R of an irreversible harm
            old = (current_res if residual else ratings)[i]
            for new in range(1, 6):
                if new == old:
                    continue
                if residual:
                    c = list(claimed)
                    c[i] = new
                    inh, res = ratings, _residual_from(ratings, tuple(c), covered, warn_only)
                else:
                    changed = list(ratings)
                    changed[i] = new
                    inh = tuple(changed)
                    res = _residual_from(inh, claimed, covered, warn_only)  # type: ignore[arg-type]
                out.append(
                    (
                        abs(new - old),
                        residual,
                        i,
                        old,
                        new,
                        priority(*inh).tier,
                        priority(*res).tier,
                    )
                )
    out.sort(key=lambda c: c[0])
    return tuple(out)


@dataclass(frozen=True)
class _Judge:
    """The verdict's order for "every harm as it is, but one", in constant time."""

    counts: Clauses
    falsified: bool
    has_metrics: bool

    @classmethod
    def of(cls, facts: list[HarmFacts], falsified: list[str], has_metrics: bool) -> _Judge:
        return cls(_totals(facts), bool(falsified), has_metrics)

    def without(self, facts: HarmFacts) -> Clauses:
        """The counts of every other harm: the base for :meth:`order_with`."""
        b = _clauses(facts)
        c = self.counts
        return (c[0] - b[0], c[1] - b[1], c[2] - b[2], c[3] - b[3], c[4] - b[4])

    def order_with(self, others: Clauses, facts: HarmFacts) -> int:
        """The verdict's order when the one harm left out of ``others`` has ``facts``."""
        a = _clauses(facts)
        o = others
        counts = (o[0] + a[0], o[1] + a[1], o[2] + a[2], o[3] + a[3], o[4] + a[4])
        return VERDICT_ORDER[_verdict(counts, self.falsified, self.has_metrics)[0]]


_BY_ORDER = {order: verdict for verdict, order in VERDICT_ORDER.items()}


# One harm's levers: (residual, index into RATINGS, old, new, verdict, direction).
Lever = tuple[bool, int, int, int, Verdict, str]


def _levers(
    facts: HarmFacts, candidates: tuple[Candidate, ...], judge: _Judge, current: int
) -> tuple[Lever, ...]:
    """The nearest change to a better verdict and to a worse one, for one harm."""
    _, _, covered, tested = facts
    others = judge.without(facts)
    orders: dict[tuple[Tier, Tier], int] = {}

    def order_for(inh_t: Tier, res_t: Tier) -> int:
        key = (inh_t, res_t)
        if key not in orders:
            orders[key] = judge.order_with(others, (inh_t, res_t, covered, tested))
        return orders[key]

    # The verdict only gets worse as a harm's tiers rise, so the extremes tell
    # which directions this harm can reach at all.
    possible = set()
    if order_for(Tier.low, Tier.low) < current:
        possible.add("better")
    if order_for(Tier.critical, Tier.critical) > current:
        possible.add("worse")
    if not possible:
        return ()
    found: dict[str, tuple[int, int, Candidate, int]] = {}
    for cand in candidates:
        distance, residual = cand[0], cand[1]
        if possible <= found.keys() and distance > max(f[0] for f in found.values()):
            break
        order = order_for(cand[5], cand[6])
        if order == current:
            continue
        direction = "better" if order < current else "worse"
        # Better: prefer a residual rating (what a fallback earns);
        # worse: prefer an inherent one ("if severity is really 5").
        prefer = int(residual != (direction == "better"))
        best = found.get(direction)
        if best is None or (distance, prefer) < best[:2]:
            found[direction] = (distance, prefer, cand, order)
    return tuple(
        (c[1], c[2], c[3], c[4], _BY_ORDER[order], direction)
        for direction in ("better", "worse")
        if direction in found
        for _, _, c, order in (found[direction],)
    )


def sensitivity(
    ev: Evaluation, facts: list[HarmFacts], falsified: list[str]
) -> list[SensitivityChange]:
    """For each harm, the smallest change of one rating that changes the verdict.

    At most two per harm: the nearest change to a better verdict (preferring a
    residual rating, the lever a fallback gives) and the nearest to a worse one
    (preferring an inherent one: "if severity is really 5..."). Each candidate is
    judged in constant time (``_Judge``), and harms alike in ratings, claims and
    cover share one search, so the whole is linear in the number of harms.
    """
    judge = _Judge.of(facts, falsified, bool(ev.assessment.metrics))
    current = VERDICT_ORDER[ev.recommended]
    searched: dict[tuple, tuple[Lever, ...]] = {}
    out: list[SensitivityChange] = []
    for h, f in zip(ev.harms, facts, strict=True):
        covered = bool(h.covering)
        warn_only = covered and all(fb.kind == FallbackKind.warn_user for fb in h.covering)
        res_model = h.harm.residual
        claimed = tuple(getattr(res_model, k) if res_model else None for k in RATINGS)
        key = (f, h.ratings, claimed, covered, warn_only)
        if key not in searched:
            cands = _candidates(h.ratings, claimed, covered, warn_only)
            searched[key] = _levers(f, cands, judge, current)
        for residual, i, old, new, verdict, direction in searched[key]:
            out.append(SensitivityChange(h.id, RATINGS[i], residual, old, new, verdict, direction))
    return out
