"""Which harms a fallback covers: a list of ``[x]`` / ``[ ]`` lines, one per harm.

Ticked and unticked lines differ in their characters, not only in colour, and
each names the harm the way the rest of the wizard does (number, id, tier).
Space or Enter toggles the line under the cursor, and only that line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..widgets.lists import StopsAtEnds

TICKED = "[x]"
UNTICKED = "[ ]"


@dataclass(frozen=True)
class CoverageItem:
    """One harm a fallback may cover: its id and how it is described (its tier)."""

    harm_id: str
    number: int
    tier: str


def coverage_line(item: CoverageItem, ticked: bool) -> Text:
    text = Text()
    text.append(TICKED if ticked else UNTICKED, "bold" if ticked else "")
    text.append(f" harm {item.number} ")
    text.append(item.harm_id, "bold")
    text.append(f" · {item.tier}")
    return text


class CoverageList(StopsAtEnds, OptionList):
    """The harms, each ticked or not; ``selected`` is the ticked ids in harm order."""

    DEFAULT_CSS = """
    CoverageList { height: auto; max-height: 8; width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "toggle", "Tick/untick", show=False),
    ]

    @dataclass
    class Changed(Message):
        """The user ticked or unticked a harm."""

        coverage: CoverageList

        @property
        def control(self) -> CoverageList:
            return self.coverage

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.items: list[CoverageItem] = []
        self._ticked: set[str] = set()

    @property
    def selected(self) -> list[str]:
        return [item.harm_id for item in self.items if item.harm_id in self._ticked]

    def show(
        self, items: list[CoverageItem], ticked: list[str] | set[str], *, fresh: bool = False
    ) -> None:
        """Offer these harms with these ticked; the cursor stays on its line, or, when
        ``fresh`` (another fallback's coverage), starts on the first harm."""
        ticked = set(ticked)
        if items == self.items and ticked == self._ticked and not fresh:
            return
        highlighted = None if fresh else self.highlighted
        self.items = list(items)
        self._ticked = ticked
        self.set_options(
            Option(coverage_line(item, item.harm_id in ticked), id=item.harm_id) for item in items
        )
        if items:
            self.highlighted = min(highlighted or 0, len(items) - 1)

    def set_ticked(self, ticked: list[str] | set[str]) -> None:
        self.show(self.items, ticked)

    def on_focus(self, event: events.Focus) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def action_toggle(self) -> None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.items):
            return
        item = self.items[index]
        if item.harm_id in self._ticked:
            self._ticked.discard(item.harm_id)
        else:
            self._ticked.add(item.harm_id)
        self.replace_option_prompt_at_index(
            index, coverage_line(item, item.harm_id in self._ticked)
        )
        self.post_message(self.Changed(self))
