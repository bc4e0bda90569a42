"""Decisions that live (DOMAIN.md section 9): material content, stale and standing
decisions, observations, decision state and due work, at their boundaries."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from aipm_workbench.domain import InvalidInput, parse_assessment
from aipm_workbench.domain.living import (
    Observation,
    Revision,
    content_hash,
    decision_state,
    due_work,
    effective_population,
    falsified_ids,
    is_stale,
    sign_off_missing,
    signals,
    stale_by_hash,
    standing_index,
    standing_values,
)
from aipm_workbench.domain.vocab import DecisionState, DueKind, Tier, Verdict

D = dt.date


JAN_10 = D(2026, 1, 10)


def guardrail(mid="escalation-rate", op="<", value=0.02, decided_on=JAN_10):
    return {
        "id": mid,
        "name": "Escalation rate",
        "kind": "guardrail",
        "target": "below 2%",
        "limit": {"op": op, "value": value},
        "unit": "share",
        "decided_on": decided_on,
    }


def base(build, **parts):
    data = build.data(
        feature={"population": 10_000, "owner": "Dana"},
        harms=[build.harm("leak", 4, 3, 4, 4)],
        fallbacks=[build.fallback("block-it", ["leak"])],
        metrics=[build.metric(), guardrail()],
        hypotheses=[
            {
                "id": "saves-time",
                "statement": "It saves time.",
                "falsified_if": "escalations above 5%",
                "check_by": D(2026, 6, 1),
                "test": {"metric": "escalation-rate", "op": ">=", "value": 0.05},
            }
        ],
    )
    for key, value in parts.items():
        data[key] = value
    return data


FEB_1 = D(2026, 2, 1)


def decided(data, verdict="hold", on=FEB_1, by=("Dana", "Sam"), **more):
    data = copy.deepcopy(data)
    data["decision"] = {
        "verdict": verdict,
        "status": "accepted",
        "decided_by": list(by),
        "decided_on": on,
        **more,
    }
    return data


def revs(*datas):
    return [
        Revision(i + 1, dt.datetime(2026, 2, 1 + i, 12), parse_assessment(d, f"r{i + 1}.toml"))
        for i, d in enumerate(datas)
    ]


def obs(metric, value, on, recorded=0):
    return Observation(
        "feat", metric, value, on, None, dt.datetime(2026, 1, 1) + dt.timedelta(recorded)
    )


# ------------------------------------------------------------ material content


FIXED = {
    "format": "aipm-assessment/1",
    "feature": {"id": "call-summaries", "name": "Call summaries", "population": 2000},
    "harms": [
        {
            "id": "privileged-calls",
            "type": "rights.privacy",
            "source": "system_error",
            "statement": "If a legal call is summarised, a client could lose privilege.",
            "severity": 5,
            "likelihood": 3,
            "reversibility": 5,
            "detectability": 4,
        }
    ],
}


def test_the_hash_is_the_same_on_every_machine():
    a = parse_assessment(FIXED, "fixed.toml")
    assert content_hash(a) == (
        "sha256:6cc644d8cea329912534202e9df93818f326fc06430e020fbcc0fd6b1bbeee54"
    )


def test_material_edits_change_the_hash_and_others_do_not(build):
    data = base(build)
    h0 = content_hash(parse_assessment(data, "a.toml"))
    not_material = copy.deepcopy(data)
    not_material["feature"]["name"] = "Renamed"
    not_material["feature"]["owner"] = "Someone else"
    not_material["fallbacks"][0]["tested_on"] = D(2026, 5, 5)
    not_material["hypotheses"][0]["status"] = "supported"
    not_material["hypotheses"][0]["check_by"] = D(2026, 9, 9)
    not_material["premortem"] = [{"failure": "Another failure."}]
    not_material["harms"][0]["rationale"] = "Because."
    assert content_hash(parse_assessment(not_material, "a.toml")) == h0
    for path, value in [
        (("feature", "population"), 20_000),
        (("harms", 0, "severity"), 5),
        (("harms", 0, "statement"), "If it leaks, then someone could lose a job."),
        (("fallbacks", 0, "kind"), "monitor"),
        (("metrics", 1, "limit"), {"op": "<", "value": 0.03}),
        (("metrics", 1, "unit"), "per cent"),
        (("hypotheses", 0, "falsified_if"), "something else"),
    ]:
        changed = copy.deepcopy(data)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert content_hash(parse_assessment(changed, "a.toml")) != h0, path


def test_order_and_number_spelling_are_not_content(build):
    data = base(build)
    data["harms"].append(build.harm("second", 2, 2, 2, 2))
    swapped = copy.deepcopy(data)
    swapped["harms"].reverse()
    as_float = copy.deepcopy(data)
    as_float["harms"][0]["exposure"] = {
        "high_risk_share": [0.1, 0.2],
        "exposed_share": [0.5, 1],
        "harmed_share": [0.1, 0.1],
    }
    as_int = copy.deepcopy(as_float)
    as_int["harms"][0]["exposure"]["exposed_share"] = [0.5, 1.0]
    assert content_hash(parse_assessment(data, "a")) == content_hash(parse_assessment(swapped, "a"))
    assert content_hash(parse_assessment(as_float, "a")) == content_hash(
        parse_assessment(as_int, "a")
    )


# ------------------------------------------------------------ stale and standing


def test_a_recorded_hash_makes_an_edited_file_stale(build):
    data = base(build)
    h = content_hash(parse_assessment(data, "a.toml"))
    fresh = parse_assessment(decided(data, content_hash=h), "a.toml")
    assert not stale_by_hash(fresh)
    edited = decided(data, content_hash=h)
    edited["harms"][0]["likelihood"] = 2
    assert stale_by_hash(parse_assessment(edited, "a.toml"))


def test_history_remake_typo_fix_revert_and_withdrawal(build):
    data = base(build)
    r1 = decided(data, rationale="Because.")
    typo = decided(data, rationale="Because!")  # a typo fix does not re-make
    edited = copy.deepcopy(typo)
    edited["harms"][0]["severity"] = 5
    history = revs(r1, typo, edited)
    assert standing_index(history) == 0
    assert is_stale(history)
    reverted = revs(r1, typo, edited, typo)
    assert not is_stale(reverted)  # the content is again what was decided
    remade = decided(edited, on=D(2026, 3, 1))
    assert standing_index(revs(r1, edited, remade)) == 2
    assert not is_stale(revs(r1, edited, remade))
    withdrawn = copy.deepcopy(data)
    state = decision_state(revs(r1, withdrawn), [], D(2026, 3, 1))
    assert state.state is DecisionState.undecided


def test_with_a_hash_the_standing_revision_is_the_latest_with_that_content(build):
    data = base(build)
    h = content_hash(parse_assessment(data, "a"))
    r1 = decided(data, content_hash=h)
    r2 = copy.deepcopy(r1)
    r2["feature"]["name"] = "Renamed"  # not material: still the decided content
    r3 = copy.deepcopy(r2)
    r3["harms"][0]["severity"] = 5
    history = revs(r1, r2, r3)
    assert standing_index(history) == 1
    assert decision_state(history, [], D(2026, 3, 1)).state is DecisionState.stale


# ------------------------------------------------------------ observations


@pytest.mark.parametrize(
    ("op", "limit", "value", "healthy"),
    [("<", 0.02, 0.019, True), ("<", 0.02, 0.02, False), ("<=", 0.02, 0.02, True),
     (">", 0.9, 0.9, False), (">=", 0.9, 0.9, True), (">=", 0.9, 0.8, False)],
)  # fmt: skip
def test_limit_operators(build, op, limit, value, healthy):
    a = parse_assessment(base(build, metrics=[guardrail(op=op, value=limit)], hypotheses=[]), "a")
    found = signals(a, [obs("escalation-rate", value, D(2026, 3, 1))])
    assert (not found) is healthy


def test_a_correction_replaces_the_value_of_its_day(build):
    first = obs("escalation-rate", 0.05, D(2026, 3, 1), recorded=0)
    fixed = obs("escalation-rate", 0.01, D(2026, 3, 1), recorded=1)
    assert standing_values([first, fixed]) == [fixed]
    a = parse_assessment(base(build, hypotheses=[]), "a")
    assert signals(a, [first, fixed]) == []


def test_breach_is_judged_on_the_latest_observation(build):
    a = parse_assessment(base(build, hypotheses=[]), "a")
    bad = obs("escalation-rate", 0.031, D(2026, 5, 3))
    good = obs("escalation-rate", 0.01, D(2026, 5, 4))
    assert [s.kind for s in signals(a, [bad])] == ["breach"]
    assert signals(a, [bad])[0].message == (
        "guardrail escalation-rate breached 2026-05-03: 0.031 share, limit < 0.02 share"
    )
    assert signals(a, [bad, good]) == []


def test_the_falsification_window_starts_on_check_by(build):
    a = parse_assessment(base(build), "a")
    before = obs("escalation-rate", 0.06, D(2026, 5, 31))
    on = obs("escalation-rate", 0.06, D(2026, 6, 1))
    assert falsified_ids(a, [before]) == set()
    assert falsified_ids(a, [on]) == {"saves-time"}
    later_ok = obs("escalation-rate", 0.001, D(2026, 6, 2))
    assert falsified_ids(a, [on, later_ok]) == {"saves-time"}  # falsified for good


def test_without_check_by_the_window_starts_after_the_decision(build):
    data = base(build)
    del data["hypotheses"][0]["check_by"]
    a = parse_assessment(decided(data, on=D(2026, 2, 1)), "a")
    assert falsified_ids(a, [obs("escalation-rate", 0.06, D(2026, 2, 1))]) == set()
    assert falsified_ids(a, [obs("escalation-rate", 0.06, D(2026, 2, 2))]) == {"saves-time"}


def test_population_outgrown_only_with_a_declared_population(build):
    a = parse_assessment(base(build, hypotheses=[]), "a")
    assert effective_population(a, [obs("population", 15_000, D(2026, 3, 1))]) == 15_000
    assert effective_population(a, [obs("population", 5_000, D(2026, 3, 1))]) == 10_000
    assert signals(a, [obs("population", 20_000, D(2026, 3, 1))]) == []  # exactly 2x
    grown = signals(a, [obs("population", 20_001, D(2026, 3, 1))])
    assert [s.kind for s in grown] == ["outgrown"]
    undeclared = base(build, hypotheses=[])
    del undeclared["feature"]["population"]
    b = parse_assessment(undeclared, "a")
    assert signals(b, [obs("population", 10**9, D(2026, 3, 1))]) == []
    assert effective_population(b, [obs("population", 10**9, D(2026, 3, 1))]) is None


# ------------------------------------------------------------ decision state


def test_decision_states_in_their_order(build):
    data = decided(base(build), review_by=D(2026, 4, 1))
    history = revs(data)
    assert decision_state(history, [], D(2026, 3, 1)).state is DecisionState.decided
    assert decision_state(history, [], D(2026, 4, 2)).state is DecisionState.expired
    breach = obs("escalation-rate", 0.031, D(2026, 3, 5))
    reopened = decision_state(history, [breach], D(2026, 4, 2))
    assert reopened.state is DecisionState.reopened  # reopened wins over expired
    assert reopened.reason == (
        "reopened: guardrail escalation-rate breached 2026-03-05: 0.031 share, limit < 0.02 share"
    )
    stale = copy.deepcopy(data)
    stale["harms"][0]["severity"] = 5
    assert decision_state(revs(data, stale), [breach], D(2026, 4, 2)).state is DecisionState.stale
    # an unhealthy value before the decision does not re-open it
    early = obs("escalation-rate", 0.031, D(2026, 1, 20))
    assert decision_state(history, [early], D(2026, 3, 1)).state is DecisionState.decided
    # re-deciding (a new decided_on) clears it
    remade = decided(base(build), on=D(2026, 3, 6), review_by=D(2026, 9, 1))
    state = decision_state(revs(data, remade), [breach], D(2026, 4, 2))
    assert state.state is DecisionState.decided
    assert state.standing_revision == 2


def test_a_recovered_guardrail_still_reopens_until_re_decided(build):
    history = revs(decided(base(build, hypotheses=[])))
    bad = obs("escalation-rate", 0.05, D(2026, 3, 1))
    good = obs("escalation-rate", 0.01, D(2026, 3, 2))
    assert decision_state(history, [bad, good], D(2026, 3, 3)).state is DecisionState.reopened


def test_a_later_revision_marking_a_hypothesis_falsified_reopens(build):
    data = decided(base(build))
    marked = copy.deepcopy(data)
    marked["hypotheses"][0]["status"] = "falsified"
    state = decision_state(revs(data, marked), [], D(2026, 3, 1))
    assert state.state is DecisionState.reopened
    assert "marks hypothesis saves-time falsified" in state.reason


def test_expiry_uses_the_default_review_date_of_the_standing_decision(build):
    history = revs(decided(base(build)))  # residual High: + 30 days
    assert decision_state(history, [], D(2026, 3, 3)).state is DecisionState.decided
    assert decision_state(history, [], D(2026, 3, 4)).state is DecisionState.expired


# ------------------------------------------------------------ due work and sign-off


def test_due_work_one_entry_per_cause_in_order(build):
    data = base(build)
    data["fallbacks"][0]["tested_on"] = D(2025, 1, 1)
    data = decided(data, review_by=D(2026, 12, 10))
    history = revs(data)
    today = D(2026, 12, 1)
    items = due_work(history, [obs("escalation-rate", 0.5, D(2026, 11, 1))], today)
    assert [i.kind for i in items] == [
        DueKind.reopened,
        DueKind.fallback_untested,
    ]  # falsified by the observation: not an overdue open hypothesis
    assert items[0].date == D(2026, 11, 1)
    quiet = due_work(history, [], today, within=14)
    assert [i.kind for i in quiet] == [
        DueKind.hypothesis_overdue,
        DueKind.fallback_untested,
        DueKind.review_upcoming,
    ]
    assert quiet[-1].date == D(2026, 12, 10)
    assert due_work(history, [], today, within=5)[-1].kind is DueKind.fallback_untested


def test_sign_off_needs_someone_other_than_the_owner(build):
    a = parse_assessment(decided(base(build), verdict="ship", by=["Dana"]), "a")
    assert sign_off_missing(a, Verdict.hold, Tier.high)
    b = parse_assessment(decided(base(build), verdict="ship", by=["dana", "Sam"]), "a")
    assert not sign_off_missing(b, Verdict.hold, Tier.high)
    c = parse_assessment(decided(base(build), verdict="hold", by=["Dana"]), "a")
    assert not sign_off_missing(c, Verdict.hold, Tier.high)  # agrees, not shipping


# ------------------------------------------------------------ the file format


def test_limit_needs_an_id_and_a_test_names_a_metric(build):
    no_id = guardrail()
    del no_id["id"]
    with pytest.raises(InvalidInput) as err:
        parse_assessment(base(build, metrics=[no_id], hypotheses=[]), "x.toml")
    assert "metrics[0].limit" in str(err.value)
    data = base(build)
    data["hypotheses"][0]["test"]["metric"] = "escalation-rat"
    with pytest.raises(InvalidInput) as err:
        parse_assessment(data, "x.toml")
    assert "hypotheses[0].test.metric" in str(err.value)
    assert "escalation-rate" in str(err.value)


# ------------------------------------------------------------ F16-F19


def codes_of(ev):
    return {f.code for f in ev.findings}


def test_f19_a_recorded_hash_that_no_longer_matches(build):
    from aipm_workbench.domain import evaluate

    data = base(build)
    h = content_hash(parse_assessment(data, "a"))
    fresh = evaluate(parse_assessment(decided(data, content_hash=h), "a"), D(2026, 3, 1))
    assert "F19" not in codes_of(fresh)
    edited = decided(data, content_hash=h)
    edited["fallbacks"][0]["covers"] = ["leak"]
    edited["harms"][0]["likelihood"] = 2
    stale = evaluate(parse_assessment(edited, "a"), D(2026, 3, 1))
    (f,) = [f for f in stale.findings if f.code == "F19"]
    assert f.level.value == "error" and "the decision of 2026-02-01 is stale" in f.message


def test_f16_owner_alone_on_a_risky_ship_or_an_override(build):
    from aipm_workbench.domain import evaluate

    alone = evaluate(
        parse_assessment(decided(base(build), verdict="ship", by=["Dana"]), "a"), D(2026, 3, 1)
    )
    (f,) = [f for f in alone.findings if f.code == "F16"]
    assert "decided by its owner alone" in f.message
    signed = evaluate(
        parse_assessment(decided(base(build), verdict="ship", by=["Dana", "Sam"]), "a"),
        D(2026, 3, 1),
    )
    assert "F16" not in codes_of(signed)


def test_f17_f18_and_the_recommendation_with_observations(build):
    from aipm_workbench.domain import evaluate

    a = parse_assessment(decided(base(build), verdict="hold"), "a")
    plain = evaluate(a, D(2026, 7, 1))
    assert not {"F17", "F18"} & codes_of(plain)
    seen = [
        obs("escalation-rate", 0.06, D(2026, 6, 2)),  # breach, and falsifies saves-time
        obs("population", 25_000, D(2026, 6, 2)),  # 2.5x the declared reach
    ]
    ev = evaluate(a, D(2026, 7, 1), observations=seen)
    assert {"F17", "F18"} <= codes_of(ev)
    assert ev.recommended is Verdict.kill  # the falsified hypothesis
    assert ev.decided_against is Verdict.hold  # decisions are judged by their own content
    assert "F07" not in codes_of(ev)
    assert ev.assessment.feature.population == 25_000  # the bounds use the observed reach
