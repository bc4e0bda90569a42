"""Decisions that live, in the app: the decision state column and filter, Needs
attention, the detail's state line and observations, recording an observation."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from click.testing import CliRunner
from textual.widgets import DataTable, Input, Select
from ui_support import (
    SIZE,
    TODAY,
    copy_db,
    pilot_test,
    sample_store,
    screen_text,
    settle,
    shown_ids,
    wait_until,
)

from aipm_workbench.cli.app import make_app
from aipm_workbench.cli.main import main
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.attention import NeedsAttentionScreen
from aipm_workbench.ui.screens.detail import FeatureDetailScreen
from aipm_workbench.ui.screens.observe import ObserveScreen
from aipm_workbench.ui.screens.portfolio import PortfolioScreen

SMALL = (80, 24)
BREACH = "reopened: guardrail approval-ratio breached 2026-11-25: 0.74 ratio, limit >= 0.8 ratio"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """The demo database, made by the `demo` command (samples and their observations)."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.duckdb"
    env = {"AIPM_WORKBENCH_TODAY": TODAY.isoformat(), "NO_COLOR": "1"}
    result = CliRunner(env=env).invoke(main, ["demo", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def plain_template(tmp_path_factory):
    """The sample projects without observations."""
    path = tmp_path_factory.mktemp("plain-template") / "samples.duckdb"
    sample_store(path)
    return path


def _prepare(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture(autouse=True)
def no_cached_details():
    """The detail screen shows a feature seen before from a cache keyed by the store's
    id(), checked 0.3 s later: another test's store may have had the same id."""
    from aipm_workbench.ui.screens import detail

    detail.RECENT.clear()


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch):
    _prepare(monkeypatch, tmp_path)
    return copy_db(demo_template, tmp_path / "demo.duckdb")


@pytest.fixture
def plain_db(plain_template, tmp_path, monkeypatch):
    _prepare(monkeypatch, tmp_path)
    return copy_db(plain_template, tmp_path / "samples.duckdb")


def row_line(app, name: str) -> str:
    return next(x for x in screen_text(app).splitlines() if name in x)


@pilot_test
async def test_the_portfolio_shows_the_decision_state_and_filters_by_it(demo_db):
    store = Store(demo_db)
    app = make_app(demo_db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        header = next(x for x in text.splitlines() if "Feature" in x and "Residual" in x)
        assert "State" in header
        assert "reopened" in row_line(app, "Credit limit change suggestions")
        assert "reopened" in row_line(app, "Support chatbot with human handoff")
        assert "expired" in row_line(app, "Keynote demo")
        assert "undecided" in row_line(app, "AI code review suggestions")

        await pilot.press("d", "d", "d")  # state: any -> undecided -> stale -> reopened
        await settle(pilot)
        assert app.screen.query_one("#filter-state", Select).value == "reopened"
        assert shown_ids(app) == ["credit-limit-assist", "support-bot"]
        assert shown_ids(app) == [r.id for r in store.rank(state="reopened", today=TODAY)]
        assert "2 shown" in screen_text(app)

        await pilot.press("d")  # -> expired
        await settle(pilot)
        assert shown_ids(app) == ["eu-genai-demo"]

        await pilot.press("x")  # clears it with the others
        await settle(pilot)
        assert app.screen.query_one("#filter-state", Select).value == ""
        assert len(shown_ids(app)) == 10

        # the box, as with the mouse
        app.screen.query_one("#filter-state", Select).value = "decided"
        await settle(pilot)
        assert shown_ids(app) == [r.id for r in store.rank(state="decided", today=TODAY)]
        assert len(shown_ids(app)) == 6


@pilot_test
async def test_at_80_columns_the_state_is_in_the_detail_line(demo_db):
    app = make_app(demo_db, today=TODAY)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        header = next(
            x for x in screen_text(app).splitlines() if "Recommend" in x and "Feature" in x
        )
        for label in ("#", "Feature", "Residual", "Chosen", "Recommend"):
            assert label in header
        await pilot.press("d", "d", "d")  # only the reopened ones
        await settle(pilot)
        assert shown_ids(app) == ["credit-limit-assist", "support-bot"]
        # the state gave way to the essential columns: the detail line says it
        [detail] = [x for x in screen_text(app).splitlines() if "State " in x]
        assert detail.strip().startswith("State reopened · Inherent high")


@pilot_test
async def test_needs_attention_lists_the_reopened_and_enter_says_why(demo_db):
    app = make_app(demo_db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "! Attention" in screen_text(app)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert isinstance(app.screen, NeedsAttentionScreen)
        text = screen_text(app)
        lines = [x for x in text.splitlines() if x.strip().startswith("reopened")]
        assert [("credit-limit-assist" in x, "support-bot" in x) for x in lines] == [
            (True, False),
            (False, True),
        ]
        assert "expired" in text and "eu-genai-demo" in text
        assert "Needs attention: 13 items in 5 features" in text
        # the highlighted cause in full below the table
        assert "credit-limit-assist: guardrail approval-ratio breached 2026-11-25" in text

        await pilot.press("down", "enter")  # the second: support-bot
        await settle(pilot)
        assert isinstance(app.screen, FeatureDetailScreen)
        assert app.screen.feature_id == "support-bot"
        assert (
            "reopened: hypothesis handoff-keeps-repeat-contacts-low falsified 2026-11-25"
            in screen_text(app)
        )
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, NeedsAttentionScreen)
        assert app.screen.query_one(DataTable).cursor_row == 1  # where it was
        await pilot.press("up", "enter")
        await settle(pilot)
        assert app.screen.feature_id == "credit-limit-assist"
        assert BREACH in screen_text(app)


@pilot_test
async def test_the_detail_charts_observations_against_the_limit(demo_db):
    app = make_app(demo_db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.portfolio.open_feature("credit-limit-assist")
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        assert "approval-ratio  (guardrail; healthy while value >= 0.8 ratio)" in text
        chart = [x for x in text.splitlines() if x.startswith("   2026-")]
        ok = next(x for x in chart if "2026-10-31" in x)
        breach = next(x for x in chart if "2026-11-25" in x)
        assert "0.86" in ok and ok.rstrip().endswith("ok")
        assert breach.rstrip().endswith("BREACH")

        # a hypothesis test's metric, and the observed population
        await pilot.press("escape")
        await settle(pilot)
        app.portfolio.open_feature("support-bot")
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        text = screen_text(app)
        assert "repeat-contact-7d" in text
        assert "falsifies handoff-keeps-repeat-contacts-low when > 0.12" in text
        assert "population  (reach; declared 900,000; no limit)" in text
        assert "1,040,000" in text


@pilot_test
async def test_recording_a_breach_from_the_detail_reopens_the_decision(plain_db):
    store = Store(plain_db)
    assert store.decision("credit-limit-assist", TODAY).state.value == "decided"
    app = make_app(plain_db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "decided" in row_line(app, "Credit limit change suggestions")
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert "credit-limit-assist" not in [
            x.split()[2] for x in screen_text(app).splitlines() if x.startswith(" reopened")
        ]
        await pilot.press("escape")
        await settle(pilot)
        app.portfolio.open_feature("credit-limit-assist")
        await settle(pilot)
        assert "decided 2026-09-08, review by 2026-12-08" in screen_text(app)
        assert "decided: decided" not in screen_text(app)

        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ObserveScreen)
        assert app.screen.query_one("#observe-metric", Select).value == "approval-ratio"
        assert app.screen.query_one("#observe-date", Input).value == TODAY.isoformat()
        assert app.focused is app.screen.query_one("#observe-value", Input)

        # observe's rules: a finite number, a date not after today; nothing written
        await pilot.press(*"nan", "enter", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ObserveScreen)
        assert "Value: nan is not a number" in screen_text(app)
        value = app.screen.query_one("#observe-value", Input)
        value.value = "0.7"
        app.screen.query_one("#observe-date", Input).value = "2026-11-29"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Date: 2026-11-29 is after today (2026-11-28)" in screen_text(app)
        assert store.observations("credit-limit-assist") == []

        app.screen.query_one("#observe-date", Input).value = "2026-11-27"
        app.screen.query_one("#observe-source", Input).value = "risk dashboard"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FeatureDetailScreen)
        [o] = store.observations("credit-limit-assist")
        assert (o.metric, o.value, o.observed_on, o.source) == (
            "approval-ratio",
            0.7,
            dt.date(2026, 11, 27),
            "risk dashboard",
        )
        text = screen_text(app)
        assert (
            "reopened: guardrail approval-ratio breached 2026-11-27: 0.7 ratio, "
            "limit >= 0.8 ratio" in text
        )
        chart = next(x for x in text.splitlines() if x.startswith("   2026-11-27"))
        assert chart.rstrip().endswith("BREACH")

        # the portfolio has been told, and Needs attention lists it now
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, PortfolioScreen))
        assert "reopened" in row_line(app, "Credit limit change suggestions")
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert "guardrail approval-ratio breached 2026-11-27" in screen_text(app)


@pilot_test
async def test_needs_attention_reloads_when_you_come_back(plain_db):
    store = Store(plain_db)
    app = make_app(plain_db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        before = screen_text(app)
        assert "approval-ratio breached" not in before
        fallbacks = [x for x in before.splitlines() if "credit-limit-assist" in x]
        await wait_until(pilot, lambda: app.screen.query_one(DataTable).row_count > 0)
        # open credit-limit-assist from the list, record a breach there, come back
        table = app.screen.query_one(DataTable)
        place = next(
            i for i, item in enumerate(app.screen.items) if item.feature_id == "credit-limit-assist"
        )
        table.move_cursor(row=place)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.feature_id == "credit-limit-assist"
        await pilot.press("o", *"0.5", "enter")  # enter records: the date is today
        await settle(pilot)
        assert store.decision("credit-limit-assist", TODAY).state.value == "reopened"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, NeedsAttentionScreen)
        after = screen_text(app)
        [reopened] = [x for x in after.splitlines() if x.startswith(" reopened")]
        assert "2026-11-28  credit-limit-assist  guardrail approval-ratio breached" in reopened
        assert len([x for x in after.splitlines() if "credit-limit-assist" in x]) > len(fallbacks)


def ready(*keys: str):
    """A ``run_before``: wait for the database, press keys, wait again."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for node in pilot.app.screen.query(Input):
            node.cursor_blink = False
        await settle(pilot)

    return run_before


def test_snapshot_needs_attention_at_80x24(demo_db, snap_compare):
    app = make_app(demo_db, today=TODAY)
    assert snap_compare(app, terminal_size=SMALL, run_before=ready("exclamation_mark"))


def test_snapshot_detail_observations_at_80x24(demo_db, snap_compare):
    app = make_app(demo_db, today=TODAY)
    keys = ("exclamation_mark", "enter", "4")
    assert snap_compare(app, terminal_size=SMALL, run_before=ready(*keys))


def test_snapshot_record_an_observation_at_80x24(demo_db, snap_compare):
    app = make_app(demo_db, today=TODAY)
    keys = ("exclamation_mark", "enter", "4", "o")
    assert snap_compare(app, terminal_size=SMALL, run_before=ready(*keys))


@pytest.mark.parametrize(
    ("value", "day", "problem"),
    [
        ("inf", "2026-11-28", "Value: inf is not a number"),
        ("1e999", "2026-11-28", "Value: 1e999 is not a number"),
        ("", "2026-11-28", "Value: nothing is not a number"),
        ("0.5", "28/11/2026", "Date: 28/11/2026 is not a date: type it as 2026-11-28."),
        ("0.5", "2026-11-29", "Date: 2026-11-29 is after today (2026-11-28)"),
        ("0.5", "1969-12-31", "Date: 1969-12-31 is before 1970-01-01."),
    ],
)
def test_the_dialog_checks_what_observe_checks(value, day, problem):
    from aipm_workbench.ui.screens.observe import check

    number, date, problems = check(value, day, TODAY)
    assert [p for p in problems if p.startswith(problem)] == problems[:1]
    assert number is None or date is None


def test_the_dialog_accepts_a_finite_number_on_or_before_today():
    from aipm_workbench.ui.screens.observe import check

    assert check(" -0.25 ", "2026-11-28", TODAY) == (-0.25, TODAY, [])
    assert check("1040000", "1970-01-01", TODAY) == (1040000.0, dt.date(1970, 1, 1), [])


@pilot_test
async def test_the_detail_header_recommends_as_the_portfolio_does(demo_db):
    """support-bot's hypothesis was falsified by an observation: kill, in both places."""
    app = make_app(demo_db, today=TODAY)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await app.push_screen(FeatureDetailScreen("support-bot"))
        await settle(pilot)
        assert "recommended kill" in screen_text(app)
