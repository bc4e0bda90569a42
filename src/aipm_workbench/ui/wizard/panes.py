"""The wizard's steps, one shown at a time: each is built the first time it is
shown, loaded from the data, and focused at its first field (or at the field
of a problem the user jumped to)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import ContentSwitcher

from ...domain import Step
from .base import StepPane
from .protocol import Command
from .state import STEPS


class StepPanes(ContentSwitcher):
    """The step panes; ``refresh_wizard`` redraws what the wizard computes."""

    def __init__(
        self,
        *panes: StepPane,
        initial: Step,
        refresh_wizard: Callable[[], Any],
        ready: Callable[[], Any],
        id: str,
    ) -> None:
        super().__init__(*panes, initial=f"step-{initial.value}", id=id)
        self.refresh_wizard = refresh_wizard
        self.ready = ready  # the shown step's field has focus: keys held meanwhile go on

    def pane(self, step: Step) -> StepPane:
        return self.query_one(f"#step-{step.value}", StepPane)

    def show_step(
        self,
        step: Step,
        focus: bool = False,
        focus_path: str | None = None,
        then: Callable[[], Any] | None = None,
    ) -> None:
        """Show a step; its widgets are built on its first showing."""
        self.current = f"step-{step.value}"
        self.call_later(self._activate, self.pane(step), focus, focus_path, then)

    async def _activate(
        self, pane: StepPane, focus: bool, focus_path: str | None, then: Callable | None
    ) -> None:
        await pane.build()
        if pane.id != self.current:
            return  # another step was chosen meanwhile
        pane.load()
        await pane.settled()
        pane.load()  # the items just mounted
        pane.shown()
        self.refresh_wizard()
        if focus_path and pane.focus_path(focus_path):
            self.refresh_wizard()  # the path may have chosen another harm or fallback
            self.call_after_refresh(self.ready)
        elif focus:
            self.call_after_refresh(self._focus_first, pane)
        else:
            self.call_after_refresh(self.ready)
        if then is not None:
            self.call_after_refresh(then)

    def _focus_first(self, pane: StepPane) -> None:
        """Focus the step's first field (after the step's items are mounted)."""
        if pane.id != self.current:
            return
        target = pane.first_focus()
        if target is not None:
            target.focus(scroll_visible=False)
            pane.query_one(".step-body").scroll_home(animate=False)
            self.call_after_refresh(target.scroll_visible, animate=False)
        self.call_after_refresh(self.ready)

    def commands(self, go_to: Callable[..., Any]) -> list[Command]:
        """Go to each step, and each step's own commands, run once it is shown."""
        out: list[Command] = [
            (f"Go to step {n}: {title}", f"Show the {title.lower()} step", _bind(go_to, step))
            for n, (step, title) in enumerate(STEPS, start=1)
        ]
        for pane in self.query(StepPane):
            for name, help_text, run in pane.commands():
                out.append((name, help_text, _bind(go_to, pane.step, None, run)))
        return out


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)
