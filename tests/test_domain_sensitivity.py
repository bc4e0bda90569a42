"""Sensitivity: for each harm, the smallest single change of one rating that changes the
recommended verdict. Checked against a brute-force search that re-evaluates every change,
and against the straightforward search that re-runs the verdict for every candidate."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aipm_workbench.domain import (
    RATINGS,
    VERDICT_ORDER,
    Verdict,
    evaluate,
    parse_assessment,
    read_assessment,
    to_data,
)
from aipm_workbench.domain import evaluation as evaluation_module
from aipm_workbench.domain.evaluation import (
    SensitivityChange,
    Tier,
    _candidates,
    _facts,
    recommend,
)
from aipm_workbench.domain.models import FallbackKind


def brute_force(assessment, today: dt.date) -> dict[tuple[str, str], tuple[int, set[tuple]]]:
    """{(harm id, better|worse): (smallest distance, {(rating, residual, new, verdict)})}."""
    base = evaluate(assessment, today)
    current = VERDICT_ORDER[base.recommended]
    data = to_data(assessment)
    out: dict[tuple[str, str], tuple[int, set[tuple]]] = {}
    for idx, h in enumerate(base.harms):
        for residual in (False, True):
            for i, key in enumerate(RATINGS):
                old = (h.residual_ratings if residual else h.ratings)[i]
                for new in range(1, 6):
                    if new == old:
                        continue
                    trial = copy.deepcopy(data)
                    harm = trial["harms"][idx]
                    if residual:
                        harm.setdefault("residual", {})[key] = new
                    else:
                        harm[key] = new
                    v = evaluate(parse_assessment(trial, "trial"), today).recommended
                    if VERDICT_ORDER[v] == current:
                        continue
                    direction = "better" if VERDICT_ORDER[v] < current else "worse"
                    dist = abs(new - old)
                    best = out.get((h.id, direction))
                    if best is None or dist < best[0]:
                        out[(h.id, direction)] = (dist, {(key, residual, new, v)})
                    elif dist == best[0]:
                        best[1].add((key, residual, new, v))
    return out


def assert_sensitivity_is_minimal_and_true(assessment, today: dt.date) -> None:
    ev = evaluate(assessment, today)
    expected = brute_force(assessment, today)
    stated = {(s.harm_id, s.direction): s for s in ev.sensitivity}
    assert stated.keys() == expected.keys()
    for key, s in stated.items():
        dist, options = expected[key]
        assert abs(s.new - s.old) == dist, (key, s.text)
        assert (s.rating, s.residual, s.new, s.verdict) in options, (key, s.text)


# ------------------------------------------------------------- named cases


def test_lowering_likelihood_by_one_makes_it_ship(build):
    # S=2 L=5 R=1 D=5 is Medium by "S <= 2 and L = 5 and D >= 4": ship_with_guardrails.
    # The only one-step change that helps is L 5 -> 4 (Low: ship); the nearest change
    # that hurts is S 2 -> 4 (High and uncovered: hold).
    ev = build.evaluate(harms=[build.harm("h", 2, 5, 1, 5)])
    assert ev.recommended == Verdict.ship_with_guardrails
    better, worse = ev.sensitivity
    assert (better.harm_id, better.rating, better.residual) == ("h", "likelihood", False)
    assert (better.old, better.new, better.verdict) == (5, 4, Verdict.ship)
    assert better.direction == "better"
    assert better.text == "lower likelihood of harm h from 5 to 4 and the verdict becomes ship"
    assert (worse.rating, worse.old, worse.new, worse.verdict) == ("severity", 2, 4, Verdict.hold)
    assert worse.direction == "worse"
    assert worse.text.startswith("raise severity of harm h from 2 to 4")
    assert better.as_dict()["from"] == 5 and better.as_dict()["to"] == 4
    assert better.as_dict()["verdict"] == "ship"


def test_a_covered_harm_prefers_the_residual_rating_that_a_fallback_earns(build, today):
    # High and still High after a tested block: hold. Lowering a residual rating by one
    # gives Medium (ship_with_guardrails).
    ev = build.evaluate(harms=[build.harm("h", 4, 3, 1, 1)], fallbacks=[build.fallback("f", ["h"])])
    assert ev.recommended == Verdict.hold
    better = next(s for s in ev.sensitivity if s.direction == "better")
    assert better.residual
    assert better.new == better.old - 1
    assert better.verdict == Verdict.ship_with_guardrails
    assert better.text.startswith("lower residual ")
    assert_sensitivity_is_minimal_and_true(
        build(harms=[build.harm("h", 4, 3, 1, 1)], fallbacks=[build.fallback("f", ["h"])]), today
    )


def test_no_change_of_one_rating_can_move_a_falsified_hypothesis(build):
    hyp = {
        "id": "bet",
        "statement": "s",
        "falsified_if": "f",
        "check_by": dt.date(2026, 6, 1),
        "status": "falsified",
    }
    ev = build.evaluate(harms=[build.harm("h", 4, 3, 1, 1)], hypotheses=[hyp])
    assert ev.recommended == Verdict.kill
    assert ev.sensitivity == []


def test_no_harms_no_sensitivity(build):
    assert build.evaluate().sensitivity == []


def test_warning_cannot_be_the_lever_for_an_irreversible_harm(build, today):
    # only warn_user covers an irreversible harm: lowering residual S or R changes nothing,
    # so no suggestion may name them
    a = build(
        harms=[build.harm("h", 5, 3, 5, 4)],
        fallbacks=[build.fallback("w", ["h"], kind="warn_user")],
    )
    ev = evaluate(a, today)
    assert ev.recommended == Verdict.kill
    for s in ev.sensitivity:
        assert not (s.residual and s.rating in ("severity", "reversibility"))
    assert_sensitivity_is_minimal_and_true(a, today)


# ----------------------------------------------------- brute force, broadly


@pytest.mark.parametrize(
    "ratings",
    [
        (5, 3, 5, 4),
        (5, 1, 4, 2),
        (4, 2, 3, 3),
        (3, 1, 5, 4),
        (3, 3, 3, 3),
        (2, 5, 2, 4),
        (1, 1, 1, 1),
    ],
)
@pytest.mark.parametrize("cover", ["none", "tested", "untested", "warn"])
def test_sensitivity_is_the_smallest_true_change(build, today, ratings, cover):
    fallbacks = {
        "none": [],
        "tested": [build.fallback("f", ["h"])],
        "untested": [build.fallback("f", ["h"], tested_on=None)],
        "warn": [build.fallback("f", ["h"], kind="warn_user")],
    }[cover]
    a = build(
        harms=[build.harm("h", *ratings, residual={"likelihood": 1}), build.harm("g", 3, 3, 1, 1)],
        fallbacks=fallbacks,
    )
    assert_sensitivity_is_minimal_and_true(a, today)


def test_sensitivity_of_every_sample_project_is_the_smallest_true_change(sample_projects, today):
    for path in sorted(sample_projects.glob("*.toml")):
        assert_sensitivity_is_minimal_and_true(read_assessment(path), today)


# ------------------------------------- the same answers as the slow search


def slow_sensitivity(ev) -> list[SensitivityChange]:
    """The straightforward search, kept as the reference: every candidate change re-runs
    ``recommend`` over every harm (quadratic in the harm count)."""
    a = ev.assessment
    facts = [_facts(h) for h in ev.harms]
    falsified = [h.id for h in a.hypotheses if h.status == "falsified"]
    ids = [h.id for h in ev.harms]
    has_metrics = bool(a.metrics)
    current = VERDICT_ORDER[ev.recommended]
    out: list[SensitivityChange] = []
    for idx, h in enumerate(ev.harms):
        covering = a.covering(h.id)
        covered = bool(covering)
        warn_only = covered and all(f.kind == FallbackKind.warn_user for f in covering)
        res_model = h.harm.residual
        claimed = tuple(getattr(res_model, k) if res_model else None for k in RATINGS)
        cache: dict = {}

        def order_for(inh_t, res_t, idx=idx, h=h, cache=cache) -> int:
            key = (inh_t, res_t)
            if key not in cache:
                trial = list(facts)
                trial[idx] = (inh_t, res_t, bool(h.covered_by), h.tested)
                cache[key] = VERDICT_ORDER[recommend(trial, ids, falsified, has_metrics)[0]]
            return cache[key]

        possible = set()
        if order_for(Tier.low, Tier.low) < current:
            possible.add("better")
        if order_for(Tier.critical, Tier.critical) > current:
            possible.add("worse")
        if not possible:
            continue
        found: dict = {}
        for cand in _candidates(h.ratings, claimed, covered, warn_only):
            distance, residual = cand[0], cand[1]
            if possible <= found.keys() and distance > max(f[0] for f in found.values()):
                break
            order = order_for(cand[5], cand[6])
            if order == current:
                continue
            direction = "better" if order < current else "worse"
            prefer = int(residual != (direction == "better"))
            best = found.get(direction)
            if best is None or (distance, prefer) < best[:2]:
                found[direction] = (distance, prefer, cand, order)
        for direction in ("better", "worse"):
            if direction in found:
                _, _, (_, residual, i, old, new, _, _), order = found[direction]
                verdict = next(v for v, o in VERDICT_ORDER.items() if o == order)
                out.append(
                    SensitivityChange(h.id, RATINGS[i], residual, old, new, verdict, direction)
                )
    return out


KINDS = [k.value for k in FallbackKind]


@st.composite
def assessments_with_many_harms(draw, build):
    """Up to 12 harms, many alike (rated 1-5 from few values), covered or not, by tested,
    untested or warning-only fallbacks; metrics or none; a falsified hypothesis or none."""
    n = draw(st.integers(1, 12))
    rating = st.sampled_from([1, 2, 3, 5]) | st.integers(1, 5)
    harms, fallbacks = [], []
    for i in range(n):
        claims = draw(st.dictionaries(st.sampled_from(RATINGS), rating, max_size=3))
        harms.append(build.harm(f"h{i}", *(draw(rating) for _ in range(4)), residual=claims))
    for j in range(draw(st.integers(0, n + 2))):
        covers = draw(st.lists(st.sampled_from([h["id"] for h in harms]), min_size=1, max_size=3))
        kind = draw(st.sampled_from(KINDS))
        tested = draw(st.sampled_from([dt.date(2026, 1, 15), None]))
        fallbacks.append(build.fallback(f"f{j}", covers, kind=kind, tested_on=tested))
    hypotheses = []
    if draw(st.booleans()):
        status = draw(st.sampled_from(["open", "supported", "falsified"]))
        hypotheses.append({"id": "bet", "statement": "s", "status": status})
    metrics = None if draw(st.booleans()) else []
    return build(harms=harms, fallbacks=fallbacks, hypotheses=hypotheses, metrics=metrics)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_sensitivity_equals_the_slow_search(build, data):
    a = data.draw(assessments_with_many_harms(build))
    ev = evaluate(a, build.today)
    assert ev.sensitivity == slow_sensitivity(ev)


def test_sensitivity_equals_the_slow_search_on_every_sample_project(sample_projects, today):
    for path in sorted(sample_projects.glob("*.toml")):
        ev = evaluate(read_assessment(path), today)
        assert ev.sensitivity == slow_sensitivity(ev), path.name


def test_candidates_are_judged_without_rerunning_the_verdict_over_every_harm(
    build, today, monkeypatch
):
    """Judging a candidate change must not cost a pass over all harms (that made check,
    show and export of one feature grow with the square of its harm count)."""
    calls = []
    real = evaluation_module.recommend

    def counting(*args, **kwargs):
        calls.append(len(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation_module, "recommend", counting)
    harms = [build.harm(f"h{i}", 3, 3, 1, 1) for i in range(60)]  # Medium, uncovered
    ev = evaluate(build(harms=harms), today)
    assert ev.recommended == Verdict.ship_with_guardrails
    assert len(ev.sensitivity) == 60  # each could make it worse (hold)
    assert calls == [60]  # the recommendation itself, once
