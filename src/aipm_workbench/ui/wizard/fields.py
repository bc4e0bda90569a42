"""Form fields bound to a path in the wizard's data, with their problem shown inline.

A :class:`Scope` gives the base path of the fields inside it (``feature``,
``harms[2]``, ``metrics[0]``...). A :class:`Field` wraps one control, turns what
the user entered into data (numbers, dates, lists) and posts
:class:`Field.Changed` with the full FORMAT.md path; it shows the validation
problem of that path under the control.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, TextArea

from ..widgets.rating import RatingScale
from .coverage import CoverageList
from .live import Live
from .state import format_number, parse_list, parse_number

# How a field turns what was typed into data.
KINDS = ("text", "int", "number", "share", "date", "list", "lines", "choice", "covers", "rating")


class Scope(Vertical):
    """A group of fields under one base path; ``base`` may change (another harm)."""

    DEFAULT_CSS = "Scope { height: auto; }"

    def __init__(
        self, base: str, *children: Widget, id: str | None = None, classes: str | None = None
    ):
        super().__init__(*children, id=id, classes=classes)
        self.base = base


class Field(Vertical):
    """A label, a control and the problem of the value at this field's path.

    Every style of a field is here (``DEFAULT_CSS``), its variants included.
    """

    @dataclass
    class Changed(Message):
        """A user changed a field; ``value`` is the data to store (None removes the key)."""

        field: Field
        path: str
        value: Any

    DEFAULT_CSS = """
    Field {
        height: auto;
        margin-bottom: 1;
        & > .field-row { height: auto; }
        & .field-label { width: 18; padding-right: 1; color: $text-muted; }
        & .field-problem { display: none; color: $text-error; padding-left: 18; }
        & .field-hint { color: $text-muted; padding-left: 18; }
        &.-problem .field-problem { display: block; }
        &.-problem .field-label { color: $text-error; }
        &.-bare .field-problem, &.-bare .field-hint { padding-left: 0; }
        &:focus-within .field-label { color: $text; text-style: bold; }
        & TextArea { height: 4; }
        & Input, & Select { width: 1fr; }
        /* A cell of a table of fields (exposure ranges): its problem is listed below. */
        &.-cell { width: 14; margin: 0 1 0 0; }
        &.-cell .field-problem { display: none; }
        &.-cell.-problem Input { color: $text-error; }
        /* A field in a tight group (residual ratings). */
        &.-compact { margin-bottom: 0; }
    }
    """

    def __init__(
        self,
        key: str,
        label: str | None,
        control: Widget,
        *,
        kind: str = "text",
        required: bool = False,
        hint: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        assert kind in KINDS, kind
        super().__init__(id=id, classes=classes)
        self.key = key
        self.label = label
        self.control = control
        self.kind = kind
        self.required = required
        self.hint = hint
        self.set_class(label is None, "-bare")
        self._loaded = False  # controls announce their initial values: ignore those
        self._shown: Any = None  # the value the control shows, as data

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            if self.label is not None:
                yield Label(self.label + (" *" if self.required else ""), classes="field-label")
            yield self.control
        if self.hint:
            yield Live(self.hint, classes="field-hint", markup=False)

    def on_mount(self) -> None:
        # Until ``load`` shows a value from the data, the control's own value
        # counts as shown: its first real change is announced, its initial
        # value (which a Select announces once) is not.
        if not self._loaded:
            self._loaded = True
            self._shown = self.value()

    # ------------------------------------------------------------ paths

    @property
    def scope(self) -> Scope | None:
        for node in self.ancestors:
            if isinstance(node, Scope):
                return node
        return None

    @property
    def path(self) -> str:
        scope = self.scope
        if scope is None or not scope.base:
            return self.key
        if self.key.startswith("["):
            return scope.base + self.key
        return f"{scope.base}.{self.key}"

    # ------------------------------------------------------------ values

    def value(self) -> Any:
        """The control's content as data."""
        c = self.control
        if isinstance(c, RatingScale):
            return c.value
        if isinstance(c, CoverageList):
            return list(c.selected)
        if isinstance(c, Select):
            return None if c.value is Select.NULL else c.value
        text = c.text if isinstance(c, TextArea) else c.value  # type: ignore[attr-defined]
        return convert(self.kind, text)

    def load(self, value: Any) -> None:
        """Show a value from the data without announcing a change."""
        c = self.control
        with self.prevent(
            Input.Changed,
            TextArea.Changed,
            Select.Changed,
            RatingScale.Changed,
            CoverageList.Changed,
        ):
            if isinstance(c, RatingScale):
                c.set_value(value if isinstance(value, int) else None)
            elif isinstance(c, CoverageList):
                c.set_ticked(value if isinstance(value, list) else [])
            elif isinstance(c, Select):
                if c.query("SelectCurrent") and not c.query("SelectCurrent #label"):
                    # half composed (its label not mounted yet): a value set now would
                    # fail to show; it is loaded once the Select is in place
                    self.call_after_refresh(self.load, value)
                    return
                legal = c._legal_values  # noqa: SLF001 - the values the Select offers
                if value in legal:
                    c.value = value
                elif Select.NULL in legal:
                    c.value = Select.NULL
                if not c.query("SelectOverlay"):
                    # Not composed yet: the value is kept, but a Select shows it only
                    # when it changes after mounting (it would show its prompt).
                    self.call_after_refresh(self._show_choice)
            else:
                text = display(self.kind, value)
                if isinstance(c, TextArea):
                    if c.text != text:
                        c.load_text(text)
                elif c.value != text:  # type: ignore[attr-defined]
                    c.value = text  # type: ignore[attr-defined]
                    c.cursor_position = len(text)  # type: ignore[attr-defined]

        self._loaded = True
        self._shown = self.value()

    def _show_choice(self) -> None:
        c = self.control
        if isinstance(c, Select) and c.query("SelectOverlay"):
            with self.prevent(Select.Changed):
                c.mutate_reactive(Select.value)

    def show_problem(self, text: str | None) -> None:
        """Show the problem under the control (made on the first problem)."""
        self.set_class(bool(text), "-problem")
        found = self.query(".field-problem")
        if found:
            found.first(Live).update(f"✖ {text}" if text else "")
        elif text:
            self.mount(Live(f"✖ {text}", classes="field-problem", markup=False), after=0)

    def focus_control(self) -> None:
        self.control.focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # A choice opens its menu below itself: keep it mid-screen, so that the
        # menu has room above the status line and the footer.
        if isinstance(self.control, Select) and event.widget is self.control:
            for node in self.ancestors:
                if isinstance(node, ScrollableContainer):
                    node.scroll_to_center(self.control, animate=False)
                    break

    # --------------------------------------------------------- changes

    def _changed(self, event: Message) -> None:
        event.stop()
        value = self.value()
        if not self._loaded or value == self._shown:
            return
        self._shown = value
        self.post_message(self.Changed(self, self.path, value))

    @on(Input.Changed)
    def _input(self, event: Input.Changed) -> None:
        self._changed(event)

    @on(TextArea.Changed)
    def _text_area(self, event: TextArea.Changed) -> None:
        self._changed(event)

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        self._changed(event)

    @on(CoverageList.Changed)
    def _coverage(self, event: CoverageList.Changed) -> None:
        self._changed(event)

    @on(RatingScale.Changed)
    def _rating(self, event: RatingScale.Changed) -> None:
        self._changed(event)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        # Enter in a one-line field moves on, like Tab.
        event.stop()
        self.screen.focus_next()


def convert(kind: str, text: str) -> Any:
    if kind == "int":
        return parse_number(text, integer=True)
    if kind == "number":
        return parse_number(text)
    if kind == "share":
        return parse_number(text, percent=True)
    if kind == "list":
        return parse_list(text)
    if kind == "lines":
        return parse_list(text, "\n")
    text = text.strip()
    return text or None


def display(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind in ("list", "lines") and isinstance(value, list):
        return (", " if kind == "list" else "\n").join(str(v) for v in value if v is not None)
    if kind in ("int", "number", "share"):
        return format_number(value)
    return str(value)


def text_input(placeholder: str = "", **kwargs: Any) -> Input:
    return Input(placeholder=placeholder, compact=True, **kwargs)


def text_area(placeholder: str = "", **kwargs: Any) -> TextArea:
    return TextArea(
        placeholder=placeholder,
        soft_wrap=True,
        compact=True,
        show_line_numbers=False,
        tab_behavior="focus",
        **kwargs,
    )


def choice(
    options: list[tuple[str, str]], *, blank: bool = True, prompt: str = "-", **kwargs: Any
) -> Select:
    return Select(options, allow_blank=blank, prompt=prompt, compact=True, **kwargs)
