"""Offered on start when unsaved drafts exist: resume one, discard one, or later."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Label

from ...domain.formatting import plural, safe_text
from ..workers import ReportsWorkerErrors

NAME_WIDTH = 30  # a longer name is cut with "…"; the step and time always show


def _when(draft: Any) -> str:
    """When the draft was last saved, in local time."""
    return draft.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")


def _name(draft: Any) -> str:
    """The feature's name (cut when long)."""
    feature = draft.data.get("feature") if isinstance(draft.data, dict) else None
    name = feature.get("name") if isinstance(feature, dict) else None
    text = safe_text(str(name or "(no name yet)"))
    return text if len(text) <= NAME_WIDTH else text[: NAME_WIDTH - 1] + "…"


def _step(draft: Any) -> str:
    """``3 of 7 · Ratings``: where the draft was left."""
    from ..wizard.state import STEPS  # the wizard's modules load only when needed

    for n, (step, title) in enumerate(STEPS, start=1):
        if step.value == draft.step:
            return f"{n} of {len(STEPS)} · {title}"
    return str(draft.step)


class DraftsScreen(ReportsWorkerErrors, ModalScreen[tuple[str, Any] | None]):
    """Lists the drafts; dismisses with ("resume", draft) or None (later)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", "Resume", id="drafts.resume"),
        Binding("d", "discard", "Discard", id="drafts.discard"),
        Binding("escape", "later", "Later", id="drafts.later"),
    ]

    CSS_PATH = "drafts.tcss"

    def __init__(self, drafts: list[Any]) -> None:
        super().__init__()
        self.drafts = list(drafts)

    def compose(self) -> ComposeResult:
        with Vertical(id="drafts"):
            yield Label(self._title(), id="drafts-title")
            table: DataTable = DataTable(cursor_type="row", id="drafts-table")
            table.add_columns("Name", "Step", "Last saved")
            yield table
            with Horizontal(id="drafts-buttons"):
                yield Button("Discard", id="discard", variant="error")
                yield Button("Later", id="later")
                yield Button("Resume", id="resume", variant="primary")
        yield Footer()

    def _title(self) -> str:
        return (
            f"{plural(len(self.drafts), 'unsaved draft')} from an earlier session: "
            "resume, discard, or keep for later."
        )

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for d in self.drafts:
            table.add_row(_name(d), _step(d), _when(d), key=d.feature_id)
        self.query_one("#drafts-title", Label).update(self._title())

    def _current(self) -> Any | None:
        table = self.query_one(DataTable)
        if not self.drafts or table.cursor_row is None:
            return None
        return self.drafts[min(table.cursor_row, len(self.drafts) - 1)]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"resume": self.action_resume, "discard": self.action_discard}.get(
            event.button.id or "", self.action_later
        )()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_resume()

    def action_resume(self) -> None:
        draft = self._current()
        if draft is not None:
            self.dismiss(("resume", draft))

    def action_later(self) -> None:
        self.dismiss(None)

    def action_discard(self) -> None:
        draft = self._current()
        if draft is not None:
            self._discard(draft)

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _discard(self, draft: Any) -> None:
        self.app.store.discard_draft(draft.feature_id)
        self.app.call_from_thread(self._discarded, draft)

    def _discarded(self, draft: Any) -> None:
        self.drafts = [d for d in self.drafts if d.feature_id != draft.feature_id]
        self.notify(f"Discarded the draft of {draft.feature_id}.", timeout=3)
        if not self.drafts:
            self.dismiss(None)
        else:
            self._fill()
