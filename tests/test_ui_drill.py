"""The drill screen by keyboard: a whole drill, its result in the database, and snapshots at 80x24."""

from __future__ import annotations

import time

import pytest
from textual.widgets import Label, Static
from ui_support import TODAY, pilot_test, screen_text, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain.casebook import builtin_casebook
from aipm_workbench.domain.drill import DrillAnswer, score
from aipm_workbench.domain.vocab import Tier, Verdict
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.drill import DrillScreen
from aipm_workbench.ui.screens.portfolio import PortfolioScreen

SMALL = (80, 24)
TAY = "microsoft-tay"

# From the first type (Physical injury) down to Toxic content: the family lines are skipped.
TO_TOXIC = ["down"] * 10
# Toxic content; S 3, L 5, R 4, D 2 (each a digit, then Enter); ship with guardrails.
ANSWER = [*TO_TOXIC, "enter", "3", "enter", "5", "enter", "4", "enter", "2", "enter",
          "down", "enter"]  # fmt: skip


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return tmp_path / "drill.duckdb"


def label(app, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Label).render())


def drill_app(db, case_id=TAY):
    return make_app(db, today=TODAY, start=lambda: DrillScreen(case_id))


@pilot_test
async def test_a_whole_drill_by_keyboard(db):
    app = drill_app(db)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        assert app.focused.id == "drill-type"
        text = screen_text(app)
        assert "Drill: a feature from 2016, before launch" in text
        assert "playful teenage persona" in text
        assert "Tay" not in text and "hate" not in text  # neither title nor outcome
        assert "negligible: annoyance, nothing lasting" in text  # the anchors are shown

        for key in ANSWER:
            await pilot.press(key)
        await settle(pilot)
        assert app.focused.id == "drill-submit"
        assert label(app, "drill-type-label").startswith(
            "1. The primary harm: Toxic content (society.toxicity)"
        )
        assert "3. Your verdict: ship with guardrails" in screen_text(app)

        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "What happened: Microsoft's Tay chatbot" in text
        assert "✓ match" in text
        assert "Tier: yours Medium, the reference Medium. ✓ agrees" in text
        assert "reference implies ship with guardrails. ✓ agrees" in text
        assert "Kept in the database" in text

        [kept] = Store(db).drill_results()
        assert kept.case_id == TAY
        assert kept.answer.harm_type == "society.toxicity"
        assert kept.answer.ratings == (3, 5, 4, 2)
        assert kept.answer.verdict is Verdict.ship_with_guardrails
        assert kept.reference == builtin_casebook().get(TAY).ratings
        assert kept.type_match and kept.tier_agrees and kept.verdict_agrees

        await pilot.press("n")  # another drill: a case other than the one just done
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen) and app.screen is not screen
        assert app.screen.incident is not None and app.screen.incident.id != TAY
        assert app.focused.id == "drill-type"

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)


@pilot_test
async def test_the_differences_show_when_the_answer_is_off(db):
    app = drill_app(db, "therac-25-overdoses")
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        # Psychological harm (one down); S 4, L 2, R 5, D 4; hold (two downs)
        for key in ["down", "enter", "4", "enter", "2", "enter", "5", "enter", "4", "enter",
                    "down", "down", "enter", "ctrl+s"]:  # fmt: skip
            await pilot.press(key)
        await settle(pilot)
        [kept] = Store(db).drill_results()
        assert not kept.type_match
        assert kept.diffs == {"severity": -1, "likelihood": 0, "reversibility": 0,
                              "detectability": 0}  # fmt: skip
        assert (kept.tier, kept.reference_tier) == (Tier.high, Tier.critical)
        assert kept.reference_verdict is Verdict.kill
        text = screen_text(app)
        assert "✗ no match" in text
        assert "Type ✗ · Tier ✗ High vs Critical · Verdict ✗ hold vs kill" in text
        assert "Off by 1 step in all: S -1, L 0, R 0, D 0 (yours minus the reference)" in text


@pilot_test
async def test_submitting_too_early_says_what_is_missing(db):
    app = drill_app(db)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        for key in [*TO_TOXIC, "enter", "3", "enter", "ctrl+s"]:
            await pilot.press(key)
        await settle(pilot)
        assert app.screen.result is None
        assert app.focused.id == "drill-likelihood"  # the first unanswered question
        assert any("rate likelihood" in n.message for n in app._notifications)
        assert Store(db).drill_results() == []


def fake_drill(case_id: str):
    incident = builtin_casebook().get(case_id)
    return score(incident, DrillAnswer("org.trust", 1, 1, 1, 1, Verdict.ship))


@pilot_test
async def test_without_an_id_a_case_not_yet_drilled_is_chosen(db):
    store = Store(db)
    ids = builtin_casebook().ids()
    for case_id in ids[1:]:
        store.record_drill(fake_drill(case_id))
    app = drill_app(db, None)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "incident", None) is not None)
        assert app.screen.incident.id == ids[0]
        assert not app._notifications


@pilot_test
async def test_when_every_case_is_drilled_it_says_so_and_picks_one(db):
    store = Store(db)
    for case_id in builtin_casebook().ids():
        store.record_drill(fake_drill(case_id))
    app = drill_app(db, None)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "incident", None) is not None)
        assert any("You have drilled all" in n.message for n in app._notifications)
        assert "(drilled before)" in screen_text(app)


@pilot_test
async def test_the_command_palette_opens_a_drill(db):
    app = make_app(db, today=TODAY)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"practise on a past")
        await wait_until(pilot, lambda: "Drill: practise on a past incident" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "incident", None) is not None)
        assert isinstance(app.screen, DrillScreen)
        assert app.focused.id == "drill-type"


def frozen(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
        await settle(pilot)

    return run_before


def test_snapshot_question_80x24(db, snap_compare):
    assert snap_compare(drill_app(db), terminal_size=SMALL, run_before=frozen())


def test_snapshot_result_80x24(db, snap_compare):
    assert snap_compare(drill_app(db), terminal_size=SMALL, run_before=frozen(*ANSWER, "ctrl+s"))


@pilot_test
async def test_a_result_the_database_refuses_shows_the_problem_and_says_not_saved(db):
    from aipm_workbench.storage import DatabaseLocked
    from aipm_workbench.ui.screens.problem import ProblemScreen

    app = drill_app(db)

    def refuse(result):
        raise DatabaseLocked("the database is held by python3 (PID 1)")

    app.store.record_drill = refuse
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press(*ANSWER, "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemScreen))
        assert app.screen.problem_title == "The database is locked"
        drill = next(s for s in app.screen_stack if isinstance(s, DrillScreen))
        assert "Not saved" in str(drill.query_one("#drill-saved", Static).render())
        assert Store(db).drill_results() == []
