"""The wizard's step list: each step with its state (not started, in progress,
done, has errors). Enter or a click goes to a step."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

STATE_MARKS = {
    "not started": "○",
    "in progress": "◐",
    "done": "✔",
    "has errors": "✖",
}


class StepList(OptionList):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "step-list--not-started",
        "step-list--in-progress",
        "step-list--done",
        "step-list--has-errors",
        "step-list--current",
    }

    DEFAULT_CSS = """
    StepList {
        & > .step-list--not-started { color: $text-muted; }
        & > .step-list--in-progress { color: $text-warning; }
        & > .step-list--done { color: $text-success; }
        & > .step-list--has-errors { color: $text-error; text-style: bold; }
        & > .step-list--current { text-style: bold; }
    }
    """

    class StepChosen(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self, steps: list[tuple[str, str]], *, id: str | None = None) -> None:
        self.steps = steps
        self.states: dict[str, str] = {key: "not started" for key, _ in steps}
        self.current = steps[0][0]
        super().__init__(*[Option("", id=key) for key, _ in steps], id=id)

    def on_mount(self) -> None:
        self._render_options()

    def show(self, states: dict[str, str], current: str) -> None:
        """Show each step's state and mark the current one."""
        moved = current != self.current
        if states == self.states and not moved:
            return
        self.states = dict(states)
        self.current = current
        self._render_options()
        if moved:
            self.highlighted = [key for key, _ in self.steps].index(current)

    def _render_options(self) -> None:
        for n, (key, title) in enumerate(self.steps, start=1):
            state = self.states.get(key, "not started")
            style = self.get_component_rich_style(
                f"step-list--{state.replace(' ', '-')}", partial=True
            )
            current = key == self.current
            prompt = Text(no_wrap=True, overflow="ellipsis")
            head = f"{'▶' if current else ' '} {n} {title}"
            prompt.append(
                head,
                self.get_component_rich_style("step-list--current", partial=True)
                if current
                else "",
            )
            prompt.append(f"\n    {STATE_MARKS[state]} {state}", style)
            self.replace_option_prompt(key, prompt)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.StepChosen(event.option.id))
