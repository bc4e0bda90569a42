"""The full-screen workbench: a thin App that holds the store and the start screen.

Screen logic lives in ``ui/screens/``; this class only wires the store, the
global bindings, the command palette and the app-wide messages together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import cached_property, partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.driver import Driver
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from .commands import ListedCommands
from .hangup import HangupWatch, driver_class, input_fd
from .messages import AssessmentSaved, PortfolioChanged
from .screens.portfolio import PortfolioScreen
from .screens.problem import ProblemScreen


class ScreenActions(ListedCommands):
    """Every binding of the current screen (and its focused widget) as a command."""

    def _commands(self) -> list[tuple[str, str, Any]]:
        screen = self.screen
        seen: set[tuple[int, str]] = set()
        out = []
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.system or not binding.description or not active.enabled:
                continue
            if (id(active.node), binding.action) in seen:
                continue
            seen.add((id(active.node), binding.action))
            key = self.app.get_key_display(binding)
            help_text = f"{binding.tooltip or binding.description} (key: {key})"
            run = partial(self.app.run_action, binding.action, active.node)
            out.append((binding.description, help_text, run))
        return out


HANGUP_EXIT = 129  # 128 + SIGHUP, as a shell reports a process ended by a hang-up


class WorkbenchApp(App[None]):
    """``WorkbenchApp(store, today=None)``: ``today`` fixes the reference date."""

    TITLE = "aipm-workbench"
    # the start screen's own file too: Textual loads a screen's CSS_PATH when the
    # screen is pushed, not for the default screen
    CSS_PATH: ClassVar[list[str]] = ["app.tcss", "screens/portfolio.tcss"]
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("f1", "toggle_keys", "Keys", id="app.keys", tooltip="Show or hide all keys"),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]

    def __init__(
        self,
        store: Any,
        today: dt.date | None = None,
        start: Callable[[], Screen] | None = None,
        workspace: Path | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.workspace = workspace  # a team's workspace: saves write its files
        self._today = today
        self._start = start  # a screen to open over the portfolio at start (``drill``)
        self.hangup_watch: HangupWatch | None = None

    def get_driver_class(self) -> type[Driver]:
        base = super().get_driver_class()
        return driver_class(base) if base.__name__ == "LinuxDriver" else base

    def on_mount(self) -> None:
        fd = None if self.is_headless else input_fd()
        if fd is not None:
            self.hangup_watch = HangupWatch(self, fd)
            self.hangup_watch.start()
        if self._start is not None:
            self.push_screen(self._start())

    def on_unmount(self) -> None:
        if self.hangup_watch is not None:
            self.hangup_watch.stop()

    def terminal_lost(self) -> None:
        """The terminal went away: every screen that holds a draft saves it, then exit."""
        for screen in reversed(self.screen_stack):
            flush = getattr(screen, "flush_draft", None)
            if callable(flush):
                with suppress(Exception):  # no terminal left to tell: save the others
                    flush()
        self.exit(return_code=HANGUP_EXIT)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Drill: practise on a past incident",
            "Rate a casebook incident before seeing what happened",
            self.action_drill,
        )

    def action_drill(self) -> None:
        from .screens.drill import DrillScreen

        self.push_screen(DrillScreen())

    def today(self) -> dt.date:
        """The reference date: fixed by the caller or ``settings.today()``."""
        if self._today is not None:
            return self._today
        from ..settings import today

        return today()

    @cached_property
    def suggested_owner(self) -> str | None:
        """Who to suggest as a new feature's owner: in a workspace, ``git config
        user.name`` (never a decider: deciders are named on purpose); asked once."""
        if self.workspace is None:
            return None
        from ..services.workspace import git_user

        return git_user(self.workspace)

    def get_default_screen(self) -> Screen:
        return PortfolioScreen()

    @property
    def portfolio(self) -> PortfolioScreen:
        return next(s for s in self.screen_stack if isinstance(s, PortfolioScreen))

    def action_toggle_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def show_problem(self, title: str, message: str) -> None:
        """A modal that says what went wrong and what to do (one at a time)."""
        if isinstance(self.screen, ProblemScreen) and self.screen.message == message:
            return
        self.push_screen(ProblemScreen(title, message), self._after_problem)

    def _after_problem(self, choice: str | None) -> None:
        if choice == "quit":
            self.exit()

    def report_error(self, error: BaseException) -> None:
        """Any failed worker ends here (``ui/workers.py``): a dialog, never a traceback."""
        from .screens.problem import describe_error

        self.show_problem(*describe_error(error))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    def on_assessment_saved(self, message: AssessmentSaved) -> None:
        self.portfolio.reload(select=message.feature_id)
        for screen in self.screen_stack:
            refresh = getattr(screen, "on_feature_saved", None)
            if refresh is not None and screen is not self.portfolio:
                refresh(message.feature_id)

    def on_portfolio_changed(self, message: PortfolioChanged) -> None:
        self.portfolio.reload()
