"""Needs attention: the portfolio's due work (``aipm-workbench due``), most urgent first.

Each row is one cause: a stale, reopened or expired decision, a hypothesis past
its check date, an untested fallback of a serious harm, or a review coming up.
The highlighted row's reason is shown in full below the table; Enter opens the
feature, where the detail says why. Coming back (after an edit, a new
observation) reads the list again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from ...domain.formatting import plural, safe_text
from ..widgets.footer import PriorityFooter
from ..workers import ReportsWorkerErrors

WITHIN = 14  # days ahead for upcoming reviews, as `due` by default
URGENT = frozenset({"reopened", "stale", "expired"})  # a decision no longer stands
FEATURE_WIDTH = 24


def why(item: Any) -> str:
    """The entry's message without the kind it starts with (the What column says it)."""
    kind = f"{item.kind.value}: "
    return item.message[len(kind) :] if item.message.startswith(kind) else item.message


class NeedsAttentionScreen(ReportsWorkerErrors, Screen[None]):
    """``NeedsAttentionScreen()``: opened from the portfolio (``!``)."""

    CSS_PATH = "attention.tcss"
    FOOTER_GIVE_WAY = ("reload",)  # at 80 columns, least needed first
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="attention.back"),
        # a priority binding: the table would take Enter first and hide it from the footer
        Binding(
            "enter", "open", "Open", id="attention.open", tooltip="Open the feature", priority=True
        ),
        Binding("r", "reload", "Reload", id="attention.reload"),
    ]

    @dataclass
    class Loaded(Message):
        """The due work was read."""

        items: list

    def __init__(self) -> None:
        super().__init__()
        self.items: list = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Label("Needs attention: reading...", id="attention-title")
        yield DataTable(id="attention", cursor_type="row", zebra_stripes=True)
        yield Static("", id="attention-why")
        yield PriorityFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("What", key="what")
        table.add_column("Date", key="date")
        table.add_column("Feature", key="feature")
        table.add_column("Why", key="why")
        table.focus()
        self.action_reload()

    def on_screen_resume(self) -> None:
        if self.loaded:  # back from a feature: what was done there may have changed the list
            self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(self.app.store.due(self.app.today(), within=WITHIN)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        before = self.items[table.cursor_row] if self.items and table.row_count else None
        self.items = message.items
        self.loaded = True
        table.clear()
        for item in self.items:
            kind = item.kind.value.replace("_", " ")
            table.add_row(
                Text(kind, style="bold" if item.kind.value in URGENT else ""),
                item.date.isoformat() if item.date else "never",
                Text(safe_text(item.feature_id)[:FEATURE_WIDTH]),
                Text(safe_text(why(item))),
            )
        if before is not None:  # the cursor stays on the same cause, or the feature's next
            same = [i for i, it in enumerate(self.items) if it == before]
            feature = [i for i, it in enumerate(self.items) if it.feature_id == before.feature_id]
            place = (same or feature or [0])[0]
            table.move_cursor(row=place, animate=False)
        features = len({i.feature_id for i in self.items})
        title = (
            f"Needs attention: {plural(len(self.items), 'item')} in {plural(features, 'feature')}"
            " · enter opens the feature"
            if self.items
            else "Needs attention: nothing is due"
        )
        self.query_one("#attention-title", Label).update(title)
        self._show_why()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_why()

    def _show_why(self) -> None:
        """The highlighted cause in full: the table cuts long reasons at 80 columns."""
        line = self.query_one("#attention-why", Static)
        table = self.query_one(DataTable)
        if not self.items:
            line.update(
                "No stale, reopened or expired decision, no overdue check and no review "
                f"in the next {WITHIN} days. Press escape to go back."
            )
            return
        item = self.items[min(table.cursor_row, len(self.items) - 1)]
        text = Text()
        text.append(safe_text(item.feature_id), style="bold")
        text.append(f": {safe_text(why(item))}")
        line.update(text)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        """A click on the highlighted row opens its feature."""
        self._open(event.cursor_row)

    def action_open(self) -> None:
        self._open(self.query_one(DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if not self.items or not 0 <= row < len(self.items):
            return
        from .detail import FeatureDetailScreen

        self.app.push_screen(FeatureDetailScreen(self.items[row].feature_id))
