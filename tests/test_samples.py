"""The sample portfolio: each file's recommended verdict and findings, computed by hand
from DOMAIN.md with today = 2026-11-28, and what the samples cover together."""

from __future__ import annotations

import pytest
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)

from aipm_workbench.domain import Tier, Verdict, builtin_taxonomy, evaluate, read_assessment

EXPECTED = {
    "call-summaries": ("kill", {"F05"}),
    "feed-ranking-refresh": ("hold", {"F01", "F11"}),
    "radiology-prelabels": ("kill", set()),
    "meeting-recap": ("kill", set()),
    "eu-genai-demo": ("hold", {"F08"}),
    "search-answers": ("ship_with_guardrails", set()),
    "support-bot": ("ship_with_guardrails", {"F09", "F12", "F14"}),
    "credit-limit-assist": ("hold", {"F02", "F06", "F07"}),
    "fraud-alerts": ("ship", set()),
    "code-review-assistant": ("ship", {"F03", "F04", "F10"}),
}


@pytest.fixture(scope="module")
def evaluations(sample_projects):
    return {
        p.stem: evaluate(read_assessment(p), TODAY) for p in sorted(sample_projects.glob("*.toml"))
    }


def test_every_sample_is_listed(evaluations):
    assert set(evaluations) == set(EXPECTED)
    for stem, ev in evaluations.items():
        assert ev.assessment.feature.id == stem


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_sample_verdict_and_findings(evaluations, stem):
    verdict, codes = EXPECTED[stem]
    ev = evaluations[stem]
    assert ev.recommended.value == verdict
    assert {f.code for f in ev.findings} == codes


def test_samples_cover_every_harm_type_and_every_verdict(evaluations):
    types = {h.harm.type for ev in evaluations.values() for h in ev.harms}
    assert types == set(builtin_taxonomy().ids())
    assert {ev.recommended for ev in evaluations.values()} == set(Verdict)


# A few samples worked through by hand from DOMAIN.md.


def test_support_bot_by_hand(evaluations):
    ev = evaluations["support-bot"]
    tiers = {h.id: (h.inherent.tier, h.residual.tier) for h in ev.harms}
    # S3 L4 R3 D4: Medium (S=3, L>=3); residual S3 L2 R3 D3: Low
    assert tiers["wrong-refund-advice"] == (Tier.medium, Tier.low)
    # S3 L3 R2 D3: Medium; residual S3 L1 R2 D1: Low
    assert tiers["toxic-replies"] == (Tier.medium, Tier.low)
    # S3 L3 R4 D4: Medium (not High: R is 4, not 5); residual S3 L2 R4 D3: Medium (R>=4)
    assert tiers["binding-promises"] == (Tier.medium, Tier.medium)
    # a residual Medium harm, metrics, nothing High: ship_with_guardrails
    assert ev.recommended == Verdict.ship_with_guardrails
    # F09: 30,000 x 0.22 = 6,600 reviews a day against a capacity of 4,500
    assert [f.about for f in ev.findings if f.code == "F09"] == ["fallback:handoff-below-60"]


def test_credit_limit_assist_by_hand(evaluations):
    ev = evaluations["credit-limit-assist"]
    h = {x.id: x for x in ev.harms}
    # S4 L3 R4 D4 is High; residual S4 L2 R3 D4 is still High (S=4 and D>=4)
    assert h["unwarranted-decrease"].residual_ratings == (4, 2, 3, 4)
    assert h["unwarranted-decrease"].residual.tier == Tier.high
    assert ev.recommended == Verdict.hold
    # chosen ship_with_guardrails without a rationale: F07
    assert ev.verdict == Verdict.ship_with_guardrails
    # metrics decided 2026-09-22 and 2026-10-03, after the 2026-09-08 decision: F02
    # proxy-discrimination: highs 0.05 x 0.2 x 0.3 over lows 0.001 x 0.05 x 0.05 = 1,200x: F06
    assert [f.about for f in ev.findings if f.code == "F06"] == ["harm:proxy-discrimination"]


def test_call_summaries_by_hand(evaluations):
    ev = evaluations["call-summaries"]
    worst = ev.harm("privileged-calls")
    # S5 R5 and not (L=1 and D<=2): Critical, and a warn_user-only fallback cannot lower S or R
    assert worst.inherent.tier == Tier.critical
    assert worst.residual.tier == Tier.critical
    assert worst.residual_detail.warn_only_irreversible
    assert ev.recommended == Verdict.kill


def test_eu_genai_demo_by_hand(evaluations):
    ev = evaluations["eu-genai-demo"]
    # Medium at worst after fallbacks, but no fallback covering the High harms was ever
    # tested: hold; its review date 2026-09-07 has passed: overdue (F08)
    assert ev.residual_priority == Tier.medium
    assert not any(h.tested for h in ev.harms)
    assert ev.recommended == Verdict.hold
    assert ev.overdue
