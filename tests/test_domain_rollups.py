"""DOMAIN.md section 4: feature roll-ups and the portfolio order (``Evaluation.rank_key``)."""

from __future__ import annotations

import random

from aipm_workbench.domain import Tier


def test_feature_priority_is_the_worst_harm_inherent_and_residual_separately(build):
    ev = build.evaluate(
        harms=[
            build.harm("a", 4, 3, 1, 1, residual={"severity": 2}),  # High -> Low
            build.harm("b", 3, 3, 1, 1),  # Medium -> Medium
            build.harm("c", 1, 1, 1, 1),  # Low
        ],
        fallbacks=[build.fallback("f", ["a"])],
    )
    assert ev.priority == Tier.high
    assert ev.residual_priority == Tier.medium
    assert ev.max_rpn == 12
    assert ev.residual_max_rpn == 9
    assert ev.worst_harm.id == "b"  # worst after fallbacks


def test_feature_without_harms_has_no_priority(build):
    ev = build.evaluate()
    assert ev.priority is None and ev.residual_priority is None
    assert ev.max_rpn is None and ev.harmed_high is None
    assert ev.worst_harm is None
    d = ev.as_dict()
    assert d["priority"] is None and d["residual_priority"] is None and d["harms"] == []


def test_as_dict_tiers_are_lowercase(build):
    ev = build.evaluate(harms=[build.harm("h", 5, 3, 5, 4)])
    d = ev.as_dict()
    assert (d["priority"], d["residual_priority"]) == ("critical", "critical")
    assert d["harms"][0]["priority"] == "critical"
    assert d["harms"][0]["rule"] == "C1"


def _exposure(high: float) -> dict:
    return {
        "high_risk_share": [high, high],
        "exposed_share": [1.0, 1.0],
        "harmed_share": [1.0, 1.0],
    }


def test_portfolio_order(build):
    def feature(fid, *harms, fallbacks=(), population=None):
        feat = {"id": fid}
        if population is not None:
            feat["population"] = population
        return build.evaluate(feature=feat, harms=list(harms), fallbacks=list(fallbacks))

    h = build.harm
    evs = [
        # residual Critical beats everything, whatever its id
        feature("z-critical", h("x", 5, 3, 5, 4)),
        # residual High, inherent Critical: before residual High, inherent High,
        # even though the latter has the higher residual rpn (25 < 180)
        feature(
            "y-high-inh-critical",
            h("x", 5, 3, 5, 4, residual={"likelihood": 1, "detectability": 1}),
            fallbacks=[build.fallback("f", ["x"])],
        ),
        feature("b-high-inh-high", h("x", 4, 5, 3, 3)),
        # same tiers (Medium, Medium): higher residual rpn first
        feature("m-rpn-9", h("x", 3, 3, 1, 1)),
        feature("m-rpn-12", h("x", 3, 4, 1, 1)),
        # same tiers and rpn: more people harmed first; none counts as 0; then id
        feature("d-c-fifty", h("x", 1, 1, 1, 1, exposure=_exposure(0.5)), population=100),
        feature("d-b-none", h("x", 1, 1, 1, 1)),
        feature("d-a-zero", h("x", 1, 1, 1, 1, exposure=_exposure(0.5)), population=0),
        # features without harms come last, by id
        feature("a-no-harms"),
        feature("b-no-harms"),
    ]
    expected = [
        "z-critical",
        "y-high-inh-critical",
        "b-high-inh-high",
        "m-rpn-12",
        "m-rpn-9",
        "d-c-fifty",
        "d-a-zero",
        "d-b-none",
        "a-no-harms",
        "b-no-harms",
    ]
    assert evs[1].residual_priority == Tier.high and evs[1].priority == Tier.critical
    assert evs[1].residual_max_rpn < evs[2].residual_max_rpn
    assert evs[5].harmed_high == 50 and evs[7].harmed_high == 0 and evs[6].harmed_high is None
    for seed in range(5):
        shuffled = evs[:]
        random.Random(seed).shuffle(shuffled)
        assert [
            e.assessment.feature.id for e in sorted(shuffled, key=lambda e: e.rank_key())
        ] == expected


def test_portfolio_order_residual_before_inherent(build):
    # inherent Critical but Low after fallbacks ranks below an untreated Medium
    treated = build.evaluate(
        feature={"id": "a-treated"},
        harms=[build.harm("x", 5, 3, 5, 4, residual={"severity": 2, "likelihood": 1})],
        fallbacks=[build.fallback("f", ["x"])],
    )
    medium = build.evaluate(feature={"id": "b-medium"}, harms=[build.harm("x", 3, 3, 1, 1)])
    ranked = sorted([treated, medium], key=lambda e: e.rank_key())
    assert [e.assessment.feature.id for e in ranked] == ["b-medium", "a-treated"]
