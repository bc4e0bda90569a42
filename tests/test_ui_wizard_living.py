"""Decisions that live, in the wizard: observable metrics and tests typed by keys,
deciding bound to the content saved, and the question when an edit changes the
content under a decision made before."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Button, Input, Static
from ui_support import SAMPLES, SIZE, TODAY, field_at, pilot_test, screen_text, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import Step, read_assessment
from aipm_workbench.domain.living import content_hash, stale_by_hash
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.wizard import WizardScreen
from aipm_workbench.ui.widgets.rating import RatingScale
from aipm_workbench.ui.wizard.deciding import Binding, binding, bound, redecided
from aipm_workbench.ui.wizard.dialogs import RedecideScreen
from aipm_workbench.ui.wizard.state import check, from_assessment, normalise

DECIDED = dt.date(2026, 11, 4)  # support-bot's decision


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())


def decided_support_bot():
    """support-bot as ``decide`` leaves it: its decision bound to its content."""
    return bound(read_assessment(SAMPLES / "support-bot.toml"))


def store_with(db, assessment) -> Store:
    store = Store(db)
    store.save(assessment)
    return store


async def open_edit(pilot, assessment, step: str) -> WizardScreen:
    await settle(pilot)
    screen = WizardScreen.edit(assessment, TODAY, step=step)
    pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def saved(pilot) -> None:
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, WizardScreen))


# ------------------------------------------------------------------ plain


def test_limit_unit_and_test_round_trip_through_the_form_data():
    a = read_assessment(SAMPLES / "support-bot.toml")
    data = normalise(from_assessment(a))
    data["metrics"][0].update(
        {"id": "escalation-rate", "limit": {"op": "<", "value": 0.25}, "unit": "share"}
    )
    data["hypotheses"][0]["test"] = {"metric": "escalation-rate", "op": ">=", "value": 0.3}
    snap = check(data, TODAY)
    assert snap.problems == []
    metric = snap.assessment.metrics[0]
    assert (metric.id, metric.limit.op, metric.limit.value, metric.unit) == (
        "escalation-rate",
        "<",
        0.25,
        "share",
    )
    test = snap.assessment.hypotheses[0].test
    assert (test.metric, test.op, test.value) == ("escalation-rate", ">=", 0.3)
    # and back: the form data of the saved assessment holds them as they were
    again = from_assessment(snap.assessment)
    assert again["metrics"][0]["limit"] == {"op": "<", "value": 0.25}
    assert again["hypotheses"][0]["test"] == {"metric": "escalation-rate", "op": ">=", "value": 0.3}
    # an emptied limit is no limit (both its fields cleared)
    data["metrics"][0]["limit"] = {}
    assert check(data, TODAY).assessment.metrics[0].limit is None


def test_a_limit_without_an_id_is_refused_with_what_to_do():
    data = normalise(from_assessment(read_assessment(SAMPLES / "support-bot.toml")))
    data["metrics"][0]["limit"] = {"op": "<", "value": 0.25}
    snap = check(data, TODAY)
    assert snap.assessment is None
    [problem] = snap.problems
    assert problem.path == "metrics[0].limit"
    assert (
        "a limit needs the metric's id, so observations can name it: give it an id" in problem.text
    )
    assert problem.text.startswith("Metric 1 'Escalation rate to human agen…': limit:")


def test_binding_follows_who_made_the_decision_and_on_what():
    original = decided_support_bot()
    assert binding(None, original) == Binding.bind  # a new feature's decision
    renamed = original.model_copy(
        update={"feature": original.feature.model_copy(update={"name": "Support bot"})}
    )
    assert binding(original, renamed) == Binding.keep  # names are not material
    harm = original.harms[0].model_copy(update={"severity": 2})
    rated = original.model_copy(update={"harms": [harm, *original.harms[1:]]})
    assert binding(original, rated) == Binding.ask
    new_verdict = rated.decision.model_copy(update={"verdict": "hold"})
    assert binding(original, rated.model_copy(update={"decision": new_verdict})) == Binding.bind
    again = redecided(rated, ["Rafael Duarte", "Mia Chen"], "Again.", TODAY, None)
    assert again.decision.content_hash == content_hash(rated)
    assert again.decision.decided_on == TODAY
    assert not stale_by_hash(again) and stale_by_hash(rated)


# ------------------------------------------------------------------ keys


@pilot_test
async def test_metric_id_limit_unit_and_a_test_typed_by_keys_are_saved(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "learning")
        w.query_one("#add-metrics", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Refund reversals")
        await pilot.press("tab")
        assert app.focused.value == "refund-reversals"  # suggested from the name
        await pilot.press("tab", "enter", "down", "down", "down", "enter")  # guardrail
        await pilot.press("tab", *"below 0.2%")
        await pilot.press("tab", "enter", "down", "enter")  # limit: <
        await pilot.press("tab", *"0.002")
        await pilot.press("tab", *"share of refunds")
        await settle(pilot)
        metric = w.data["metrics"][5]
        assert metric == {
            "name": "Refund reversals",
            "id": "refund-reversals",
            "kind": "guardrail",
            "target": "below 0.2%",
            "limit": {"op": "<", "value": 0.002},
            "unit": "share of refunds",
            "decided_on": TODAY.isoformat(),
        }
        # the first hypothesis bets on it: its test picks the new metric by keys
        test_field = field_at(w, "hypotheses[0].test.metric")
        test_field.focus_control()
        await settle(pilot)
        await pilot.press("enter", "down", "down", "enter")  # repeat-contact-7d, refund-reversals
        await pilot.press("tab", "enter", "down", "down", "down", "down", "enter")  # >=
        await pilot.press("tab", *"0.004")
        await settle(pilot)
        assert w.data["hypotheses"][0]["test"] == {
            "metric": "refund-reversals",
            "op": ">=",
            "value": 0.004,
        }
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RedecideScreen)  # new metrics are material
        await pilot.press("tab", "enter")  # Keep the old decision
        await saved(pilot)
    latest = Store(db).latest("support-bot").assessment
    metric = latest.metrics[5]
    assert (metric.id, metric.limit.op, metric.limit.value, metric.unit) == (
        "refund-reversals",
        "<",
        0.002,
        "share of refunds",
    )
    test = latest.hypotheses[0].test
    assert (test.metric, test.op, test.value) == ("refund-reversals", ">=", 0.004)
    assert latest.hypotheses[1].test.metric == "repeat-contact-7d"  # kept as it was


@pilot_test
async def test_a_limit_without_an_id_shows_why_and_is_not_saved(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "learning")
        field_at(w, "metrics[0].limit.op").focus_control()
        await settle(pilot)
        await pilot.press("enter", "down", "enter", "tab", *"0.25")  # < 0.25
        await settle(pilot)
        text = screen_text(app)
        assert "a limit needs the metric's id" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is w and w.current_step == Step.review  # the list of what to fix
        assert "Metric 1 'Escalation rate to human agen…': limit: a limit needs" in screen_text(app)
    assert Store(db).latest("support-bot").info.number == 1


async def change_a_rating(pilot, w: WizardScreen) -> None:
    assert isinstance(pilot.app.focused, RatingScale)
    before = pilot.app.focused.value
    await pilot.press("1" if before != 1 else "2")
    await settle(pilot)


@pilot_test
async def test_keeping_the_old_decision_saves_it_stale(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "ratings")
        await change_a_rating(pilot, w)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RedecideScreen)
        assert app.focused.id == "redecide-again"  # the first choice
        text = " ".join(" ".join(str(s.render()) for s in app.screen.query(Static)).split())
        assert "the decision of 2026-11-04 will show as stale until it is made again" in text
        await pilot.press("escape")  # cancels the save: the form stays
        await settle(pilot)
        assert app.screen is w
        assert Store(db).latest("support-bot").info.number == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("down")  # the second choice
        assert app.focused.id == "redecide-keep"
        await pilot.press("enter")  # Keep the old decision
        await saved(pilot)
    latest = Store(db).latest("support-bot")
    assert latest.info.number == 2
    decision = latest.assessment.decision
    assert decision.content_hash == original.decision.content_hash
    assert decision.decided_on == DECIDED
    assert stale_by_hash(latest.assessment)


@pilot_test
async def test_re_deciding_binds_the_decision_to_the_new_content_today(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "ratings")
        await change_a_rating(pilot, w)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # Re-decide now
        await settle(pilot)
        deciders = app.focused
        assert isinstance(deciders, Input)
        assert deciders.value == "Rafael Duarte, Elena Moreau"  # prefilled
        await pilot.press(*", Mia Chen")
        await pilot.press("ctrl+s")
        await saved(pilot)
    latest = Store(db).latest("support-bot").assessment
    decision = latest.decision
    assert decision.decided_on == TODAY
    assert decision.decided_by == ["Rafael Duarte", "Elena Moreau", "Mia Chen"]
    assert decision.rationale == original.decision.rationale
    assert decision.content_hash == content_hash(latest) != original.decision.content_hash
    assert not stale_by_hash(latest)


@pilot_test
async def test_re_deciding_needs_someone_who_decided(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "ratings")
        await change_a_rating(pilot, w)
        await pilot.press("ctrl+s", "enter")
        await settle(pilot)
        app.focused.value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RedecideScreen)
        assert "Name who decided" in screen_text(app)
        assert app.focused.id == "redecide-deciders"


@pilot_test
async def test_changing_only_the_name_asks_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "feature")
        field_at(w, "feature.name").focus_control()
        await pilot.press("end", *" v2")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await saved(pilot)
    latest = Store(db).latest("support-bot").assessment
    assert latest.feature.name.endswith(" v2")
    assert latest.decision == original.decision
    assert not stale_by_hash(latest)


@pilot_test
async def test_a_new_decision_is_bound_to_the_content_saved(tmp_path):
    db = tmp_path / "w.duckdb"
    plain = read_assessment(SAMPLES / "support-bot.toml")
    undecided = plain.model_copy(update={"decision": None})
    store_with(db, undecided)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_edit(pilot, undecided, "review")
        await pilot.press("ctrl+s")
        await saved(pilot)
    latest = Store(db).latest("support-bot").assessment
    assert latest.decision.decided_on == TODAY
    assert latest.decision.content_hash == content_hash(latest)


@pilot_test
async def test_the_review_says_the_decision_would_be_stale_and_who_must_sign_off(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store_with(db, original)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_edit(pilot, original, "ratings")
        await change_a_rating(pilot, w)
        w.go_to(Step.review)
        await settle(pilot)
        standing = str(w.query_one("#review-standing", Static).render())
        assert standing.startswith("The decision of 2026-11-04 was made on other content")
        assert "will show as stale until it is made again" in standing
        assert "owner alone" not in standing  # two people decided
        # an override decided by the owner alone needs someone else's sign-off
        field_at(w, "decision.decided_by").focus_control()
        await pilot.press("ctrl+u", *"Rafael Duarte")
        field_at(w, "decision.verdict").focus_control()
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert w.data["decision"]["verdict"] != "ship_with_guardrails"
        standing = str(w.query_one("#review-standing", Static).render())
        assert "Decided by its owner alone: name someone other than Rafael Duarte" in standing


@pilot_test
async def test_a_resumed_draft_of_a_decided_feature_asks_too(tmp_path):
    db = tmp_path / "w.duckdb"
    original = decided_support_bot()
    store = store_with(db, original)
    data = from_assessment(original)
    data["harms"][0]["severity"] = 1  # changed in an earlier session
    store.save_draft("support-bot", data, "ratings")
    [draft] = store.drafts()
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(WizardScreen.resume(draft, TODAY))
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RedecideScreen)
        await pilot.press("enter", "ctrl+s")  # Re-decide now, with the same deciders
        await saved(pilot)
    latest = Store(db).latest("support-bot").assessment
    assert latest.harms[0].severity == 1
    assert latest.decision.decided_on == TODAY
    assert latest.decision.content_hash == content_hash(latest)
    assert Store(db).drafts() == []
