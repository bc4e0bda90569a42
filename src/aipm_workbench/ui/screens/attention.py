"""Needs attention: the portfolio's due work (``aipm-workbench due``), most urgent first.

Each row is one cause: a stale, reopened or expired decision, a hypothesis past
its check date, an untested fallback of a serious harm, or a review coming up.
Enter opens the feature, where the detail says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from ...domain.formatting import plural, safe_text
from ..workers import ReportsWorkerErrors

WITHIN = 14  # days ahead for upcoming reviews, as `due` by default


class NeedsAttentionScreen(ReportsWorkerErrors, Screen[None]):
    """``NeedsAttentionScreen()``: opened from the portfolio (``!``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="attention.back"),
        Binding("r", "reload", "Reload", id="attention.reload"),
    ]

    DEFAULT_CSS = """
    NeedsAttentionScreen #attention-title { padding: 0 1; text-style: bold; }
    NeedsAttentionScreen DataTable { height: 1fr; }
    """

    @dataclass
    class Loaded(Message):
        """The due work was read."""

        items: list

    def __init__(self) -> None:
        super().__init__()
        self.items: list = []

    def compose(self) -> ComposeResult:
        yield Label("Needs attention", id="attention-title")
        yield DataTable(id="attention", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("What", "Date", "Feature", "Why")
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(self.app.store.due(self.app.today(), within=WITHIN)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.items = message.items
        table = self.query_one(DataTable)
        table.clear()
        for item in self.items:
            table.add_row(
                item.kind.value.replace("_", " "),
                item.date.isoformat() if item.date else "never",
                safe_text(item.feature_id),
                safe_text(item.message),
            )
        features = len({i.feature_id for i in self.items})
        title = (
            f"Needs attention: {plural(len(self.items), 'item')} in {plural(features, 'feature')}"
            if self.items
            else "Needs attention: nothing is due"
        )
        self.query_one("#attention-title", Label).update(title)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens its feature."""
        if not self.items:
            return
        from .detail import FeatureDetailScreen

        self.app.push_screen(FeatureDetailScreen(self.items[event.cursor_row].feature_id))
