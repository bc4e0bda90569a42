"""Decisions that live, as a user runs them: decide, observe, observations, due."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)

from aipm_workbench.cli import main
from aipm_workbench.domain import dump_toml, parse_assessment
from aipm_workbench.domain.living import content_hash
from aipm_workbench.storage import Store

ENV = {"AIPM_WORKBENCH_TODAY": TODAY.isoformat(), "AIPM_WORKBENCH_DB": None}

FEATURE = {
    "format": "aipm-assessment/1",
    "feature": {"id": "bot", "name": "Support bot", "owner": "Dana", "population": 10_000},
    "harms": [
        {
            "id": "wrong-refund",
            "type": "services.economic",
            "source": "system_error",
            "statement": "If the bot promises a refund, then a customer could lose money.",
            "severity": 3,
            "likelihood": 3,
            "reversibility": 3,
            "detectability": 3,
        }
    ],
    "fallbacks": [
        {
            "id": "handoff",
            "covers": ["wrong-refund"],
            "kind": "human_review",
            "trigger": "low confidence",
            "action": "an agent answers",
        }
    ],
    "metrics": [
        {
            "id": "escalation-rate",
            "name": "Escalation rate",
            "kind": "guardrail",
            "target": "below 2%",
            "limit": {"op": "<", "value": 0.02},
            "decided_on": dt.date(2026, 1, 10),
        },
        {
            "id": "csat",
            "name": "Satisfaction",
            "kind": "product",
            "target": "above 4",
            "decided_on": dt.date(2026, 1, 10),
        },
        {
            "id": "latency",
            "name": "Latency",
            "kind": "model",
            "target": "fast",
            "decided_on": dt.date(2026, 1, 10),
        },
    ],  # fmt: skip
    "hypotheses": [
        {
            "id": "deflects",
            "statement": "The bot deflects tickets.",
            "falsified_if": "satisfaction under 3",
            "check_by": dt.date(2026, 6, 1),
            "test": {"metric": "csat", "op": "<", "value": 3},
        }
    ],
    "premortem": [{"failure": "Refunds promised in error."}],
}


def run(db: Path, *args: str):
    return CliRunner(env=ENV).invoke(main, ["--db", str(db), *args], catch_exceptions=False)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "w.duckdb"
    source = tmp_path / "bot.toml"
    source.write_text(dump_toml(parse_assessment(FEATURE, "bot.toml")))
    assert run(path, "import", str(source)).exit_code == 0
    return path


def decide(db, *more):
    return run(db, "decide", "bot", "--verdict", "ship_with_guardrails", "--by", "Dana",
               "--by", "Sam", "--rationale", "Guarded.", "--on", "2026-02-01", *more)  # fmt: skip


def test_decide_binds_the_decision_to_the_content(db):
    result = decide(db)
    assert result.exit_code == 0, result.output
    assert "bot: ship with guardrails (accepted) on 2026-02-01, revision 2" in result.output
    latest = Store(db).latest("bot").assessment
    assert latest.decision.decided_by == ["Dana", "Sam"]
    assert latest.decision.content_hash == content_hash(latest)
    shown = json.loads(run(db, "show", "bot", "--format", "json").output)
    assert shown["decision"]["content_hash"] == content_hash(latest)


def test_decide_rejects_bad_input_with_exit_2(db):
    assert (
        run(db, "decide", "bto", "--verdict", "hold", "--by", "A", "--rationale", "x").exit_code
        == 2
    )
    bad = decide(db, "--review-by", "2026-01-01")
    assert bad.exit_code == 2
    assert "--review-by" in bad.output


def write_csv(tmp_path, text: str) -> Path:
    path = tmp_path / "obs.csv"
    path.write_text(text)
    return path


def test_observe_a_file_all_or_nothing_naming_each_bad_line(db, tmp_path):
    path = write_csv(
        tmp_path,
        "feature,metric,value,observed_on,source\n"
        "bot,escalation-rate,0.01,2026-03-01,dashboard\n"
        "bto,escalation-rate,0.01,2026-03-01,\n"
        "bot,latency,120,2026-03-01,\n"
        "bot,escalation-rate,abc,2026-03-01,\n"
        "bot,escalation-rate,inf,2026-03-01,\n"
        "bot,escalation-rate,0.01,2026-13-01,\n"
        "bot,escalation-rate,0.01,2026-12-01,\n"
        "bot,nope,0.01,2026-03-01,\n",
    )
    result = run(db, "observe", "--file", str(path))
    assert result.exit_code == 2
    err = result.output
    name = str(path)
    assert f"{name}:3: no feature 'bto'" in err
    assert f"{name}:4: metric 'latency' of bot has no limit and no hypothesis tests it" in err
    assert f"{name}:5: value 'abc' is not a finite number" in err
    assert f"{name}:6: value 'inf' is not a finite number" in err
    assert f"{name}:7: observed_on '2026-13-01' is not a date" in err
    assert f"{name}:8: observed_on 2026-12-01 is after today (2026-11-28)" in err
    assert f"{name}:9: bot has no metric 'nope'" in err
    assert f"{name}:2:" not in err
    assert Store(db).observations("bot") == []


def test_observe_header_is_checked(db, tmp_path):
    path = write_csv(tmp_path, "feature,metric,val,observed_on\nbot,csat,4,2026-03-01\n")
    result = run(db, "observe", "--file", str(path))
    assert result.exit_code == 2
    assert (
        f"{path}:1: the header must be feature,metric,value,observed_on[,source]" in result.output
    )


def test_re_sending_a_file_is_a_no_op_and_a_new_value_is_a_correction(db, tmp_path):
    text = "feature,metric,value,observed_on\nbot,csat,4.5,2026-03-01\nbot,population,9000,2026-03-01\n"
    path = write_csv(tmp_path, text)
    assert run(db, "observe", "--file", str(path)).output.strip() == "2 recorded, 0 unchanged"
    assert run(db, "observe", "--file", str(path)).output.strip() == "0 recorded, 2 unchanged"
    fixed = run(db, "observe", "bot", "csat", "4.4", "--on", "2026-03-01")
    assert fixed.output.strip() == "1 recorded, 0 unchanged"
    listed = json.loads(run(db, "observations", "bot", "--format", "json").output)
    assert [(o["metric"], o["value"]) for o in listed] == [
        ("csat", 4.5), ("population", 9000.0), ("csat", 4.4)
    ]  # fmt: skip
    assert set(listed[0]) == {
        "feature_id", "metric", "value", "observed_on", "source", "recorded_at", "healthy"
    }  # fmt: skip
    assert listed[0]["healthy"] is None  # csat has no limit


def test_a_file_with_corrections_in_it_re_sends_as_a_no_op(db, tmp_path):
    path = write_csv(
        tmp_path,
        "feature,metric,value,observed_on\nbot,csat,4.5,2026-03-01\nbot,csat,4.2,2026-03-01\n",
    )
    first = run(db, "observe", "--file", str(path)).output.strip()
    assert first == "1 recorded, 0 unchanged, 1 replaced by a later row for the same day"
    again = run(db, "observe", "--file", str(path)).output.strip()
    assert again == "0 recorded, 1 unchanged, 1 replaced by a later row for the same day"
    assert [o.value for o in Store(db).observations("bot")] == [4.2]


def test_a_breach_reopens_the_decision_and_due_lists_it(db):
    decide(db)
    assert (
        run(db, "observe", "bot", "escalation-rate", "0.031", "--on", "2026-05-03").exit_code == 0
    )
    items = json.loads(run(db, "due", "--format", "json").output)
    first = items[0]
    assert first == {
        "feature_id": "bot",
        "kind": "reopened",
        "date": "2026-05-03",
        "message": "reopened: guardrail escalation-rate breached 2026-05-03: 0.031, limit < 0.02",
    }
    strict = run(db, "due", "--strict")
    assert strict.exit_code == 1
    listed = json.loads(run(db, "observations", "bot", "--format", "json").output)
    assert listed[0]["healthy"] is False
    state = Store(db).decision("bot", TODAY)
    assert state.state.value == "reopened"
    # re-deciding clears it
    decide(db, "--on", "2026-05-04", "--review-by", "2027-06-01")
    kinds = [i["kind"] for i in json.loads(run(db, "due", "--format", "json").output)]
    assert "reopened" not in kinds


def test_an_edit_after_deciding_makes_the_decision_stale(db, tmp_path):
    decide(db, "--review-by", "2027-06-01")
    edited = Store(db).latest("bot").assessment.model_dump(mode="python")
    edited["harms"][0]["severity"] = 4
    path = tmp_path / "edited.toml"
    path.write_text(dump_toml(parse_assessment(edited, "edited.toml")))
    assert run(db, "import", str(path)).exit_code == 0
    items = json.loads(run(db, "due", "--format", "json").output)
    assert items[0]["kind"] == "stale"
    assert Store(db).decision("bot", TODAY).state.value == "stale"
    assert run(db, "due", "--strict").exit_code == 1


def test_an_upcoming_review_alone_does_not_fail_strict(db, tmp_path):
    later = Store(db).latest("bot").assessment.model_dump(mode="python")
    later["hypotheses"][0]["check_by"] = dt.date(2027, 1, 1)
    path = tmp_path / "later.toml"
    path.write_text(dump_toml(parse_assessment(later, "later.toml")))
    assert run(db, "import", str(path)).exit_code == 0
    decide(db, "--on", "2026-11-20", "--review-by", "2026-12-05")
    result = run(db, "due", "--strict", "--within", "14")
    assert result.output.split()[:3] == ["review_upcoming", "2026-12-05", "bot:"]
    assert result.exit_code == 0
    assert run(db, "due", "--within", "5").output.strip() == "nothing is due"


def test_a_hypothesis_falsified_by_an_observation_is_not_overdue_in_rank(db):
    """F14 counts open hypotheses past their check date; one an observation falsified
    is no longer open, in the portfolio as in `show`."""

    def warnings():
        rows = json.loads(run(db, "rank", "--format", "json").output)
        return rows[0]["warnings"]

    before = warnings()  # deflects: check_by 2026-06-01 has passed (F14)
    assert run(db, "observe", "bot", "csat", "2.5", "--on", "2026-07-01").exit_code == 0
    assert warnings() == before - 1
