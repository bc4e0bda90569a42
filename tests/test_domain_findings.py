"""DOMAIN.md section 7: every finding, positive and negative, with its level and subject.

F13-F15 are the project's own checks beyond DOMAIN.md's twelve (see domain/findings.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from aipm_workbench.domain import Level

HIGH = (4, 3, 1, 1)
CRITICAL = (5, 3, 5, 4)
MEDIUM = (3, 3, 1, 1)
LOW = (2, 2, 2, 2)

LEVELS = {
    "F01": "error",
    "F02": "error",
    "F03": "warning",
    "F04": "warning",
    "F05": "error",
    "F06": "warning",
    "F07": "error",
    "F08": "warning",
    "F09": "error",
    "F10": "warning",
    "F11": "warning",
    "F12": "warning",
    "F13": "warning",
    "F14": "warning",
    "F15": "warning",
    "F16": "error",
    "F17": "error",
    "F18": "warning",
    "F19": "error",
}


def found(ev, code: str) -> list:
    """The findings with this code, after checking each one's level and message."""
    out = [f for f in ev.findings if f.code == code]
    for f in out:
        assert f.level == Level(LEVELS[code])
        assert len(f.message) > 20 and f.about
    return out


def codes(ev) -> set[str]:
    return {f.code for f in ev.findings}


def decision(verdict="ship", **more) -> dict:
    return {
        "verdict": verdict,
        "decided_on": dt.date(2026, 11, 1),
        "review_by": dt.date(2027, 2, 1),
        "rationale": "Why.",
        "decided_by": ["Dana Reyes"],
        **more,
    }


def test_the_default_built_assessment_has_no_findings(build):
    assert build.evaluate().findings == []


# ----------------------------------------------------------------------- F01


@pytest.mark.parametrize("ratings", [HIGH, CRITICAL])
def test_f01_high_or_critical_harm_without_covering_fallback(build, ratings):
    ev = build.evaluate(harms=[build.harm("h", *ratings)])
    assert [f.about for f in found(ev, "F01")] == ["harm:h"]


def test_f01_not_for_medium_harms_or_covered_ones(build):
    ev = build.evaluate(
        harms=[build.harm("m", *MEDIUM), build.harm("h", *HIGH)],
        fallbacks=[build.fallback("f", ["h"])],
    )
    assert "F01" not in codes(ev)


# ----------------------------------------------------------------------- F02


def test_f02_no_metric_at_all(build):
    ev = build.evaluate(metrics=[])
    assert [f.about for f in found(ev, "F02")] == ["metrics"]


def test_f02_metrics_decided_after_the_decision(build):
    ev = build.evaluate(
        metrics=[build.metric(decided_on=dt.date(2026, 11, 2))], decision=decision()
    )
    assert found(ev, "F02")


def test_f02_metric_decided_on_the_decision_date_is_pre_committed(build):
    ev = build.evaluate(
        metrics=[
            build.metric(decided_on=dt.date(2026, 11, 1)),
            build.metric(decided_on=dt.date(2026, 11, 20)),
        ],
        decision=decision(),
    )
    assert "F02" not in codes(ev)


# ----------------------------------------------------------------------- F03


def test_f03_all_metrics_are_model_metrics(build):
    ev = build.evaluate(metrics=[build.metric("model"), build.metric("model")])
    assert [f.about for f in found(ev, "F03")] == ["metrics"]


@pytest.mark.parametrize("other", ["product", "guardrail"])
def test_f03_not_when_any_metric_is_not_a_model_metric(build, other):
    ev = build.evaluate(metrics=[build.metric("model"), build.metric(other)])
    assert "F03" not in codes(ev)


def test_f03_not_when_there_are_no_metrics(build):
    assert "F03" not in codes(build.evaluate(metrics=[]))


# ----------------------------------------------------------------------- F04


@pytest.mark.parametrize("missing", ["falsified_if", "check_by"])
def test_f04_hypothesis_lacks_falsified_if_or_check_by(build, missing):
    hyp = {
        "id": "bet",
        "statement": "Users save time.",
        "falsified_if": "They do not.",
        "check_by": dt.date(2027, 1, 1),
    }
    del hyp[missing]
    ev = build.evaluate(hypotheses=[hyp])
    (f,) = found(ev, "F04")
    assert f.about == "hypothesis:bet"
    assert missing in f.message


def test_f04_not_for_a_complete_hypothesis(build):
    hyp = {
        "id": "bet",
        "statement": "s",
        "falsified_if": "f",
        "check_by": dt.date(2027, 1, 1),
    }
    assert "F04" not in codes(build.evaluate(hypotheses=[hyp]))


# ----------------------------------------------------------------------- F05


@pytest.mark.parametrize("claim", [{"severity": 3}, {"reversibility": 3}])
def test_f05_warn_user_claims_to_lower_s_or_r_of_irreversible_harm(build, claim):
    ev = build.evaluate(
        harms=[build.harm("h", 4, 2, 5, 2, residual=claim)],
        fallbacks=[build.fallback("w", ["h"], kind="warn_user")],
    )
    assert [f.about for f in found(ev, "F05")] == ["harm:h"]


def test_f05_not_when_another_kind_also_covers_or_harm_is_reversible(build):
    ev = build.evaluate(
        harms=[
            build.harm("a", 4, 2, 5, 2, residual={"severity": 2}),
            build.harm("b", 4, 2, 4, 2, residual={"severity": 2}),
            build.harm("c", 4, 2, 5, 2),  # no claim
        ],
        fallbacks=[
            build.fallback("w", ["a", "b", "c"], kind="warn_user"),
            build.fallback("r", ["a"], kind="human_review"),
        ],
    )
    assert "F05" not in codes(ev)


# ----------------------------------------------------------------------- F06


def test_f06_exposure_spans_more_than_100x(build):
    exposure = {
        "high_risk_share": [0.001, 0.05],
        "exposed_share": [0.05, 0.2],
        "harmed_share": [0.05, 0.3],
    }
    ev = build.evaluate(
        feature={"population": 1000}, harms=[build.harm("h", *LOW, exposure=exposure)]
    )
    (f,) = found(ev, "F06")
    assert f.about == "harm:h"


def test_f06_not_for_a_narrow_estimate(build):
    exposure = {
        "high_risk_share": [0.01, 0.02],
        "exposed_share": [0.1, 0.2],
        "harmed_share": [0.1, 0.2],
    }
    ev = build.evaluate(
        feature={"population": 1000}, harms=[build.harm("h", *LOW, exposure=exposure)]
    )
    assert "F06" not in codes(ev)


# ----------------------------------------------------------------------- F07


@pytest.mark.parametrize("missing", [{"rationale": None}, {"decided_by": []}, {"rationale": "  "}])
def test_f07_override_without_rationale_or_decider(build, missing):
    d = {k: v for k, v in decision("hold").items() if k not in missing}
    d.update({k: v for k, v in missing.items() if v is not None})
    ev = build.evaluate(decision=d)  # recommended: ship
    assert ev.recommended.value == "ship"
    assert [f.about for f in found(ev, "F07")] == ["decision"]


def test_f07_not_when_the_override_is_explained(build):
    assert "F07" not in codes(build.evaluate(decision=decision("hold")))


def test_f07_not_when_the_verdict_follows_the_recommendation(build):
    d = decision("ship")
    del d["rationale"]
    d["decided_by"] = []
    assert "F07" not in codes(build.evaluate(decision=d))


# ----------------------------------------------------------------------- F08


def test_f08_review_by_missing(build):
    d = decision()
    del d["review_by"]
    (f,) = found(build.evaluate(decision=d), "F08")
    assert f.about == "decision"


def test_f08_review_by_passed(build):
    assert found(build.evaluate(decision=decision(review_by=dt.date(2026, 11, 27))), "F08")


@pytest.mark.parametrize("review_by", [dt.date(2026, 11, 28), dt.date(2027, 1, 1)])
def test_f08_not_when_review_by_is_today_or_later(build, review_by):
    assert "F08" not in codes(build.evaluate(decision=decision(review_by=review_by)))


def test_f08_not_for_an_undecided_assessment(build):
    assert "F08" not in codes(build.evaluate())


# ----------------------------------------------------------------------- F09


def review(load_per_day: int, capacity: int, kind: str = "human_review"):
    return dict(
        kind=kind,
        requests_per_day=load_per_day * 10,
        share_below_threshold=0.1,
        reviewer_capacity_per_day=capacity,
    )


def test_f09_review_load_exceeds_capacity(build):
    ev = build.evaluate(
        harms=[build.harm("h", *LOW)], fallbacks=[build.fallback("hr", ["h"], **review(3001, 3000))]
    )
    (f,) = found(ev, "F09")
    assert f.about == "fallback:hr"


@pytest.mark.parametrize(
    "fields",
    [
        review(3000, 3000),  # equal is not "exceeds"
        review(5000, 3000, kind="abstain"),  # not a human-review fallback
        {"kind": "human_review", "requests_per_day": 50_000, "reviewer_capacity_per_day": 10},
    ],
)
def test_f09_not_within_capacity_other_kinds_or_missing_fields(build, fields):
    ev = build.evaluate(
        harms=[build.harm("h", *LOW)], fallbacks=[build.fallback("hr", ["h"], **fields)]
    )
    assert "F09" not in codes(ev)


# ----------------------------------------------------------------------- F10


def test_f10_no_premortem_items(build):
    (f,) = found(build.evaluate(premortem=[]), "F10")
    assert f.about == "premortem"


def test_f10_not_with_a_premortem_item(build):
    assert "F10" not in codes(build.evaluate(premortem=[{"failure": "x", "signal": "y"}]))


# ----------------------------------------------------------------------- F11


def test_f11_undetectable_harm_without_monitor_or_guardrail_metric(build):
    ev = build.evaluate(harms=[build.harm("h", 2, 2, 2, 5)])
    assert [f.about for f in found(ev, "F11")] == ["harm:h"]


def test_f11_not_with_a_monitor_fallback_or_guardrail_metric_or_lower_d(build):
    monitored = build.evaluate(
        harms=[build.harm("h", 2, 2, 2, 5)],
        fallbacks=[build.fallback("m", ["h"], kind="monitor")],
    )
    guarded = build.evaluate(
        harms=[build.harm("h", 2, 2, 2, 5)],
        metrics=[build.metric("product"), build.metric("guardrail")],
    )
    detectable = build.evaluate(harms=[build.harm("h", 2, 2, 2, 4)])
    for ev in (monitored, guarded, detectable):
        assert "F11" not in codes(ev)


# ----------------------------------------------------------------------- F12


@pytest.mark.parametrize("kinds", [[], ["block", "monitor", "human_review"]])
def test_f12_guardrails_verdict_without_kill_switch_or_rollback(build, kinds):
    ev = build.evaluate(
        harms=[build.harm("h", *MEDIUM)],
        fallbacks=[build.fallback(f"f{i}", ["h"], kind=k) for i, k in enumerate(kinds)],
        decision=decision("ship_with_guardrails"),
    )
    assert [f.about for f in found(ev, "F12")] == ["decision"]


@pytest.mark.parametrize(
    ("verdict", "kind"),
    [
        ("ship_with_guardrails", "kill_switch"),
        ("ship_with_guardrails", "rollback"),
        ("ship", "block"),
    ],
)
def test_f12_not_with_a_way_to_turn_it_off_or_another_verdict(build, verdict, kind):
    ev = build.evaluate(
        harms=[build.harm("h", *MEDIUM)],
        fallbacks=[build.fallback("f", ["h"], kind=kind)],
        decision=decision(verdict),
    )
    assert "F12" not in codes(ev)


# ----------------------------------------------------- F13-F15 (the project's)


def test_f13_uncovered_harm_claims_residual_ratings(build):
    ev = build.evaluate(harms=[build.harm("h", *LOW, residual={"likelihood": 1})])
    assert [f.about for f in found(ev, "F13")] == ["harm:h"]


def test_f13_not_when_covered_or_without_claims(build):
    ev = build.evaluate(
        harms=[
            build.harm("a", *LOW, residual={"likelihood": 1}),
            build.harm("b", *LOW),
            build.harm("c", *LOW, residual={}),
        ],
        fallbacks=[build.fallback("f", ["a"])],
    )
    assert "F13" not in codes(ev)


def test_f14_open_hypothesis_past_its_check_date(build):
    hyp = {"id": "bet", "statement": "s", "falsified_if": "f", "check_by": dt.date(2026, 11, 27)}
    (f,) = found(build.evaluate(hypotheses=[hyp]), "F14")
    assert f.about == "hypothesis:bet"


@pytest.mark.parametrize(
    ("check_by", "status"),
    [
        (dt.date(2026, 11, 28), "open"),
        (dt.date(2026, 1, 1), "supported"),
        (dt.date(2026, 1, 1), "falsified"),
    ],
)
def test_f14_not_before_the_date_or_once_resolved(build, check_by, status):
    hyp = {
        "id": "bet",
        "statement": "s",
        "falsified_if": "f",
        "check_by": check_by,
        "status": status,
    }
    assert "F14" not in codes(build.evaluate(hypotheses=[hyp]))


EXPOSURE = {"high_risk_share": [0.1, 0.2], "exposed_share": [0.1, 0.2], "harmed_share": [0.1, 0.2]}


@pytest.mark.parametrize("feature", [{}, {"population": 0}])
def test_f15_exposure_without_population(build, feature):
    ev = build.evaluate(feature=feature, harms=[build.harm("h", *LOW, exposure=EXPOSURE)])
    (f,) = found(ev, "F15")
    assert f.about == "feature"


def test_f15_not_with_a_population_or_without_exposure(build):
    with_pop = build.evaluate(
        feature={"population": 10}, harms=[build.harm("h", *LOW, exposure=EXPOSURE)]
    )
    no_exposure = build.evaluate(harms=[build.harm("h", *LOW)])
    assert "F15" not in codes(with_pop) | codes(no_exposure)


# ---------------------------------------------------------------- several


def test_findings_accumulate_and_name_each_item(build):
    ev = build.evaluate(
        harms=[build.harm("a", *HIGH), build.harm("b", *CRITICAL), build.harm("c", 2, 2, 2, 5)],
        metrics=[],
        premortem=[],
    )
    assert [f.about for f in ev.findings if f.code == "F01"] == ["harm:a", "harm:b"]
    assert {"F01", "F02", "F10", "F11"} <= codes(ev)
    assert ev.errors == sum(1 for f in ev.findings if f.level == Level.error) == 3
    assert ev.warnings == 2


# ------------------------------------------------------------- the rule list


def test_each_finding_code_is_one_registered_rule_naming_its_domain_row():
    from aipm_workbench.domain.findings import FINDING_RULES

    codes_in_order = [rule.__doc__.split()[0] for rule in FINDING_RULES]
    assert codes_in_order == sorted(LEVELS)  # F01..F19, once each, in order
    for rule in FINDING_RULES:
        code = rule.__doc__.split()[0]
        assert rule.__name__.startswith(code.lower() + "_")
        # DOMAIN.md's table has F01-F12; the project's own checks are in INTERPRETATIONS.md
        if code <= "F12":
            row = "DOMAIN.md 7,"
        elif code >= "F16":
            row = "DOMAIN.md 9,"
        else:
            row = "beyond DOMAIN.md 7, in docs/INTERPRETATIONS.md"
        assert row in rule.__doc__
        heading = rule.__doc__.split(")")[0]  # "F01 (DOMAIN.md 7, error"
        assert heading.startswith(f"{code} (") and LEVELS[code] in heading
        if code in ("F02", "F08", "F14"):  # repeated in SQL for any "today"
            assert "storage/sql.py" in rule.__doc__


def test_each_rule_reports_only_its_own_code(sample_projects, today):
    from aipm_workbench.domain import evaluate, read_assessment
    from aipm_workbench.domain.findings import FINDING_RULES

    seen = set()
    for path in sorted(sample_projects.glob("*.toml")):
        ev = evaluate(read_assessment(path), today)
        produced = []
        for rule in FINDING_RULES:
            own = list(rule(ev))
            assert {f.code for f in own} <= {rule.__doc__.split()[0]}
            produced += own
            seen |= {f.code for f in own}
        assert produced == ev.findings
    assert len(seen) >= 5  # the samples exercise a good part of the rules
