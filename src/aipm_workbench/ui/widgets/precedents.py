"""Precedents: the casebook's incidents beside a harm (DOMAIN.md section 10).

:class:`PrecedentsPanel` lists the cases of the harm's type, best matches to its
statement first; Enter reads the highlighted case (:class:`CaseScreen`), Space
links it to the harm or unlinks it. :class:`PrecedentsField` binds the panel to
``harms[N].precedents`` in the wizard's form. :class:`CasesScreen` lists a type's
cases from the taxonomy browser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain import RATINGS, builtin_taxonomy, priority
from ...domain.casebook import Casebook, Incident, builtin_casebook
from ...domain.formatting import safe_text
from ..wizard.fields import Field
from ..wizard.live import Live
from .lists import StopsAtEnds

LETTERS = ("S", "L", "R", "D")


def ranked_cases(casebook: Casebook, type_id: str | None, statement: str | None) -> list[Incident]:
    """The cases of a harm type, those matching the statement's words first (best
    match first), then the rest in the casebook's order for the type."""
    if not type_id:
        return []
    cases = casebook.of_type(type_id)
    if not cases or not statement:
        return cases
    hits = [h.incident for h in casebook.search(statement, within=cases)]
    found = {i.id for i in hits}
    return hits + [i for i in cases if i.id not in found]


def ratings_text(incident: Incident) -> str:
    return " ".join(f"{k}{v}" for k, v in zip(LETTERS, incident.ratings, strict=True))


def tier_name(ratings: Iterable[Any]) -> str | None:
    values = list(ratings)
    if all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5 for v in values):
        return priority(*values).tier.name
    return None


def case_text(incident: Incident) -> Text:
    """A case in full: what happened, the reference ratings with reasons, sources."""
    taxonomy = builtin_taxonomy()
    out = Text()
    out.append(safe_text(incident.title), "bold")
    out.append(f"  ({incident.year})\n", "dim")
    out.append(f"{safe_text(incident.organisation)} · {safe_text(incident.system)}\n\n", "dim")
    out.append(safe_text(" ".join(incident.account.split())) + "\n\n")
    types = []
    for t in incident.harm_types:
        harm_type = taxonomy.get(t)
        label = harm_type.label if harm_type else t
        types.append(f"{label}{' (primary)' if t == incident.primary_harm else ''}")
    out.append("Harm types: ", "bold")
    out.append(", ".join(types) + "\n")
    out.append("What failed: ", "bold")
    out.append(incident.source.value.replace("_", " ") + f" · reached {incident.stage.value}\n")
    if incident.missing_fallbacks:
        out.append("Missing or failed fallbacks: ", "bold")
        out.append(", ".join(k.value.replace("_", " ") for k in incident.missing_fallbacks) + "\n")
    tier = tier_name(incident.ratings)
    out.append("\nReference ratings of the primary harm", "bold")
    out.append(f"  {ratings_text(incident)}" + (f" · {tier.capitalize()}" if tier else "") + "\n")
    for name, value in zip(RATINGS, incident.ratings, strict=True):
        out.append(f" {name.capitalize():<14}{value}  ", "bold")
        out.append(safe_text(getattr(incident.reasons, name)) + "\n")
    out.append("\nSources\n", "bold")
    for source in incident.sources:
        out.append(f" • {safe_text(source)}\n")
    return out


class CaseScreen(ModalScreen[bool]):
    """One case in full. With ``linked`` given, Space links or unlinks it (the
    screen closes with True); Esc or Enter closes it."""

    DEFAULT_CSS = """
    CaseScreen { align: center middle; }
    CaseScreen > #case {
        width: 90%; max-width: 100; height: 90%; max-height: 40;
        border: round $primary; background: $surface; padding: 0 1;
    }
    CaseScreen #case-keys { color: $text-muted; height: auto; }
    CaseScreen #case-scroll { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="case.close"),
        Binding("space,l", "toggle", "Link/unlink", id="case.toggle"),
    ]

    def __init__(self, incident: Incident, linked: bool | None = None) -> None:
        super().__init__()
        self.incident = incident
        self.linked = linked

    def compose(self) -> ComposeResult:
        with Vertical(id="case"):
            yield VerticalScroll(Static(case_text(self.incident), id="case-text"), id="case-scroll")
            keys = "Up/down scroll · Esc or Enter closes"
            if self.linked is not None:
                verb = "unlinks it from" if self.linked else "links it to"
                keys = f"Space {verb} the harm · " + keys
            yield Label(keys, id="case-keys")

    def on_mount(self) -> None:
        self.query_one("#case-scroll").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle":
            return self.linked is not None
        return True

    def action_close(self) -> None:
        self.dismiss(False)

    def action_toggle(self) -> None:
        self.dismiss(True)


class CasesScreen(ModalScreen[None]):
    """The cases of one harm type; Enter reads the highlighted one, Esc closes."""

    DEFAULT_CSS = """
    CasesScreen { align: center middle; }
    CasesScreen > #cases {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    CasesScreen #cases-title { text-style: bold; }
    CasesScreen #cases-keys { color: $text-muted; }
    CasesScreen OptionList {
        height: auto; max-height: 20; border: none; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="cases.close"),
    ]

    def __init__(self, type_id: str, casebook: Casebook | None = None) -> None:
        super().__init__()
        self.type_id = type_id
        self.casebook = casebook or builtin_casebook()

    def compose(self) -> ComposeResult:
        harm_type = builtin_taxonomy().get(self.type_id)
        label = harm_type.label if harm_type else self.type_id
        cases = self.casebook.of_type(self.type_id)
        with Vertical(id="cases"):
            yield Label(
                f"{label}: {len(cases)} case{'s' if len(cases) != 1 else ''} in the casebook",
                id="cases-title",
            )
            yield OptionList(*(case_option(c) for c in cases), id="cases-list")
            yield Label("Enter reads a case · Esc closes", id="cases-keys")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#cases-list")
    def _read(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        incident = self.casebook.get(event.option.id or "")
        if incident is not None:
            self.app.push_screen(CaseScreen(incident))

    def action_close(self) -> None:
        self.dismiss(None)


def case_option(incident: Incident, linked: bool | None = None) -> Option:
    """A case as one line of a list: its reference ratings, title and year."""
    prompt = Text(no_wrap=True, overflow="ellipsis")
    if linked is not None:
        prompt.append("[x] " if linked else "[ ] ", "bold" if linked else "dim")
    prompt.append(ratings_text(incident) + "  ", "dim")
    prompt.append(safe_text(incident.title))
    prompt.append(f" ({incident.year})", "dim")
    return Option(prompt, id=incident.id)


class PrecedentsList(StopsAtEnds, OptionList):
    """The cases; Enter reads the highlighted one, Space links or unlinks it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Read case", id="precedents.read"),
        Binding("space,l", "toggle", "Link/unlink", id="precedents.toggle"),
    ]

    def action_toggle(self) -> None:
        panel = next((a for a in self.ancestors if isinstance(a, PrecedentsPanel)), None)
        option = self.highlighted_option
        if panel is not None and option is not None and option.id:
            panel.toggle(option.id)


class PrecedentsPanel(Vertical):
    """A one-line summary and the list of the harm type's cases."""

    DEFAULT_CSS = """
    PrecedentsPanel { height: auto; width: 1fr; }
    PrecedentsPanel > #precedents-head {
        height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    PrecedentsPanel > PrecedentsList {
        height: auto; max-height: 7; border: none; padding: 0; background: $surface;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    PrecedentsPanel > PrecedentsList:focus { background-tint: $foreground 5%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.casebook = builtin_casebook()
        self.linked: list[str] = []
        self.cases: list[Incident] = []
        self._key: tuple[Any, ...] | None = None
        self.type_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Live("", id="precedents-head", markup=False)
        yield PrecedentsList(id="precedents-list", compact=True)

    @property
    def options(self) -> PrecedentsList:
        return self.query_one(PrecedentsList)

    def show_for(self, type_id: Any, statement: Any, linked: Any) -> None:
        """Show the cases for a harm (cheap when nothing it depends on changed)."""
        type_id = type_id if isinstance(type_id, str) else None
        statement = statement if isinstance(statement, str) else ""
        linked = [p for p in linked if isinstance(p, str)] if isinstance(linked, list) else []
        key = (type_id, " ".join(statement.split()), tuple(linked))
        if key == self._key:
            return
        self._key = key
        self.type_id = type_id
        self.linked = linked
        cases = ranked_cases(self.casebook, type_id, statement)
        # cases linked from elsewhere (another type) are listed too, first
        extra = [self.casebook.get(p) for p in linked if p not in {c.id for c in cases}]
        self.cases = [c for c in extra if c is not None] + cases
        self._fill()

    def _fill(self) -> None:
        options = self.options
        highlighted = options.highlighted_option
        # while the list is not in use, its best match is highlighted; in use, the same case
        keep = highlighted.id if highlighted is not None and options.has_focus else None
        options.clear_options()
        options.add_options(self._option(c) for c in self.cases)
        if self.cases:
            ids = [c.id for c in self.cases]
            options.highlighted = ids.index(keep) if keep in ids else 0
        options.display = bool(self.cases)
        options.can_focus = bool(self.cases)
        self.query_one("#precedents-head", Static).update(self._head())

    def _head(self) -> Text:
        out = Text()
        out.append("Precedents ", "bold")
        if not self.type_id:
            out.append("· pick a harm type to see past incidents of it")
            return out
        harm_type = builtin_taxonomy().get(self.type_id)
        label = harm_type.label if harm_type else self.type_id
        count = len(self.casebook.of_type(self.type_id))
        if not count:
            out.append(f"· the casebook has no case of {label} yet")
            return out
        out.append(f"· {count} case{'s' if count != 1 else ''} of {label}")
        if self.linked:
            out.append(f", {len(self.linked)} linked")
        out.append(" · Enter reads, Space links")
        return out

    def _option(self, incident: Incident) -> Option:
        return case_option(incident, incident.id in self.linked)

    def toggle(self, incident_id: str) -> None:
        """Link the case to the harm, or unlink it; posts :class:`Toggled`."""
        linked = list(self.linked)
        if incident_id in linked:
            linked.remove(incident_id)
        else:
            linked.append(incident_id)
        self.linked = linked
        self._key = (*self._key[:2], tuple(linked)) if self._key else None
        index = self.options.highlighted
        self._fill()
        if index is not None:
            self.options.highlighted = index
        self.post_message(self.Toggled(self, linked))

    class Toggled(Message):
        def __init__(self, panel: PrecedentsPanel, linked: list[str]) -> None:
            super().__init__()
            self.panel = panel
            self.linked = linked

    @on(OptionList.OptionSelected, "#precedents-list")
    def _read(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        incident = self.casebook.get(event.option.id or "")
        if incident is None:
            return

        def closed(toggle: bool | None) -> None:
            if toggle:
                self.toggle(incident.id)
            self.options.focus()

        self.app.push_screen(CaseScreen(incident, incident.id in self.linked), closed)


class PrecedentsField(Field):
    """``harms[N].precedents`` in the wizard's form: the panel, its value the linked ids."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "precedents", None, PrecedentsPanel(id="precedents-panel"), kind="list", id=id
        )

    @property
    def panel(self) -> PrecedentsPanel:
        return self.control  # type: ignore[return-value]

    def value(self) -> Any:
        return list(self.panel.linked) or None

    def load(self, value: Any) -> None:
        """Show the linked ids; the cases follow from :meth:`show_for`."""
        self.panel.linked = (
            [p for p in value if isinstance(p, str)] if isinstance(value, list) else []
        )
        self._loaded = True
        self._shown = self.value()

    def show_for(self, harm: dict) -> None:
        self.panel.show_for(harm.get("type"), harm.get("statement"), harm.get("precedents"))

    def focus_control(self) -> None:
        self.panel.options.focus()

    @on(PrecedentsPanel.Toggled)
    def _toggled(self, event: PrecedentsPanel.Toggled) -> None:
        event.stop()
        value = self.value()
        self._shown = value
        self.post_message(self.Changed(self, self.path, value))


class ReferenceRows(Live):
    """The PM's ratings above the linked cases' reference ratings (one line each)."""

    DEFAULT_CSS = """
    ReferenceRows { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(self, harm: dict) -> None:
        rows = reference_rows(harm)
        self.display = rows is not None
        self.update(rows or "")


def reference_rows(harm: dict, casebook: Casebook | None = None, most: int = 3) -> Text | None:
    """The PM's ratings of a harm above the reference ratings of each linked case
    (at most ``most`` of them), one line each; None when no case is linked."""
    casebook = casebook or builtin_casebook()
    linked = [casebook.get(p) for p in harm.get("precedents") or [] if isinstance(p, str)]
    cases = [c for c in linked if c is not None]
    if not cases:
        return None
    out = Text(no_wrap=True, overflow="ellipsis")

    def row(name: str, values: list[Any], style: str = "") -> None:
        cells = " ".join(
            f"{k}{v if isinstance(v, int) and not isinstance(v, bool) else '-'}"
            for k, v in zip(LETTERS, values, strict=True)
        )
        tier = (tier_name(values) or "-").capitalize()
        out.append(f"{cells} {tier:<8}", style)
        out.append(f" {name}\n", style)

    row("yours", [harm.get(k) for k in RATINGS], "bold")
    for case in cases[:most]:
        row(safe_text(f"{case.title} ({case.year})"), list(case.ratings))
    if len(cases) > most:
        out.append(f"and {len(cases) - most} more linked\n", "dim")
    out.rstrip()
    return out
