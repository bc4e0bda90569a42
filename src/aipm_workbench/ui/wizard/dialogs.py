"""The wizard's modal dialogs: the taxonomy picker and a yes/no confirmation."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, Tree

from ...domain import Taxonomy
from ..widgets.taxonomy_browser import TaxonomyBrowser


class TaxonomyPicker(ModalScreen[str | None]):
    """Browse the harm taxonomy and pick a type; dismisses with its id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="taxonomy.cancel"),
        Binding("down", "to_tree", show=False),
    ]

    AUTO_FOCUS = "#taxonomy-filter"

    CSS_PATH = "dialogs.tcss"

    def __init__(self, taxonomy: Taxonomy, current: str | None = None) -> None:
        super().__init__()
        self.taxonomy = taxonomy
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Label(
                f"Pick a harm type · {self.taxonomy.name} ({self.taxonomy.ref})", id="picker-title"
            )
            yield Static(
                "Type to filter; Down or Enter goes to the types. Up/down move, right/left "
                "open and close a family, Enter picks a type, Esc cancels.",
                id="picker-help",
            )
            yield TaxonomyBrowser(self.taxonomy, self.current)

    def on_mount(self) -> None:
        # What is typed first is a search: the filter has focus (after the
        # browser focused its tree on its own mount).
        self.query_one("#taxonomy-filter", Input).focus()

    def action_to_tree(self) -> None:
        """Down in the filter moves to the list of types."""
        if isinstance(self.focused, Input):
            self.query_one(Tree).focus()

    @on(TaxonomyBrowser.Picked)
    def _picked(self, event: TaxonomyBrowser.Picked) -> None:
        event.stop()
        self.dismiss(event.harm_type.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A question with Yes and No; Esc is No."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", show=False),
    ]

    CSS_PATH = "dialogs.tcss"

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def draft_question(draft: Any, new: bool) -> tuple[str, str, str]:
    """The question, yes and no of the offer to resume a stored draft
    (``storage.Draft``): of the feature being edited, or (``new``) of a new one."""
    when = draft.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
    feature = draft.data.get("feature") if isinstance(draft.data, dict) else None
    name = (feature or {}).get("name") or draft.feature_id
    if new:
        return (
            f"You have an unsaved new assessment, {name!r} (last changed {when}). "
            "Resume it? Otherwise a blank one starts, and that draft is kept.",
            "Resume it",
            "Start a blank one",
        )
    return (
        f"An unsaved draft of {draft.feature_id} from {when} exists. Resume it? Otherwise you "
        "start from the latest revision, and the draft is replaced as soon as you change "
        "anything.",
        "Resume the draft",
        "Start from the revision",
    )
