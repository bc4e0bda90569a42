"""Everything the workbench computes about one assessment: tiers, roll-ups, the
recommended verdict, review dates, findings and sensitivity (DOMAIN.md 4-7).

``evaluate(assessment, today)`` is the one entry point; every number or tier the
CLI, the records and the UI show comes from its result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from .models import (
    RATINGS,
    Assessment,
    FallbackKind,
    Harm,
    HypothesisStatus,
    MetricKind,
    Verdict,
)
from .scoring import (
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

VERDICT_ORDER = {
    Verdict.ship: 0,
    Verdict.ship_with_guardrails: 1,
    Verdict.hold: 2,
    Verdict.kill: 3,
}
REVIEW_DAYS = {Tier.critical: 30, Tier.high: 30, Tier.medium: 90, Tier.low: 180}
EXPOSURE_SPREAD_LIMIT = 100


class Level(StrEnum):
    error = "error"
    warning = "warning"


class Step(StrEnum):
    """The wizard step where a finding is fixed."""

    feature = "feature"
    harms = "harms"
    ratings = "ratings"
    exposure = "exposure"
    fallbacks = "fallbacks"
    learning = "learning"  # metrics, hypotheses, premortem
    review = "review"


@dataclass(frozen=True)
class Finding:
    code: str
    level: Level
    about: str  # what it is about: "harm:ID", "fallback:ID", "metrics", "decision", ...
    message: str
    step: Step

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "level": self.level.value,
            "about": self.about,
            "message": self.message,
        }


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
            f"and the verdict becomes {self.verdict.value}"
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

    @property
    def verdict(self) -> Verdict | None:
        d = self.assessment.decision
        return d.verdict if d else None

    @property
    def overridden(self) -> bool:
        return self.verdict is not None and self.verdict != self.recommended

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


def _harm_result(a: Assessment, harm: Harm) -> HarmResult:
    inherent = ratings_of(harm)
    res = residual_ratings(a, harm)
    covering = a.covering(harm.id)
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
    )


# ---------------------------------------------------------------- verdict

# What the verdict needs to know of one harm: inherent tier, residual tier,
# covered by any fallback, covered by a tested fallback.
HarmFacts = tuple[Tier, Tier, bool, bool]


def recommend(
    facts: list[HarmFacts], ids: list[str], falsified: list[str], has_metrics: bool
) -> tuple[Verdict, str]:
    """The recommended verdict (DOMAIN.md section 6), first match wins, with its reason."""
    for (_, res, _, _), hid in zip(facts, ids, strict=True):
        if res == Tier.critical:
            return Verdict.kill, f"harm {hid} is still Critical after its fallbacks"
    if falsified:
        return Verdict.kill, f"hypothesis {falsified[0]} was falsified"
    for (_, res, _, _), hid in zip(facts, ids, strict=True):
        if res == Tier.high:
            return Verdict.hold, f"harm {hid} is still High after its fallbacks"
    for (inh, _, covered, _tested), hid in zip(facts, ids, strict=True):
        if inh >= Tier.high and not covered:
            return Verdict.hold, f"{inh.label} harm {hid} has no covering fallback"
    if not has_metrics:
        return Verdict.hold, "no metric says what good looks like"
    for (inh, _, covered, tested), hid in zip(facts, ids, strict=True):
        if inh >= Tier.high and covered and not tested:
            return (
                Verdict.hold,
                f"no fallback covering {inh.label} harm {hid} has ever been tested",
            )
    for (_, res, _, _), hid in zip(facts, ids, strict=True):
        if res == Tier.medium:
            return (
                Verdict.ship_with_guardrails,
                f"harm {hid} is Medium after its fallbacks",
            )
    return Verdict.ship, "no harm is above Low after its fallbacks"


def _facts(h: HarmResult) -> HarmFacts:
    return (h.inherent.tier, h.residual.tier, bool(h.covered_by), h.tested)


def default_review_by(decided_on: dt.date, worst_residual: Tier | None) -> dt.date:
    return decided_on + dt.timedelta(days=REVIEW_DAYS[worst_residual or Tier.low])


# ------------------------------------------------------------ evaluation


def evaluate(
    a: Assessment, today: dt.date | None = None, *, with_sensitivity: bool = True
) -> Evaluation:
    """Score an assessment. ``with_sensitivity=False`` skips the sensitivity search
    (``Evaluation.sensitivity`` stays empty), for callers that only need the rest."""
    today = today or dt.date.today()
    harms = [_harm_result(a, h) for h in a.harms]
    ids = [h.id for h in harms]
    facts = [_facts(h) for h in harms]
    falsified = [h.id for h in a.hypotheses if h.status == HypothesisStatus.falsified]
    verdict, reason = recommend(facts, ids, falsified, bool(a.metrics))

    inherent_tier = max((h.inherent.tier for h in harms), default=None)
    residual_tier = max((h.residual.tier for h in harms), default=None)
    exposures = [h.exposure for h in harms if h.exposure is not None]

    review_by: dt.date | None = None
    defaulted = False
    if a.decision is not None:
        review_by = a.decision.review_by
        if review_by is None:
            review_by = default_review_by(a.decision.decided_on, residual_tier)
            defaulted = True

    ev = Evaluation(
        assessment=a,
        today=today,
        harms=harms,
        priority=inherent_tier,
        residual_priority=residual_tier,
        max_rpn=max((h.rpn for h in harms), default=None),
        residual_max_rpn=max((h.residual_rpn for h in harms), default=None),
        harmed_low=sum(e.harmed_low for e in exposures) if exposures else None,
        harmed_high=sum(e.harmed_high for e in exposures) if exposures else None,
        recommended=verdict,
        recommended_reason=reason,
        review_by=review_by,
        review_by_defaulted=defaulted,
    )
    ev.findings.extend(findings(ev))
    if with_sensitivity:
        ev.sensitivity.extend(sensitivity(ev, facts, falsified))
    return ev


# --------------------------------------------------------------- findings


def _fmt_people(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:,.2g}"


def findings(ev: Evaluation) -> list[Finding]:  # noqa: C901 - one rule per block
    a = ev.assessment
    out: list[Finding] = []
    E, W = Level.error, Level.warning
    decision = a.decision
    ref_date = decision.decided_on if decision else ev.today

    for h in ev.harms:
        if h.inherent.tier >= Tier.high and not h.covered_by:
            out.append(
                Finding(
                    "F01",
                    E,
                    f"harm:{h.id}",
                    f"{h.inherent.tier.label} harm {h.id} has no covering fallback: design what "
                    "the product does when it happens (block, human review, kill switch...)",
                    Step.fallbacks,
                )
            )

    if not any(m.decided_on <= ref_date for m in a.metrics):
        when = f"the decision date {ref_date}" if decision else f"today ({ref_date})"
        if a.metrics:
            first = min(m.decided_on for m in a.metrics)
            msg = (
                f"no metric was decided on or before {when} (the earliest was decided on "
                f"{first}): metrics chosen after the decision are not pre-committed; define "
                "success and guardrail metrics first"
            )
        else:
            msg = (
                "no metric is defined: decide what good looks like (a product or guardrail "
                "metric with a target) before the decision"
            )
        out.append(Finding("F02", E, "metrics", msg, Step.learning))

    if a.metrics and all(m.kind == MetricKind.model for m in a.metrics):
        out.append(
            Finding(
                "F03",
                W,
                "metrics",
                "all metrics are model metrics: add a product metric (trust decay, escalation "
                "rate, override rate...) that shows what users experience",
                Step.learning,
            )
        )

    for hyp in a.hypotheses:
        missing = [k for k in ("falsified_if", "check_by") if getattr(hyp, k) in (None, "")]
        if missing:
            out.append(
                Finding(
                    "F04",
                    W,
                    f"hypothesis:{hyp.id}",
                    f"hypothesis {hyp.id} lacks {' and '.join(missing)}: say what result would "
                    "prove it wrong and when it is checked",
                    Step.learning,
                )
            )

    for h in ev.harms:
        if h.residual_detail.warn_claims_refused:
            out.append(
                Finding(
                    "F05",
                    E,
                    f"harm:{h.id}",
                    f"harm {h.id} is irreversible and only warn_user fallbacks cover it, yet its "
                    "residual ratings claim lower severity or reversibility: a warning cannot undo "
                    "an irreversible mistake; add a block, abstain or human-review fallback, or "
                    "remove the claim",
                    Step.fallbacks,
                )
            )

    for h in ev.harms:
        if h.exposure is not None and h.exposure.needs_evidence:
            spread = h.exposure.high_product / h.exposure.low_product
            out.append(
                Finding(
                    "F06",
                    W,
                    f"harm:{h.id}",
                    f"the exposure estimate of harm {h.id} spans {spread:,.0f}x between its low "
                    "and high bounds: gather evidence to narrow the factor ranges",
                    Step.exposure,
                )
            )

    if decision is not None and ev.overridden:
        missing = []
        if not (decision.rationale or "").strip():
            missing.append("a rationale")
        if not [d for d in decision.decided_by if d.strip()]:
            missing.append("a decider")
        if missing:
            out.append(
                Finding(
                    "F07",
                    E,
                    "decision",
                    f"the chosen verdict {decision.verdict.value} overrides the recommended "
                    f"{ev.recommended.value} without {' or '.join(missing)}: record why, and who "
                    "decided",
                    Step.review,
                )
            )

    if decision is not None:
        if decision.review_by is None:
            out.append(
                Finding(
                    "F08",
                    W,
                    "decision",
                    f"review_by is not set: it defaults to {ev.review_by}; set a date when this "
                    "decision will be revisited",
                    Step.review,
                )
            )
        elif ev.overdue:
            out.append(
                Finding(
                    "F08",
                    W,
                    "decision",
                    f"the review was due on {decision.review_by}: revisit the decision and save "
                    "a new revision",
                    Step.review,
                )
            )

    for f in a.fallbacks:
        load = f.review_load()
        if (
            f.kind == FallbackKind.human_review
            and load is not None
            and f.reviewer_capacity_per_day is not None
            and load > f.reviewer_capacity_per_day
        ):
            out.append(
                Finding(
                    "F09",
                    E,
                    f"fallback:{f.id}",
                    f"human review {f.id} expects {load:,.0f} reviews a day "
                    f"({f.requests_per_day:,.0f} x {f.share_below_threshold:.1%}) but reviewers "
                    f"handle {f.reviewer_capacity_per_day:,.0f}: add capacity, lower the share "
                    "below the threshold, or limit the rollout",
                    Step.fallbacks,
                )
            )

    if not a.premortem:
        out.append(
            Finding(
                "F10",
                W,
                "premortem",
                "no premortem items: write down how this could have failed six months from now, "
                "and the signal that would show it early",
                Step.learning,
            )
        )

    has_guardrail_metric = any(m.kind == MetricKind.guardrail for m in a.metrics)
    for h in ev.harms:
        if h.harm.detectability == 5 and not has_guardrail_metric:
            monitored = any(f.kind == FallbackKind.monitor for f in a.covering(h.id))
            if not monitored:
                out.append(
                    Finding(
                        "F11",
                        W,
                        f"harm:{h.id}",
                        f"nobody can notice harm {h.id} today (detectability 5) and no monitor "
                        "fallback or guardrail metric watches for it: instrument first",
                        Step.fallbacks,
                    )
                )

    if (
        decision is not None
        and decision.verdict == Verdict.ship_with_guardrails
        and not any(
            f.kind in (FallbackKind.kill_switch, FallbackKind.rollback) for f in a.fallbacks
        )
    ):
        out.append(
            Finding(
                "F12",
                W,
                "decision",
                "shipping with guardrails but no kill_switch or rollback fallback: add a way "
                "to turn the feature off",
                Step.fallbacks,
            )
        )

    # Checks beyond DOMAIN.md's twelve.
    for h in ev.harms:
        if h.residual_detail.claims_ignored:
            out.append(
                Finding(
                    "F13",
                    W,
                    f"harm:{h.id}",
                    f"harm {h.id} claims residual ratings but no fallback covers it, so they are "
                    "ignored: add the fallback that earns them, or remove the claim",
                    Step.fallbacks,
                )
            )

    for hyp in a.hypotheses:
        if hyp.status == HypothesisStatus.open and hyp.check_by and hyp.check_by < ev.today:
            out.append(
                Finding(
                    "F14",
                    W,
                    f"hypothesis:{hyp.id}",
                    f"hypothesis {hyp.id} was to be checked by {hyp.check_by} and is still open: "
                    "record whether it was supported or falsified",
                    Step.learning,
                )
            )

    if any(h.exposure is not None for h in ev.harms) and not a.feature.population:
        out.append(
            Finding(
                "F15",
                W,
                "feature",
                "harms have exposure estimates but the feature has no population: set how many "
                "people it reaches per month so that people harmed can be bounded",
                Step.feature,
            )
        )
    return out


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


def sensitivity(
    ev: Evaluation, facts: list[HarmFacts], falsified: list[str]
) -> list[SensitivityChange]:
    """For each harm, the smallest change of one rating that changes the verdict.

    At most two per harm: the nearest change to a better verdict (preferring a
    residual rating, the lever a fallback gives) and the nearest to a worse one
    (preferring an inherent rating: "if severity is really 5...").
    """
    a = ev.assessment
    ids = [h.id for h in ev.harms]
    has_metrics = bool(a.metrics)
    current = VERDICT_ORDER[ev.recommended]
    out: list[SensitivityChange] = []
    for idx, h in enumerate(ev.harms):
        covering = a.covering(h.id)
        covered = bool(covering)
        warn_only = covered and all(f.kind == FallbackKind.warn_user for f in covering)
        res_model = h.harm.residual
        claimed = tuple(getattr(res_model, k) if res_model else None for k in RATINGS)
        cache: dict[tuple[Tier, Tier], int] = {}

        def order_for(inh_t: Tier, res_t: Tier, idx=idx, h=h, cache=cache) -> int:
            key = (inh_t, res_t)
            if key not in cache:
                trial = list(facts)
                trial[idx] = (inh_t, res_t, bool(h.covered_by), h.tested)
                cache[key] = VERDICT_ORDER[recommend(trial, ids, falsified, has_metrics)[0]]
            return cache[key]

        # The verdict only gets worse as a harm's tiers rise, so the extremes tell
        # which directions this harm can reach at all.
        possible = set()
        if order_for(Tier.low, Tier.low) < current:
            possible.add("better")
        if order_for(Tier.critical, Tier.critical) > current:
            possible.add("worse")
        if not possible:
            continue
        found: dict[str, tuple[int, int, Candidate, int]] = {}
        for cand in _candidates(h.ratings, claimed, covered, warn_only):
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
        for direction in ("better", "worse"):
            if direction in found:
                _, _, (_, residual, i, old, new, _, _), order = found[direction]
                verdict = next(v for v, o in VERDICT_ORDER.items() if o == order)
                out.append(
                    SensitivityChange(h.id, RATINGS[i], residual, old, new, verdict, direction)
                )
    return out
