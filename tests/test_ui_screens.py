"""Feature detail, compare, export and the problem modal, driven as a user would."""

from __future__ import annotations

import os
import subprocess
import sys

from textual.widgets import DataTable, Input, Static
from ui_support import (
    SIZE,
    TODAY,
    pilot_test,
    screen_text,
    settle,
    shown_ids,
    wait_until,
)

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain.diff import diff_assessments
from aipm_workbench.services import records
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.compare import CompareScreen
from aipm_workbench.ui.screens.detail import FeatureDetailScreen
from aipm_workbench.ui.screens.export import ExportScreen
from aipm_workbench.ui.screens.portfolio import PortfolioScreen
from aipm_workbench.ui.screens.problem import ProblemScreen


def second_revision(db, feature_id: str) -> tuple:
    """Save a changed revision of a feature; return (old, new) assessments."""
    store = Store(db)
    old = store.latest(feature_id).assessment
    new = old.model_copy(deep=True)
    new.harms[0].likelihood = 1 if new.harms[0].likelihood != 1 else 2
    new.feature.owner = "Someone Else"
    store.save(new)
    return old, new


@pilot_test
async def test_enter_opens_the_detail_with_record_history_and_diff(db):
    old, new = second_revision(db, "support-bot")
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        index = shown_ids(app).index("support-bot")
        app.screen.table.move_cursor(index)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FeatureDetailScreen)
        assert screen.feature_id == "support-bot"
        # the record as exported, its front matter shown as a block
        assert screen.record_source == records.record_markdown(store, "support-bot", today=TODAY)
        assert screen.record_display.startswith("```yaml\nstatus:")
        assert "# ADR support-bot-r" in screen.record_display
        assert "Support chatbot with human handoff" in screen_text(app)

        await pilot.press("2")  # history
        await settle(pilot)
        table = screen.query_one("#revisions", DataTable)
        revisions = store.revisions("support-bot")
        assert table.row_count == len(revisions) == 2
        assert table.get_row_at(0)[0] == "2"  # newest first
        assert "Someone Else" in str(table.get_row_at(0)[5])

        await pilot.press("3")  # diff of the last two revisions
        await settle(pilot)
        text = str(screen.query_one("#diff-text", Static).render())
        for line in diff_assessments(old, new):
            assert line in text
        assert "From revision 1 to revision 2" in text

        # enter on a revision in the history shows that revision's record
        await pilot.press("2", "down", "enter")
        await settle(pilot)
        assert screen.shown_revision == 1
        assert "revision 1 (an older revision)" in screen_text(app)

        await pilot.press("E")  # edit: the wizard on the latest revision
        await settle(pilot)
        from aipm_workbench.ui.screens.wizard import WizardScreen

        assert isinstance(app.screen, WizardScreen)
        assert app.screen.source_assessment == new
        app.pop_screen()
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)


@pilot_test
async def test_compare_two_features_harm_by_harm(db):
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("c")  # nothing marked: says what to do
        await wait_until(pilot, lambda: "Mark 2 to 4 features" in screen_text(app))
        assert isinstance(app.screen, PortfolioScreen)

        await pilot.press("space", "space")  # marks the first two, moving down
        await settle(pilot)
        first, second = store.rank(limit=2, today=TODAY)
        assert set(app.screen.table.selected) == {first.id, second.id}
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.query_one(DataTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert labels[:3] == ["Stage", "Residual tier", "Inherent tier"]
        # one row per harm type any of them has, with each feature's harms of that type
        types = {
            h.type for fid in (first.id, second.id) for h in store.latest(fid).assessment.harms
        }
        type_rows = [label.split("\n")[0] for label in labels[11:]]
        assert sorted(type_rows) == sorted(types)
        a = store.latest(first.id).assessment
        h = a.harms[0]
        row = labels[11:].index(next(x for x in labels[11:] if x.startswith(h.type)))
        cell = str(table.get_row_at(11 + row)[1])
        assert h.id in cell
        assert f"S{h.severity} L{h.likelihood} R{h.reversibility} D{h.detectability}" in cell
        residual = [str(c) for c in table.get_row_at(1)[1:]]
        assert residual == [first.residual_priority.capitalize(), "Critical"]


@pilot_test
async def test_export_writes_records_and_the_report(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = Store(db)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.screen.table.highlighted
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        assert screen.feature_ids == [first.id]
        out = tmp_path / "out"
        screen.query_one("#folder", Input).value = str(out)
        await pilot.press("ctrl+s")  # the highlighted feature's record (the default)
        await settle(pilot)
        written = sorted(p.name for p in out.iterdir())
        number = store.decided_revisions(first.id)[-1].number
        assert written == [f"{first.id}-r{number}.md"]
        assert "Wrote 1 file" in screen.result_text
        assert (out / written[0]).read_text(encoding="utf-8").startswith("---")

        # all records: one exists already, so nothing is written without "overwrite"
        await pilot.click("#what-all")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "exist" in screen.result_text
        assert sorted(p.name for p in out.iterdir()) == written
        await pilot.click("#force")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(list(out.iterdir())) == len(store.feature_ids()) == 10
        assert "Wrote 10 files" in screen.result_text
        bar = screen.query_one("#progress")
        assert bar.percentage == 1.0

        await pilot.click("#what-portfolio")
        await pilot.press("ctrl+s")
        await settle(pilot)
        report = out / "portfolio.md"
        assert report.exists()
        assert "Support chatbot with human handoff" in report.read_text(encoding="utf-8")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)


@pilot_test
async def test_a_damaged_database_shows_a_problem_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database file at all" * 100)
    app = make_app(bad, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        text = screen_text(app)
        assert "The database cannot be read" in text
        assert "not a workbench database" in text
        await pilot.press("escape")  # OK: the app keeps working
        await settle(pilot)
        assert isinstance(app.screen, PortfolioScreen)
        assert "could not be read: press r" in screen_text(app)
        assert bad.read_bytes().startswith(b"this is not")  # left untouched
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        await pilot.press("q")  # quit from the problem
        await settle(pilot)
    assert app.return_code == 0


@pilot_test
async def test_a_locked_database_shows_who_holds_it(db):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        app = make_app(db, today=TODAY, lock_timeout=0.3)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, ProblemScreen)
            text = screen_text(app)
            assert "The database is locked" in text
            assert f"PID {holder.pid}" in text
            await pilot.press("enter")  # OK
            await settle(pilot)
            assert isinstance(app.screen, PortfolioScreen)
            holder.stdin.close()
            holder.wait(10)
            await pilot.press("r")  # released: the portfolio loads
            await wait_until(pilot, lambda: len(shown_ids(app)) == 10)
            assert isinstance(app.screen, PortfolioScreen)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_open_needs_a_terminal(tmp_path):
    env = {**os.environ, "AIPM_WORKBENCH_DB": str(tmp_path / "x.duckdb")}
    result = subprocess.run(
        [sys.executable, "-m", "aipm_workbench", "open"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr
    assert "Traceback" not in result.stderr


@pilot_test
async def test_the_detail_shows_the_new_revision_once_an_edit_is_saved(db):
    from aipm_workbench.ui.messages import AssessmentSaved

    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.open_feature("support-bot")
        await settle(pilot)
        detail = app.screen
        assert "# ADR support-bot-r1" in detail.record_source
        # an edit saves revision 2 without a decision (as the wizard does after E)
        store = Store(db)
        edited = store.latest("support-bot").assessment.model_copy(deep=True)
        edited.feature.owner = "Someone Else"
        edited.decision = None
        store.save(edited)
        app.post_message(AssessmentSaved("support-bot", 2))
        await settle(pilot)
        assert "revision 2" in screen_text(app).splitlines()[0]  # the header...
        assert "# ADR support-bot-r2" in detail.record_source  # ...and the body agree
        assert "Someone Else" in detail.record_display
        assert "revision 2 (latest revision)" in screen_text(app)


@pilot_test
async def test_the_record_scrolls_with_the_keys_as_soon_as_it_opens(db):
    app = make_app(db, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        scroll = app.screen.query_one("#record-scroll")
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: scroll.scroll_y > 0)
        paged = scroll.scroll_y
        await pilot.press("down")
        await wait_until(pilot, lambda: scroll.scroll_y > paged)
        moved = scroll.scroll_y
        await pilot.press("j")
        await wait_until(pilot, lambda: scroll.scroll_y > moved)
        await pilot.press("2", "1")  # History and back: the record has the keys again
        await settle(pilot)
        before = scroll.scroll_y
        await pilot.press("j")
        await wait_until(pilot, lambda: scroll.scroll_y > before)


@pilot_test
async def test_export_into_a_folder_with_files_says_to_tick_overwrite(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "records"
    out.mkdir()
    app = make_app(db, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.screen.table.highlighted
        number = Store(db).decided_revisions(first.id)[-1].number
        existing = out / f"{first.id}-r{number}.md"
        existing.write_text("mine\n", encoding="utf-8")
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        await pilot.press("ctrl+s")  # into ./records, the default folder
        await settle(pilot)
        said = screen.result_text
        assert isinstance(app.screen, ExportScreen)  # told in the dialog, not a problem modal
        assert "already exists" in said and "Nothing was written" in said
        assert 'Tick "Overwrite existing files"' in said
        for wrong in ("database", "--force", "press r", "Press r"):
            assert wrong not in said
        assert said in screen_text(app).replace("\n", " ") or said[:40] in screen_text(app)
        assert existing.read_text(encoding="utf-8") == "mine\n"
        # the fix is where the user is: the focus is on the box, space ticks it
        assert app.focused is screen.query_one("#force")
        await pilot.press("space", "ctrl+s")
        await settle(pilot)
        assert "Wrote 1 file" in screen.result_text
        assert existing.read_text(encoding="utf-8").startswith("---")


def test_export_problems_speak_of_the_dialog_not_the_command():
    from aipm_workbench.services.records import ExportError
    from aipm_workbench.ui.screens.export import export_problem

    text, overwrite = export_problem(
        ExportError("out is a file, not a folder: choose a folder for --out"), False
    )
    assert "Folder box" in text and "--out" not in text and not overwrite
    text, _ = export_problem(PermissionError(13, "Permission denied", "/x"), False)
    assert "Permission denied" in text and "database" not in text


HOSTILE = "\x1b]0;t\x07\u202eEvil \x1b[2J"


@pilot_test
async def test_an_escape_laden_name_is_shown_safely_everywhere(db):
    store = Store(db)
    evil = store.latest("support-bot").assessment.model_copy(deep=True)
    evil.feature.name = HOSTILE
    store.save(evil)
    app = make_app(db, today=TODAY)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)

        def clean(text: str) -> None:
            assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
            assert "\\x1b" in text and "<U+202E>" in text  # shown, visibly

        text = screen_text(app)
        clean(text)
        header = next(line for line in text.splitlines() if "Feature" in line)
        assert "Residual" in header and "Chosen" in header  # the table keeps its header
        index = shown_ids(app).index("support-bot")
        app.screen.table.move_cursor(index)
        await pilot.press("m")  # the matrix titled with the highlighted feature
        await settle(pilot)
        clean(screen_text(app))
        await pilot.press("enter")  # the detail header
        await settle(pilot)
        clean(screen_text(app).split("\n", 3)[0])
        await pilot.press("escape")
        await settle(pilot)
        app.screen.table.move_cursor(0)
        await pilot.press("space")
        app.screen.table.move_cursor(index)
        await pilot.press("space", "c")  # compare: the column title
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        clean(screen_text(app))
