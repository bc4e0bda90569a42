"""A rating on one of the four scales (DOMAIN.md section 3), with its anchor texts.

The full form shows the scale's question and all five anchors with the chosen
one marked; the compact form (for residual ratings) is one line and may be
blank, meaning "the same as the inherent rating".
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ...domain import SCALES


class RatingScale(Widget, can_focus=True):
    """Choose 1..5 on a scale: arrow keys or the digits 1-5; click an anchor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rating--title",
        "rating--question",
        "rating--selected",
        "rating--number",
        "rating--blank",
    }

    DEFAULT_CSS = """
    RatingScale {
        height: auto;
        width: 1fr;
        padding: 0 1 0 0;
        border-left: tall $surface;
        background: $surface;
        & > .rating--title { text-style: bold; }
        & > .rating--question { color: $text-muted; }
        & > .rating--number { color: $text-muted; }
        & > .rating--blank { color: $text-muted; text-style: italic; }
        & > .rating--selected { color: $text-accent; text-style: bold; }
        &:focus { background: $boost; border-left: tall $accent; }
        &:focus > .rating--selected { background: $accent; color: $text; }
    }
    RatingScale.-compact { height: 1; }
    """

    value: reactive[int | None] = reactive(None)

    class Changed(Message):
        """The user chose a value (None: cleared)."""

        def __init__(self, rating: RatingScale, value: int | None) -> None:
            super().__init__()
            self.rating = rating
            self.value = value

        @property
        def control(self) -> RatingScale:
            return self.rating

    def __init__(
        self,
        key: str,
        value: int | None = None,
        *,
        compact: bool = False,
        blank_label: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.scale = SCALES[key]
        self.key = key
        self.compact = compact
        self.blank_label = blank_label
        self.set_class(compact, "-compact")
        self.set_reactive(RatingScale.value, value)

    @property
    def allow_blank(self) -> bool:
        return self.blank_label is not None

    def set_value(self, value: int | None, blank_label: str | None = None) -> None:
        """Show a value without announcing it (loading from data)."""
        if blank_label is not None:
            self.blank_label = blank_label
        self.set_reactive(RatingScale.value, value)
        self.refresh()

    def _choose(self, value: int | None) -> None:
        if value is None and not self.allow_blank:
            return
        if value == self.value:
            return
        self.value = value
        self.post_message(self.Changed(self, value))

    def action_step(self, delta: int) -> None:
        if self.value is None:
            self._choose(1 if delta > 0 else 5)
        else:
            self._choose(min(5, max(1, self.value + delta)))

    def action_choose(self, n: int) -> None:
        self._choose(n)

    def action_clear(self) -> None:
        self._choose(None)

    async def _on_key(self, event: events.Key) -> None:
        # Handled here rather than by the bindings (which list the keys): a key
        # is applied to the scale it was typed on even when a Tab typed right
        # after it has already moved the focus on.
        key = event.key
        if key in ("left", "right") or (not self.compact and key in ("up", "down")):
            self.action_step(-1 if key in ("left", "up") else 1)
        elif key in ("1", "2", "3", "4", "5"):
            self.action_choose(int(key))
        elif key in ("0", "backspace", "delete"):
            self.action_clear()
        else:
            return
        event.stop()
        event.prevent_default()

    def on_click(self, event: events.Click) -> None:
        if not self.compact and 1 <= event.y <= 5:
            self._choose(event.y)

    # ------------------------------------------------------------ render

    def _style(self, name: str):
        return self.get_component_rich_style(name, partial=True)

    def render(self) -> Text:
        scale = self.scale
        if self.compact:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(f"{scale.letter} ", self._style("rating--title"))
            if self.value is None:
                text.append("- ", self._style("rating--number"))
                text.append(self.blank_label or "not rated", self._style("rating--blank"))
            else:
                text.append(f"{self.value} ", self._style("rating--selected"))
                text.append(scale.anchor(self.value))
            return text
        text = Text()
        text.append(f"{scale.label} ({scale.letter})", self._style("rating--title"))
        text.append(f"  {scale.question}", self._style("rating--question"))
        for n in range(1, 6):
            text.append("\n")
            chosen = n == self.value
            line = Text(f" {'▶' if chosen else ' '} {n}  {scale.anchor(n)}", no_wrap=False)
            if chosen:
                line.stylize(self._style("rating--selected"))
            else:
                line.stylize(self._style("rating--number"), 0, 5)
            text.append_text(line)
        return text
