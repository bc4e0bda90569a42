"""What every wizard step has: a title, an introduction, fixed header widgets,
a scrolling body of fields, and hooks the wizard screen calls."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Select, Static

from ...domain import Step, Tier, builtin_taxonomy
from .fields import Field
from .live import Live
from .protocol import Command, Wizard
from .state import STEP_ORDER, Snapshot


class TierBadge(Live):
    """A priority tier, coloured by the theme (critical, high, medium, low)."""

    DEFAULT_CSS = """
    TierBadge { width: auto; padding: 0 1; margin-right: 1; text-style: bold; background: $panel; }
    TierBadge.-critical { background: $error; color: $text; }
    TierBadge.-high { color: $text-error; background: $error-muted; }
    TierBadge.-medium { color: $text-warning; background: $warning-muted; }
    TierBadge.-low { color: $text-success; background: $success-muted; }
    """

    DEFAULT_CLASSES = ""

    def show(self, tier_name: str | None, text: str | None = None) -> None:
        for tier in Tier:
            self.set_class(tier_name == tier.name, f"-{tier.name}")
        self.update(text if text is not None else (tier_name or "-").capitalize())


class PressButton(Button):
    """A button that Space presses too, as it ticks a box elsewhere in the form."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter,space", "press", show=False)]


class NextHarmButton(PressButton):
    """At the end of a per-harm form: on to the next harm, or to the next step."""

    def show_position(self, index: int, count: int) -> None:
        self.label = f"Next harm ({index + 2} of {count}) →" if index + 1 < count else "Next step →"


class StepPane(Vertical):
    """One step of the wizard."""

    step: ClassVar[Step]
    title: ClassVar[str]
    intro: ClassVar[str]
    per_harm: ClassVar[bool] = False  # shows one harm at a time (``current_harm``)

    def __init__(self, wizard: Wizard) -> None:
        super().__init__(id=f"step-{self.step.value}", classes="step-pane")
        self.wizard = wizard

    built = False  # a step's widgets are made the first time it is shown (compose yields them)
    ready = False  # ...and are mounted: loading values and live updates may touch them
    _mounted: asyncio.Event | None = None

    def track(self, awaitable: Any) -> None:
        """Remember a mount or removal that ``load`` started, for ``settled``."""
        if not hasattr(self, "_pending_list"):
            self._pending_list = []
        self._pending_list.append(awaitable)

    async def settled(self) -> None:
        """Wait until the items ``load`` mounted are in place."""
        pending = getattr(self, "_pending_list", [])
        while pending:
            await pending.pop(0)

    async def build(self) -> None:
        """Make the step's widgets once; every caller returns when they are mounted."""
        if self._mounted is None:
            self._mounted = asyncio.Event()
            self.built = True
            await self.recompose()
            self.ready = True
            self._mounted.set()
        await self._mounted.wait()

    def compose(self) -> ComposeResult:
        if not self.built:
            return
        yield Static(self.title, classes="step-title", markup=False)
        yield Static(self.intro, classes="step-intro", markup=False)
        yield from self.compose_header()
        with VerticalScroll(classes="step-body", can_focus=False):
            yield from self.compose_body()
            yield Static(classes="step-end")

    def compose_header(self) -> ComposeResult:
        yield from ()

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def data(self) -> dict:
        return self.wizard.data

    def load(self) -> None:
        """Show the data in the fields (the step is shown, or its items changed)."""
        for field in self.query(Field):
            field.load(self.wizard.get(field.path))

    def reload(self, *paths: str) -> None:
        """Show the data's values again in the fields of these paths (derived values)."""
        for field in self.query(Field):
            if field.path in paths:
                field.load(self.wizard.get(field.path))

    def after_change(self, path: str, old: object) -> None:
        """A field of this step changed (``old`` is its previous value)."""

    def refresh_live(self, snapshot: Snapshot) -> None:
        """Update what is computed from the data (tiers, bounds, checks)."""

    def show_problems(self, snapshot: Snapshot, reveal_missing: bool) -> None:
        """Each field's problems under it (missing values once the step was left)."""
        for field in self.query(Field):
            problems = [
                p for p in snapshot.problems_at(field.path) if reveal_missing or not p.missing
            ]
            texts = [p.message if p.path == field.path else p.text for p in problems]
            field.show_problem("; ".join(texts) if texts else None)

    def shown(self) -> None:
        """The step became the current one."""

    def first_to_do(self) -> int:
        """The harm a per-harm step opens at when it is reached (default: the first)."""
        return 0

    def open_at_first_to_do(self) -> None:
        harms = self.data["harms"]
        index = self.first_to_do()
        if harms and index != self.wizard.current_harm:
            self.wizard.current_harm = index
            self.load()

    def show_next_harm(self) -> None:
        """Label the next-harm button with where it goes."""
        for button in self.query(NextHarmButton):
            button.show_position(self.wizard.current_harm, len(self.data["harms"]))

    @on(Button.Pressed, "NextHarmButton")
    def _next_harm(self, event: Button.Pressed) -> None:
        event.stop()
        index = self.wizard.current_harm + 1
        if index >= len(self.data["harms"]):
            self.wizard.go_to(STEP_ORDER[STEP_ORDER.index(self.step) + 1])
            return
        self.wizard.current_harm = index
        self.load()
        target = self.first_focus()
        if target is not None:
            target.focus(scroll_visible=False)
            self.query_one(".step-body").scroll_home(animate=False)

    def commands(self) -> list[Command]:
        """The step's actions for the command palette (run once the step is shown)."""
        return []

    def first_focus(self) -> Widget | None:
        """The first field shown, else the first thing that takes focus (a button)."""
        for field in self.query(Field):
            if field.control.focusable and displayed(field.control, self):
                return field.control
        for widget in self.query("*"):
            if widget.focusable and not widget.has_class("step-body") and displayed(widget, self):
                return widget
        return None

    def focus_path(self, path: str) -> bool:
        """Focus the field of a path (after a jump from a finding); False if none."""
        if self.per_harm and path.startswith("harms["):
            index = int(path[len("harms[") :].split("]")[0])
            if index < len(self.data["harms"]) and index != self.wizard.current_harm:
                self.wizard.current_harm = index
                self.load()
        for field in self.query(Field):
            if field.path == path or path.startswith(field.path + "["):
                self.call_after_refresh(field.focus_control)
                self.call_after_refresh(field.scroll_visible)
                return True
        return False


def displayed(widget: Widget, within: Widget) -> bool:
    """Whether the widget and its ancestors up to ``within`` are displayed."""
    node: Widget | None = widget
    while node is not None and node is not within:
        if not node.display:
            return False
        node = node.parent  # type: ignore[assignment]
    return True


def harm_label(harm: dict, index: int) -> str:
    """How a harm is named in lists: number, id, type label."""
    taxonomy = builtin_taxonomy()
    hid = harm.get("id") if isinstance(harm.get("id"), str) and harm.get("id") else "(no id)"
    harm_type = taxonomy.get(harm.get("type")) if isinstance(harm.get("type"), str) else None
    kind = harm_type.label if harm_type else "no type yet"
    return f"{index + 1}. {hid} · {kind}"


class ItemSelect(Select[int]):
    """Chooses the harm (or fallback) that a step's fields show."""

    labels: list[str] | None = None

    def show_items(self, labels: list[str], current: int | None) -> None:
        """Offer these items (again, when a label changed) and show ``current``."""
        if labels == self.labels and (current is None or self.value == current):
            return
        self.labels = list(labels)
        with self.prevent(Select.Changed):
            # The prompt ("No harms yet") is an option only while there are none.
            self._allow_blank = not labels
            self.set_options([(label, i) for i, label in enumerate(labels)])
            if current is not None and 0 <= current < len(labels):
                self.value = current
            # The same value as before does not redraw its (renamed) label: do it.
            self.mutate_reactive(Select.value)
        self.disabled = not labels
