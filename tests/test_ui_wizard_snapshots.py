"""One snapshot per step of the guided assessment, and of the taxonomy browser, at 100x32.

The date is fixed (AIPM_WORKBENCH_TODAY) and cursors do not blink. Update with
``pytest tests/test_ui_wizard_snapshots.py --snapshot-update`` and look at
every SVG before trusting it.
"""

from __future__ import annotations

import pytest
from ui_support import SAMPLES, SIZE, TODAY, settle

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import read_assessment
from aipm_workbench.ui.screens.wizard import WizardScreen
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
