"""Findings (DOMAIN.md section 7): quality checks, one small rule per code.

Each rule takes the evaluation (everything but its findings and sensitivity is
computed) and yields its findings; :data:`FINDING_RULES` lists the rules in
code order, and :func:`findings` runs them. Adding a finding is one function
here and one line in that list.

Three rules depend on "today": F02 (an undecided assessment), F08 (a passed
review date) and F14 (an open hypothesis past its check date). The portfolio
stores finding counts without them and adds them back in SQL for any day
(``DETAILS`` in ``storage/sql.py``, fed by ``_depends_on_today`` in
``storage/rows.py``): a change to one of those three rules must be made there
too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .formatting import percent, times
from .vocab import FallbackKind, HypothesisStatus, MetricKind, Tier, Verdict

if TYPE_CHECKING:
    from .evaluation import Evaluation


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


Rule = Callable[["Evaluation"], Iterable[Finding]]
E, W = Level.error, Level.warning


# ------------------------------------------------------------ DOMAIN.md's twelve


def f01_uncovered_high_harm(ev: Evaluation) -> Iterator[Finding]:
    """F01 (DOMAIN.md 7, error): a High or Critical harm has no covering fallback."""
    for h in ev.harms:
        if h.inherent.tier >= Tier.high and not h.covered_by:
            yield Finding(
                "F01",
                E,
                f"harm:{h.id}",
                f"{h.inherent.tier.label} harm {h.id} has no covering fallback: design what "
                "the product does when it happens (block, human review, kill switch...)",
                Step.fallbacks,
            )


def f02_no_metric_before_decision(ev: Evaluation) -> Iterator[Finding]:
    """F02 (DOMAIN.md 7, error): no metric decided on or before the decision date.

    Without a decision the date is today. Depends on the date: for an undecided
    assessment with metrics, ``storage/sql.py`` (``DETAILS``,
    ``first_metric_on > $today``) repeats this rule.
    """
    a = ev.assessment
    decision = a.decision
    ref_date = decision.decided_on if decision else ev.today
    if any(m.decided_on <= ref_date for m in a.metrics):
        return
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
    yield Finding("F02", E, "metrics", msg, Step.learning)


def f03_only_model_metrics(ev: Evaluation) -> Iterator[Finding]:
    """F03 (DOMAIN.md 7, warning): metrics are all ``model`` metrics: no product metric."""
    metrics = ev.assessment.metrics
    if metrics and all(m.kind == MetricKind.model for m in metrics):
        yield Finding(
            "F03",
            W,
            "metrics",
            "all metrics are model metrics: add a product metric (trust decay, escalation "
            "rate, override rate...) that shows what users experience",
            Step.learning,
        )


def f04_hypothesis_incomplete(ev: Evaluation) -> Iterator[Finding]:
    """F04 (DOMAIN.md 7, warning): a hypothesis lacks ``falsified_if`` or ``check_by``."""
    for hyp in ev.assessment.hypotheses:
        missing = [k for k in ("falsified_if", "check_by") if getattr(hyp, k) in (None, "")]
        if missing:
            yield Finding(
                "F04",
                W,
                f"hypothesis:{hyp.id}",
                f"hypothesis {hyp.id} lacks {' and '.join(missing)}: say what result would "
                "prove it wrong and when it is checked",
                Step.learning,
            )


def f05_warning_claims_to_undo_irreversible(ev: Evaluation) -> Iterator[Finding]:
    """F05 (DOMAIN.md 7, error): a ``warn_user`` fallback claims to lower S or R of an
    irreversible harm (DOMAIN.md 6 holds them at the inherent values)."""
    for h in ev.harms:
        if h.residual_detail.warn_claims_refused:
            yield Finding(
                "F05",
                E,
                f"harm:{h.id}",
                f"harm {h.id} is irreversible and only warn_user fallbacks cover it, yet its "
                "residual ratings claim lower severity or reversibility: a warning cannot undo "
                "an irreversible mistake; add a block, abstain or human-review fallback, or "
                "remove the claim",
                Step.fallbacks,
            )


def f06_exposure_spread(ev: Evaluation) -> Iterator[Finding]:
    """F06 (DOMAIN.md 7, warning): an exposure estimate spans more than 100x."""
    for h in ev.harms:
        if h.exposure is not None and h.exposure.needs_evidence:
            yield Finding(
                "F06",
                W,
                f"harm:{h.id}",
                f"the exposure estimate of harm {h.id} spans {times(h.exposure.factor_spread)}x "
                "between its low and high bounds: gather evidence to narrow the factor ranges",
                Step.exposure,
            )


def f07_override_unexplained(ev: Evaluation) -> Iterator[Finding]:
    """F07 (DOMAIN.md 7, error): the verdict overrides the recommendation without
    rationale or decider."""
    decision = ev.assessment.decision
    if decision is None or not ev.overridden:
        return
    missing = []
    if not (decision.rationale or "").strip():
        missing.append("a rationale")
    if not [d for d in decision.decided_by if d.strip()]:
        missing.append("a decider")
    if missing:
        yield Finding(
            "F07",
            E,
            "decision",
            f"the chosen verdict {decision.verdict.label} overrides the recommended "
            f"{ev.decided_against.label} without {' or '.join(missing)}: record why, and who "
            "decided",
            Step.review,
        )


def f08_review_missing_or_passed(ev: Evaluation) -> Iterator[Finding]:
    """F08 (DOMAIN.md 7, warning): ``review_by`` missing or passed.

    The passed variant depends on the date: ``storage/sql.py`` (``DETAILS``,
    ``review_by_set AND review_by < $today``) repeats it.
    """
    decision = ev.assessment.decision
    if decision is None:
        return
    if decision.review_by is None:
        yield Finding(
            "F08",
            W,
            "decision",
            f"review_by is not set: it defaults to {ev.review_by}; set a date when this "
            "decision will be revisited",
            Step.review,
        )
    elif ev.overdue:
        yield Finding(
            "F08",
            W,
            "decision",
            f"the review was due on {decision.review_by}: revisit the decision and save "
            "a new revision",
            Step.review,
        )


def f09_review_load_over_capacity(ev: Evaluation) -> Iterator[Finding]:
    """F09 (DOMAIN.md 7, error): a human-review fallback's expected load
    (``requests_per_day x share_below_threshold``) exceeds reviewer capacity."""
    for f in ev.assessment.fallbacks:
        load = f.review_load()
        if (
            f.kind == FallbackKind.human_review
            and load is not None
            and f.reviewer_capacity_per_day is not None
            and load > f.reviewer_capacity_per_day
        ):
            yield Finding(
                "F09",
                E,
                f"fallback:{f.id}",
                f"human review {f.id} expects {load:,.0f} reviews a day "
                f"({f.requests_per_day:,.0f} x {percent(f.share_below_threshold)}) but reviewers "
                f"handle {f.reviewer_capacity_per_day:,.0f}: add capacity, lower the share "
                "below the threshold, or limit the rollout",
                Step.fallbacks,
            )


def f10_no_premortem(ev: Evaluation) -> Iterator[Finding]:
    """F10 (DOMAIN.md 7, warning): no premortem items."""
    if not ev.assessment.premortem:
        yield Finding(
            "F10",
            W,
            "premortem",
            "no premortem items: write down how this could have failed six months from now, "
            "and the signal that would show it early",
            Step.learning,
        )


def f11_undetectable_unwatched(ev: Evaluation) -> Iterator[Finding]:
    """F11 (DOMAIN.md 7, warning): D = 5 and no ``monitor`` fallback or guardrail
    metric: instrument first."""
    if any(m.kind == MetricKind.guardrail for m in ev.assessment.metrics):
        return
    for h in ev.harms:
        if h.harm.detectability == 5 and not any(
            f.kind == FallbackKind.monitor for f in h.covering
        ):
            yield Finding(
                "F11",
                W,
                f"harm:{h.id}",
                f"nobody can notice harm {h.id} today (detectability 5) and no monitor "
                "fallback or guardrail metric watches for it: instrument first",
                Step.fallbacks,
            )


def f12_guardrails_without_off_switch(ev: Evaluation) -> Iterator[Finding]:
    """F12 (DOMAIN.md 7, warning): verdict ``ship_with_guardrails`` with no
    ``kill_switch`` or ``rollback`` fallback."""
    a = ev.assessment
    if a.decision is None or a.decision.verdict != Verdict.ship_with_guardrails:
        return
    if not any(f.kind in (FallbackKind.kill_switch, FallbackKind.rollback) for f in a.fallbacks):
        yield Finding(
            "F12",
            W,
            "decision",
            "shipping with guardrails but no kill_switch or rollback fallback: add a way "
            "to turn the feature off",
            Step.fallbacks,
        )


# ------------------------------------------------- beyond DOMAIN.md's twelve


def f13_residual_claims_ignored(ev: Evaluation) -> Iterator[Finding]:
    """F13 (beyond DOMAIN.md 7, in docs/INTERPRETATIONS.md; warning): an uncovered harm
    claims residual ratings, which DOMAIN.md 6 ignores."""
    for h in ev.harms:
        if h.residual_detail.claims_ignored:
            yield Finding(
                "F13",
                W,
                f"harm:{h.id}",
                f"harm {h.id} claims residual ratings but no fallback covers it, so they are "
                "ignored: add the fallback that earns them, or remove the claim",
                Step.fallbacks,
            )


def f14_hypothesis_past_check(ev: Evaluation) -> Iterator[Finding]:
    """F14 (beyond DOMAIN.md 7, in docs/INTERPRETATIONS.md; warning): an open hypothesis
    is past its ``check_by``.

    Depends on the date: ``storage/sql.py`` (``DETAILS``,
    ``list_filter(open_check_by, lambda d: d < $today)``) repeats it.
    """
    for hyp in ev.assessment.hypotheses:
        if hyp.status == HypothesisStatus.open and hyp.check_by and hyp.check_by < ev.today:
            yield Finding(
                "F14",
                W,
                f"hypothesis:{hyp.id}",
                f"hypothesis {hyp.id} was to be checked by {hyp.check_by} and is still open: "
                "record whether it was supported or falsified",
                Step.learning,
            )


def f15_exposure_without_population(ev: Evaluation) -> Iterator[Finding]:
    """F15 (beyond DOMAIN.md 7, in docs/INTERPRETATIONS.md; warning): harms have
    exposure estimates (DOMAIN.md 5) but the feature has no population."""
    if any(h.exposure is not None for h in ev.harms) and not ev.assessment.feature.population:
        yield Finding(
            "F15",
            W,
            "feature",
            "harms have exposure estimates but the feature has no population: set how many "
            "people it reaches per month so that people harmed can be bounded",
            Step.feature,
        )


# ------------------------------------------------------------ decisions that live


def f16_decided_by_owner_alone(ev: Evaluation) -> Iterator[Finding]:
    """F16 (DOMAIN.md 9, error): a ship verdict on a residual High or Critical tier, or
    an override, decided by the feature's owner alone."""
    from .living import sign_off_missing

    a = ev.assessment
    if sign_off_missing(a, ev.decided_against, ev.residual_priority):
        yield Finding(
            "F16",
            E,
            "decision",
            f"decided by its owner alone: a verdict of {a.decision.verdict.label} "
            + (
                "that overrides the recommendation"
                if a.decision.verdict != ev.decided_against
                else f"on a residual {ev.residual_priority.label} tier"
            )
            + " needs someone other than the owner in decided_by to sign it off",
            Step.review,
        )


def f17_guardrail_breached(ev: Evaluation) -> Iterator[Finding]:
    """F17 (DOMAIN.md 9, error): the latest observation of a guardrail metric is not
    healthy (observations come from the database, never from a file)."""
    from .living import breaches

    for s in breaches(ev.as_written, ev.observations):
        yield Finding(
            "F17",
            E,
            f"metric:{s.subject}",
            f"{s.message}: act on the guardrail (roll back, switch off) and re-decide",
            Step.learning,
        )


def f18_reach_outgrown(ev: Evaluation) -> Iterator[Finding]:
    """F18 (DOMAIN.md 9, warning): the latest observed population exceeds the declared
    one by more than 2x."""
    from .living import outgrown

    s = outgrown(ev.as_written, ev.observations) if ev.observations else None
    if s is not None:
        yield Finding(
            "F18",
            W,
            "feature",
            f"{s.message}: the bounds now use the observed reach; update the population "
            "and re-decide",
            Step.feature,
        )


def f19_decision_stale(ev: Evaluation) -> Iterator[Finding]:
    """F19 (DOMAIN.md 9, error): the decision records the hash of content the assessment
    no longer has: it was made on something else."""
    from .living import stale_by_hash

    a = ev.as_written
    if stale_by_hash(a):
        yield Finding(
            "F19",
            E,
            "decision",
            f"the decision of {a.decision.decided_on} is stale: what it was made on has "
            "changed since (its content_hash differs); make the decision again "
            "(`aipm-workbench decide`) or revert the change",
            Step.review,
        )


# Every rule, in the order findings are listed.
FINDING_RULES: tuple[Rule, ...] = (
    f01_uncovered_high_harm,
    f02_no_metric_before_decision,
    f03_only_model_metrics,
    f04_hypothesis_incomplete,
    f05_warning_claims_to_undo_irreversible,
    f06_exposure_spread,
    f07_override_unexplained,
    f08_review_missing_or_passed,
    f09_review_load_over_capacity,
    f10_no_premortem,
    f11_undetectable_unwatched,
    f12_guardrails_without_off_switch,
    f13_residual_claims_ignored,
    f14_hypothesis_past_check,
    f15_exposure_without_population,
    f16_decided_by_owner_alone,
    f17_guardrail_breached,
    f18_reach_outgrown,
    f19_decision_stale,
)


def findings(ev: Evaluation) -> list[Finding]:
    """Every finding of an evaluation, rule by rule."""
    return [f for rule in FINDING_RULES for f in rule(ev)]
