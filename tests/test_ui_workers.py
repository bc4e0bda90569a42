"""The worker convention: a worker that raises becomes the app's problem dialog."""

from __future__ import annotations

from textual import work
from textual.screen import Screen
from textual.widgets import Static
from ui_support import SIZE, TODAY, pilot_test, settle, wait_until

from aipm_workbench.cli.app import make_app
from aipm_workbench.storage import DatabaseLocked
from aipm_workbench.ui.screens.problem import ProblemScreen
from aipm_workbench.ui.workers import ReportsWorkerErrors


class FailingScreen(ReportsWorkerErrors, Screen[None]):
    def compose(self):
        yield Static("failing")

    @work(thread=True, exit_on_error=False, group="db")
    def load(self) -> None:
        raise DatabaseLocked("the database is held by python3 (PID 1)")


@pilot_test
async def test_a_worker_that_raises_shows_one_problem_dialog(db):
    app = make_app(db, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = FailingScreen()
        await app.push_screen(screen)
        screen.load()
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemScreen))
        assert app.screen.problem_title == "The database is locked"
        assert "python3 (PID 1)" in app.screen.message
        assert sum(isinstance(s, ProblemScreen) for s in app.screen_stack) == 1
