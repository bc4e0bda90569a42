"""Offered on start when unsaved drafts exist: resume one, discard one, or later."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Label

from ..messages import DatabaseFailed
from .problem import describe_error


def _when(draft: Any) -> str:
    return draft.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")


def _name(draft: Any) -> str:
    feature = draft.data.get("feature") if isinstance(draft.data, dict) else None
    name = feature.get("name") if isinstance(feature, dict) else None
    return str(name or "(no name yet)")


class DraftsScreen(ModalScreen[tuple[str, Any] | None]):
    """Lists the drafts; dismisses with ("resume", draft) or None (later)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", "Resume", id="drafts.resume"),
        Binding("d", "discard", "Discard", id="drafts.discard"),
        Binding("escape", "later", "Later", id="drafts.later"),
    ]

    DEFAULT_CSS = """
    DraftsScreen {
        align: center middle;
        & > #drafts {
            width: 84;
            max-width: 95%;
            height: auto;
            max-height: 90%;
            border: thick $primary;
            background: $panel;
            padding: 1 2;
        }
        & #drafts-title { text-style: bold; margin-bottom: 1; }
        & DataTable { height: auto; max-height: 10; }
        & #drafts-buttons { height: auto; margin-top: 1; align-horizontal: right; }
        & #drafts-buttons Button { margin-left: 2; }
    }
    """

    def __init__(self, drafts: list[Any]) -> None:
        super().__init__()
        self.drafts = list(drafts)

    def compose(self) -> ComposeResult:
        with Vertical(id="drafts"):
            yield Label(self._title(), id="drafts-title")
            table: DataTable = DataTable(cursor_type="row", id="drafts-table")
            table.add_columns("Feature", "Name", "Step", "Last change")
            yield table
            with Horizontal(id="drafts-buttons"):
                yield Button("Discard", id="discard", variant="error")
                yield Button("Later", id="later")
                yield Button("Resume", id="resume", variant="primary")
        yield Footer()

    def _title(self) -> str:
        n = len(self.drafts)
        return (
            f"{n} unsaved draft{'s' if n != 1 else ''} from an earlier session: "
            "resume, discard, or keep for later."
        )

    def on_mount(self) -> None:
        self._fill()
        self.query_one(DataTable).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for d in self.drafts:
            table.add_row(d.feature_id, _name(d), d.step, _when(d), key=d.feature_id)
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
        try:
            self.app.store.discard_draft(draft.feature_id)
        except Exception as exc:  # noqa: BLE001
            self.post_message(DatabaseFailed(*describe_error(exc)))
            return
        self.app.call_from_thread(self._discarded, draft)

    def _discarded(self, draft: Any) -> None:
        self.drafts = [d for d in self.drafts if d.feature_id != draft.feature_id]
        self.notify(f"Discarded the draft of {draft.feature_id}.", timeout=3)
        if not self.drafts:
            self.dismiss(None)
        else:
            self._fill()
