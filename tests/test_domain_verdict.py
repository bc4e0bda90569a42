"""DOMAIN.md section 6: the recommended verdict (first match wins) and review dates."""

from __future__ import annotations

import datetime as dt

import pytest

from aipm_workbench.domain import Tier, Verdict, default_review_by

CRITICAL = (5, 3, 5, 4)  # C1
HIGH = (4, 3, 1, 1)  # H2
MEDIUM = (3, 3, 1, 1)  # M2
LOW = (2, 2, 2, 2)  # L1


def verdict(build, **parts) -> Verdict:
    return build.evaluate(**parts).recommended


def falsified() -> dict:
    return {
        "id": "bet",
        "statement": "Users save time.",
        "falsified_if": "They do not.",
        "check_by": dt.date(2026, 6, 1),
        "status": "falsified",
    }


# ---------------------------------------------------------------- each rule


def test_kill_when_a_harm_is_still_critical_after_its_fallbacks(build):
    ev = build.evaluate(harms=[build.harm("h", *CRITICAL)], fallbacks=[build.fallback("f", ["h"])])
    assert ev.harms[0].residual.tier == Tier.critical
    assert ev.recommended == Verdict.kill
    assert "h" in ev.recommended_reason


def test_kill_when_a_hypothesis_is_falsified(build):
    ev = build.evaluate(harms=[build.harm("h", *LOW)], hypotheses=[falsified()])
    assert ev.recommended == Verdict.kill
    assert "bet" in ev.recommended_reason


@pytest.mark.parametrize("status", ["open", "supported"])
def test_open_or_supported_hypotheses_do_not_kill(build, status):
    hyp = {**falsified(), "status": status}
    assert verdict(build, harms=[build.harm("h", *LOW)], hypotheses=[hyp]) == Verdict.ship


def test_hold_when_a_harm_is_still_high_after_its_fallbacks(build):
    ev = build.evaluate(harms=[build.harm("h", *HIGH)], fallbacks=[build.fallback("f", ["h"])])
    assert ev.harms[0].residual.tier == Tier.high
    assert ev.recommended == Verdict.hold


def test_hold_when_a_high_harm_has_no_covering_fallback(build):
    ev = build.evaluate(harms=[build.harm("h", *HIGH)])
    assert ev.recommended == Verdict.hold
    assert "h" in ev.recommended_reason


def test_uncovered_high_harm_holds_even_if_it_claims_a_low_residual(build):
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual={"severity": 1, "likelihood": 1})],
    )
    assert ev.recommended == Verdict.hold


def test_uncovered_critical_harm_kills_rather_than_holds(build):
    assert verdict(build, harms=[build.harm("h", *CRITICAL)]) == Verdict.kill


def test_hold_when_there_is_no_metric_at_all(build):
    assert verdict(build, harms=[build.harm("h", *LOW)], metrics=[]) == Verdict.hold
    assert verdict(build, metrics=[]) == Verdict.hold  # even without harms
    ev = build.evaluate(metrics=[])
    assert "metric" in ev.recommended_reason


@pytest.mark.parametrize("inherent", [HIGH, CRITICAL])
def test_hold_when_no_fallback_covering_a_high_or_critical_harm_was_tested(build, inherent):
    residual = {"severity": 3, "likelihood": 1, "reversibility": 1, "detectability": 1}  # Low
    untested = build.fallback("f", ["h"], tested_on=None)
    ev = build.evaluate(harms=[build.harm("h", *inherent, residual=residual)], fallbacks=[untested])
    assert ev.harms[0].residual.tier == Tier.low
    assert ev.recommended == Verdict.hold
    assert "tested" in ev.recommended_reason


def test_one_tested_covering_fallback_is_enough(build):
    residual = {"likelihood": 1}  # S=4 L=1 R=1 D=1: Medium
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual=residual)],
        fallbacks=[
            build.fallback("untested", ["h"], tested_on=None),
            build.fallback("tested", ["h"]),
        ],
    )
    assert ev.recommended == Verdict.ship_with_guardrails


def test_a_tested_fallback_for_another_harm_does_not_count(build):
    residual = {"likelihood": 1}
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual=residual), build.harm("g", *LOW)],
        fallbacks=[build.fallback("u", ["h"], tested_on=None), build.fallback("t", ["g"])],
    )
    assert ev.recommended == Verdict.hold


def test_untested_fallback_on_a_medium_harm_does_not_hold(build):
    ev = build.evaluate(
        harms=[build.harm("h", *MEDIUM)], fallbacks=[build.fallback("f", ["h"], tested_on=None)]
    )
    assert ev.recommended == Verdict.ship_with_guardrails


def test_ship_with_guardrails_when_a_harm_is_medium_after_fallbacks(build):
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual={"likelihood": 2}), build.harm("g", *LOW)],
        fallbacks=[build.fallback("f", ["h"])],
    )
    assert ev.harm("h").residual.tier == Tier.medium
    assert ev.recommended == Verdict.ship_with_guardrails


def test_ship_when_everything_is_low_after_fallbacks(build):
    residual = {"severity": 2}  # S=2 L=3 R=1 D=1: Low
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual=residual), build.harm("g", *LOW)],
        fallbacks=[build.fallback("f", ["h"])],
    )
    assert ev.recommended == Verdict.ship


def test_ship_without_harms_when_a_metric_exists(build):
    assert verdict(build) == Verdict.ship


# ------------------------------------------------------------ first match


def test_residual_critical_kills_before_anything_else(build):
    ev = build.evaluate(
        harms=[build.harm("h", *CRITICAL), build.harm("g", *HIGH)],
        fallbacks=[build.fallback("f", ["h"], tested_on=None)],
        metrics=[],
    )
    assert ev.recommended == Verdict.kill


def test_falsified_hypothesis_kills_before_any_hold(build):
    parts = dict(harms=[build.harm("h", *HIGH)], hypotheses=[falsified()], metrics=[])
    assert verdict(build, **parts) == Verdict.kill


def test_hold_rules_come_before_ship_with_guardrails(build):
    # a Medium residual harm and no metric: hold, not ship_with_guardrails
    assert verdict(build, harms=[build.harm("h", *MEDIUM)], metrics=[]) == Verdict.hold
    # a Medium residual harm and an untested fallback on a High one: hold
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual={"likelihood": 1}), build.harm("m", *MEDIUM)],
        fallbacks=[build.fallback("f", ["h"], tested_on=None)],
    )
    assert ev.recommended == Verdict.hold


def test_verdict_uses_residual_not_inherent_tiers(build):
    # inherently Critical, but Medium after a tested block
    ev = build.evaluate(
        harms=[build.harm("h", *CRITICAL, residual={"severity": 3, "reversibility": 3})],
        fallbacks=[build.fallback("f", ["h"])],
    )
    assert ev.harms[0].inherent.tier == Tier.critical
    assert ev.harms[0].residual.tier == Tier.medium
    assert ev.recommended == Verdict.ship_with_guardrails


def test_chosen_verdict_is_the_pms_and_may_differ(build):
    decision = {
        "verdict": "ship",
        "decided_on": dt.date(2026, 11, 1),
        "rationale": "Accepted risk.",
        "decided_by": ["Dana"],
    }
    ev = build.evaluate(harms=[build.harm("h", *MEDIUM)], decision=decision)
    assert ev.recommended == Verdict.ship_with_guardrails
    assert ev.verdict == Verdict.ship
    assert ev.overridden


# ---------------------------------------------------------------- review_by


@pytest.mark.parametrize(
    ("harm", "days"),
    [(CRITICAL, 30), (HIGH, 30), (MEDIUM, 90), (LOW, 180), (None, 180)],
)
def test_review_by_defaults_by_worst_residual_tier(build, harm, days):
    decided = dt.date(2026, 10, 1)
    ev = build.evaluate(
        harms=[build.harm("h", *harm)] if harm else [],
        decision={"verdict": "hold", "decided_on": decided},
    )
    assert ev.review_by == decided + dt.timedelta(days=days)
    assert ev.review_by_defaulted


def test_review_by_default_follows_the_residual_not_the_inherent_tier(build):
    decided = dt.date(2026, 10, 1)
    ev = build.evaluate(
        harms=[build.harm("h", *HIGH, residual={"severity": 2})],  # Low after fallback
        fallbacks=[build.fallback("f", ["h"])],
        decision={"verdict": "ship", "decided_on": decided},
    )
    assert ev.review_by == dt.date(2027, 3, 30)  # + 180 days


def test_default_review_by_function():
    d = dt.date(2026, 1, 31)
    assert default_review_by(d, Tier.critical) == dt.date(2026, 3, 2)
    assert default_review_by(d, Tier.high) == dt.date(2026, 3, 2)
    assert default_review_by(d, Tier.medium) == dt.date(2026, 5, 1)
    assert default_review_by(d, Tier.low) == dt.date(2026, 7, 30)
    assert default_review_by(d, None) == dt.date(2026, 7, 30)


def test_explicit_review_by_is_kept(build):
    ev = build.evaluate(
        decision={
            "verdict": "ship",
            "decided_on": dt.date(2026, 10, 1),
            "review_by": dt.date(2027, 1, 5),
        }
    )
    assert ev.review_by == dt.date(2027, 1, 5)
    assert not ev.review_by_defaulted


@pytest.mark.parametrize(
    ("review_by", "overdue"),
    [(dt.date(2026, 11, 27), True), (dt.date(2026, 11, 28), False), (dt.date(2026, 11, 29), False)],
)
def test_overdue_only_once_review_by_has_passed(build, review_by, overdue):
    ev = build.evaluate(
        decision={"verdict": "ship", "decided_on": dt.date(2026, 6, 1), "review_by": review_by}
    )
    assert ev.overdue is overdue


def test_defaulted_review_by_can_be_overdue(build):
    # Low: + 180 days from 2026-05-01 is 2026-10-28, before 2026-11-28
    ev = build.evaluate(decision={"verdict": "ship", "decided_on": dt.date(2026, 5, 1)})
    assert ev.review_by == dt.date(2026, 10, 28)
    assert ev.overdue


def test_undecided_assessment_has_no_review_date(build):
    ev = build.evaluate()
    assert ev.review_by is None
    assert not ev.overdue
