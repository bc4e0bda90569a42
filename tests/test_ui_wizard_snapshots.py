"""One snapshot per step of the guided assessment, and of the taxonomy browser, at 100x32;
the fallbacks and metric forms and the re-decide question at 80x24.

The date is fixed (AIPM_WORKBENCH_TODAY) and cursors do not blink. Update with
``pytest tests/test_ui_wizard_snapshots.py --snapshot-update`` and look at
every SVG before trusting it.
"""

from __future__ import annotations

import pytest
from ui_support import SAMPLES, SIZE, TODAY, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import read_assessment
from aipm_workbench.ui.screens.wizard import WizardScreen
from aipm_workbench.ui.wizard.deciding import bound
from aipm_workbench.ui.wizard.fields import Field
from aipm_workbench.ui.wizard.state import STEP_ORDER


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())


async def open_wizard(pilot, screen: WizardScreen) -> None:
    app = pilot.app
    await settle(pilot)
    app.push_screen(screen)
    await settle(pilot)
    await still(pilot)


async def still(pilot) -> None:
    """No blinking cursor, whatever has focus."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("step", [s.value for s in STEP_ORDER])
def test_wizard_step(step, snap_compare, tmp_path):
    assessment = read_assessment(SAMPLES / "call-summaries.toml")
    app = make_app(tmp_path / "workbench.duckdb", today=TODAY)

    async def run_before(pilot):
        await open_wizard(pilot, WizardScreen.edit(assessment, TODAY, step=step))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_taxonomy_browser(snap_compare, tmp_path):
    app = make_app(tmp_path / "workbench.duckdb", today=TODAY)

    async def run_before(pilot):
        await open_wizard(pilot, WizardScreen.new(TODAY, step="harms"))
        await pilot.press("enter")  # Add harm
        await settle(pilot)
        await pilot.press(
            "down", "down", "down", "right", "down"
        )  # to the list, Rights, its first type
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_fallbacks_step_at_80x24(snap_compare, tmp_path):
    """The smallest supported terminal: the title keeps its step counter, the status
    is one line, and coverage reads as [x] / [ ] with each harm's tier."""
    assessment = read_assessment(SAMPLES / "call-summaries.toml")
    app = make_app(tmp_path / "workbench.duckdb", today=TODAY)

    async def run_before(pilot):
        await open_wizard(pilot, WizardScreen.edit(assessment, TODAY, step="fallbacks"))
        await pilot.press("tab", "tab")  # kind, id, then "Covers harms"
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_metric_form_at_80x24(snap_compare, tmp_path):
    """A metric with an id, a limit and a unit, as the smallest terminal shows it."""
    assessment = read_assessment(SAMPLES / "support-bot.toml")
    app = make_app(tmp_path / "workbench.duckdb", today=TODAY)

    async def run_before(pilot):
        screen = WizardScreen.edit(assessment, TODAY, step="learning")
        await open_wizard(pilot, screen)

        def limit_field():
            for field in screen.pane().query(Field):
                if field.path == "metrics[3].limit.op":  # repeat-contact-7d, which has an id
                    return field
            return None

        await wait_until(pilot, lambda: limit_field() is not None)
        limit_field().focus_control()
        await settle(pilot)
        await pilot.press("enter", "down", "enter", "tab", *"0.12")  # < 0.12
        await wait_until(pilot, lambda: screen.book.status == "saved")  # the draft
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_redecide_question_at_80x24(snap_compare, tmp_path):
    """Saving an edit under a decision made on other content asks whether it is made again."""
    assessment = bound(read_assessment(SAMPLES / "support-bot.toml"))
    app = make_app(tmp_path / "workbench.duckdb", today=TODAY)

    async def run_before(pilot):
        app.store.save(assessment)
        # From the feature step, whose page does not change with the other steps'.
        screen = WizardScreen.edit(assessment, TODAY, step="feature")
        await open_wizard(pilot, screen)
        screen.data["harms"][0]["severity"] = 1  # as the ratings step would
        screen.changed()
        await wait_until(pilot, lambda: screen.book.status == "saved")  # the draft
        await pilot.press("ctrl+s")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
