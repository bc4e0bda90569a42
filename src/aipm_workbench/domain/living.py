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
from typing import Any, NamedTuple

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


class Observation(NamedTuple):
    """One value of a metric on a day (a tuple: a portfolio reads a million of them)."""

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


def _review_by(standing: Revision) -> dt.date:
    decision = standing.assessment.decision
    if decision.review_by is not None:
        return decision.review_by
    from .evaluation import evaluate  # the default depends on the worst residual tier

    return evaluate(standing.assessment, decision.decided_on, with_sensitivity=False).review_by


def marked_falsified(revisions: Sequence[Revision], standing: int) -> tuple[dt.date, str] | None:
    """The first revision after the standing one that marks a hypothesis falsified that
    was not: (its save date, why the decision is re-opened)."""
    before = {
        h.id
        for h in revisions[standing].assessment.hypotheses
        if h.status == HypothesisStatus.falsified
    }
    for rev in revisions[standing + 1 :]:
        for h in rev.assessment.hypotheses:
            if h.status == HypothesisStatus.falsified and h.id not in before:
                reason = f"reopened: revision {rev.number} marks hypothesis {h.id} falsified"
                return rev.saved_at.date(), reason
    return None


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


def reopened(
    latest_a: Assessment,
    observations: Sequence[Observation],
    decided_on: dt.date,
    marked: tuple[dt.date, str] | None,
) -> tuple[dt.date | None, str, list[Signal]]:
    """When and why the standing decision was re-opened (the earliest cause), if it was."""
    found = reopening_signals(latest_a, observations, decided_on)
    causes = [(s.observation.observed_on, f"reopened: {s.message}") for s in found[:1]]
    if marked is not None:
        causes.append(marked)
    if not causes:
        return None, "", found
    day, reason = min(causes)
    return day, reason, found


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
    marked_on: dt.date | None
    marked_reason: str
    reopened_on: dt.date | None
    reason: str
    open_checks: list[tuple[str, dt.date]]  # open hypotheses not falsified: (id, check_by)
    fallback_tests: list[tuple[str, dt.date | None]]  # serious harms' fallbacks: (id, tested_on)


def due_facts(
    a: Assessment, observations: Sequence[Observation]
) -> tuple[list[tuple[str, dt.date]], list[tuple[str, dt.date | None]]]:
    """(open hypotheses not falsified, with their check dates; fallbacks covering an
    inherently High or Critical harm, with their last test date)."""
    from .scoring import priority, ratings_of

    falsified = falsified_ids(a, observations)
    checks = [
        (h.id, h.check_by)
        for h in a.hypotheses
        if h.status == HypothesisStatus.open and h.id not in falsified and h.check_by
    ]
    serious = {h.id for h in a.harms if priority(*ratings_of(h)).tier >= Tier.high}
    tests = [(f.id, f.tested_on) for f in a.fallbacks if serious.intersection(f.covers)]
    return checks, tests


def live_summary(revisions: Sequence[Revision], observations: Sequence[Observation]) -> LiveSummary:
    """What the decision state needs of a feature, without "today" (the store's roll-up)."""
    latest_a = revisions[-1].assessment
    checks, tests = due_facts(latest_a, observations)
    at = standing_index(revisions)
    if at is None:
        return LiveSummary(
            None, None, None, None, False, None, None, "", None, "no decision", checks, tests
        )
    standing = revisions[at]
    decision = standing.assessment.decision
    stale = is_stale(revisions, at)
    marked = marked_falsified(revisions, at)
    reopened_on, reason, _ = reopened(latest_a, observations, decision.decided_on, marked)
    if stale:
        reason = (
            f"stale: revision {revisions[-1].number} changed what revision "
            f"{standing.number} decided"
        )
    return LiveSummary(
        standing_revision=standing.number,
        standing_verdict=decision.verdict.value,
        standing_decided_on=decision.decided_on,
        standing_review_by=_review_by(standing),
        stale=stale,
        stale_since=revisions[-1].saved_at.date() if stale else None,
        marked_on=marked[0] if marked else None,
        marked_reason=marked[1] if marked else "",
        reopened_on=reopened_on,
        reason=reason,
        open_checks=checks,
        fallback_tests=tests,
    )


def state_of(
    standing_revision: int | None,
    stale: bool,
    reopened_on: dt.date | None,
    review_by: dt.date | None,
    today: dt.date,
) -> DecisionState:
    """DOMAIN.md 9's decision state, first match wins (the SQL in ``storage/live.py``
    repeats this order for the portfolio)."""
    if standing_revision is None:
        return DecisionState.undecided
    if stale:
        return DecisionState.stale
    if reopened_on is not None:
        return DecisionState.reopened
    if review_by is not None and today > review_by:
        return DecisionState.expired
    return DecisionState.decided


def decision_state(
    revisions: Sequence[Revision], observations: Sequence[Observation], today: dt.date
) -> LiveDecision:
    """DOMAIN.md 9's decision state of a feature as of ``today``, with why and since when.
    Metrics, tests and harms come from the latest revision."""
    if not revisions:
        return LiveDecision(DecisionState.undecided, reason="no decision")
    s = live_summary(revisions, observations)
    state = state_of(s.standing_revision, s.stale, s.reopened_on, s.standing_review_by, today)
    if state is DecisionState.undecided:
        return LiveDecision(state, reason="no decision")
    standing = next(r for r in revisions if r.number == s.standing_revision)
    live = LiveDecision(state, standing, s.standing_review_by, s.reason)
    if state is DecisionState.stale:
        live.since = s.stale_since
    elif state is DecisionState.reopened:
        live.since = s.reopened_on
        live.signals = reopening_signals(
            revisions[-1].assessment, observations, s.standing_decided_on
        )
    elif state is DecisionState.expired:
        live.since, live.reason = (
            s.standing_review_by,
            due_message(DueKind.expired, s.standing_review_by, ""),
        )
    else:
        live.reason = f"decided {s.standing_decided_on}, review by {s.standing_review_by}"
    return live


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


def due_message(kind: DueKind, day: dt.date | None, detail: str) -> str:
    """The words of a due entry; ``detail`` is the stored reason, hypothesis or fallback id."""
    if kind in (DueKind.stale, DueKind.reopened):
        return detail
    if kind is DueKind.expired:
        return f"expired: the review was due {day}"
    if kind is DueKind.review_upcoming:
        return f"review due {day}"
    if kind is DueKind.hypothesis_overdue:
        return f"hypothesis {detail} was due a check on {day}"
    if day is None:
        return f"fallback {detail} covers a High or Critical harm and was never tested"
    return f"fallback {detail} was last tested {day}, over {UNTESTED_DAYS} days ago"


def due_entries(
    feature_id: str, s: LiveSummary, today: dt.date, within: int
) -> list[tuple[str, DueKind, dt.date | None, str]]:
    """(feature, kind, date, detail) of each cause; the SQL in ``storage/live.py`` repeats
    these rules for the whole portfolio."""
    out = []
    state = state_of(s.standing_revision, s.stale, s.reopened_on, s.standing_review_by, today)
    horizon = today + dt.timedelta(days=within)
    if state is DecisionState.stale:
        out.append((feature_id, DueKind.stale, s.stale_since, s.reason))
    elif state is DecisionState.reopened:
        out.append((feature_id, DueKind.reopened, s.reopened_on, s.reason))
    elif state is DecisionState.expired:
        out.append((feature_id, DueKind.expired, s.standing_review_by, ""))
    elif state is DecisionState.decided and s.standing_review_by <= horizon:
        out.append((feature_id, DueKind.review_upcoming, s.standing_review_by, ""))
    out += [(feature_id, DueKind.hypothesis_overdue, d, h) for h, d in s.open_checks if d < today]
    limit = today - dt.timedelta(days=UNTESTED_DAYS)
    out += [
        (feature_id, DueKind.fallback_untested, d, f)
        for f, d in s.fallback_tests
        if d is None or d < limit
    ]
    return out


def due_items(
    entries: Iterable[tuple[str, str, dt.date | None, str]], ordered: bool = False
) -> list[DueItem]:
    """Due entries as ``due`` lists them: with their words, by kind, date, feature id
    (``ordered``: the entries already are)."""
    kinds = {k.value: k for k in DueKind}
    items = []
    for fid, kind, day, detail in entries:
        k = kinds[kind]
        items.append(DueItem(fid, k, day, due_message(k, day, detail)))
    return items if ordered else sorted(items, key=DueItem.sort_key)


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
    return due_items(due_entries(revisions[-1].assessment.feature.id, s, today, within))


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


# ------------------------------------------------------------ what the world changed


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
