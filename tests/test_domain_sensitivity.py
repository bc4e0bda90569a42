"""Sensitivity: for each harm, the smallest single change of one rating that changes the
recommended verdict. Checked against a brute-force search that re-evaluates every change."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from aipm_workbench.domain import (
    RATINGS,
    VERDICT_ORDER,
    Verdict,
    evaluate,
    parse_assessment,
    read_assessment,
    to_data,
)

TODAY = dt.date(2026, 11, 28)


def brute_force(assessment) -> dict[tuple[str, str], tuple[int, set[tuple]]]:
    """{(harm id, better|worse): (smallest distance, {(rating, residual, new, verdict)})}."""
    base = evaluate(assessment, TODAY)
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
                    v = evaluate(parse_assessment(trial, "trial"), TODAY).recommended
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


def assert_sensitivity_is_minimal_and_true(assessment) -> None:
    ev = evaluate(assessment, TODAY)
    expected = brute_force(assessment)
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


def test_a_covered_harm_prefers_the_residual_rating_that_a_fallback_earns(build):
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
        build(harms=[build.harm("h", 4, 3, 1, 1)], fallbacks=[build.fallback("f", ["h"])])
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


def test_warning_cannot_be_the_lever_for_an_irreversible_harm(build):
    # only warn_user covers an irreversible harm: lowering residual S or R changes nothing,
    # so no suggestion may name them
    a = build(
        harms=[build.harm("h", 5, 3, 5, 4)],
        fallbacks=[build.fallback("w", ["h"], kind="warn_user")],
    )
    ev = evaluate(a, TODAY)
    assert ev.recommended == Verdict.kill
    for s in ev.sensitivity:
        assert not (s.residual and s.rating in ("severity", "reversibility"))
    assert_sensitivity_is_minimal_and_true(a)


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
def test_sensitivity_is_the_smallest_true_change(build, ratings, cover):
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
    assert_sensitivity_is_minimal_and_true(a)


def test_sensitivity_of_every_sample_project_is_the_smallest_true_change(sample_projects):
    for path in sorted(sample_projects.glob("*.toml")):
        assert_sensitivity_is_minimal_and_true(read_assessment(path))
