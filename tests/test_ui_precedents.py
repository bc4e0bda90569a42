"""Precedents in the wizard, driven by the keyboard: a new privacy harm shows the
casebook's privacy cases, one is linked with a key, read in full, rated beside its
reference ratings and saved with the revision."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList
from ui_support import SAMPLES, SIZE, TODAY, pilot_test, screen_text, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import Step, read_assessment
from aipm_workbench.domain.casebook import builtin_casebook
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.wizard import WizardScreen
from aipm_workbench.ui.widgets.precedents import (
    CaseScreen,
    CasesScreen,
    PrecedentsList,
    ranked_cases,
)
from aipm_workbench.ui.wizard.dialogs import TaxonomyPicker

STATEMENT = "If memory shows one user's private chats to another, then users lose privacy."


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())


def test_cases_matching_the_statement_come_first():
    casebook = builtin_casebook()
    cases = ranked_cases(casebook, "rights.privacy", STATEMENT)
    assert {c.id for c in cases} == {c.id for c in casebook.of_type("rights.privacy")}
    assert cases[0].id == "lee-luda-chatbot"  # trained on private chats
    assert ranked_cases(casebook, "rights.privacy", "") == casebook.of_type("rights.privacy")
    assert ranked_cases(casebook, None, STATEMENT) == []


@pilot_test
async def test_a_new_privacy_harm_links_a_precedent_that_is_saved(tmp_path):
    db = tmp_path / "w.duckdb"
    store = Store(db)
    source = read_assessment(SAMPLES / "meeting-recap.toml")
    store.import_assessments([("meeting-recap.toml", source)])
    a = store.latest("meeting-recap").assessment
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.edit(a, TODAY, step="harms"))
        await settle(pilot)
        w = app.screen
        assert isinstance(w, WizardScreen)
        assert app.focused.id == "add-harm"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        await pilot.press(*"privacy", "enter", "enter")
        await pilot.press(*STATEMENT)
        await pilot.press("tab", "enter", "down", "down", "down", "enter", "tab")  # system error
        await pilot.press(*"Users", "tab")
        await settle(pilot)
        index = w.current_harm
        assert w.data["harms"][index]["type"] == "rights.privacy"
        text = screen_text(app)
        assert "5 cases of Loss of privacy" in text
        assert isinstance(app.focused, PrecedentsList)  # Tab after the last field
        assert "[ ] S4 L3 R5 D4  Lee Luda chatbot" in text  # the best match, highlighted

        await pilot.press("space")  # link it
        await settle(pilot)
        assert w.data["harms"][index]["precedents"] == ["lee-luda-chatbot"]
        assert "[x] S4 L3 R5 D4  Lee Luda chatbot" in screen_text(app)
        assert "1 linked" in screen_text(app)

        await pilot.press("down", "enter")  # read the next case
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        second = app.screen.incident
        assert "Reference ratings of the primary harm" in screen_text(app)
        assert second.title in screen_text(app)
        await pilot.press("space")  # link it from its account
        await settle(pilot)
        assert app.screen is w and isinstance(app.focused, OptionList)
        assert w.data["harms"][index]["precedents"] == ["lee-luda-chatbot", second.id]
        await pilot.press("space")  # again: unlinks it
        await settle(pilot)
        assert w.data["harms"][index]["precedents"] == ["lee-luda-chatbot"]

        await pilot.press("ctrl+n")
        await settle(pilot)
        assert w.current_step == Step.ratings and w.current_harm == index
        await pilot.press("4", "tab", "3", "tab", "4", "tab", "3")
        await settle(pilot)
        text = screen_text(app)
        assert "S4 L3 R4 D3 High     yours" in text
        # its reference ratings, beside the PM's
        assert "S4 L3 R5 D4 High     Lee Luda chatbot trained on private chats" in text

        await pilot.press("ctrl+s")  # meeting-recap is decided: keep the old decision
        await settle(pilot)
        assert "Keep the old decision" in screen_text(app)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen))

    store = Store(db)
    latest = store.latest("meeting-recap")
    assert latest is not None and latest.info.number == 2
    harm = next(
        h for h in latest.assessment.harms if h.type == "rights.privacy" and "chats" in h.statement
    )
    assert harm.precedents == ["lee-luda-chatbot"]
    assert (harm.severity, harm.likelihood, harm.reversibility, harm.detectability) == (4, 3, 4, 3)


@pilot_test
async def test_the_taxonomy_browser_counts_and_opens_a_types_cases(tmp_path):
    app = make_app(tmp_path / "w.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.new(TODAY, step="harms"))
        await settle(pilot)
        await pilot.press("enter")  # Add harm
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        await pilot.press(*"privacy", "enter")  # to the first match
        await settle(pilot)
        text = screen_text(app)
        assert "Loss of privacy  5" in text
        assert "5 cases in the casebook: c reads them" in text

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        text = screen_text(app)
        assert "Loss of privacy: 5 cases in the casebook" in text
        for case in builtin_casebook().of_type("rights.privacy"):
            assert case.title[:40] in text
        await pilot.press("enter")  # read the first
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        first = builtin_casebook().of_type("rights.privacy")[0]
        assert app.screen.incident.id == first.id
        assert "Space links" not in screen_text(app)  # nothing to link to here
        await pilot.press("space")  # does nothing: no harm to link to
        assert isinstance(app.screen, CaseScreen)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        await pilot.press("enter")  # the type is still picked as before
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.data["harms"][0]["type"] == "rights.privacy"
