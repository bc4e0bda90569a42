"""The portfolio screen: ranked rows, sorting, filtering, paging, refresh, drafts."""

from __future__ import annotations

from textual.widgets import Input, Select
from ui_support import (
    SIZE,
    TODAY,
    bulk_store,
    pilot_test,
    screen_text,
    settle,
    shown_ids,
    small_assessment,
    wait_until,
)

from aipm_workbench.cli.app import make_app
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.portfolio import PortfolioScreen
from aipm_workbench.ui.widgets.portfolio_table import FIXED, PAGE_SIZE, PortfolioTable
from aipm_workbench.ui.widgets.risk_matrix import RiskMatrix
from aipm_workbench.ui.widgets.summary import SummaryBar


def ids(rows) -> list[str]:
    return [r.id for r in rows]


@pilot_test
async def test_start_screen_shows_the_ranked_portfolio(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        assert shown_ids(app) == ids(store.rank(today=TODAY))
        text = screen_text(app)
        # the first row: rank, name, tiers, verdicts as a user reads them
        first = store.rank(limit=1, today=TODAY)[0]
        line = next(x for x in text.splitlines() if x.strip().startswith("1 "))
        assert first.name[:15] in line and "critical" in line
        summary = store.summary(today=TODAY)
        bar = app.screen.query_one(SummaryBar)
        assert bar.summary == summary
        assert f"{summary['total']} features" in text
        assert f"{summary['overdue']} review overdue" in text
        assert "critical 2" in text and "undecided 1" in text
        matrix = app.screen.query_one(RiskMatrix)
        assert matrix.counts == store.risk_matrix()
        assert "Reversibility x detectability" in text
        assert "residual ratings · portfolio" in text


@pilot_test
async def test_a_first_page_fetched_during_start_up_is_in_the_first_frame(db, monkeypatch):
    """When the prefetch has answered before the screen mounts, its rows are drawn
    with the screen itself: the table's first frame already shows them."""
    expected = ids(Store(db).rank(limit=PAGE_SIZE, today=TODAY))
    first_frame: list = []
    draw = PortfolioTable.render_line

    def render_line(self, y):
        if not first_frame:
            first_frame.append(ids(self.pages.get(0, [])))
        return draw(self, y)

    monkeypatch.setattr(PortfolioTable, "render_line", render_line)
    app = make_app(db, today=TODAY, prefetch=True)
    app.store._prefetched[1].result(timeout=30)  # answered before Textual starts
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert first_frame == [expected]
        assert shown_ids(app) == expected


@pilot_test
async def test_sort_by_keys_and_by_clicking_a_header(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # rank -> the next column: name
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(sort="name", today=TODAY))
        assert [r.name for r in app.screen.table.visible_rows()] == sorted(
            (r.name for r in store.rank(today=TODAY)), key=str.lower
        )
        await pilot.press("S")  # reversed
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(sort="name", descending=True, today=TODAY))

        # a click on the "RPN" header sorts by it, highest first
        table = app.screen.query_one(PortfolioTable)
        x = table._fixed_width()  # noqa: SLF001 - the first scrolled column's left edge
        for column, w in table._columns()[FIXED:]:  # noqa: SLF001 - the columns drawn
            if column.key == "residual_max_rpn":
                break
            x += w + 1
        await pilot.click(PortfolioTable, offset=(x + 2, 0))
        await settle(pilot)
        expected = store.rank(sort="residual_max_rpn", descending=True, today=TODAY)
        assert shown_ids(app) == ids(expected)
        rpns = [r.residual_max_rpn or 0 for r in app.screen.table.visible_rows()]
        assert rpns == sorted(rpns, reverse=True)
        assert "RPN▼" in screen_text(app)

        # the decision state cannot be sorted by: a click on its header changes nothing
        x = table._fixed_width()  # noqa: SLF001
        for column, w in table._columns()[FIXED:]:  # noqa: SLF001
            if column.key == "decision_state":
                break
            x += w + 1
        await pilot.click(PortfolioTable, offset=(x + 2, 0))
        await settle(pilot)
        assert shown_ids(app) == ids(expected)
        assert "RPN▼" in screen_text(app)


@pilot_test
async def test_filter_by_typing_is_debounced_and_enter_applies(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"support")
        # typing does not query at every key: the filter applies after a pause
        await wait_until(pilot, lambda: app.screen.query_state.search == "support")
        assert shown_ids(app) == ids(store.rank(search="support", today=TODAY)) == ["support-bot"]
        assert "1 shown" in screen_text(app)

        search = app.screen.query_one("#search", Input)
        search.value = ""
        await pilot.press(*"ops", "enter")  # enter applies at once, back to the table
        await settle(pilot)
        assert isinstance(app.focused, PortfolioTable)
        expected = ids(store.rank(search="ops", today=TODAY))
        assert shown_ids(app) == expected
        if not expected:
            assert "No feature matches the filters" in screen_text(app)


@pilot_test
async def test_filter_by_tier_verdict_and_stage(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")  # tier: any -> critical
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(tier="critical", today=TODAY))
        assert len(shown_ids(app)) == 2
        assert app.screen.query_one("#filter-tier", Select).value == "critical"
        await pilot.press("t", "t")  # -> high -> medium
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(tier="medium", today=TODAY))

        await pilot.press("x")  # clear
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(today=TODAY))

        await pilot.press("v", "v", "v", "v", "v")  # ship, +guard, hold, kill, undecided
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(verdict="undecided", today=TODAY))
        assert shown_ids(app) == ["code-review-assistant"]

        await pilot.press("x")
        await settle(pilot)
        # the stage filter through its select box, as with the mouse
        app.screen.query_one("#filter-stage", Select).value = "beta"
        await settle(pilot)
        assert shown_ids(app) == ids(store.rank(stage="beta", today=TODAY))
        assert app.screen.query_state.stage == "beta"


@pilot_test
async def test_paging_renders_only_the_window(tmp_path):
    n = PAGE_SIZE * 2 + 37
    store = bulk_store(tmp_path / "bulk.duckdb", n)
    app = make_app(tmp_path / "bulk.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.total == n
        assert list(table.pages) == [0]  # only the first page was read
        assert shown_ids(app) == ids(store.rank(limit=len(shown_ids(app)), today=TODAY))
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == n - 1
        tail = store.rank(offset=n - len(shown_ids(app)), today=TODAY)
        assert shown_ids(app) == ids(tail)
        assert len(table.pages) <= 3  # the first page, and the pages on screen
        assert table.highlighted.id == tail[-1].id
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0
        assert shown_ids(app)[0] == store.rank(limit=1, today=TODAY)[0].id


@pilot_test
async def test_refresh_shows_what_a_command_changed(db, tmp_path):
    from click.testing import CliRunner

    from aipm_workbench.cli import main
    from aipm_workbench.domain import dump_toml

    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "bulk-0003" not in shown_ids(app)
        # a command on the same database while the app is open
        folder = tmp_path / "new"
        folder.mkdir()
        (folder / "new.toml").write_text(dump_toml(small_assessment(3)), encoding="utf-8")
        result = CliRunner().invoke(main, ["--db", str(db), "import", str(folder)])
        assert result.exit_code == 0, result.output
        assert "bulk-0003" not in shown_ids(app)  # nothing changes until asked
        await pilot.press("r")
        await settle(pilot)
        assert "bulk-0003" in shown_ids(app)
        assert shown_ids(app) == ids(Store(db).rank(today=TODAY))
        assert app.screen.summary["total"] == 11
        assert "11 features" in screen_text(app)


@pilot_test
async def test_saved_assessment_is_reloaded_and_selected(db):
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        info = Store(db).save(small_assessment(7))
        from aipm_workbench.ui.messages import AssessmentSaved

        app.post_message(AssessmentSaved(info.feature_id, info.number))
        await settle(pilot)
        assert app.screen.table.highlighted.id == "bulk-0007"
        assert "bulk-0007" in shown_ids(app)


@pilot_test
async def test_drafts_are_offered_on_start_and_can_be_discarded(db):
    store = Store(db)
    data = {"format": "aipm-assessment/1", "feature": {"id": "half-done", "name": "Half done"}}
    store.save_draft("half-done", data, "harms")
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from aipm_workbench.ui.screens.drafts import DraftsScreen

        assert isinstance(app.screen, DraftsScreen)
        text = screen_text(app)
        assert "Half done" in text and "2 of 7 · Harms" in text  # name, step, last saved
        await pilot.press("d")
        await settle(pilot)
        assert store.drafts() == []
        assert isinstance(app.screen, PortfolioScreen)  # nothing left to offer


@pilot_test
async def test_later_keeps_the_draft(db):
    store = Store(db)
    store.save_draft("half-done", {"feature": {"id": "half-done"}}, "feature")
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        assert [d.feature_id for d in store.drafts()] == ["half-done"]


@pilot_test
async def test_resume_opens_the_wizard_on_the_draft(db):
    from aipm_workbench.ui.screens.wizard import WizardScreen

    store = Store(db)
    data = {"format": "aipm-assessment/1", "feature": {"id": "half-done", "name": "Half done"}}
    store.save_draft("half-done", data, "harms")
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.draft_key == "half-done"
        assert app.screen.current_step.value == "harms"


@pilot_test
async def test_new_and_edit_open_the_wizard(db):
    from aipm_workbench.ui.screens.wizard import WizardScreen

    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.source_assessment is None
        app.pop_screen()
        await settle(pilot)
        first = app.screen.table.highlighted
        await pilot.press("E")
        await settle(pilot)
        assert isinstance(app.screen, WizardScreen)
        assert app.screen.source_assessment.feature.id == first.id
        assert app.screen.source_assessment == Store(db).latest(first.id).assessment


@pilot_test
async def test_every_action_is_in_the_command_palette(db):
    from aipm_workbench.ui.app import ScreenActions
    from aipm_workbench.ui.screens.portfolio import PortfolioCommands

    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [hit.text async for hit in ScreenActions(app.screen).discover()]
        for action in ("Open", "New", "Edit", "Export", "Mark", "Compare", "Filter", "Sort"):
            assert action in names
        assert "Refresh" in names and "Reverse sort" in names and "Filter tier" in names
        extra = [hit.text async for hit in PortfolioCommands(app.screen).discover()]
        assert "Sort by people harmed" in extra and "Show tier: critical" in extra
        # and the palette runs them: "Show tier: high" filters the table
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Show tier: high")
        await wait_until(pilot, lambda: "Show tier: high" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_state.tier == "high"
        assert shown_ids(app) == ids(Store(db).rank(tier="high", today=TODAY))


@pilot_test
async def test_usable_at_80x24(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app).splitlines()
        assert len(text) == 24
        table_rows = [x for x in text if x[:6].strip().isdigit()]
        assert len(table_rows) >= 8  # most of the portfolio fits
        assert shown_ids(app)[:8] == ids(store.rank(limit=8, today=TODAY))
        assert "Open" in text[-1] and "New" in text[-1]  # the footer...
        for key in ("Sort", "Quit", "Keys"):  # ...keeps these however narrow
            assert key in text[-1]
        # a row: rank, name, residual tier as a word, and both verdicts
        first = store.rank(limit=1, today=TODAY)[0]
        header = next(x for x in text if "Feature" in x)
        for column in ("#", "Feature", "Residual", "Chosen", "Recommend"):
            assert column in header
        row = next(x for x in text if x.strip().startswith("1 "))
        assert first.name[:20] in row and first.residual_priority in row
        assert row.count("kill") == 2  # chosen and recommended
        # what gave way is on the detail line under the table
        detail = text[-2]
        assert "People harmed" in detail and "Review due" in detail
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen.feature_id == store.rank(limit=2, today=TODAY)[1].id
        await pilot.press("escape")
        await settle(pilot)
        # the mouse: a double click on the third row opens it
        await pilot.click(PortfolioTable, offset=(10, 3), times=2)
        await settle(pilot)
        assert app.screen.feature_id == store.rank(limit=3, today=TODAY)[2].id


@pilot_test
async def test_risk_matrix_for_the_portfolio_or_the_highlighted_feature(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matrix = app.screen.query_one(RiskMatrix)
        whole = store.risk_matrix()
        assert matrix.counts == whole
        total, worst = matrix.cell(5, 4)
        assert total == sum(whole[(5, 4)].values())
        await pilot.press("m")
        await settle(pilot)
        first = app.screen.table.highlighted
        assert matrix.counts == store.risk_matrix(first.id)
        assert matrix.scope == first.name and first.name[:10] in screen_text(app)
        await pilot.press("down")  # follows the cursor
        await wait_until(pilot, lambda: matrix.scope == app.screen.table.highlighted.name)
        assert matrix.counts == store.risk_matrix(app.screen.table.highlighted.id)
        await pilot.click(RiskMatrix)  # a click toggles back to the portfolio
        await settle(pilot)
        assert matrix.counts == whole and matrix.scope == "portfolio"


@pilot_test
async def test_a_key_switches_the_matrix_to_severity_by_likelihood(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matrix = app.screen.query_one(RiskMatrix)
        await pilot.press("a")
        await settle(pilot)
        text = screen_text(app)
        assert "Severity x likelihood" in text and "residual ratings · portfolio" in text
        assert matrix.counts == store.risk_matrix(axes=("severity", "likelihood"))
        assert matrix.counts != store.risk_matrix()
        assert "S5" in text and "L1" in text
        await pilot.press("m")  # the highlighted feature, still severity x likelihood
        await settle(pilot)
        first = app.screen.table.highlighted
        assert matrix.counts == store.risk_matrix(first.id, axes=("severity", "likelihood"))
        await pilot.press("a")  # and back
        await settle(pilot)
        assert "Reversibility x detectability" in screen_text(app)
        assert matrix.counts == store.risk_matrix(first.id)


@pilot_test
async def test_builtin_themes_render_the_portfolio(db):
    """Light, dark and ANSI themes (the styles use theme variables only)."""
    themes = ["textual-light", "ansi-dark", "ansi-light", "nord", "solarized-light"]
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for name in themes:
            assert name in app.available_themes
            app.theme = name
            await pilot.pause()
            text = screen_text(app)
            assert "critical" in text and "Reversibility x detectability" in text


@pilot_test
async def test_names_use_the_width_at_120_columns(db):
    app = make_app(db, today=TODAY)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        long = next(r for r in Store(db).rank(today=TODAY) if len(r.name) > 30)
        assert long.name[:30] in screen_text(app)  # not cut at 20 characters


@pilot_test
async def test_one_feature_and_the_drafts_in_progress_are_counted_in_words(tmp_path):
    store = Store(tmp_path / "one.duckdb")
    store.save(small_assessment(1))
    data = {"format": "aipm-assessment/1", "feature": {"id": "voice", "name": "Voice"}}
    store.save_draft("voice", data, "harms")
    app = make_app(tmp_path / "one.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")  # the drafts dialog offered on start: later
        await settle(pilot)
        text = screen_text(app)
        assert "1 feature " in text and "1 features" not in text
        assert "1 draft in progress (D)" in text
        await pilot.press("r")
        await settle(pilot)
        assert [n.message for n in app._notifications] == ["1 feature."]  # the toast
        await pilot.press("D")  # the drafts, again, from the key the summary names
        await settle(pilot)
        assert "Voice" in screen_text(app) and not isinstance(app.screen, PortfolioScreen)
