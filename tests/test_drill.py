"""The drill (DOMAIN.md 10): scoring hand-worked answers, statistics, storage and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain.casebook import Incident, builtin_casebook
from aipm_workbench.domain.drill import DrillAnswer, drill_stats, implied_verdict, score
from aipm_workbench.domain.vocab import Tier, Verdict
from aipm_workbench.storage import SCHEMA_VERSION, Store

FIXTURE_V1 = Path(__file__).resolve().parent / "fixtures" / "workbench-v1.duckdb"


def case(ratings=(5, 2, 5, 4), types=("injury.physical", "org.trust")) -> Incident:
    """A case whose primary harm is its first type, with these reference ratings."""
    s, l, r, d = ratings  # noqa: E741
    return Incident.model_validate(
        {
            "id": "test-case",
            "title": "A test case",
            "year": 1990,
            "organisation": "An organisation",
            "system": "A system",
            "stage": "launched",
            "source": "system_error",
            "harm_types": list(types),
            "primary_harm": types[0],
            "missing_fallbacks": [],
            "severity": s,
            "likelihood": l,
            "reversibility": r,
            "detectability": d,
            "reasons": {
                "severity": "why s",
                "likelihood": "why l",
                "reversibility": "why r",
                "detectability": "why d",
            },
            "sources": ["A report (1991)"],
            "account": "It happened.",
            "before_launch": "A system.",
        }
    )


def answer(harm_type, s, l, r, d, verdict):  # noqa: E741
    return DrillAnswer(harm_type, s, l, r, d, verdict)


# ------------------------------------------------------------------ scoring


def test_a_secondary_type_matches_and_a_lower_severity_drops_the_tier():
    # Reference 5,2,5,4: S=5 and R>=4, and not (L=1 and D<=2): Critical (C1), so kill.
    # Answer 4,2,5,4: S=4 and D>=4: High (H3).
    result = score(case(), answer("org.trust", 4, 2, 5, 4, Verdict.hold))
    assert result.type_match is True
    assert result.diffs == {"severity": -1, "likelihood": 0, "reversibility": 0, "detectability": 0}
    assert result.abs_diffs["severity"] == 1
    assert (result.tier, result.reference_tier) == (Tier.high, Tier.critical)
    assert result.tier_agrees is False
    assert result.reference_verdict is Verdict.kill
    assert result.verdict_agrees is False


def test_a_type_the_case_does_not_show_misses_while_the_tier_can_still_agree():
    # Answer 5,1,4,3: S=5, R=4; L=1 but D=3, so the exception does not apply: Critical.
    result = score(case(), answer("rights.privacy", 5, 1, 4, 3, Verdict.kill))
    assert result.type_match is False
    assert result.diffs == {
        "severity": 0,
        "likelihood": -1,
        "reversibility": -1,
        "detectability": -1,
    }
    assert result.tier is Tier.critical and result.tier_agrees
    assert result.verdict_agrees


def test_the_critical_exception_makes_a_catastrophic_but_rare_and_caught_harm_high():
    # 5,1,5,2: C1's "unless L=1 and D<=2" applies, so H1 (S=5): High.
    result = score(case(), answer("injury.physical", 5, 1, 5, 2, Verdict.kill))
    assert result.tier is Tier.high
    assert not result.tier_agrees
    # the verdict is judged on its own: kill agrees with the Critical reference's kill
    assert result.reference_verdict is Verdict.kill
    assert result.verdict_agrees


@pytest.mark.parametrize(
    ("ratings", "tier", "verdict"),
    [
        ((5, 2, 5, 4), Tier.critical, Verdict.kill),  # C1
        ((4, 3, 1, 1), Tier.high, Verdict.hold),  # H2: S=4 and L>=3
        ((3, 3, 2, 2), Tier.medium, Verdict.ship_with_guardrails),  # M2: S=3 and L>=3
        ((2, 2, 2, 2), Tier.low, Verdict.ship),  # nothing else applies
    ],
)
def test_the_reference_verdict_is_read_from_the_reference_tier(ratings, tier, verdict):
    result = score(case(ratings), answer("injury.physical", 1, 1, 1, 1, verdict))
    assert result.reference_tier is tier
    assert result.reference_verdict is verdict
    assert implied_verdict(tier) is verdict
    assert result.verdict_agrees


def test_an_answer_must_hold_ratings_from_1_to_5():
    with pytest.raises(ValueError, match="severity"):
        answer("injury.physical", 0, 1, 1, 1, Verdict.ship)
    with pytest.raises(ValueError, match="detectability"):
        answer("injury.physical", 1, 1, 1, 6, Verdict.ship)


# -------------------------------------------------------------------- stats


def three_results():
    c = case()
    return [
        score(c, answer("org.trust", 4, 2, 5, 4, Verdict.hold)),  # diffs -1 0 0 0
        score(c, answer("rights.privacy", 5, 1, 4, 3, Verdict.kill)),  # 0 -1 -1 -1
        score(c, answer("injury.physical", 5, 4, 5, 2, Verdict.kill)),  # 0 +2 0 -2
    ]


def test_stats_over_three_hand_worked_drills():
    stats = drill_stats(three_results())
    assert stats.drills == 3
    assert stats.type_match_rate == pytest.approx(2 / 3)  # org.trust, injury.physical
    assert stats.tier_agreement_rate == pytest.approx(2 / 3)  # High, Critical, Critical
    assert stats.verdict_agreement_rate == pytest.approx(2 / 3)  # hold, kill, kill vs kill
    assert stats.mean_abs_diff == pytest.approx(
        {"severity": 1 / 3, "likelihood": 1.0, "reversibility": 1 / 3, "detectability": 1.0}
    )
    # signed means: S -1/3, L +1/3, R -1/3, D -1: detectability is rated lowest
    assert stats.mean_diff["detectability"] == pytest.approx(-1.0)
    assert stats.most_under_rated == "detectability"
    assert stats.to_json() == {
        "drills": 3,
        "type_match_rate": 0.6667,
        "tier_agreement_rate": 0.6667,
        "mean_abs_diff": {
            "severity": 0.3333,
            "likelihood": 1.0,
            "reversibility": 0.3333,
            "detectability": 1.0,
        },
        "most_under_rated": "detectability",
        "verdict_agreement_rate": 0.6667,
    }


def test_a_tie_for_most_under_rated_goes_to_the_first_scale():
    stats = drill_stats(three_results()[:2])  # signed means -0.5 on every scale
    assert stats.most_under_rated == "severity"


def test_stats_of_no_drills_are_null():
    assert drill_stats([]).to_json() == {
        "drills": 0,
        "type_match_rate": None,
        "tier_agreement_rate": None,
        "mean_abs_diff": {
            "severity": None,
            "likelihood": None,
            "reversibility": None,
            "detectability": None,
        },
        "most_under_rated": None,
        "verdict_agreement_rate": None,
    }


# ------------------------------------------------------------------ storage


def test_drills_round_trip_through_the_database(tmp_path):
    store = Store(tmp_path / "d.duckdb")
    assert store.drill_results() == []
    assert store.drilled_case_ids() == set()
    at = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
    kept = [store.record_drill(r.__class__(**{**r.__dict__, "drilled_at": at})) for r in
            three_results()]  # fmt: skip
    back = store.drill_results()
    assert back == kept
    assert [r.answer.harm_type for r in back] == ["org.trust", "rights.privacy", "injury.physical"]
    assert back[0].drilled_at == at
    assert store.drilled_case_ids() == {"test-case"}
    assert drill_stats(back) == drill_stats(three_results())


def test_a_result_without_a_time_is_kept_with_the_time_it_was_recorded(tmp_path):
    store = Store(tmp_path / "d.duckdb")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    kept = store.record_drill(three_results()[0])
    assert kept.drilled_at is not None and kept.drilled_at >= before
    assert store.drill_results()[0].drilled_at == kept.drilled_at


def test_an_old_database_migrates_to_one_with_a_drills_table(tmp_path):
    path = tmp_path / "old.duckdb"
    shutil.copyfile(FIXTURE_V1, path)
    store = Store(path)
    assert store.drill_results() == []  # the read migrates the file first
    assert store.schema_version() == SCHEMA_VERSION
    store.record_drill(three_results()[1])
    assert [r.answer.harm_type for r in store.drill_results()] == ["rights.privacy"]


# ---------------------------------------------------------------------- CLI


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_stats_json_of_an_empty_database(tmp_path):
    result = run("drill", "--stats", "--format", "json", "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [
        "drills",
        "type_match_rate",
        "tier_agreement_rate",
        "mean_abs_diff",
        "most_under_rated",
        "verdict_agreement_rate",
    ]
    assert data["drills"] == 0 and data["most_under_rated"] is None
    text = run("drill", "--stats", "--db", str(tmp_path / "none.duckdb"))
    assert "No drills yet" in text.output


def test_stats_json_keys_and_types(tmp_path):
    db = tmp_path / "d.duckdb"
    store = Store(db)
    for r in three_results():
        store.record_drill(r)
    result = run("--db", str(db), "drill", "--stats", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["drills"] == 3
    for key in ("type_match_rate", "tier_agreement_rate", "verdict_agreement_rate"):
        assert isinstance(data[key], float) and 0 <= data[key] <= 1
    assert set(data["mean_abs_diff"]) == {
        "severity",
        "likelihood",
        "reversibility",
        "detectability",
    }
    assert all(isinstance(v, float) for v in data["mean_abs_diff"].values())
    assert data["most_under_rated"] == "detectability"
    text = run("--db", str(db), "drill", "--stats").output
    assert "3 drills" in text
    assert "Type matched:       66.7%" in text
    assert "Most under-rated:   detectability (you rate it 1.00 below" in text


def test_an_unknown_case_exits_2_with_the_closest_ids(tmp_path):
    result = CliRunner().invoke(main, ["drill", "microsoft-ta", "--db", str(tmp_path / "d.duckdb")])
    assert result.exit_code == 2
    assert "unknown incident id 'microsoft-ta'" in result.output
    assert "microsoft-tay" in result.output
    assert builtin_casebook().get("microsoft-tay") is not None


def test_usage_errors_exit_2(tmp_path):
    db = str(tmp_path / "d.duckdb")
    assert (
        CliRunner().invoke(main, ["drill", "microsoft-tay", "--stats", "--db", db]).exit_code == 2
    )
    assert CliRunner().invoke(main, ["drill", "--format", "json", "--db", db]).exit_code == 2


def test_the_drill_screen_needs_a_terminal(tmp_path):
    result = CliRunner().invoke(main, ["drill", "microsoft-tay", "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 2
    assert "needs a terminal" in result.output


def test_stats_of_a_file_that_is_not_a_database_exit_3(tmp_path):
    bad = tmp_path / "notes.duckdb"
    bad.write_text("hello")
    result = CliRunner().invoke(main, ["drill", "--stats", "--db", str(bad)])
    assert result.exit_code == 3
    assert "not a workbench database" in result.output
    assert bad.read_text() == "hello"
