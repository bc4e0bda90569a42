"""diff_assessments: a readable field-by-field difference between two assessments."""

from __future__ import annotations

import datetime as dt

from aipm_workbench.domain import Assessment, parse_assessment
from aipm_workbench.domain.diff import diff_assessments


def base(build) -> dict:
    return build.data(
        harms=[
            build.harm("leak", 4, 3, 4, 4, residual={"likelihood": 2}),
            build.harm("bias", 3, 2, 3, 3),
        ],
        fallbacks=[
            build.fallback("block-leak", ["leak"]),
            build.fallback("review", ["bias"], "human_review"),
        ],
        hypotheses=[
            {"id": "saves-time", "statement": "It saves time.", "check_by": dt.date(2027, 1, 1)}
        ],
        decision={
            "verdict": "hold",
            "status": "accepted",
            "rationale": "Too risky for now.",
            "decided_by": ["Dana"],
            "decided_on": dt.date(2026, 3, 1),
        },
    )


def load(data: dict) -> Assessment:
    return parse_assessment(data, "test.toml")


def test_equal_assessments_have_no_difference(build):
    a = load(base(build))
    assert diff_assessments(a, load(base(build))) == []


def test_ratings_read_old_to_new(build):
    old = base(build)
    new = base(build)
    new["harms"][0]["severity"] = 2
    new["harms"][0]["residual"] = {"likelihood": 1, "detectability": 2}
    new["harms"][1]["reversibility"] = 5
    lines = diff_assessments(load(old), load(new))
    assert lines[:4] == [
        "harm leak: severity 4 -> 2",
        "harm leak: residual likelihood 2 -> 1",
        "harm leak: residual detectability - -> 2",
        "harm bias: reversibility 3 -> 5",
    ]
    assert "harm leak: priority High -> Low" in lines
    assert "harm leak: residual priority High -> Low" in lines


def test_added_and_removed_items(build):
    old = base(build)
    new = base(build)
    new["harms"].pop(1)
    new["fallbacks"].pop(1)
    new["harms"].append(build.harm("toxic", 2, 2, 1, 1))
    new["fallbacks"].append(build.fallback("warn", ["toxic"], "warn_user"))
    new["metrics"].append(
        {
            "name": "Override rate",
            "kind": "guardrail",
            "target": "under 5%",
            "decided_on": dt.date(2026, 2, 1),
        }
    )
    new["hypotheses"] = []
    new["premortem"].append({"failure": "Nobody used it.", "signal": "weekly actives"})
    lines = diff_assessments(load(old), load(new))
    assert "harm removed: bias" in lines
    assert "harm added: toxic (rights.privacy, S=2, L=2, R=1, D=1)" in lines
    assert "fallback removed: review" in lines
    assert "fallback added: warn (warn_user, covers toxic)" in lines
    assert (
        "metric added: 'Override rate' (guardrail, target 'under 5%', decided on 2026-02-01)"
        in lines
    )
    assert "hypothesis removed: saves-time" in lines
    assert "premortem item added: 'Nobody used it.'" in lines


def test_changed_fields_of_items_and_the_feature(build):
    old = base(build)
    new = base(build)
    new["feature"]["stage"] = "beta"
    new["feature"]["population"] = 2_000_000
    new["feature"]["description"] = "A long description. " * 10
    new["fallbacks"][0]["tested_on"] = dt.date(2026, 6, 1)
    new["hypotheses"][0]["status"] = "falsified"
    new["premortem"][0]["signal"] = "complaints"
    new["metrics"][0]["target"] = "a higher target"
    lines = diff_assessments(load(old), load(new))
    assert "feature.stage: concept -> beta" in lines
    assert "feature.population: - -> 2,000,000" in lines
    assert "feature.description: added" in lines
    assert "fallback block-leak: tested_on: 2026-01-15 -> 2026-06-01" in lines
    assert "hypothesis saves-time: status: open -> falsified" in lines
    assert "premortem item 'It failed.': signal: - -> 'complaints'" in lines
    assert "metric 'A product metric': target: 'a target' -> 'a higher target'" in lines
    assert "recommended verdict: hold -> kill" in lines


def test_decision_changes(build):
    old = base(build)
    new = base(build)
    new["decision"]["verdict"] = "kill"
    new["decision"]["decided_by"] = ["Dana", "Lee"]
    new["decision"]["review_by"] = dt.date(2026, 9, 1)
    lines = diff_assessments(load(old), load(new))
    assert lines == [
        "decision.verdict: hold -> kill",
        "decision.decided_by: [Dana] -> [Dana, Lee]",
        "decision.review_by: - -> 2026-09-01",
    ]
    undecided = base(build)
    del undecided["decision"]
    assert diff_assessments(load(old), load(undecided)) == ["decision removed (was hold, accepted)"]
    assert diff_assessments(load(undecided), load(old)) == [
        "decision added: hold (accepted, decided on 2026-03-01)"
    ]


def test_repeated_names_and_reordering(build):
    old = base(build)
    old["metrics"] = [build.metric(), build.metric()]
    new = base(build)
    new["metrics"] = [build.metric(), {**build.metric(), "target": "another"}]
    new["harms"].reverse()
    lines = diff_assessments(load(old), load(new))
    assert "metric 'A product metric' #2: target: 'a target' -> 'another'" in lines
    assert "harms reordered" in lines


def test_exposure_changes_and_people_harmed(build):
    old = base(build)
    old["feature"]["population"] = 1_000_000
    exposure = {
        "high_risk_share": [0.01, 0.02],
        "exposed_share": [0.1, 0.2],
        "harmed_share": [0.1, 0.1],
    }
    old["harms"][0]["exposure"] = exposure
    new = base(build)
    new["feature"]["population"] = 1_000_000
    new["harms"][0]["exposure"] = {**exposure, "exposed_share": [0.1, 0.5]}
    lines = diff_assessments(load(old), load(new))
    assert lines == [
        "harm leak: exposure exposed_share [0.1, 0.2] -> [0.1, 0.5]",
        "people harmed: 100-400 -> 100-1,000",
    ]
    del new["harms"][0]["exposure"]
    assert diff_assessments(load(old), load(new))[0] == "harm leak: exposure estimate removed"


def test_a_change_of_cited_precedents_is_a_change(build):
    from aipm_workbench.domain import parse_assessment
    from aipm_workbench.domain.diff import diff_assessments

    before = parse_assessment(build.data(harms=[build.harm("x", 2, 2, 2, 2)]), "a")
    after = parse_assessment(
        build.data(harms=[build.harm("x", 2, 2, 2, 2, precedents=["microsoft-tay"])]), "a"
    )
    assert any("precedents" in line for line in diff_assessments(before, after))
