"""The variables a template receives: plain dicts, lists, strings, numbers and dates.

Everything a record shows is computed here from the domain's
:class:`~aipm_workbench.domain.Evaluation`, so templates (built-in or a user's)
only arrange and escape it. User text stays raw in the context; templates
print it through the Markdown filters of :mod:`.markdown`. ``docs/templates.md``
documents every key.

No key of a context dict is named like a dict method (``items``, ``keys``,
``values``, ``get``...): Jinja's ``a.b`` would find the method first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from ..domain import SCALES, Evaluation, Level, Tier, builtin_taxonomy, rules
from ..domain.evaluation import REVIEW_DAYS
from ..domain.formatting import (
    count,
    people,
    people_range,
    people_words,
    percent,
    plural,
    share,
    tier_label,
    times,
    verdict_label,
)
from ..domain.vocab import NO_TIER, DecisionStatus, FallbackKind, HypothesisStatus, Verdict
from .markdown import join_names
from .words import sensitivity_text as _sensitivity

TIER_ORDER = tuple(t.name for t in sorted(Tier, reverse=True))  # critical first
_NAME = {t: t.name for t in Tier}
_LABEL = {t: t.label for t in Tier}
VERDICTS = tuple(v.value for v in Verdict)
UNDECIDED = verdict_label(None)


class RevisionLike(Protocol):
    """What a record needs of a stored revision (storage's ``RevisionInfo``)."""

    number: int
    saved_at: dt.datetime
    changes: list[str]
    verdict: str | None
    decided_on: dt.date | None


class MarkLike(Protocol):
    """What a record needs to know of each revision's decision (``services.records.RevisionMark``)."""

    number: int
    decided: bool
    remade: bool
    stale: bool
    standing: int | None


@dataclass
class Living:
    """A feature's living decision (DOMAIN.md 9), for its records.

    ``marks`` are every revision's (oldest first); ``state`` is the feature's
    ``LiveDecision`` as of the export's day; ``current`` says this record is the
    feature's latest (it gets "Since the decision"); ``latest`` is the latest
    revision's assessment (its metrics, tests and population are what the
    observations are judged by); ``standing_assessment`` is the standing
    revision's, when this record's revision is stale.
    """

    marks: Sequence[MarkLike] = ()
    state: Any = None
    current: bool = False
    latest: Any = None
    observations: list = field(default_factory=list)
    standing_assessment: Any = None


def record_id(feature_id: str, revision: int | None) -> str:
    """The record number: ``call-summaries-r3`` (the feature id alone without a revision)."""
    return feature_id if revision is None else f"{feature_id}-r{revision}"


def _days(n: int) -> str:
    return plural(n, "day")


def _ratings(values: Sequence[int]) -> dict:
    s, l, r, d = values  # noqa: E741
    return {
        "severity": s,
        "likelihood": l,
        "reversibility": r,
        "detectability": d,
        "text": f"{s}/{l}/{r}/{d}",
    }


# ------------------------------------------------------------- the record


def record_context(
    ev: Evaluation,
    revision: RevisionLike | None = None,
    decided: Iterable[RevisionLike] = (),
    latest_revision: int | None = None,
    *,
    living: Living | None = None,
) -> dict:
    """The context of one decision record.

    ``revision`` is the stored revision this record is about (None for an
    assessment that was never saved: the record then has no revision number);
    ``decided`` are the feature's revisions with a decision, oldest first, which
    give ``supersedes`` and ``superseded_by``; ``latest_revision`` is the
    feature's newest revision number, to say when a newer one is still undecided.
    ``living`` is the feature's living decision (DOMAIN.md 9): with it, only a
    revision that re-makes the decision supersedes, a stale revision's record is
    proposed, and the current record gets "Since the decision".
    """
    a = ev.assessment
    decision = a.decision
    written = {h.id: h.status for h in ev.as_written.hypotheses}
    harms = _harms(ev)
    record = _record(ev, revision, decided, latest_revision, living)
    return {
        "record": record,
        "living": _living(ev, record, living),
        "since": (
            _since(ev, living)
            if living is not None and living.current and decision is not None
            else None
        ),
        "today": ev.today,
        "feature": _feature(ev),
        "decision": _decision(ev),
        "recommended": _recommended(ev),
        "overridden": ev.overridden,
        "totals": _totals(ev),
        **_harm_sections(harms),
        **_fallback_sections(ev, harms),
        "metrics": [_metric(m, decision.decided_on if decision else None) for m in a.metrics],
        "hypotheses": [_hypothesis(hyp, ev.today, written.get(hyp.id)) for hyp in a.hypotheses],
        "premortem": [{"failure": p.failure, "signal": p.signal} for p in a.premortem],
        "findings": _findings(ev),
        **_sensitivity_sections(ev),
        "review": _review(ev),
        "scales": _scales(),
    }


def _harms(ev: Evaluation) -> list[dict]:
    """Every harm, with its type labelled when the assessment uses the built-in taxonomy."""
    labels = _type_labels() if ev.assessment.taxonomy in _builtin_refs() else {}
    return [_harm(ev, h, labels) for h in ev.harms]


def _harm_sections(harms: list[dict]) -> dict:
    """The harms, the tier rules they fired and those with an exposure estimate."""
    fired_ids = {h["rule"] for h in harms} | {h["residual_rule"] for h in harms}
    rules_fired = [
        {"id": r.id, "tier": r.tier.label, "text": r.text} for r in rules() if r.id in fired_ids
    ]
    return {
        "harms": harms,
        "rules_fired": rules_fired,
        "exposures": [h for h in harms if h["exposure"] is not None],
    }


def _fallback_sections(ev: Evaluation, harms: list[dict]) -> dict:
    """The fallbacks, their user messages, the harms none covers and the review loads."""
    tiers = {h.id: _LABEL[h.inherent.tier] for h in ev.harms}
    fallbacks = [_fallback(fb, tiers) for fb in ev.assessment.fallbacks]
    return {
        "fallbacks": fallbacks,
        "user_messages": [fb for fb in fallbacks if fb["user_message"]],
        "uncovered": [h for h in harms if not h["covered_by"]],
        "review_load": [fb["review_load"] for fb in fallbacks if fb["review_load"] is not None],
    }


def _recommended(ev: Evaluation) -> dict:
    """The recommended verdict, and the one the decision is judged by."""
    return {
        "verdict": ev.recommended.value,
        "label": verdict_label(ev.recommended),
        "reason": ev.recommended_reason,
        # what the decision is judged by: the recommendation of its own content
        "decided_against": ev.decided_against.value,
        "decided_against_label": verdict_label(ev.decided_against),
        "changed_by_observations": ev.decided_against != ev.recommended,
    }


def _findings(ev: Evaluation) -> list[dict]:
    """The findings, errors first (otherwise in their order)."""
    return sorted(
        (f_.as_dict() for f_ in ev.findings), key=lambda d: d["level"] != Level.error.value
    )


def _sensitivity_sections(ev: Evaluation) -> dict:
    """The one-step rating changes that would change the verdict, all and by direction."""
    sensitivity = [
        {
            **s.as_dict(),
            "text": _sensitivity(s.harm_id, s.rating, s.residual, s.old, s.new, s.verdict),
        }
        for s in ev.sensitivity
    ]
    return {
        "sensitivity": sensitivity,
        "sensitivity_better": [s for s in sensitivity if s["direction"] == "better"],
        "sensitivity_worse": [s for s in sensitivity if s["direction"] == "worse"],
    }


def _record(
    ev: Evaluation,
    revision: RevisionLike | None,
    decided: Iterable[RevisionLike],
    latest_revision: int | None,
    living: Living | None = None,
) -> dict:
    """The record's own facts: its number, status, date and place among the decisions."""
    f = ev.assessment.feature
    decision = ev.assessment.decision
    number = revision.number if revision is not None else None
    decided_numbers = sorted({r.number for r in decided})
    marks = {m.number: m for m in living.marks} if living is not None else {}
    mark = marks.get(number)
    # Revisions that made (or re-made) the decision: only they supersede (DOMAIN.md 9).
    making = sorted(n for n, m in marks.items() if m.remade) if marks else decided_numbers
    supersedes, superseded_by = _place(decision is not None, number, mark, making)
    stale = _is_stale(ev, revision, mark)
    standing = mark.standing if mark is not None and decision is not None else None
    stale_after = _stale_after(number, mark, marks, superseded_by)
    return {
        "id": record_id(f.id, number),
        "title": f"ADR {record_id(f.id, number)}",
        "status": _status(ev, superseded_by, stale),
        "date": _record_date(ev, revision),
        "revision": number,
        "saved_at": revision.saved_at if revision is not None else None,
        "changes": list(revision.changes) if revision is not None else [],
        "supersedes": record_id(f.id, supersedes) if supersedes is not None else None,
        "superseded_by": (record_id(f.id, superseded_by) if superseded_by is not None else None),
        "supersedes_revision": supersedes,
        "superseded_by_revision": superseded_by,
        "newer_undecided_revision": _newer_undecided(number, decided_numbers, latest_revision),
        "decided_revisions": decided_numbers,
        "remaking_revisions": making,
        "stale": stale,
        "remade": bool(mark.remade) if mark is not None else decision is not None,
        "standing_revision": standing,
        "standing_record": record_id(f.id, standing) if standing is not None else None,
        "changes_since_standing": _changes_since(ev, stale, living),
        "stale_revision": stale_after,
        "stale_record": record_id(f.id, stale_after) if stale_after is not None else None,
    }


def _place(
    has_decision: bool, number: int | None, mark: MarkLike | None, making: list[int]
) -> tuple[int | None, int | None]:
    """The revisions this record supersedes and is superseded by, among those in ``making``
    (the revisions that made or re-made the decision); None when there are none."""
    supersedes = superseded_by = None
    if has_decision and number is not None:
        older = [n for n in making if n < number]
        newer = [n for n in making if n > number]
        if mark is None or mark.remade:
            supersedes = older[-1] if older else None
        superseded_by = newer[0] if newer else None
    return supersedes, superseded_by


def _newer_undecided(
    number: int | None, decided_numbers: list[int], latest_revision: int | None
) -> int | None:
    """The feature's latest revision when it is newer than this one and none since is decided."""
    if (
        latest_revision is not None
        and number is not None
        and latest_revision > number
        and not any(n > number for n in decided_numbers)
    ):
        return latest_revision
    return None


def _is_stale(ev: Evaluation, revision: RevisionLike | None, mark: MarkLike | None) -> bool:
    """Whether the record's decision no longer matches its content: by its revision's mark,
    or, for an assessment never stored, by the content hash in its file."""
    stale = bool(mark is not None and mark.stale)
    if mark is None and ev.assessment.decision is not None and revision is None:
        from ..domain.living import stale_by_hash

        stale = stale_by_hash(ev.as_written)
    return stale


def _stale_after(
    number: int | None,
    mark: MarkLike | None,
    marks: dict[int, MarkLike],
    superseded_by: int | None,
) -> int | None:
    """A later revision that changed this decision's content without re-making it."""
    if mark is not None and mark.remade and superseded_by is None:
        later = [m.number for m in marks.values() if m.number > number and m.stale]
        later = [n for n in later if marks[n].standing == number]
        return later[-1] if later else None
    return None


def _status(ev: Evaluation, superseded_by: int | None, stale: bool) -> str:
    """The record's status: proposed when undecided or stale, superseded, else the decision's."""
    decision = ev.assessment.decision
    if decision is None:
        return DecisionStatus.proposed.value
    if superseded_by is not None:
        return DecisionStatus.superseded.value
    if stale:
        return DecisionStatus.proposed.value
    return decision.status.value


def _record_date(ev: Evaluation, revision: RevisionLike | None) -> dt.date:
    """The decision's date, else the day the revision was saved, else the export's day."""
    decision = ev.assessment.decision
    if decision is not None:
        return decision.decided_on
    if revision is not None and revision.saved_at is not None:
        return revision.saved_at.date()
    return ev.today


def _changes_since(ev: Evaluation, stale: bool, living: Living | None) -> list[str]:
    """What a stale record's content changed since the standing decision's (not the decision)."""
    if stale and living is not None and living.standing_assessment is not None:
        from ..domain.diff import diff_assessments

        changes = diff_assessments(living.standing_assessment, ev.as_written)
        return [c for c in changes if not c.startswith("decision")]
    return []


def _state_of(ev: Evaluation, stale: bool) -> str:
    """The decision state of an assessment that was never stored: by its file alone."""
    if ev.assessment.decision is None:
        return "undecided"
    if stale:
        return "stale"
    if ev.observations and _signals(ev.as_written, ev.observations):
        return "reopened"
    return "expired" if ev.overdue else "decided"


def _signals(a, observations) -> list:
    from ..domain.living import reopening_signals

    d = a.decision
    return reopening_signals(a, observations, d.decided_on) if d is not None else []


def _living(ev: Evaluation, record: dict, living: Living | None) -> dict:
    """The feature's decision state as of the export's day, and why."""
    state = living.state if living is not None else None
    if state is None:
        value = _state_of(ev, record["stale"])
        return {
            "state": value,
            "reason": "no decision" if value == "undecided" else "",
            "since": None,
            "standing_revision": None,
            "standing_record": None,
            "review_by": ev.review_by,
        }
    fid = ev.assessment.feature.id
    standing = state.standing_revision
    value = state.state.value
    return {
        "state": value,
        "reason": state.reason.removeprefix(f"{value}: "),
        "since": state.since,
        "standing_revision": standing,
        "standing_record": record_id(fid, standing) if standing is not None else None,
        "review_by": state.review_by,
    }


def _since(ev: Evaluation, living: Living) -> dict:
    """What the world said after the decision: each machine-checkable metric's latest
    observation against its limit, breaches, falsified hypotheses, the observed reach."""
    from ..domain.living import breaches, falsifications, standing_values

    a = living.latest if living.latest is not None else ev.as_written
    current = standing_values(living.observations)
    return {
        "observed": bool(current),
        "observations": len(current),
        "metrics": [
            _observed_metric(m, current)
            for m in a.metrics
            if m.id is not None and m.limit is not None
        ],
        "breaches": [s.message for s in breaches(a, current)],
        "falsified": [s.message for s in falsifications(a, current)],
        "reach": _reach(a, current),
    }


def _observed_metric(m, current) -> dict:
    """A metric with a limit: its latest standing observation and whether it holds."""
    from ..domain.formatting import number
    from ..domain.living import latest

    unit = f" {m.unit}" if m.unit else ""
    limit_text = f"{m.limit.op} {number(m.limit.value)}{unit}"
    o = latest(current, m.id)
    if o is None:
        return {
            "id": m.id,
            "name": m.name,
            "kind": m.kind.value,
            "limit_text": limit_text,
            "value": None,
            "observed_on": None,
            "healthy": None,
            "text": f"not observed yet (limit {limit_text})",
        }
    ok = m.limit.holds(o.value)
    return {
        "id": m.id,
        "name": m.name,
        "kind": m.kind.value,
        "limit_text": limit_text,
        "value": o.value,
        "observed_on": o.observed_on,
        "healthy": ok,
        "text": (
            f"{number(o.value)}{unit} on {o.observed_on}, limit {limit_text}: "
            + ("healthy" if ok else "not healthy")
        ),
    }


def _reach(a, current) -> dict | None:
    """The observed reach against the declared population (None when none is observed)."""
    from ..domain.living import observed_population, outgrown

    seen = observed_population(current)
    if seen is None:
        return None
    declared = a.feature.population
    grown = outgrown(a, current)
    return {
        "observed": seen.value,
        "observed_on": seen.observed_on,
        "declared": declared,
        "outgrown": grown is not None,
        "text": _reach_text(seen, declared, grown is not None),
    }


def _reach_text(seen, declared: int | None, grown: bool) -> str:
    """The observed reach in words, compared with the declared population."""
    from ..domain.formatting import number

    if declared is None:
        return (
            f"{number(seen.value)} observed on {seen.observed_on}; no population is "
            "declared to compare it with"
        )
    if seen.value > declared:
        text = (
            f"{number(seen.value)} observed on {seen.observed_on}, above the "
            f"{number(declared)} declared ({seen.value / declared:.1f}x)"
            if declared
            else f"{number(seen.value)} observed on {seen.observed_on}, above none declared"
        )
        return text + (
            ": outgrown, the bounds use the observed reach"
            if grown
            else "; the bounds use the observed reach"
        )
    return (
        f"{number(seen.value)} observed on {seen.observed_on}, within the "
        f"{number(declared)} declared"
    )


def _feature(ev: Evaluation) -> dict:
    f = ev.as_written.feature
    scored = ev.assessment.feature.population
    return {
        # the reach the bounds use: the observed one when it outgrew the declared one
        "bounds_population": scored,
        "bounds_population_text": (
            f"{count(scored)} {f.population_unit}"
            if scored is not None and scored != f.population
            else None
        ),
        "id": f.id,
        "name": f.name,
        "owner": f.owner,
        "stage": f.stage.value,
        "description": f.description,
        "population": f.population,
        "population_unit": f.population_unit,
        "population_text": (
            f"{count(f.population)} {f.population_unit}" if f.population is not None else None
        ),
        "taxonomy": ev.assessment.taxonomy,
    }


def _totals(ev: Evaluation) -> dict:
    worst = ev.worst_harm
    return {
        "harms": len(ev.harms),
        "priority": ev.priority.name if ev.priority else None,
        "priority_label": tier_label(ev.priority),
        "residual_priority": ev.residual_priority.name if ev.residual_priority else None,
        "residual_priority_label": tier_label(ev.residual_priority),
        "max_rpn": ev.max_rpn,
        "residual_max_rpn": ev.residual_max_rpn,
        "worst_harm": worst.id if worst else None,
        "harmed_low": ev.harmed_low,
        "harmed_high": ev.harmed_high,
        "harmed_text": (
            people_range(ev.harmed_low, ev.harmed_high) if ev.harmed_high is not None else None
        ),
        "harmed_high_text": people(ev.harmed_high) if ev.harmed_high is not None else None,
        "harmed_words": people_words(ev.harmed_low, ev.harmed_high),
        "harmed_high_words": people_words(ev.harmed_high, ev.harmed_high),
        "errors": ev.errors,
        "warnings": ev.warnings,
    }


def _hypothesis(hyp, today: dt.date, written=None) -> dict:
    return {
        "by_observation": written is not None and written != hyp.status,
        "id": hyp.id,
        "statement": hyp.statement,
        "falsified_if": hyp.falsified_if,
        "check_by": hyp.check_by,
        "status": hyp.status.value,
        "check_overdue": bool(
            hyp.status == HypothesisStatus.open and hyp.check_by and hyp.check_by < today
        ),
    }


@cache
def _type_labels() -> dict[str, str]:
    """Harm type id -> label in the built-in taxonomy."""
    return {t.id: t.label for t in builtin_taxonomy().types}


@cache
def _builtin_refs() -> tuple:
    return (None, builtin_taxonomy().ref)


@cache
def _scales() -> dict:
    return {
        key: {"letter": s.letter, "label": s.label, "anchors": list(s.anchors)}
        for key, s in SCALES.items()
    }


def _precedents(ids: Sequence[str]) -> list[dict]:
    """The casebook incidents a harm cites: title, year, one line and sources (DOMAIN 10)."""
    if not ids:
        return []
    from ..domain.casebook import builtin_casebook

    book = builtin_casebook()
    out = []
    for cid in ids:
        case = book.get(cid)
        if case is None:  # validated on import; a later casebook may have dropped it
            out.append({"id": cid, "title": None, "year": None, "line": None, "sources": []})
            continue
        line = case.one_line
        out.append(
            {
                "id": cid,
                "title": case.title,
                "year": case.year,
                "line": line,
                "ratings": f"S{case.severity} L{case.likelihood} R{case.reversibility} "
                f"D{case.detectability}",
                "sources": list(case.sources),
            }
        )
    return out


def _harm(ev: Evaluation, h, labels: dict[str, str]) -> dict:
    """One harm; ``labels`` maps harm type ids to their taxonomy labels."""
    harm = h.harm
    source = harm.source.value
    residual_note = None
    detail = h.residual_detail
    if detail.warn_only_irreversible:
        residual_note = (
            "only warn_user fallbacks cover this irreversible harm, so its residual severity "
            "and reversibility stay at the inherent values"
        )
    elif detail.claims_ignored:
        residual_note = "no fallback covers this harm, so its claimed residual ratings are ignored"
    elif not detail.covered:
        residual_note = "no fallback covers this harm: residual ratings equal the inherent ones"
    return {
        "id": harm.id,
        "type": harm.type,
        "type_label": labels.get(harm.type, harm.type),
        "source": source,
        "source_label": source.replace("_", " "),
        "statement": harm.statement,
        "affected": harm.affected,
        "rationale": harm.rationale,
        "rater_confidence": harm.rater_confidence,
        "evidence": list(harm.evidence),
        "precedents": _precedents(getattr(harm, "precedents", [])),
        "ratings": _ratings(h.ratings),
        "residual_ratings": _ratings(h.residual_ratings),
        "tier": _NAME[h.inherent.tier],
        "tier_label": _LABEL[h.inherent.tier],
        "rule": h.inherent.rule.id,
        "rule_text": h.inherent.rule.text,
        "residual_tier": _NAME[h.residual.tier],
        "residual_tier_label": _LABEL[h.residual.tier],
        "residual_rule": h.residual.rule.id,
        "residual_rule_text": h.residual.rule.text,
        "rpn": h.rpn,
        "residual_rpn": h.residual_rpn,
        "covered_by": list(h.covered_by),
        "tested": h.tested,
        "residual_note": residual_note,
        "exposure": _exposure(ev, h),
    }


def _exposure(ev: Evaluation, h) -> dict | None:
    e = h.exposure
    x = h.harm.exposure
    if e is None or x is None:
        return None
    f = ev.assessment.feature
    factors = [
        {"name": name, "low": lo, "high": hi, "low_text": share(lo), "high_text": share(hi)}
        for name, (lo, hi) in x.factors()
    ]
    if f.population is None:
        low_text = high_text = None
    else:
        pop = count(f.population)
        low_text = " x ".join([pop, *(fa["low_text"] for fa in factors)])
        low_text += f" = {_result(e.harmed_low)}"
        high_text = " x ".join([pop, *(fa["high_text"] for fa in factors)])
        high_text += f" = {_result(e.harmed_high)}"
    spread = e.factor_spread  # never divides by an underflowed zero
    return {
        "factors": factors,
        "population": f.population,
        "harmed_low": e.harmed_low if f.population is not None else None,
        "harmed_high": e.harmed_high if f.population is not None else None,
        "low_text": low_text,
        "high_text": high_text,
        "range_text": (
            people_range(e.harmed_low, e.harmed_high) if f.population is not None else None
        ),
        "range_words": (
            people_words(e.harmed_low, e.harmed_high) if f.population is not None else None
        ),
        "spread": spread,
        "spread_text": f"{times(spread)}x" if spread >= 10 else f"{spread:,.1f}x",
        "needs_evidence": e.needs_evidence,
    }


def _result(n: float) -> str:
    """The end of a people-harmed product: ``5 people``; ``0.001, fewer than 1 person``."""
    words = people_words(n, n)
    return f"{people(n)}, {words}" if n < 1 else words


def _fallback(fb, tiers: dict[str, str]) -> dict:
    """One fallback; ``tiers`` maps harm ids to their inherent tier labels."""
    return {
        "id": fb.id,
        "kind": fb.kind.value,
        "kind_label": fb.kind.value.replace("_", " "),
        "covers": list(fb.covers),
        "covers_tiers": [tiers.get(hid, "-") for hid in fb.covers],
        "trigger": fb.trigger,
        "action": fb.action,
        "user_message": fb.user_message,
        "owner": fb.owner,
        "confidence_threshold": fb.confidence_threshold,
        "tested_on": fb.tested_on,
        "review_load": _review_load(fb),
    }


def _review_load(fb) -> dict | None:
    load = fb.review_load()
    is_review = fb.kind == FallbackKind.human_review
    if load is None and not is_review:
        return None
    capacity = fb.reviewer_capacity_per_day
    if load is None:
        text = (
            "load not estimated: give requests_per_day and share_below_threshold to compare it "
            "with reviewer capacity"
        )
        within = None
    else:
        text = (
            f"{count(fb.requests_per_day)} requests a day x {percent(fb.share_below_threshold)} "
            f"below the threshold = {count(load)} reviews a day"
        )
        if capacity is None:
            within = None
            text += "; reviewer capacity not given"
        else:
            within = load <= capacity
            if within:
                used = percent(load / capacity) if capacity else "-"
                text += f", within a capacity of {count(capacity)} ({used} used)"
            else:
                text += f", over a capacity of {count(capacity)} by {count(load - capacity)}"
    return {
        "fallback": fb.id,
        "kind": fb.kind.value,
        "requests_per_day": fb.requests_per_day,
        "share_below_threshold": fb.share_below_threshold,
        "load": load,
        "capacity": capacity,
        "within_capacity": within,
        "text": text,
    }


def _metric(m, decided_on: dt.date | None) -> dict:
    if decided_on is None:
        before, note = None, "-"
    else:
        days = (decided_on - m.decided_on).days
        before = days >= 0
        if days > 0:
            note = f"yes, {_days(days)} before"
        elif days == 0:
            note = "yes, the same day"
        else:
            note = f"no, {_days(-days)} after"
    return {
        "name": m.name,
        "kind": m.kind.value,
        "target": m.target,
        "decided_on": m.decided_on,
        "before_decision": before,
        "before_text": note,
    }


def _decision(ev: Evaluation) -> dict | None:
    d = ev.assessment.decision
    if d is None:
        return None
    makers = [n for n in d.decided_by if n.strip()]
    return {
        "verdict": d.verdict.value,
        "label": verdict_label(d.verdict),
        "status": d.status.value,
        "rationale": d.rationale if (d.rationale or "").strip() else None,
        "decided_by": makers,
        "decided_by_text": join_names(makers),
        "decided_on": d.decided_on,
        "review_by": d.review_by,
    }


def _review(ev: Evaluation) -> dict:
    d = ev.assessment.decision
    if d is None or ev.review_by is None:
        return {
            "date": None,
            "defaulted": False,
            "overdue": False,
            "days_overdue": 0,
            "days_left": None,
            "text": "not set: a review date is set when the decision is recorded",
            "overdue_text": None,
        }
    worst = ev.residual_priority
    days_default = REVIEW_DAYS[worst or Tier.low]
    overdue_days = (ev.today - ev.review_by).days
    if ev.review_by_defaulted:
        why = f"the worst residual tier is {worst.label}" if worst else "no harm is recorded"
        text = (
            f"{ev.review_by}, a default: the decision date + {_days(days_default)} because "
            f"{why} (no review date was set)"
        )
    else:
        text = f"{ev.review_by}, set by the decision"
    overdue_text = (
        f"Overdue by {_days(overdue_days)} on {ev.today}: revisit the decision and save a "
        "new revision"
        if ev.overdue
        else None
    )
    return {
        "date": ev.review_by,
        "defaulted": ev.review_by_defaulted,
        "overdue": ev.overdue,
        "days_overdue": max(overdue_days, 0),
        "days_left": max(-overdue_days, 0),
        "text": text,
        "overdue_text": overdue_text,
    }


# ------------------------------------------------------------ the portfolio


class RowLike(Protocol):
    """What the report needs of a portfolio row (storage's ``PortfolioRow``)."""

    rank: int
    id: str
    name: str


def _counts(out_rows: list[dict]) -> dict:
    """Features by residual tier and chosen verdict, and by recommended and chosen verdict."""
    tier_keys = (*TIER_ORDER, NO_TIER)
    verdict_keys = (*VERDICTS, UNDECIDED)
    by_tier = {t: dict.fromkeys(verdict_keys, 0) for t in tier_keys}
    recommended = dict.fromkeys(VERDICTS, 0)
    chosen = dict.fromkeys(verdict_keys, 0)
    for r in out_rows:
        by_tier[r["residual_priority"] or NO_TIER][r["verdict"] or UNDECIDED] += 1
        recommended[r["recommended_verdict"]] = recommended.get(r["recommended_verdict"], 0) + 1
        chosen[r["verdict"] or UNDECIDED] += 1
    tier_rows = [
        {
            "tier": t,
            "label": "No harms" if t == NO_TIER else tier_label(t),
            "total": sum(by_tier[t].values()),
            "by_verdict": by_tier[t],
        }
        for t in tier_keys
        if t != NO_TIER or sum(by_tier[t].values())
    ]
    verdict_rows = [
        {
            "verdict": v,
            "label": verdict_label(None if v == UNDECIDED else v),
            "recommended": recommended.get(v, 0) if v != UNDECIDED else None,
            "chosen": chosen[v],
        }
        for v in verdict_keys
    ]
    return {
        "by_tier": tier_rows,
        "by_verdict": verdict_rows,
        "tier_counts": {t: sum(by_tier[t].values()) for t in tier_keys},
        "verdict_counts": chosen,
        "recommended_counts": recommended,
    }


def rating_grid(matrix: dict[tuple[int, int], dict[str, int]], rows: str, columns: str) -> dict:
    """A risk matrix for a template: ``matrix`` is ``Store.risk_matrix(axes=(rows,
    columns))``; rows from 5 down, columns from 1 up, each cell's counts by tier."""
    grid = []
    for r in range(5, 0, -1):
        cells = []
        for c in range(1, 6):
            counts = {str(t).lower(): int(n) for t, n in matrix.get((r, c), {}).items() if n}
            text = " · ".join(f"{t[0].upper()} {counts[t]}" for t in TIER_ORDER if counts.get(t))
            cells.append({"total": sum(counts.values()), "text": text or "-"})
        grid.append({"rating": r, "label": SCALES[rows].anchor(r), "cells": cells})
    return {
        "rows_rating": rows,
        "columns_rating": columns,
        "rows": grid,
        "columns": [{"rating": c, "label": SCALES[columns].anchor(c)} for c in range(1, 6)],
        "harms": sum(cell["total"] for row in grid for cell in row["cells"]),
    }


def portfolio_context(
    rows: Sequence[Any],
    matrix: dict[tuple[int, int], dict[str, int]],
    today: dt.date,
    severity_matrix: dict[tuple[int, int], dict[str, int]] | None = None,
) -> dict:
    """The context of the portfolio report: ``rows`` are the ranked portfolio
    (``Store.rank()``), ``matrix`` is ``Store.risk_matrix()`` and
    ``severity_matrix``, when given, ``Store.risk_matrix(axes=("severity",
    "likelihood"))`` (the template's second grid)."""
    out_rows = [_row(r, today) for r in rows]
    tallies = _counts(out_rows)
    overdue = [r for r in out_rows if r["overdue"]]
    overdue.sort(key=lambda r: (r["review_by"], r["rank"]))
    with_errors = [r for r in out_rows if r["errors"]]
    overrides = [r for r in out_rows if r["verdict"] and r["verdict"] != r["recommended_verdict"]]
    return {
        "today": today,
        "rows": out_rows,
        "total": len(out_rows),
        **tallies,
        "overdue": overdue,
        "with_errors": with_errors,
        "overrides": overrides,
        "matrix": _risk_matrix(matrix),
        "severity_matrix": (
            rating_grid(severity_matrix, "severity", "likelihood")
            if severity_matrix is not None
            else None
        ),
        "scales": _scales(),
    }


def _risk_matrix(matrix: dict[tuple[int, int], dict[str, int]]) -> dict:
    """The reversibility x detectability grid (``Store.risk_matrix()``): rows from 5
    down, columns from 1 up, each cell's counts by tier, and the totals by tier."""
    grid = []
    totals = dict.fromkeys(TIER_ORDER, 0)
    norm = {
        (int(k[0]), int(k[1])): {str(t).lower(): int(n) for t, n in v.items() if n}
        for k, v in matrix.items()
    }
    for r in range(5, 0, -1):
        cells = []
        for d in range(1, 6):
            counts = norm.get((r, d), {})
            for t, n in counts.items():
                if t in totals:
                    totals[t] += n
            cells.append(_risk_cell(r, d, counts))
        grid.append(
            {
                "reversibility": r,
                "label": SCALES["reversibility"].anchor(r),
                "cells": cells,
            }
        )
    return {
        "rows": grid,
        "columns": [
            {"detectability": d, "label": SCALES["detectability"].anchor(d)} for d in range(1, 6)
        ],
        "harms": sum(totals.values()),
        "by_tier": totals,
    }


def _risk_cell(r: int, d: int, counts: dict[str, int]) -> dict:
    """One cell of the risk matrix: its harms by tier, their total and a short text."""
    return {
        "reversibility": r,
        "detectability": d,
        "counts": {t: counts.get(t, 0) for t in TIER_ORDER},
        "total": sum(counts.values()),
        "text": " · ".join(f"{t[0].upper()} {counts[t]}" for t in TIER_ORDER if counts.get(t))
        or "-",
    }


def _row(r: Any, today: dt.date) -> dict:
    review_by = r.review_by
    return {
        "rank": r.rank,
        "id": r.id,
        "name": r.name,
        "owner": r.owner,
        "stage": r.stage,
        "revision": r.revision,
        "inherent_priority": r.inherent_priority,
        "inherent_label": tier_label(r.inherent_priority),
        "residual_priority": r.residual_priority,
        "residual_label": tier_label(r.residual_priority),
        "max_rpn": r.max_rpn,
        "residual_max_rpn": r.residual_max_rpn,
        "harmed_low": r.harmed_low,
        "harmed_high": r.harmed_high,
        "harmed_text": people(r.harmed_high) if r.harmed_high is not None else "-",
        "worst_harm": r.worst_harm,
        "worst_harm_type": r.worst_harm_type,
        "recommended_verdict": r.recommended_verdict,
        "recommended_label": verdict_label(r.recommended_verdict),
        "verdict": r.verdict,
        "verdict_label": verdict_label(r.verdict),
        "errors": r.errors,
        "warnings": r.warnings,
        "review_by": review_by,
        "overdue": r.overdue,
        "days_overdue": (today - review_by).days if (r.overdue and review_by) else 0,
    }
