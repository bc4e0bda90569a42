"""The wizard saves what the person meant: coverage ticked by keys, focus where
the next keys go, problems named as the screen names things, drafts flushed."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from ui_support import TODAY, pilot_test, screen_text, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import Step
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.portfolio import PortfolioScreen
from aipm_workbench.ui.screens.wizard import WizardScreen
from aipm_workbench.ui.wizard.autosave import DraftBook
from aipm_workbench.ui.wizard.dialogs import TaxonomyPicker
from aipm_workbench.ui.wizard.state import normalise

SIZE = (100, 32)
HARMS = (
    ("misinformation", "society.misinformation", 4),
    ("privacy", "rights.privacy", 3),
    ("language-gap", "rights.discrimination", 2),
)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())


def three_harms() -> dict:
    """A feature with three complete harms and no fallback yet."""
    return {
        "format": "aipm-assessment/1",
        "feature": {
            "id": "tutor",
            "name": "Homework tutor",
            "owner": "Dana",
            "stage": "concept",
            "population": 20000,
        },
        "harms": [
            {
                "id": hid,
                "type": kind,
                "source": "system_error",
                "statement": "It gets it wrong.",
                "severity": s,
                "likelihood": 3,
                "reversibility": 3,
                "detectability": 3,
            }
            for hid, kind, s in HARMS
        ],
        "fallbacks": [],
    }


async def open_draft(app, pilot, db, data: dict, step: str) -> WizardScreen:
    """Resume a stored draft of ``data`` at ``step``, as the drafts dialog does."""
    await settle(pilot)  # the portfolio is loaded: it does not offer this draft
    store = Store(db)
    store.save_draft("tutor", data, step)
    draft = store.draft("tutor")
    app.push_screen(WizardScreen.resume(draft, TODAY))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, WizardScreen)
    return screen


def shown_fields(w: WizardScreen) -> set[str]:
    return {f.key for f in w.query_one("#fallback-form").query("Field") if f.display}


@pilot_test
async def test_coverage_of_three_harms_ticked_by_keys_is_saved(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, three_harms(), "fallbacks")
        assert app.focused.id == "add-fallback"
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused.id == "fallback-kind"
        await pilot.press("enter", *["down"] * 6, "enter")  # kill switch
        await pilot.press("tab", "tab")  # id (from the kind), covers
        await settle(pilot)
        text = screen_text(app)
        for n, (hid, _, _) in enumerate(HARMS, start=1):
            assert f"[ ] harm {n} {hid}" in text  # a new fallback covers nothing
        await pilot.press("space", "down", "space", "down", "space")
        await settle(pilot)
        text = screen_text(app)
        assert "[x] harm 1 misinformation · inherent" in text
        assert "[x] harm 3 language-gap · inherent" in text
        assert "Every harm is covered by at least one fallback." in text
        await pilot.press("tab")
        await pilot.press(*"Tutor says wrong things")
        await pilot.press("tab")
        await pilot.press(*"Turn it off")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, PortfolioScreen))
        assert w.book.finished
    latest = Store(db).latest("tutor")
    assert latest is not None
    [fallback] = latest.assessment.fallbacks
    assert fallback.kind.value == "kill_switch"
    assert fallback.covers == ["misinformation", "privacy", "language-gap"]


@pilot_test
async def test_a_new_second_fallback_covers_none_and_space_ticks_the_cursor_line(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, three_harms(), "fallbacks")
        await pilot.press("enter")  # Add fallback
        await settle(pilot)
        await pilot.press("enter", "down", "enter")  # human review
        await pilot.press("tab", "tab", "space")  # covers harm 1 only
        await settle(pilot)
        assert w.data["fallbacks"][0]["covers"] == ["misinformation"]
        assert shown_fields(w) >= {"confidence_threshold", "requests_per_day"}
        assert str(w.query_one("#fallback-uncovered").content) == (
            "Not covered by any fallback yet: harm 2 privacy (inherent Medium), "
            "harm 3 language-gap (inherent Low)."
        )

        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Add fallback", "enter")
        await settle(pilot)
        assert w.current_fallback == 1
        assert w.data["fallbacks"][1].get("covers") in (None, [])
        assert app.focused.id == "fallback-kind"
        await pilot.press("enter", *["down"] * 5, "enter")  # block
        await settle(pilot)
        text = screen_text(app)
        assert "[ ] harm 1 misinformation" in text and "[ ] harm 3 language-gap" in text
        assert not shown_fields(w) & {"confidence_threshold", "requests_per_day"}  # a block
        await pilot.press("tab", "tab", "down", "down", "space")  # the cursor's line: harm 3
        await settle(pilot)
        assert w.data["fallbacks"][1]["covers"] == ["language-gap"]
        assert "[x] harm 3 language-gap" in screen_text(app)
        # The picker offers the two fallbacks, not "No fallbacks yet" as well.
        picker = w.query_one("#fallbacks-select")
        assert len(picker._options) == 2  # noqa: SLF001 - the options offered


@pilot_test
async def test_each_fallbacks_coverage_starts_on_harm_1_and_down_stops_at_the_last(tmp_path):
    """The cursor of "Covers harms" does not carry over from the fallback before (where
    it was left on harm 2), and a Down too many stays on the last harm instead of
    wrapping to the first: Down Down Space on a new fallback ticks harm 3."""
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, three_harms(), "fallbacks")
        await pilot.press("enter")  # Add fallback
        await settle(pilot)
        await pilot.press("enter", "down", "enter", "tab", "tab")  # human review, covers
        await pilot.press("space", "down", "space")  # harms 1 and 2; the cursor on harm 2
        await settle(pilot)
        assert w.data["fallbacks"][0]["covers"] == ["misinformation", "privacy"]
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Add fallback", "enter")
        await settle(pilot)
        await pilot.press("enter", *["down"] * 5, "enter", "tab", "tab")  # block, covers
        await pilot.press("down", "down", "space")
        await settle(pilot)
        assert w.data["fallbacks"][1]["covers"] == ["language-gap"]
        await pilot.press("down", "down", "space")  # stays on harm 3: unticks it
        await settle(pilot)
        assert w.data["fallbacks"][1].get("covers") in (None, [])
        assert "[ ] harm 1 misinformation" in screen_text(app)


@pilot_test
async def test_a_key_pressed_while_the_next_step_is_built_acts_on_that_step(tmp_path):
    """ctrl+n, then Enter at once: the Enter is for the next step's first field (Add
    fallback), never for the field of the step just left."""
    from textual import events

    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, three_harms(), "exposure")
        before = w.current_harm
        w.query_one("#exposure-next").focus()  # "Next harm": what Enter would press here
        await settle(pilot)
        w.action_next_step()  # the Fallbacks step is built from now on...
        app.post_message(events.Key("enter", "\r"))  # ...while Enter arrives
        await settle(pilot)
        assert w.current_step.value == "fallbacks"
        assert w.current_harm == before  # the Exposure step's button was not pressed
        assert len(w.data["fallbacks"]) == 1  # Add fallback was
        assert app.focused.id == "fallback-kind"


@pilot_test
async def test_enter_right_after_add_fallback_opens_the_new_fallbacks_kind(tmp_path):
    """Adding a fallback mounts its form; an Enter pressed meanwhile waits for the
    Kind field instead of pressing Add fallback a second time."""
    from textual import events

    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, three_harms(), "fallbacks")
        assert app.focused.id == "add-fallback"
        w.pane().add_fallback()  # as Enter on the button does...
        app.post_message(events.Key("enter", "\r"))  # ...and the next Enter comes at once
        await settle(pilot)
        assert len(w.data["fallbacks"]) == 1
        kind = w.query_one("#fallback-kind")
        assert kind.expanded  # the Enter opened the Kind list


@pilot_test
async def test_a_problem_is_named_as_the_screen_names_it(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    data = three_harms()
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, data, "exposure")
        w.current_harm = 2
        w.structure_changed()
        await settle(pilot)
        w.query_one("#exposure-high_risk_share-low").focus()
        await pilot.press(*"lots")
        await settle(pilot)
        text = screen_text(app)
        assert "Harm 3 'language-gap': high-risk share, low bound: enter a number" in text
        assert "harms[2]" not in text
        # The status bar counts the problems and names the key that reaches them.
        assert "3 to fix (ctrl+f)" in text
        await pilot.press("ctrl+b")  # to another step; ctrl+f comes back to the field
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert w.current_step == Step.exposure and w.current_harm == 2


@pilot_test
async def test_the_status_never_says_no_rated_harm_beside_a_rated_one(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    data = three_harms()
    for harm in data["harms"]:
        harm.pop("statement")  # rated, but not complete
    async with app.run_test(size=SIZE) as pilot:
        await open_draft(app, pilot, db, data, "ratings")
        text = screen_text(app)
        assert "no rated harm yet" not in text
        assert "High inherent so far" in text


@pilot_test
async def test_a_picked_type_takes_what_is_typed_next(tmp_path):
    """On a resumed draft, Enter adds a harm (never replaces harm 1's type); after the
    pick, the typing goes to the new harm's statement straight away."""
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    data = three_harms()
    data["harms"] = data["harms"][:1]
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, data, "harms")
        assert app.focused.id == "add-harm"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        await pilot.press(*"privacy", "enter", "enter", *"It leaks grades.")
        await settle(pilot)
        assert app.screen is w
        assert [h["type"] for h in w.data["harms"]] == ["society.misinformation", "rights.privacy"]
        assert w.data["harms"][1]["statement"] == "It leaks grades."


@pilot_test
async def test_the_empty_harms_step_opens_the_taxonomy_with_tab_and_enter(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    data = three_harms()
    data["harms"] = []
    async with app.run_test(size=SIZE) as pilot:
        await open_draft(app, pilot, db, data, "harms")
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert isinstance(app.screen, TaxonomyPicker)


@pilot_test
async def test_flush_draft_writes_the_unsaved_state_at_once(tmp_path):
    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        w = app.screen
        assert isinstance(w, WizardScreen)
        await pilot.press(*"Grade helper")
        assert Store(db).drafts() == []  # inside the autosave delay: nothing written yet
        w.flush_draft()
        drafts = Store(db).drafts()
        assert [(d.feature_id, d.data["feature"]["name"], d.step) for d in drafts] == [
            ("grade-helper", "Grade helper", "feature")
        ]
        w.flush_draft()  # nothing new: no second write
        assert Store(db).drafts()[0].updated_at == drafts[0].updated_at

        class Gone:  # the database went away with the terminal
            def save_draft(self, *args):
                raise OSError("disk gone")

        store, w.book.store = w.book.store, Gone()
        await pilot.press(*" 2")
        w.flush_draft()  # never raises: the app is on its way out
        assert w.book.status.startswith("not saved")
        w.book.store = store


# ------------------------------------------------------------ without Textual


class FakeStore:
    def __init__(self) -> None:
        self.drafts: dict[str, tuple[dict, str]] = {}

    def save_draft(self, key: str, data: dict, step: str) -> None:
        self.drafts[key] = (copy.deepcopy(data), step)

    def discard_draft(self, key: str) -> None:
        self.drafts.pop(key, None)


def test_draft_book_moves_the_draft_from_its_provisional_key_to_the_free_id():
    data = normalise({})
    book = DraftBook(data, now=dt.datetime(2026, 11, 28, 9, 30, 0))
    book.store = FakeStore()
    book.existing_ids = {"taken"}
    assert not book.flush(data, "feature", editing=False)  # nothing changed yet
    data["feature"]["name"] = "Taken"
    data["feature"]["id"] = "taken"
    assert book.flush(data, "feature", editing=False)
    assert list(book.store.drafts) == ["draft-20261128-093000"]  # the id is taken
    data["feature"]["id"] = "free"
    assert book.flush(data, "harms", editing=False)
    assert book.store.drafts == {"free": (data, "harms")}  # moved, not copied
    assert book.status == "saved"


def test_draft_book_never_lets_a_late_write_replace_a_newer_one():
    data = normalise({"feature": {"id": "a", "name": "A"}})
    book = DraftBook({}, now=dt.datetime(2026, 11, 28), draft_key="a")
    book.store = FakeStore()
    first = book.prepare(data, "feature", editing=True)
    data["feature"]["owner"] = "Dana"
    second = book.prepare(data, "feature", editing=True)
    assert first is not None and second is not None and second.seq > first.seq
    assert book.write(second)
    assert not book.write(first)  # arrived late: skipped
    assert book.store.drafts["a"][0]["feature"]["owner"] == "Dana"


@pilot_test
async def test_keys_typed_while_new_fields_mount_are_replayed_into_them():
    """Adding a metric mounts a new box of fields, which takes a moment; what is typed
    meanwhile (text and Tab) is held and then typed into the new fields."""
    from textual.app import App
    from textual.widgets import Button, Input

    from aipm_workbench.ui.wizard.typeahead import Typeahead

    class Form(App):
        def compose(self):
            yield Button("Add")
            yield Input(id="name")
            yield Input(id="kind")

    app = Form()
    async with app.run_test() as pilot:
        held = Typeahead()
        assert not held.hold("x")  # nothing awaited: keys go where they go
        held.start()
        for key in [*"Grades", "tab", *"product"]:
            assert held.hold(key)
        app.query_one("#name", Input).focus()
        await pilot.pause()
        held.replay(app)
        await pilot.pause()
        assert app.query_one("#name", Input).value == "Grades"
        assert app.query_one("#kind", Input).value == "product"
        assert not held.active


@pilot_test
async def test_removing_a_metric_that_holds_text_asks_first(tmp_path):
    """The Remove button follows a metric's last field in the Tab order: an Enter
    meant to go on must not throw the metric away."""
    from aipm_workbench.ui.wizard.dialogs import ConfirmScreen

    db = tmp_path / "w.duckdb"
    app = make_app(db, today=TODAY)
    data = three_harms()
    data["metrics"] = [
        {"name": "Wrong answers", "kind": "guardrail", "target": "below 1%",
         "decided_on": TODAY.isoformat()},
    ]  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        w = await open_draft(app, pilot, db, data, "learning")
        w.query_one("#metrics-list .remove-item").focus()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Remove metric 1 'Wrong answers'?" in screen_text(app)
        await pilot.press("enter")  # the dialog's focus is on No
        await settle(pilot)
        assert [m["name"] for m in w.data["metrics"]] == ["Wrong answers"]
        w.query_one("#metrics-list .remove-item").focus()
        await pilot.press("enter", "y")
        await settle(pilot)
        assert w.data["metrics"] == []
        # a metric just added, still empty, goes at once
        await pilot.press("enter")  # Add metric has the focus again
        await settle(pilot)
        assert len(w.data["metrics"]) == 1
        w.query_one("#metrics-list .remove-item").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert w.data["metrics"] == []
