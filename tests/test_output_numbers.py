"""Numbers and words in every output: people harmed to 3 significant digits (at most
3 decimals, never scientific), "fewer than 1 person" in words, one kind of percentage,
verdicts in words for people and as values for machines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import dump_toml, evaluate, parse_assessment
from aipm_workbench.domain.formatting import people_value
from aipm_workbench.render import Renderer, record_context

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_projects"
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)

ENV = {
    "AIPM_WORKBENCH_TODAY": TODAY.isoformat(),
    "AIPM_WORKBENCH_DB": None,
    "AIPM_WORKBENCH_LOCK_TIMEOUT": None,
}


def run(*args: str):
    return CliRunner(env=ENV).invoke(main, list(args), catch_exceptions=False)


def assessment(fid: str, population: int, shares: tuple[float, float, float], **more) -> dict:
    lo, mid, hi = shares
    return {
        "format": "aipm-assessment/1",
        "feature": {"id": fid, "name": fid, "population": population},
        "harms": [
            {
                "id": "h1",
                "type": "rights.privacy",
                "source": "system_error",
                "statement": "If it fails, someone is hurt.",
                "severity": 3,
                "likelihood": 3,
                "reversibility": 2,
                "detectability": 2,
                "exposure": {
                    "high_risk_share": [lo, lo * 3],
                    "exposed_share": [mid, mid * 3],
                    "harmed_share": [hi, hi * 3],
                },
            }
        ],
        "fallbacks": [
            {
                "id": "review",
                "covers": ["h1"],
                "kind": "human_review",
                "trigger": "Low confidence",
                "action": "A person checks",
                "tested_on": dt.date(2026, 1, 5),
                "requests_per_day": 10_000,
                "share_below_threshold": 0.1234,
                "reviewer_capacity_per_day": 3000,
            }
        ],
        "metrics": [
            {"name": "m", "kind": "product", "target": "t", "decided_on": dt.date(2026, 1, 1)}
        ],
        "premortem": [{"failure": "It failed."}],
        **more,
    }


TINY = assessment("tiny", 1000, (0.001, 0.01, 0.01))  # up to 0.027 people
ODD = assessment(
    "odd",
    1_234_567,
    (0.1, 0.1, 0.1),  # 1,234.567-33,333.3 people: must round to 3 significant digits
    decision={
        "verdict": "ship_with_guardrails",
        "status": "accepted",
        "decided_on": dt.date(2026, 2, 1),
        "review_by": dt.date(2027, 2, 1),
        "decided_by": ["Ann"],
        "rationale": "Why not.",
    },
)


@pytest.fixture
def db(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for data in (TINY, ODD):
        a = parse_assessment(data, "x.toml")
        (folder / f"{a.feature.id}.toml").write_text(dump_toml(a), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    assert run("--db", str(db), "import", str(folder), str(SAMPLES)).exit_code == 0
    return db


def assert_published(value) -> None:
    if value is None:
        return
    assert value == people_value(value)
    assert "e" not in repr(value)
    assert float(f"{value:.3g}") == value, value  # at most 3 significant digits
    assert round(value, 3) == value, value  # at most 3 decimals


def test_rank_json_and_csv_publish_rounded_people(db):
    rows = json.loads(run("--db", str(db), "rank", "--format", "json").stdout)
    odd = next(r for r in rows if r["id"] == "odd")
    assert (odd["harmed_low"], odd["harmed_high"]) == (1230.0, 33300.0)
    for r in rows:
        assert_published(r["harmed_low"])
        assert_published(r["harmed_high"])
    text = run("--db", str(db), "rank", "--format", "csv").stdout
    assert "e-0" not in text and "e+" not in text
    for r in csv.DictReader(io.StringIO(text)):
        for key in ("harmed_low", "harmed_high"):
            if r[key]:
                assert_published(float(r[key]))


def test_check_json_publishes_rounded_people(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(dump_toml(parse_assessment(ODD, "odd.toml")), encoding="utf-8")
    item = json.loads(run("check", "--format", "json", str(path)).stdout)[0]
    assert (item["harmed_low"], item["harmed_high"]) == (1230.0, 33300.0)
    assert (item["harms"][0]["harmed_low"], item["harms"][0]["harmed_high"]) == (1230.0, 33300.0)


def test_fewer_than_one_person_is_said_in_words(db, tmp_path):
    show = run("--db", str(db), "show", "tiny").stdout
    assert "fewer than 1 person harmed" in show
    assert "0.027 people" not in show
    record = Renderer().decision_record(
        record_context(evaluate(parse_assessment(TINY, "t.toml"), TODAY))
    )
    assert "fewer than 1 person a month could be harmed" in record
    assert "**In total: fewer than 1 person a month**" in record
    assert not re.search(r"\b0\.\d+ people\b", record)


def test_percentages_have_at_most_one_decimal():
    record = Renderer().decision_record(
        record_context(evaluate(parse_assessment(ODD, "t.toml"), TODAY))
    )
    assert "10,000 requests a day x 12.3% below the threshold = 1,234 reviews a day" in record
    assert "(41.1% used)" in record
    assert not re.search(r"\d\.\d\d+%", record)


def test_verdicts_are_words_for_people_and_values_for_machines(db, tmp_path):
    record = Renderer().decision_record(
        record_context(evaluate(parse_assessment(ODD, "t.toml"), TODAY))
    )
    assert "ship\\_with\\_guardrails" not in record
    assert 'verdict: "ship_with_guardrails"' in record  # the front matter is for machines
    assert "**Decision: ship with guardrails.**" in record
    show = run("--db", str(db), "show", "odd").stdout
    assert "chosen: ship with guardrails" in show
    history = run("--db", str(db), "history", "odd").stdout
    assert "verdict ship with guardrails" in history
    rows = json.loads(run("--db", str(db), "rank", "--format", "json").stdout)
    assert next(r for r in rows if r["id"] == "odd")["verdict"] == "ship_with_guardrails"
    table = run("--db", str(db), "rank").stdout
    assert "ship with guardrails" in table and "ship_with_guardrails" not in table


def test_show_prints_the_residual_rule_beside_the_residual_tier(db):
    out = run("--db", str(db), "show", "support-bot").stdout
    line = next(line for line in out.splitlines() if line.strip().startswith("binding-promises"))
    assert "Medium (M2) -> Medium (M4)" in line
