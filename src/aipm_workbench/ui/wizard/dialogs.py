"""The wizard's modal dialogs: the taxonomy picker, a yes/no confirmation and the
question whether a decision is made again when the content under it changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea, Tree

from ...domain import Taxonomy
from ..widgets.taxonomy_browser import TaxonomyBrowser
from .deciding import stale_note
from .state import parse_list

if TYPE_CHECKING:
    from ...domain import Decision


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


@dataclass(frozen=True)
class Redecision:
    """The answer to :class:`RedecideScreen`: re-made now (by whom, why), or kept."""

    again: bool
    deciders: list[str]
    rationale: str | None


class RedecideScreen(ModalScreen["Redecision | None"]):
    """The content decided on changed: is the decision made again now?

    "Re-decide now" opens who decided (prefilled) and the rationale, and is saved
    as decided today; "Keep the old decision" saves it as it was (stale). Esc
    cancels the save.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel saving", id="redecide.cancel"),
        Binding("ctrl+s", "confirm", "Save", id="redecide.save", priority=True),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    CSS_PATH = "dialogs.tcss"

    def __init__(
        self,
        verdict: str,
        decided_on: str,
        deciders: list[str],
        rationale: str | None,
        today: str,
    ) -> None:
        super().__init__()
        self.verdict = verdict
        self.decided_on = decided_on
        self.deciders = deciders
        self.rationale = rationale
        self.today = today
        self.again = False

    @classmethod
    def about(cls, decision: Decision, today: dt.date) -> RedecideScreen:
        """The question for a saved ``decision`` (made before), asked ``today``."""
        return cls(
            decision.verdict.label,
            decision.decided_on.isoformat(),
            list(decision.decided_by),
            decision.rationale,
            today.isoformat(),
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="redecide"):
            yield Label(
                f"The content of the decision of {self.decided_on} changed", id="redecide-title"
            )
            yield Static(
                f"The decision ({self.verdict}) was made on other harms, ratings, fallbacks, "
                "metrics or hypotheses than the ones you are saving. Is it made again now?",
                markup=False,
                id="redecide-question",
            )
            yield Button("Re-decide now", id="redecide-again", compact=True, variant="primary")
            yield Static(
                f"Decided today ({self.today}) by the people you name, bound to this content.",
                classes="redecide-note",
                markup=False,
            )
            with Vertical(id="redecide-form"):
                with Horizontal(classes="redecide-row"):
                    yield Label("Decided by", classes="redecide-label")
                    yield Input(
                        ", ".join(self.deciders),
                        placeholder="names, comma-separated",
                        id="redecide-deciders",
                        compact=True,
                        select_on_focus=False,  # names are added to, not replaced
                    )
                yield Static("", id="redecide-problem", markup=False)
                with Horizontal(classes="redecide-row"):
                    yield Label("Rationale", classes="redecide-label")
                    yield TextArea(
                        self.rationale or "",
                        id="redecide-rationale",
                        compact=True,
                        soft_wrap=True,
                        show_line_numbers=False,
                        tab_behavior="focus",
                    )
                yield Button(
                    "Save, decided today (ctrl+s)",
                    id="redecide-save",
                    compact=True,
                    variant="success",
                )
            yield Button("Keep the old decision", id="redecide-keep", compact=True)
            yield Static(
                f"Saved as it was: {stale_note(self.decided_on)}.",
                classes="redecide-note",
                markup=False,
            )
            yield Static("Esc: do not save yet", classes="redecide-note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#redecide-form").display = False
        self.query_one("#redecide-again", Button).focus()

    @on(Button.Pressed, "#redecide-again")
    def _again(self, event: Button.Pressed) -> None:
        event.stop()
        self.again = True
        self.query_one("#redecide-form").display = True
        deciders = self.query_one("#redecide-deciders", Input)
        deciders.focus()
        deciders.cursor_position = len(deciders.value)

    @on(Input.Submitted, "#redecide-deciders")
    def _deciders_given(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#redecide-rationale", TextArea).focus()

    @on(Button.Pressed, "#redecide-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    @on(Button.Pressed, "#redecide-keep")
    def _keep(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(Redecision(False, self.deciders, self.rationale))

    def action_confirm(self) -> None:
        """Save with the decision made again (ctrl+s once "Re-decide now" is chosen)."""
        if not self.again:
            self.query_one("#redecide-again", Button).press()
            return
        deciders = parse_list(self.query_one("#redecide-deciders", Input).value) or []
        if not deciders:
            problem = self.query_one("#redecide-problem", Static)
            problem.update("✖ Name who decided (at least one person).")
            problem.display = True
            self.query_one("#redecide-deciders", Input).focus()
            return
        rationale = self.query_one("#redecide-rationale", TextArea).text.strip() or None
        self.dismiss(Redecision(True, deciders, rationale))

    def action_move(self, step: int) -> None:
        """Up and down move between the two choices (and the buttons of the form)."""
        buttons = [b for b in self.query(Button) if b.display and b.parent.display]  # type: ignore[union-attr]
        if self.focused in buttons:
            i = buttons.index(self.focused) + step  # type: ignore[arg-type]
            if 0 <= i < len(buttons):
                buttons[i].focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
