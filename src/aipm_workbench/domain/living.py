"""Decisions that live (DOMAIN.md section 9).

A decision is made on the *material content* of an assessment and stays true
only while that content, and the world it assumed, hold. This module answers,
from revisions and observations alone (no storage, no clock but ``today``):

- the material content and its canonical hash (:func:`content_hash`);
- which revision's decision stands and whether the latest one is stale;
- what observations say: breaches, hypotheses falsified, reach outgrown;
- the decision state (:class:`DecisionState`) and the due work of a feature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .formatting import number
from .models import Assessment, Decision, Hypothesis, Metric
from .vocab import DecisionState, DueKind, HypothesisStatus, MetricKind, Tier, Verdict

OBSERVED_POPULATION = "population"  # reserved metric id: the reach actually seen
OUTGROWN_FACTOR = 2.0  # observed reach above this many times the declared one re-opens
UNTESTED_DAYS = 90  # a fallback of a High or Critical harm is due a test after this long

_HARM_KEYS = ("id", "type", "source", "statement", "severity", "likelihood", "reversibility",
              "detectability")  # fmt: skip
_FALLBACK_KEYS = ("id", "kind", "trigger", "action", "confidence_threshold", "requests_per_day",
                  "share_below_threshold", "reviewer_capacity_per_day")  # fmt: skip
_METRIC_KEYS = ("id", "name", "kind", "target", "unit")
_HYPOTHESIS_KEYS = ("id", "statement", "falsified_if")


# ------------------------------------------------------------ material content


def _plain(value: Any) -> Any:
    """Enums as their value, numbers as floats (``3`` and ``3.0`` hash alike), text as is."""
    value = getattr(value, "value", value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _pick(obj: Any, keys: Sequence[str]) -> dict[str, Any]:
    return {k: _plain(getattr(obj, k)) for k in keys}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """File order is not content: items sort by their canonical text."""
    return sorted(items, key=_canonical)


def material_content(a: Assessment) -> dict[str, Any]:
    """What a decision is made on (DOMAIN.md 9): everything else can change freely."""
    harms = []
    for h in a.harms:
        item = _pick(h, _HARM_KEYS)
        item["exposure"] = (
            {k: [float(x) for x in v] for k, v in h.exposure.factors()} if h.exposure else None
        )
        residual = h.residual.model_dump(exclude_none=True) if h.residual else {}
        item["residual"] = {k: float(v) for k, v in residual.items()}
        harms.append(item)
    fallbacks = []
    for f in a.fallbacks:
        item = _pick(f, _FALLBACK_KEYS)
        item["covers"] = sorted(f.covers)
        fallbacks.append(item)
    metrics = []
    for m in a.metrics:
        item = _pick(m, _METRIC_KEYS)
        item["limit"] = _pick(m.limit, ("op", "value")) if m.limit else None
        metrics.append(item)
    hypotheses = []
    for hy in a.hypotheses:
        item = _pick(hy, _HYPOTHESIS_KEYS)
        item["test"] = _pick(hy.test, ("metric", "op", "value")) if hy.test else None
        hypotheses.append(item)
    return {
        "population": _plain(a.feature.population),
        "harms": _ordered(harms),
        "fallbacks": _ordered(fallbacks),
        "metrics": _ordered(metrics),
        "hypotheses": _ordered(hypotheses),
    }


def content_hash(a: Assessment) -> str:
    """``sha256:`` over the canonical JSON of the material content: same content, same hash."""
    digest = hashlib.sha256(_canonical(material_content(a)).encode("ascii")).hexdigest()
    return f"sha256:{digest}"


# ------------------------------------------------------------ standing and stale


@dataclass(frozen=True)
class Revision:
    """What this module needs of a stored revision."""

    number: int
    saved_at: dt.datetime
    assessment: Assessment


def remakes(previous: Decision | None, current: Decision | None) -> bool:
    """A revision re-makes the decision when verdict, date or deciders differ from the
    previous revision's (a typo fixed in the rationale does not)."""
    if current is None:
        return False
    if previous is None:
        return True
    return (current.verdict, current.decided_on, current.decided_by) != (
        previous.verdict,
        previous.decided_on,
        previous.decided_by,
    )


def standing_index(revisions: Sequence[Revision]) -> int | None:
    """Index of the standing revision in ``revisions`` (oldest first); None when undecided."""
    if not revisions or revisions[-1].assessment.decision is None:
        return None
    latest = revisions[-1].assessment.decision
    if latest.content_hash is not None:
        for i in range(len(revisions) - 1, -1, -1):
            if content_hash(revisions[i].assessment) == latest.content_hash:
                return i
        return len(revisions) - 1
    for i in range(len(revisions) - 1, -1, -1):
        prev = revisions[i - 1].assessment.decision if i > 0 else None
        if remakes(prev, revisions[i].assessment.decision):
            return i
    return len(revisions) - 1


def is_stale(revisions: Sequence[Revision], standing: int | None = None) -> bool:
    """The latest revision's decision no longer matches the content it was made on."""
    if not revisions or revisions[-1].assessment.decision is None:
        return False
    latest = revisions[-1].assessment
    if latest.decision.content_hash is not None:
        return latest.decision.content_hash != content_hash(latest)
    standing = standing_index(revisions) if standing is None else standing
    if standing is None or standing == len(revisions) - 1:
        return False
    return material_content(revisions[standing].assessment) != material_content(latest)


def stale_by_hash(a: Assessment) -> bool:
    """From the file alone: the decision records a hash its content no longer has (F19)."""
    d = a.decision
    return d is not None and d.content_hash is not None and d.content_hash != content_hash(a)


# ------------------------------------------------------------ observations


@dataclass(frozen=True)
class Observation:
    feature_id: str
    metric: str
    value: float
    observed_on: dt.date
    source: str | None = None
    recorded_at: dt.datetime | None = None


def standing_values(observations: Iterable[Observation]) -> list[Observation]:
    """One observation per (metric, date): the last recorded stands (a correction), oldest first."""
    last: dict[tuple[str, dt.date], Observation] = {}
    for o in observations:  # given in the order they were recorded
        last[(o.metric, o.observed_on)] = o
    return sorted(last.values(), key=lambda o: (o.observed_on, o.metric))


def latest(observations: Sequence[Observation], metric: str) -> Observation | None:
    """The latest observation of a metric: the one with the latest date (after corrections)."""
    found = [o for o in observations if o.metric == metric]
    return max(found, key=lambda o: o.observed_on, default=None)


def healthy(metric: Metric | None, value: float) -> bool | None:
    """``value op limit``; None for a metric without a limit."""
    if metric is None or metric.limit is None:
        return None
    return metric.limit.holds(value)


@dataclass(frozen=True)
class Signal:
    """One thing the world said after a decision: a breach, a falsification, outgrown reach."""

    kind: str  # "breach" | "falsified" | "outgrown"
    subject: str  # the metric id, the hypothesis id, or "population"
    observation: Observation
    message: str


def breaches(a: Assessment, observations: Sequence[Observation]) -> list[Signal]:
    """Guardrail metrics whose latest observation is not healthy (F17)."""
    out = []
    for m in a.metrics:
        if m.kind != MetricKind.guardrail or m.limit is None or m.id is None:
            continue
        o = latest(observations, m.id)
        if o is not None and not m.limit.holds(o.value):
            out.append(Signal("breach", m.id, o, _breach_text(m, o)))
    return out


def _breach_text(m: Metric, o: Observation) -> str:
    unit = f" {m.unit}" if m.unit else ""
    return (
        f"guardrail {m.id} breached {o.observed_on}: {number(o.value)}{unit}, "
        f"limit {m.limit.op} {number(m.limit.value)}{unit}"
    )


def _window_start(h: Hypothesis, decided_on: dt.date | None) -> tuple[dt.date, bool] | None:
    """(date, inclusive): on or after ``check_by``, else after the decision date."""
    if h.check_by is not None:
        return h.check_by, True
    if decided_on is not None:
        return decided_on, False
    return None


def falsifications(
    a: Assessment, observations: Sequence[Observation], decided_on: dt.date | None = None
) -> list[Signal]:
    """Hypotheses with a test that an observation in their window has met: falsified for good."""
    if decided_on is None and a.decision is not None:
        decided_on = a.decision.decided_on
    out = []
    for h in a.hypotheses:
        if h.test is None:
            continue
        window = _window_start(h, decided_on)
        for o in observations:
            if o.metric != h.test.metric or not h.test.met_by(o.value):
                continue
            if window is not None:
                start, inclusive = window
                if o.observed_on < start or (o.observed_on == start and not inclusive):
                    continue
            out.append(Signal("falsified", h.id, o, _falsified_text(h, o)))
            break
    return out


def _falsified_text(h: Hypothesis, o: Observation) -> str:
    t = h.test
    return (
        f"hypothesis {h.id} falsified {o.observed_on}: {t.metric} {number(o.value)} "
        f"(falsified when {t.op} {number(t.value)})"
    )


def observed_population(observations: Sequence[Observation]) -> Observation | None:
    return latest(observations, OBSERVED_POPULATION)


def effective_population(a: Assessment, observations: Sequence[Observation]) -> int | None:
    """The declared population, or the observed one when it is larger (the bounds use it)."""
    declared = a.feature.population
    seen = observed_population(observations)
    if declared is None or seen is None or seen.value <= declared:
        return declared
    return int(seen.value)


def outgrown(a: Assessment, observations: Sequence[Observation]) -> Signal | None:
    """The observed reach exceeds the declared population by more than 2x (F18)."""
    declared = a.feature.population
    seen = observed_population(observations)
    if declared is None or seen is None or seen.value <= OUTGROWN_FACTOR * declared:
        return None
    ratio = seen.value / declared if declared else float("inf")
    times = f"{ratio:.1f}x" if declared else "more than 2x"
    message = (
        f"reach outgrown {seen.observed_on}: {seen.value:,.0f} observed, "
        f"{declared:,} declared ({times})"
    )
    return Signal("outgrown", OBSERVED_POPULATION, seen, message)


def signals(a: Assessment, observations: Sequence[Observation]) -> list[Signal]:
    """Everything the observations say about an assessment, oldest first."""
    current = standing_values(observations)
    found = breaches(a, current) + falsifications(a, current)
    grown = outgrown(a, current)
    if grown is not None:
        found.append(grown)
    return sorted(found, key=lambda s: (s.observation.observed_on, s.kind))


def falsified_ids(a: Assessment, observations: Sequence[Observation]) -> set[str]:
    """Hypotheses that count as falsified: by their status or by an observation."""
    ids = {h.id for h in a.hypotheses if h.status == HypothesisStatus.falsified}
    ids |= {s.subject for s in falsifications(a, standing_values(observations))}
    return ids


# ------------------------------------------------------------ decision state


@dataclass
class LiveDecision:
    """Where a feature's decision stands as of ``today``, and why."""

    state: DecisionState
    standing: Revision | None = None
    review_by: dt.date | None = None
    reason: str = ""
    since: dt.date | None = None  # the date the state began (observation, save, review date)
    signals: list[Signal] = field(default_factory=list)

    @property
    def standing_revision(self) -> int | None:
        return self.standing.number if self.standing is not None else None


def _review_by(standing: Revision, today: dt.date) -> dt.date:
    decision = standing.assessment.decision
    if decision.review_by is not None:
        return decision.review_by
    from .evaluation import evaluate  # the default depends on the worst residual tier

    ev = evaluate(standing.assessment, today, with_sensitivity=False)
    return ev.review_by


def _newly_falsified(revisions: Sequence[Revision], standing: int) -> list[tuple[Revision, str]]:
    """Revisions after the standing one that mark a hypothesis falsified that was not."""
    before = {
        h.id
        for h in revisions[standing].assessment.hypotheses
        if h.status == HypothesisStatus.falsified
    }
    out = []
    for rev in revisions[standing + 1 :]:
        for h in rev.assessment.hypotheses:
            if h.status == HypothesisStatus.falsified and h.id not in before:
                out.append((rev, h.id))
                before.add(h.id)
    return out


def decision_state(
    revisions: Sequence[Revision], observations: Sequence[Observation], today: dt.date
) -> LiveDecision:
    """DOMAIN.md 9's decision state, first match wins: undecided, stale, reopened,
    expired, decided. Metrics, tests and harms come from the latest revision."""
    standing_at = standing_index(revisions)
    if standing_at is None:
        return LiveDecision(DecisionState.undecided, reason="no decision")
    standing = revisions[standing_at]
    review_by = _review_by(standing, today)
    live = LiveDecision(DecisionState.decided, standing, review_by)
    if is_stale(revisions, standing_at):
        live.state = DecisionState.stale
        live.since = revisions[-1].saved_at.date()
        live.reason = (
            f"stale: revision {revisions[-1].number} changed what revision "
            f"{standing.number} decided"
        )
        return live
    decided_on = standing.assessment.decision.decided_on
    reopening = reopening_signals(revisions[-1].assessment, observations, decided_on)
    live.signals = reopening
    marked = _newly_falsified(revisions, standing_at)
    if reopening or marked:
        live.state = DecisionState.reopened
        if reopening:
            first = reopening[0]
            live.since = first.observation.observed_on
            live.reason = f"reopened: {first.message}"
        else:
            rev, hid = marked[0]
            live.since = rev.saved_at.date()
            live.reason = f"reopened: revision {rev.number} marks hypothesis {hid} falsified"
        return live
    if today > review_by:
        live.state = DecisionState.expired
        live.since = review_by
        live.reason = f"expired: the review was due {review_by}"
        return live
    live.reason = f"decided {decided_on}, review by {review_by}"
    return live


def reopening_signals(
    a: Assessment, observations: Sequence[Observation], decided_on: dt.date
) -> list[Signal]:
    """Observations dated after the decision that re-open it, oldest first: any unhealthy
    value of a guardrail metric, a falsifying value, reach above 2x the declared one."""
    after = standing_values(o for o in observations if o.observed_on > decided_on)
    found: list[Signal] = []
    for m in a.metrics:
        if m.kind != MetricKind.guardrail or m.limit is None or m.id is None:
            continue
        bad = next((o for o in after if o.metric == m.id and not m.limit.holds(o.value)), None)
        if bad is not None:
            found.append(Signal("breach", m.id, bad, _breach_text(m, bad)))
    found += falsifications(a, after, decided_on)
    declared = a.feature.population
    if declared is not None:
        for o in after:
            if o.metric == OBSERVED_POPULATION and o.value > OUTGROWN_FACTOR * declared:
                grown = outgrown(a, [o])
                if grown is not None:
                    found.append(grown)
                break
    return sorted(found, key=lambda s: (s.observation.observed_on, s.kind))


# ------------------------------------------------------------ due work


@dataclass(frozen=True)
class DueItem:
    feature_id: str
    kind: DueKind
    date: dt.date | None
    message: str

    def sort_key(self) -> tuple:
        order = list(DueKind).index(self.kind)
        return (order, self.date or dt.date.min, self.feature_id)


def due_work(
    revisions: Sequence[Revision],
    observations: Sequence[Observation],
    today: dt.date,
    within: int = 14,
) -> list[DueItem]:
    """One entry per cause (DOMAIN.md 9), in ``due``'s order: kind, date, feature id."""
    if not revisions:
        return []
    s = live_summary(revisions, observations)
    facts = {
        "checks": [[h, d.isoformat()] for h, d in s.open_checks],
        "fallbacks": [[f, d.isoformat() if d else None] for f, d in s.fallback_tests],
    }
    return due_from_summary(
        revisions[-1].assessment.feature.id,
        s.standing_revision,
        s.standing_review_by,
        s.stale,
        s.stale_since,
        s.reopened_on,
        s.reason,
        facts,
        today=today,
        within=within,
    )


def due_from_summary(
    feature_id: str,
    standing_revision: int | None,
    review_by: dt.date | None,
    stale: bool,
    stale_since: dt.date | None,
    reopened_on: dt.date | None,
    reason: str,
    facts: dict | str,
    *,
    today: dt.date,
    within: int,
) -> list[DueItem]:
    """Due work from a feature's stored roll-up (``LiveSummary``), judged as of ``today``."""
    if isinstance(facts, str):
        facts = json.loads(facts)
    items: list[DueItem] = []
    decided = standing_revision is not None
    if decided and stale:
        items.append(DueItem(feature_id, DueKind.stale, stale_since, reason))
    elif decided and reopened_on is not None:
        items.append(DueItem(feature_id, DueKind.reopened, reopened_on, reason))
    elif decided and review_by is not None and today > review_by:
        message = f"expired: the review was due {review_by}"
        items.append(DueItem(feature_id, DueKind.expired, review_by, message))
    elif decided and review_by is not None and review_by <= today + dt.timedelta(days=within):
        items.append(
            DueItem(feature_id, DueKind.review_upcoming, review_by, f"review due {review_by}")
        )
    for hid, check_by in facts["checks"]:
        day = dt.date.fromisoformat(check_by)
        if day < today:
            message = f"hypothesis {hid} was due a check on {day}"
            items.append(DueItem(feature_id, DueKind.hypothesis_overdue, day, message))
    limit = today - dt.timedelta(days=UNTESTED_DAYS)
    for fid, tested in facts["fallbacks"]:
        day = dt.date.fromisoformat(tested) if tested else None
        if day is None:
            message = f"fallback {fid} covers a High or Critical harm and was never tested"
        elif day < limit:
            message = f"fallback {fid} was last tested {day}, over {UNTESTED_DAYS} days ago"
        else:
            continue
        items.append(DueItem(feature_id, DueKind.fallback_untested, day, message))
    return sorted(items, key=DueItem.sort_key)


def sign_off_missing(a: Assessment, recommended: Any, residual_tier: Tier | None) -> bool:
    """F16: a ship verdict on a High or Critical residual tier, or an override, decided by
    the feature's owner alone (no one else named in ``decided_by``)."""
    d = a.decision
    if d is None:
        return False
    shipping = d.verdict in (Verdict.ship, Verdict.ship_with_guardrails)
    risky = residual_tier is not None and residual_tier >= Tier.high
    override = d.verdict != recommended
    if not ((shipping and risky) or override):
        return False
    owner = (a.feature.owner or "").strip().casefold()
    others = [n for n in d.decided_by if n.strip() and n.strip().casefold() != owner]
    return not others


# ------------------------------------------------------------ what the store keeps


def observed(a: Assessment, observations: Sequence[Observation]) -> Assessment:
    """The assessment as the world now stands: the observed reach when it outgrew the
    declared one, and hypotheses falsified by observation marked ``falsified``."""
    if not observations:
        return a
    population = effective_population(a, observations)
    falsified = {s.subject for s in falsifications(a, standing_values(observations))}
    if population == a.feature.population and not falsified:
        return a
    feature = a.feature.model_copy(update={"population": population})
    hypotheses = [
        h.model_copy(update={"status": HypothesisStatus.falsified}) if h.id in falsified else h
        for h in a.hypotheses
    ]
    return a.model_copy(update={"feature": feature, "hypotheses": hypotheses})


@dataclass(frozen=True)
class LiveSummary:
    """The date-independent part of a feature's living decision, as the store keeps it:
    expiry and due dates are judged against "today" when read."""

    standing_revision: int | None
    standing_verdict: str | None
    standing_decided_on: dt.date | None
    standing_review_by: dt.date | None
    stale: bool
    stale_since: dt.date | None
    reopened_on: dt.date | None
    reason: str
    open_checks: list[tuple[str, dt.date]]  # open hypotheses not falsified: (id, check_by)
    fallback_tests: list[tuple[str, dt.date | None]]  # serious harms' fallbacks: (id, tested_on)


def live_summary(revisions: Sequence[Revision], observations: Sequence[Observation]) -> LiveSummary:
    """What ``decision_state`` needs of a feature, without "today" (the store's roll-up)."""
    latest_a = revisions[-1].assessment
    falsified = falsified_ids(latest_a, observations)
    checks = [
        (h.id, h.check_by)
        for h in latest_a.hypotheses
        if h.status == HypothesisStatus.open and h.id not in falsified and h.check_by
    ]
    from .scoring import priority, ratings_of

    serious = {h.id for h in latest_a.harms if priority(*ratings_of(h)).tier >= Tier.high}
    tests = [(f.id, f.tested_on) for f in latest_a.fallbacks if serious.intersection(f.covers)]
    at = standing_index(revisions)
    if at is None:
        return LiveSummary(None, None, None, None, False, None, None, "no decision", checks, tests)
    standing = revisions[at]
    decision = standing.assessment.decision
    # expiry is judged against "today" when read: any day serves for the rest
    live = decision_state(revisions, observations, decision.decided_on)
    return LiveSummary(
        standing_revision=standing.number,
        standing_verdict=decision.verdict.value,
        standing_decided_on=decision.decided_on,
        standing_review_by=live.review_by,
        stale=live.state is DecisionState.stale,
        stale_since=live.since if live.state is DecisionState.stale else None,
        reopened_on=live.since if live.state is DecisionState.reopened else None,
        reason=live.reason if live.state in (DecisionState.stale, DecisionState.reopened) else "",
        open_checks=checks,
        fallback_tests=tests,
    )
