"""The precedents panel at the smallest supported terminal, 80x24: the Harms step of
a privacy harm with its cases listed and the list focused, one case linked.

Update with ``pytest tests/test_ui_precedents_snapshots.py --snapshot-update`` and
look at the SVG before trusting it.
"""

from __future__ import annotations

import pytest
from ui_support import SAMPLES, TODAY, settle

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import read_assessment
from aipm_workbench.ui.screens.wizard import WizardScreen
from aipm_workbench.ui.widgets.precedents import PrecedentsList


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())


def test_harms_step_with_precedents_at_80x24(snap_compare, tmp_path):
    assessment = read_assessment(SAMPLES / "call-summaries.toml")
    assert assessment.harms[0].type == "rights.privacy"
    app = make_app(tmp_path / "workbench.duckdb", today=TODAY)

    async def run_before(pilot):
        await settle(pilot)
        app.push_screen(WizardScreen.edit(assessment, TODAY, step="harms"))
        await settle(pilot)
        # Add harm, Remove, type, id, statement, source, affected, then the cases
        await pilot.press(*["tab"] * 7)
        await settle(pilot)
        assert isinstance(app.focused, PrecedentsList)
        await pilot.press("down", "space")  # link the second case
        await settle(pilot)
        for widget in app.screen.query("Input, TextArea"):
            widget.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
