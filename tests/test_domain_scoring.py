"""DOMAIN.md sections 3-6: scales, the priority lookup, rpn, exposure bounds, residual ratings."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aipm_workbench.domain import SCALES, Tier, exposure_bounds, priority, rpn, rules

ALL = list(product(range(1, 6), repeat=4))  # (S, L, R, D)


def reference_tier(s: int, l: int, r: int, d: int) -> str:  # noqa: E741
    """DOMAIN.md section 4, written out by hand, evaluated top to bottom."""
    if s == 5 and r >= 4 and not (l == 1 and d <= 2):
        return "critical"
    if s == 5 or (s == 4 and (l >= 3 or d >= 4 or r >= 4)) or (s == 3 and r == 5 and d >= 4):
        return "high"
    if s == 4 or (s == 3 and (l >= 3 or d >= 4 or r >= 4)) or (s <= 2 and l == 5 and d >= 4):
        return "medium"
    return "low"


# ------------------------------------------------------------------ priority


def test_priority_matches_domain_for_all_625_combinations():
    wrong = [
        (c, priority(*c).tier.name, reference_tier(*c))
        for c in ALL
        if priority(*c).tier.name != reference_tier(*c)
    ]
    assert len(ALL) == 625
    assert wrong == []


@pytest.mark.parametrize(
    ("s", "l", "r", "d", "tier", "rule"),
    [
        # Critical and its "unless L = 1 and D <= 2" exception
        (5, 1, 4, 2, "high", "H1"),
        (5, 1, 5, 1, "high", "H1"),
        (5, 1, 4, 3, "critical", "C1"),
        (5, 2, 4, 2, "critical", "C1"),
        (5, 2, 5, 1, "critical", "C1"),
        (5, 5, 3, 5, "high", "H1"),  # R < 4: never Critical
        (5, 1, 1, 1, "high", "H1"),
        # High for S = 4: L >= 3, D >= 4, R >= 4, in that order
        (4, 3, 1, 1, "high", "H2"),
        (4, 2, 1, 4, "high", "H3"),
        (4, 2, 4, 1, "high", "H4"),
        (4, 5, 5, 5, "high", "H2"),
        (4, 2, 3, 3, "medium", "M1"),
        (4, 1, 1, 1, "medium", "M1"),
        # High for S = 3 needs R = 5 and D >= 4
        (3, 1, 5, 4, "high", "H5"),
        (3, 1, 5, 5, "high", "H5"),
        (3, 1, 5, 3, "medium", "M4"),
        (3, 1, 4, 4, "medium", "M3"),
        # Medium for S = 3
        (3, 3, 1, 1, "medium", "M2"),
        (3, 2, 1, 4, "medium", "M3"),
        (3, 2, 4, 3, "medium", "M4"),
        (3, 2, 3, 3, "low", "L1"),
        # Medium for S <= 2 needs L = 5 and D >= 4
        (2, 5, 1, 4, "medium", "M5"),
        (1, 5, 5, 5, "medium", "M5"),
        (2, 4, 5, 5, "low", "L1"),
        (2, 5, 5, 3, "low", "L1"),
        (1, 1, 1, 1, "low", "L1"),
    ],
)
def test_priority_boundaries_and_the_rule_that_fired(s, l, r, d, tier, rule):  # noqa: E741
    p = priority(s, l, r, d)
    assert p.tier == Tier[tier]
    assert p.rule.id == rule
    assert p.rule.tier == p.tier
    assert p.rule.text  # shown next to the tier


def test_every_rule_fires_somewhere_and_agrees_with_its_tier():
    fired = {priority(*c).rule.id for c in ALL}
    assert fired == {r.id for r in rules()}
    for c in ALL:
        p = priority(*c)
        assert p.rule.matches(c)
        # no earlier rule matches: first match wins
        earlier = rules()[: [r.id for r in rules()].index(p.rule.id)]
        assert not any(r.matches(c) for r in earlier)


def test_tiers_order_from_low_to_critical():
    assert Tier.low < Tier.medium < Tier.high < Tier.critical
    assert [t.label for t in Tier] == ["Low", "Medium", "High", "Critical"]


@settings(max_examples=400, deadline=None)
@given(
    ratings=st.tuples(*[st.integers(1, 5)] * 4),
    which=st.integers(0, 3),
    raise_by=st.integers(1, 4),
)
def test_priority_is_monotone_in_every_rating(ratings, which, raise_by):
    raised = list(ratings)
    raised[which] = min(5, raised[which] + raise_by)
    assert priority(*raised).tier >= priority(*ratings).tier


# ----------------------------------------------------------------------- rpn


def test_rpn_is_the_product_of_the_four_ratings():
    assert rpn(1, 1, 1, 1) == 1
    assert rpn(5, 5, 5, 5) == 625
    assert rpn(5, 1, 4, 2) == 40
    assert rpn(2, 3, 4, 5) == 120
    assert {rpn(*c) for c in ALL} <= set(range(1, 626))


def test_rpn_does_not_decide_the_tier():
    # a Low harm can out-score a Critical one: rpn only breaks ties within a tier
    assert priority(2, 5, 5, 3).tier == Tier.low and rpn(2, 5, 5, 3) == 150
    assert priority(5, 2, 4, 1).tier == Tier.critical and rpn(5, 2, 4, 1) == 40


# -------------------------------------------------------------------- scales


def test_scales_carry_domain_anchor_texts_and_direction():
    assert list(SCALES) == ["severity", "likelihood", "reversibility", "detectability"]
    assert [s.letter for s in SCALES.values()] == ["S", "L", "R", "D"]
    expected = {
        "severity": ["negligible", "minor", "substantial", "severe", "catastrophic"],
        "likelihood": [
            "below 1 in 100,000",
            "1 in 100,000 to 1 in 10,000",
            "1 in 10,000 to 1 in 1,000",
            "1 in 1,000 to 1 in 100",
            "1 in 100 or more",
        ],
        "reversibility": ["at once", "within a day", "weeks", "partly reversible", "irreversible"],
        "detectability": [
            "guardrail blocks",
            "within hours",
            "within weeks",
            "complains",
            "nobody",
        ],
    }
    for key, words in expected.items():
        scale = SCALES[key]
        for value, word in enumerate(words, start=1):
            assert word in scale.anchor(value), (key, value)
        assert "higher is always worse" in scale.direction


# ------------------------------------------------------------------ exposure


def _exposure(hr, ex, hm) -> dict:
    return {"high_risk_share": hr, "exposed_share": ex, "harmed_share": hm}


def test_exposure_domain_example_is_five_people(build):
    a = build(
        feature={"population": 1_000_000},
        harms=[build.harm("h", 2, 2, 2, 2, exposure=_exposure([0.001] * 2, [0.05] * 2, [0.1] * 2))],
    )
    b = exposure_bounds(a.harms[0], a.feature.population)
    assert b.harmed_low == pytest.approx(5)
    assert b.harmed_high == pytest.approx(5)
    assert not b.needs_evidence


def test_exposure_low_and_high_use_the_products_of_lows_and_highs(build):
    a = build(
        feature={"population": 2_000_000},
        harms=[
            build.harm("h", 2, 2, 2, 2, exposure=_exposure([0.001, 0.01], [0.05, 0.2], [0.1, 0.3]))
        ],
    )
    b = exposure_bounds(a.harms[0], a.feature.population)
    assert b.harmed_low == pytest.approx(2_000_000 * 0.001 * 0.05 * 0.1)  # 10
    assert b.harmed_high == pytest.approx(2_000_000 * 0.01 * 0.2 * 0.3)  # 1,200
    assert b.needs_evidence  # 120x


def test_no_exposure_means_no_bounds(build):
    a = build(feature={"population": 1000}, harms=[build.harm("h", 2, 2, 2, 2)])
    assert exposure_bounds(a.harms[0], 1000) is None
    ev = build.evaluate(feature={"population": 1000}, harms=[build.harm("h", 2, 2, 2, 2)])
    assert ev.harmed_low is None and ev.harmed_high is None


def test_feature_total_is_the_sum_over_its_harms(build):
    ev = build.evaluate(
        feature={"population": 1_000_000},
        harms=[
            build.harm("a", 2, 2, 2, 2, exposure=_exposure([0.001] * 2, [0.05] * 2, [0.1, 0.2])),
            build.harm("b", 2, 2, 2, 2, exposure=_exposure([0.01] * 2, [0.1] * 2, [0.5, 1.0])),
            build.harm("c", 2, 2, 2, 2),
        ],
    )
    assert ev.harmed_low == pytest.approx(5 + 500)
    assert ev.harmed_high == pytest.approx(10 + 1000)
    assert [h.exposure is not None for h in ev.harms] == [True, True, False]


@pytest.mark.parametrize(
    ("low", "flagged"),
    [(0.01, False), (0.0099, True), (0.02, False), (0.001, True)],
)
def test_exposure_is_flagged_only_when_it_spans_more_than_100x(build, low, flagged):
    # high / low = 1 / low: exactly 100x is not "more than 100x"
    ev = build.evaluate(
        feature={"population": 10_000},
        harms=[build.harm("h", 2, 2, 2, 2, exposure=_exposure([low, 1.0], [1.0] * 2, [1.0] * 2))],
    )
    assert ev.harms[0].exposure.needs_evidence is flagged
    assert ("F06" in {f.code for f in ev.findings}) is flagged


def test_exposure_spread_is_judged_on_the_whole_estimate_not_one_factor(build):
    # three factors of 5x each: 125x overall
    ev = build.evaluate(
        feature={"population": 10_000},
        harms=[build.harm("h", 2, 2, 2, 2, exposure=_exposure([0.1, 0.5], [0.1, 0.5], [0.1, 0.5]))],
    )
    assert ev.harms[0].exposure.needs_evidence
    assert [f.about for f in ev.findings if f.code == "F06"] == ["harm:h"]


# ------------------------------------------------------------------ residual


def test_omitted_residual_ratings_equal_the_inherent_ones(build):
    ev = build.evaluate(
        harms=[build.harm("h", 4, 3, 4, 4, residual={"likelihood": 1})],
        fallbacks=[build.fallback("f", ["h"])],
    )
    h = ev.harms[0]
    assert h.ratings == (4, 3, 4, 4)
    assert h.residual_ratings == (4, 1, 4, 4)
    assert h.residual_rpn == 64
    assert h.inherent.tier == Tier.high and h.residual.tier == Tier.high  # H3/H4 still hold


def test_covered_harm_without_residual_table_keeps_inherent_ratings(build):
    ev = build.evaluate(harms=[build.harm("h", 3, 3, 3, 3)], fallbacks=[build.fallback("f", ["h"])])
    assert ev.harms[0].residual_ratings == (3, 3, 3, 3)
    assert ev.harms[0].residual.tier == ev.harms[0].inherent.tier == Tier.medium


def test_uncovered_harm_ignores_claimed_residual_ratings(build):
    claim = {"severity": 1, "likelihood": 1, "reversibility": 1, "detectability": 1}
    ev = build.evaluate(
        harms=[build.harm("h", 4, 3, 4, 4, residual=claim), build.harm("g", 1, 1, 1, 1)],
        fallbacks=[build.fallback("f", ["g"])],  # covers another harm only
    )
    h = ev.harm("h")
    assert h.residual_ratings == (4, 3, 4, 4)
    assert h.residual.tier == Tier.high
    assert h.residual_rpn == h.rpn == 4 * 3 * 4 * 4


def test_warn_user_only_on_irreversible_harm_keeps_s_and_r(build):
    claim = {"severity": 2, "likelihood": 1, "reversibility": 2, "detectability": 1}
    ev = build.evaluate(
        harms=[build.harm("h", 5, 4, 5, 4, residual=claim)],
        fallbacks=[
            build.fallback("w1", ["h"], kind="warn_user"),
            build.fallback("w2", ["h"], kind="warn_user"),
        ],
    )
    h = ev.harms[0]
    # S and R stay at 5; L and D may drop
    assert h.residual_ratings == (5, 1, 5, 1)
    # S=5, R=5 with L=1 and D<=2 is the Critical exception: High by the S=5 rule
    assert h.residual.tier == Tier.high
    assert "F05" in {f.code for f in ev.findings}


def test_warn_user_rule_does_not_touch_likelihood_and_detectability_claims(build):
    ev = build.evaluate(
        harms=[build.harm("h", 3, 4, 5, 4, residual={"likelihood": 2, "detectability": 3})],
        fallbacks=[build.fallback("w", ["h"], kind="warn_user")],
    )
    assert ev.harms[0].residual_ratings == (3, 2, 5, 3)
    assert "F05" not in {f.code for f in ev.findings}  # no S or R claim was refused


def test_warn_user_rule_also_refuses_a_raised_severity_claim_silently(build):
    # "its residual S and R stay at the inherent values whatever the file claims"
    ev = build.evaluate(
        harms=[build.harm("h", 3, 4, 5, 4, residual={"severity": 4})],
        fallbacks=[build.fallback("w", ["h"], kind="warn_user")],
    )
    assert ev.harms[0].residual_ratings == (3, 4, 5, 4)
    assert "F05" not in {f.code for f in ev.findings}  # the claim did not lower S or R


def test_mixed_fallback_kinds_do_not_trigger_the_warn_user_rule(build):
    claim = {"severity": 2, "likelihood": 1, "reversibility": 2, "detectability": 1}
    ev = build.evaluate(
        harms=[build.harm("h", 5, 4, 5, 4, residual=claim)],
        fallbacks=[
            build.fallback("w", ["h"], kind="warn_user"),
            build.fallback("b", ["h"], kind="block"),
        ],
    )
    assert ev.harms[0].residual_ratings == (2, 1, 2, 1)
    assert "F05" not in {f.code for f in ev.findings}


def test_warn_user_rule_applies_only_to_irreversible_harms(build):
    claim = {"severity": 2, "reversibility": 2}
    ev = build.evaluate(
        harms=[build.harm("h", 5, 4, 4, 4, residual=claim)],
        fallbacks=[build.fallback("w", ["h"], kind="warn_user")],
    )
    assert ev.harms[0].residual_ratings == (2, 4, 2, 4)
    assert "F05" not in {f.code for f in ev.findings}
