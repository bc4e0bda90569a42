"""Step (b): harms. Pick a type from the taxonomy, write the harm statement with
the four source prompts, say who is affected; add, edit and remove harms."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Select, Static, TextArea

from ...domain import Step, builtin_taxonomy
from ..widgets.precedents import PrecedentsField
from .base import ItemSelect, PressButton, StepPane, harm_label
from .dialogs import ConfirmScreen, TaxonomyPicker
from .fields import Field, Scope, choice, text_area, text_input
from .live import Live
from .protocol import Command
from .state import is_slug, slugify, unique_slug

# The four forms of a harm statement (DOMAIN.md section 2).
SOURCES: dict[str, tuple[str, str]] = {
    "intended_use": (
        "intended use: as designed",
        "If {feature} is used as designed, for [...], then [who] could experience [harm].",
    ),
    "unintended_use": (
        "unintended use: off-label",
        "If {feature} is used for [something it was not designed for], "
        "then [who] could experience [harm].",
    ),
    "system_error": (
        "system error: it is wrong",
        "If {feature} is used for [...] and gets it wrong by [which error], "
        "then [who] could experience [harm].",
    ),
    "misuse": (
        "misuse: abused on purpose",
        "If {feature} is used by [whom] deliberately for [...], then [who] could experience [harm].",
    ),
}


def harm_id_for(type_id: str) -> str:
    """A harm id derived from its type: ``rights.privacy`` -> ``privacy``."""
    return slugify(type_id.rpartition(".")[2].replace("_", "-"))


class TypeField(Field):
    """The harm's taxonomy type: a button that opens the taxonomy browser."""

    def value(self) -> Any:  # the type is set through the browser, not typed
        return None

    def load(self, value: Any) -> None:
        taxonomy = builtin_taxonomy()
        harm_type = taxonomy.get(value) if isinstance(value, str) else None
        if harm_type is not None:
            label = f"{harm_type.label} ({harm_type.id})  · change…"
        elif value:
            label = f"{value} (not in {taxonomy.ref})  · change…"
        else:
            label = "Browse the taxonomy…"
        self.control.label = label  # type: ignore[attr-defined]


class HarmsStep(StepPane):
    step = Step.harms
    per_harm = True
    title = "2 · Harms"
    intro = (
        "How could this feature hurt someone? Pick a harm type, then write what happens to whom."
    )

    def compose_header(self) -> ComposeResult:
        with Horizontal(classes="item-bar"):
            yield ItemSelect([], prompt="No harms yet", compact=True, id="harms-select")
            yield PressButton("Add harm", id="add-harm", compact=True, variant="primary")
            yield Button("Remove", id="remove-harm", compact=True)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="harms-empty", classes="empty"):
            yield Live(
                "No harms yet. Add harm opens the taxonomy: browse the families, read the "
                "guiding questions and pick the type that fits.",
                markup=False,
            )
            yield PressButton("Pick the first harm type…", id="first-harm", compact=True)
        yield Scope(
            "harms[0]",
            TypeField(
                "type",
                "Type",
                Button("Browse the taxonomy…", id="browse-taxonomy", compact=True),
                required=True,
            ),
            Field(
                "id",
                "Harm id",
                text_input("derived from the type", id="harm-id"),
                required=True,
                hint="Unique in this assessment; derived from the type until you edit it.",
            ),
            Live(id="harm-prompt", classes="prompt"),
            Field(
                "statement",
                "Statement",
                text_area(
                    "If [feature] is used for [...], then [who] could experience [harm].",
                    id="harm-statement",
                ),
                required=True,
            ),
            Field(
                "source",
                "Source",
                choice(
                    [(label, key) for key, (label, _) in SOURCES.items()],
                    prompt="How does it arise?",
                    id="harm-source",
                ),
                kind="choice",
                required=True,
            ),
            Field(
                "affected",
                "Who is affected",
                text_input("e.g. clients on legal calls", id="harm-affected"),
            ),
            # Past incidents of the type, best matches to the statement first.
            PrecedentsField(id="harm-precedents"),
            # Where Tab goes after the last field: the next harm is one key away.
            PressButton("Add another harm", id="add-another-harm", compact=True),
            Live(id="harm-guidance", classes="guidance"),
            id="harm-form",
        )

    # ------------------------------------------------------------ show

    @property
    def harms(self) -> list[dict]:
        return self.data["harms"]

    def load(self) -> None:
        harms = self.harms
        current = self.wizard.current_harm
        self.query_one("#harms-select", ItemSelect).show_items(
            [harm_label(h, i) for i, h in enumerate(harms)], current
        )
        self.query_one("#harms-empty").display = not harms
        self.query_one("#harm-form").display = bool(harms)
        self.query_one("#remove-harm").disabled = not harms
        if harms:
            self.query_one("#harm-form", Scope).base = f"harms[{current}]"
            super().load()
            self._show_guidance()
            self._show_precedents()

    def refresh_live(self, snapshot) -> None:
        harms = self.harms
        if harms:
            labels = [harm_label(h, i) for i, h in enumerate(harms)]
            self.query_one("#harms-select", ItemSelect).show_items(labels, self.wizard.current_harm)
            self._show_prompt()
            self._show_precedents()

    def _show_precedents(self) -> None:
        harm = self.harms[self.wizard.current_harm]
        self.query_one("#harm-precedents", PrecedentsField).show_for(harm)

    def _show_guidance(self) -> None:
        harm = self.harms[self.wizard.current_harm]
        harm_type = builtin_taxonomy().get(harm.get("type") or "")
        text = Text()
        if harm_type is not None:
            text.append(f"{harm_type.label}: ", "bold")
            text.append(harm_type.description + "\n")
            text.append("Ask yourself:\n", "bold")
            for q in harm_type.questions:
                text.append(f" • {q}\n")
        self.query_one("#harm-guidance", Static).update(text)
        self._show_prompt()

    def _show_prompt(self) -> None:
        harm = self.harms[self.wizard.current_harm]
        feature = self.data["feature"].get("name") or "[feature]"
        source = harm.get("source")
        text = Text()
        if source in SOURCES:
            text.append("Prompt: ", "bold")
            text.append(SOURCES[source][1].format(feature=feature))
        else:
            text.append("Prompts: ", "bold")
            text.append(
                f"If {feature} is used for [...], then [who] could experience [harm]. "
                "Choose the source below for its form."
            )
        self.query_one("#harm-prompt", Static).update(text)
        area = self.query_one("#harm-statement", TextArea)
        template = SOURCES[source][1] if source in SOURCES else SOURCES["intended_use"][1]
        placeholder = template.format(feature=feature)
        if area.placeholder != placeholder:
            area.placeholder = placeholder

    # --------------------------------------------------------- actions

    @on(ItemSelect.Changed, "#harms-select")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, int):
            self.wizard.current_harm = event.value
            self.load()

    @on(Button.Pressed, "#add-harm, #first-harm, #add-another-harm")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_harm()

    @on(Button.Pressed, "#browse-taxonomy")
    def _browse_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.change_type()

    @on(Button.Pressed, "#remove-harm")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.remove_harm()

    def add_harm(self) -> None:
        """Pick a type in the taxonomy browser; a new harm of that type."""

        def picked(type_id: str | None) -> None:
            if not type_id:
                return
            taken = {h.get("id") for h in self.harms}
            self.harms.append({"id": unique_slug(harm_id_for(type_id), taken), "type": type_id})
            self.wizard.current_harm = len(self.harms) - 1
            self.wizard.structure_changed()
            self.focus_first_empty()

        self.app.push_screen(TaxonomyPicker(builtin_taxonomy()), picked)

    def change_type(self) -> None:
        if not self.harms:
            self.add_harm()
            return
        index = self.wizard.current_harm
        harm = self.harms[index]

        def picked(type_id: str | None) -> None:
            if not type_id or index >= len(self.harms):
                return
            old_type = harm.get("type") or ""
            old_id = harm.get("id")
            harm["type"] = type_id
            taken = {h.get("id") for i, h in enumerate(self.harms) if i != index}
            if not old_id or not is_slug(old_id) or old_id.startswith(harm_id_for(old_type)):
                harm["id"] = unique_slug(harm_id_for(type_id), taken)
                self.wizard.rename_harm(old_id, harm["id"])
            self.wizard.structure_changed()
            self.focus_first_empty()

        self.app.push_screen(TaxonomyPicker(builtin_taxonomy(), harm.get("type")), picked)

    def commands(self) -> list[Command]:
        return [
            ("Add harm", "Pick a harm type in the taxonomy browser", self.add_harm),
            ("Browse the taxonomy", "Change the current harm's type", self.change_type),
            ("Remove harm", "Remove the current harm", self.remove_harm),
        ]

    def first_empty(self) -> Widget | None:
        """The control of the current harm's first required field without a value."""
        if not self.harms:
            return None
        for field in self.query_one("#harm-form", Scope).query(Field):
            empty = self.wizard.get(field.path) in (None, "", [])
            if field.required and empty and field.control.focusable:
                return field.control
        return None

    def focus_first_empty(self) -> None:
        """Where the user goes on with the current harm: its first empty field, or
        Add harm when it is complete."""
        target = self.first_empty() or self.query_one("#add-harm")
        target.focus()

    def first_focus(self) -> Widget | None:
        # Never the type's "change…" button of a complete harm: Enter there would
        # replace the type, where a user coming back most likely adds a harm.
        if not self.harms:
            return self.query_one("#add-harm")
        return self.first_empty() or self.query_one("#add-harm")

    def remove_harm(self) -> None:
        if not self.harms:
            return
        index = self.wizard.current_harm
        harm = self.harms[index]
        name = harm.get("id") or f"harm {index + 1}"

        def answered(yes: bool | None) -> None:
            if not yes or index >= len(self.harms):
                return
            removed = self.harms.pop(index)
            self.wizard.rename_harm(removed.get("id"), None)
            self.wizard.current_harm = max(0, min(index, len(self.harms) - 1))
            self.wizard.structure_changed()
            self.query_one("#add-harm").focus()

        self.app.push_screen(
            ConfirmScreen(
                f"Remove harm {name}, with its ratings, exposure and residual ratings? "
                "Fallbacks stop covering it.",
                yes="Remove",
            ),
            answered,
        )
