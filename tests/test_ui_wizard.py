"""The guided assessment, driven by the keyboard as a user would."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, TextArea
from ui_support import SAMPLES, SIZE, TODAY, field_at, pilot_test, screen_text, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import SCALES, Step, priority, read_assessment, rpn
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.portfolio import PortfolioScreen
from aipm_workbench.ui.screens.wizard import WizardScreen
from aipm_workbench.ui.widgets.rating import RatingScale
from aipm_workbench.ui.wizard.dialogs import TaxonomyPicker
from aipm_workbench.ui.wizard.state import StepState, check, step_states


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())


def wizard(app) -> WizardScreen:
    screen = app.screen
    assert isinstance(screen, WizardScreen), f"expected the wizard, got {screen!r}"
    return screen


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


@pilot_test
async def test_create_an_assessment_by_keyboard_from_scratch(tmp_path):
    db = tmp_path / "workbench.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        await pilot.press("n")
        await settle(pilot)
        w = wizard(app)

        # (a) the feature: the id follows the name
        await type_text(pilot, "Meeting recap")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Dana")
        await pilot.press("tab", "tab")  # stage stays concept
        await type_text(pilot, "Recaps.")
        await pilot.press("tab")
        await type_text(pilot, "50,000")
        await settle(pilot)
        assert w.data["feature"]["id"] == "meeting-recap"
        assert w.data["feature"]["population"] == 50000

        # (b) a harm picked in the taxonomy browser
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert w.current_step == Step.harms
        assert app.focused.id == "add-harm"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        # the filter has focus: typing searches straight away
        await type_text(pilot, "misinf")
        await pilot.press("enter", "enter")  # first match, then pick it
        # no settling, no extra keys: the statement is typed into the new harm
        await type_text(pilot, "It lies.")
        await pilot.press("tab", "enter", "down", "down", "down", "enter")  # system error
        await pilot.press("tab")
        await type_text(pilot, "Absentees")
        await settle(pilot)
        assert app.screen is w
        harm = w.data["harms"][0]
        assert (harm["id"], harm["type"]) == ("misinformation", "society.misinformation")
        assert harm["source"] == "system_error"
        assert harm["statement"] == "It lies."
        assert harm["affected"] == "Absentees"

        # (c) ratings: S4 L3 R4 D4 is High by "S = 4 and L >= 3"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.focused, RatingScale)
        await pilot.press("4", "tab", "3", "tab", "4", "tab", "4")
        await settle(pilot)
        text = screen_text(app)
        assert f"rule {priority(4, 3, 4, 4).rule.label}"[:40] in text
        assert "High" in text

        # (d) exposure: low and high of the three shares
        await pilot.press("ctrl+n")
        await settle(pilot)
        for value in ("0.1", "0.2", "0.5", "1", "0.01", "0.05"):
            await type_text(pilot, value)
            await pilot.press("tab")
        await settle(pilot)
        assert "People harmed  25-500" in screen_text(app)

        # (e) a fallback covering the harm, with residual ratings L2 R3 D2
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.focused.id == "add-fallback"
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused.id == "fallback-kind"
        await pilot.press("enter", *["down"] * 5, "enter")  # block
        await pilot.press("tab", "tab", "space", "tab")  # id (from the kind), tick covers
        await type_text(pilot, "Unsure")
        await pilot.press("tab")
        await type_text(pilot, "Drop it")
        await pilot.press("tab", "tab", "tab")  # message, owner (a block has no threshold)
        await type_text(pilot, "2026-11-20")
        await pilot.press("tab", "tab")  # no load-check fields for a block; Add another
        await pilot.press("tab", "2", "tab", "3", "tab", "2")  # residual S (same), L, R, D
        await settle(pilot)
        fallback = w.data["fallbacks"][0]
        assert fallback["kind"] == "block" and fallback["id"] == "block"
        assert fallback["covers"] == ["misinformation"]
        assert w.data["harms"][0]["residual"] == {
            "likelihood": 2,
            "reversibility": 3,
            "detectability": 2,
        }
        assert "residual Medium" in screen_text(app)

        # (f) a metric and a premortem item
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.focused.id == "add-metrics"
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "Fixes")
        await pilot.press("tab")  # the id, derived from the name
        assert app.focused.value == "fixes"
        await pilot.press("tab", "enter", "down", "down", "enter")  # product
        await pilot.press("tab")
        await type_text(pilot, "<2%")
        # limit, limit value, unit, decided on (today), remove, adds
        await pilot.press(*["tab"] * 8)
        assert app.focused.id == "add-premortem"
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "Ignored.")
        await pilot.press("tab")
        await type_text(pilot, "Opens fall")
        await settle(pilot)

        # (g) review: the verdict follows the recommendation; say why and who
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert w.current_step == Step.review
        assert w.snapshot.evaluation.recommended.value == "ship_with_guardrails"
        await pilot.press("tab", "tab", "tab")  # verdict, status, rationale
        assert isinstance(app.focused, TextArea)
        await type_text(pilot, "Safe.")
        await pilot.press("tab")
        await type_text(pilot, "Dana, Kofi")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, PortfolioScreen))

    store = Store(db)
    latest = store.latest("meeting-recap")
    assert latest is not None and latest.info.number == 1
    a = latest.assessment
    assert a.feature.name == "Meeting recap" and a.feature.owner == "Dana"
    assert a.feature.population == 50000
    assert [(h.id, h.type, h.source.value) for h in a.harms] == [
        ("misinformation", "society.misinformation", "system_error")
    ]
    h = a.harms[0]
    assert (h.severity, h.likelihood, h.reversibility, h.detectability) == (4, 3, 4, 4)
    assert h.exposure is not None and h.exposure.harmed_share == [0.01, 0.05]
    assert [(f.id, f.kind.value, f.covers, str(f.tested_on)) for f in a.fallbacks] == [
        ("block", "block", ["misinformation"], "2026-11-20")
    ]
    assert [(m.name, m.kind.value, m.decided_on) for m in a.metrics] == [
        ("Fixes", "product", TODAY)
    ]
    assert [p.failure for p in a.premortem] == ["Ignored."]
    assert a.decision is not None
    assert a.decision.verdict.value == "ship_with_guardrails"
    assert a.decision.decided_by == ["Dana", "Kofi"]
    assert a.decision.decided_on == TODAY
    assert str(a.decision.review_by) == "2027-02-26"  # + 90 days: worst residual Medium
    assert store.draft("meeting-recap") is None and store.drafts() == []
    ranked = store.rank(today=TODAY)
    assert [r.id for r in ranked] == ["meeting-recap"]
    assert ranked[0].residual_priority == "medium" and ranked[0].verdict == "ship_with_guardrails"


@pilot_test
async def test_quit_mid_way_keeps_a_draft_that_resumes_intact(tmp_path):
    db = tmp_path / "workbench.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        w = wizard(app)
        await type_text(pilot, "Support bot")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "privacy")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await pilot.press("ctrl+n")  # to ratings: the step change writes the draft
        await settle(pilot)
        await pilot.press("5", "tab", "2")  # then quit at once, inside the autosave delay
        assert w.data["harms"][0]["likelihood"] == 2
        await pilot.press("ctrl+q")

    drafts = Store(db).drafts()
    assert [d.feature_id for d in drafts] == ["support-bot"]
    draft = drafts[0]
    assert draft.step == "ratings"
    assert draft.data["feature"]["name"] == "Support bot"
    harm = draft.data["harms"][0]
    assert (harm["type"], harm["severity"], harm["likelihood"]) == ("rights.privacy", 5, 2)

    # A new session offers the draft; resuming it shows every value again.
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.screen.query("#drafts-table"))
        await pilot.press("enter")
        await settle(pilot)
        w = wizard(app)
        assert w.current_step == Step.ratings
        assert w.query_one("#rate-severity", RatingScale).value == 5
        assert w.query_one("#rate-likelihood", RatingScale).value == 2
        assert "Draft of Support bot (support-bot)" in screen_text(app)
        await pilot.press("ctrl+b", "ctrl+b")
        await settle(pilot)
        assert w.query_one("#feature-name", Input).value == "Support bot"
        assert w.query_one("#feature-id", Input).value == "support-bot"
        # Going on edits the same draft, not a second one.
        await pilot.press("tab", "tab")
        await type_text(pilot, "Ana")
        await pilot.press("ctrl+n")
        await settle(pilot)
    drafts = Store(db).drafts()
    assert [(d.feature_id, d.data["feature"].get("owner")) for d in drafts] == [
        ("support-bot", "Ana")
    ]


@pilot_test
async def test_tier_rule_and_rpn_follow_a_rating_change(tmp_path):
    a = read_assessment(SAMPLES / "call-summaries.toml")
    app = make_app(tmp_path / "w.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.edit(a, TODAY, step="ratings"))
        await settle(pilot)
        w = wizard(app)
        rule = w.query_one("#ratings-rule")
        h = a.harms[0]
        before = priority(h.severity, h.likelihood, h.reversibility, h.detectability)
        assert str(rule.render()) == (f"rpn {rpn(5, 3, 5, 4)} · rule {before.rule.label}")
        assert str(w.query_one("#ratings-tier").render()) == before.tier.label
        assert isinstance(app.focused, RatingScale) and app.focused.key == "severity"
        await pilot.press("up", "up")  # severity 5 -> 3
        await settle(pilot)
        after = priority(3, 3, 5, 4)
        assert after.rule != before.rule
        assert str(rule.render()) == f"rpn {rpn(3, 3, 5, 4)} · rule {after.rule.label}"
        assert str(w.query_one("#ratings-tier").render()) == after.tier.label
        # the anchor of the chosen value is on screen, with the direction
        text = screen_text(app)
        assert f"▶ 3  {SCALES['severity'].anchor(3)}" in text
        assert "1 to 5, higher is always worse" in text
        assert w.data["harms"][0]["severity"] == 3


@pilot_test
async def test_enter_on_a_finding_jumps_to_the_step_that_fixes_it(tmp_path):
    a = read_assessment(SAMPLES / "call-summaries.toml")
    app = make_app(tmp_path / "w.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.edit(a, TODAY, step="review"))
        await settle(pilot)
        w = wizard(app)
        findings = w.query_one("#review-findings", OptionList)
        assert app.focused is findings
        first = findings.get_option_at_index(0).prompt
        assert "F05" in str(first) and "Fallbacks" in str(first)
        await pilot.press("enter")
        await settle(pilot)
        assert w.current_step == Step.fallbacks
        focused = app.focused
        assert isinstance(focused, RatingScale) and focused.key == "severity"
        assert focused.parent.parent.path == "harms[0].residual.severity"

        # A missing value jumps to its field, on the harm it belongs to.
        w.data["harms"][1].pop("statement")
        w.structure_changed()
        w.go_to(Step.review)
        await settle(pilot)
        options = [
            str(findings.get_option_at_index(i).prompt) for i in range(findings.option_count)
        ]
        index = next(
            i
            for i, o in enumerate(options)
            if o.startswith("✖ Harm 2 'summary-store-subpoenas': statement: required")
        )
        findings.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        assert w.current_step == Step.harms and w.current_harm == 1
        assert app.focused.id == "harm-statement"
        assert field_at(w, "harms[1].statement").has_class("-problem")
        assert "✖ required" in screen_text(app)


def test_step_states_follow_problems_findings_and_required_fields():
    data = {
        "format": "aipm-assessment/1",
        "feature": {"id": "x", "name": "X", "population": "lots"},
        "harms": [{"id": "h", "type": "rights.privacy", "severity": 5}],
        "fallbacks": [],
        "metrics": [],
        "hypotheses": [],
        "premortem": [],
    }
    states = step_states(check(data, TODAY), visited={Step.feature})
    assert states[Step.feature] == StepState.errors  # population is not a number
    assert states[Step.harms] == StepState.in_progress  # source and statement missing
    assert states[Step.ratings] == StepState.in_progress
    assert states[Step.exposure] == StepState.not_started
    assert states[Step.review] == StepState.not_started
    data["feature"]["population"] = 1000
    data["harms"][0].update(
        source="misuse", statement="s", likelihood=3, reversibility=5, detectability=4
    )
    snapshot = check(data, TODAY)
    assert snapshot.assessment is not None
    states = step_states(snapshot, visited={Step.fallbacks})
    assert states[Step.feature] == StepState.done
    assert states[Step.ratings] == StepState.done
    assert states[Step.fallbacks] == StepState.errors  # F01: a Critical harm, no fallback


@pilot_test
async def test_step_list_and_command_palette_reach_every_step_and_action(tmp_path):
    a = read_assessment(SAMPLES / "call-summaries.toml")
    app = make_app(tmp_path / "w.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.edit(a, TODAY))
        await settle(pilot)
        w = wizard(app)
        await pilot.press("shift+tab")  # from the first field to the step list
        assert app.focused.id == "wizard-steps"
        await pilot.press("down", "down", "down", "enter")
        await settle(pilot)
        assert w.current_step == Step.exposure
        assert "People harmed  8.4-420" in screen_text(app)

        names = [name for name, _, _ in w.commands()]
        assert "Add harm" in names and "Go to step 7: Review & decide" in names
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "add harm")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is w and w.current_step == Step.harms
        assert len(w.data["harms"]) == 2  # cancelled: nothing added


def test_typed_values_become_data_or_stay_as_typed_for_validation():
    from aipm_workbench.ui.wizard.state import parse_number, set_path, slugify

    assert parse_number("1,400,000", integer=True) == 1_400_000
    assert parse_number("5%", percent=True) == pytest.approx(0.05)
    assert parse_number(" ") is None
    assert parse_number("lots", integer=True) == "lots"  # reported by validation
    assert slugify("Voice summaries (v2)!") == "voice-summaries-v2"
    data: dict = {"harms": [{}]}
    set_path(data, "harms[0].exposure.high_risk_share[1]", 0.2)
    assert data["harms"][0]["exposure"]["high_risk_share"] == [None, 0.2]
    set_path(data, "harms[0].exposure", None)
    assert data["harms"][0] == {}

    snapshot = check({**data, "feature": {"id": "x", "name": "X", "population": "lots"}}, TODAY)
    assert [p.text for p in snapshot.problems_at("feature.population")] == [
        "Feature: population: enter a number (got 'lots')"
    ]
    assert snapshot.assessment is None and snapshot.partial
    assert snapshot.evaluation is not None  # live figures from the valid parts


def test_live_evaluation_leaves_out_what_is_incomplete():
    from aipm_workbench.ui.wizard.state import salvage

    harm = {"id": "h", "type": "rights.privacy", "source": "misuse", "statement": "s"}
    rated = {**harm, "severity": 5, "likelihood": 3, "reversibility": 5, "detectability": 4}
    data = {
        "feature": {"id": "f", "name": "F"},
        "harms": [rated, {**harm, "id": "unrated"}],
        "fallbacks": [
            {"id": "b", "kind": "block", "covers": ["h", "unrated"], "trigger": "t", "action": "a"},
            {"id": "w", "kind": "warn_user", "covers": ["h"]},  # no trigger or action yet
        ],
    }
    assessment, left_out = salvage(data)
    assert [h.id for h in assessment.harms] == ["h"]
    assert [(f.id, f.covers) for f in assessment.fallbacks] == [("b", ["h"])]
    assert left_out == ["harms[1]", "fallbacks[1]"]


@pilot_test
async def test_saving_an_incomplete_assessment_lists_what_to_fix(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        w = wizard(app)
        await pilot.press("tab")  # to the id, left empty
        await type_text(pilot, "Bad Id")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert w.current_step == Step.review
        assert isinstance(app.focused, OptionList)
        text = screen_text(app)
        assert "Feature: id: must be a slug" in text and "Feature: name: required" in text
        await pilot.press("enter")  # the first problem: back to its field
        await settle(pilot)
        assert w.current_step == Step.feature and app.focused.id == "feature-id"
        assert "✖ must be a slug" in screen_text(app)
    assert Store(db).feature_ids() == []


@pilot_test
async def test_renaming_a_harm_keeps_what_covers_it(tmp_path):
    a = read_assessment(SAMPLES / "call-summaries.toml")
    app = make_app(tmp_path / "w.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.edit(a, TODAY, step="harms"))
        await settle(pilot)
        w = wizard(app)
        assert app.focused.id == "add-harm"  # a complete harm: adding one is likelier
        await pilot.press("tab", "tab", "tab")  # remove, type, harm id
        assert app.focused.id == "harm-id"
        await pilot.press("ctrl+u", *"privy")  # through an empty id
        await settle(pilot)
        assert [f["covers"] for f in w.data["fallbacks"]] == [
            ["privy"],
            ["summary-store-subpoenas"],
        ]
        assert w.snapshot.assessment is not None  # still valid: nothing points nowhere
