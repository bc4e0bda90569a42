"""The drill (DOMAIN.md section 10): rate a past incident before seeing what happened.

The case is shown as the feature it was before launch (its year and pitch,
never its title or outcome). The PM picks the primary harm's type, rates it on
the four scales with their anchors in view, picks a verdict and submits
(ctrl+s, or Enter on Submit); the screen then shows what happened, the
reference ratings and reasons, the differences, tier agreement and the verdict
the reference tier implies, and keeps the result in the database. ``n`` starts
another drill, escape leaves.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain import SCALES, builtin_taxonomy
from ...domain.casebook import SCALE_NAMES, Incident, builtin_casebook
from ...domain.drill import DrillAnswer, DrillResult, score
from ...domain.formatting import plural, safe_text, tier_label, verdict_label
from ...domain.vocab import Verdict
from ..widgets.rating import RatingScale
from ..workers import ReportsWorkerErrors


def type_label(type_id: str) -> str:
    harm_type = builtin_taxonomy().get(type_id)
    return f"{harm_type.label} ({type_id})" if harm_type else type_id


def _mark(ok: bool) -> Text:
    return Text("✓ agrees", style="bold green") if ok else Text("✗ differs", style="bold red")


def score_line(result: DrillResult) -> Text:
    """The scores in two lines: type, tier and verdict; the ratings' differences."""

    def part(name: str, ok: bool, mine: str, reference: str) -> Text:
        text = Text(f"{name} ")
        text.append("✓" if ok else "✗", "bold green" if ok else "bold red")
        if mine:
            text.append(f" {mine}" if ok else f" {mine} vs {reference}")
        return text

    line = Text(" · ").join(
        [
            part("Type", result.type_match, "", ""),
            part("Tier", result.tier_agrees, tier_label(result.tier),
                 tier_label(result.reference_tier)),
            part("Verdict", result.verdict_agrees, verdict_label(result.answer.verdict),
                 verdict_label(result.reference_verdict)),
        ]
    )  # fmt: skip
    off = sum(result.abs_diffs.values())
    each = ", ".join(
        f"{SCALES[k].letter} {d:+d}" if d else f"{SCALES[k].letter} 0"
        for k, d in result.diffs.items()
    )
    line.append(f"\nOff by {plural(off, 'step')} in all: {each} (yours minus the reference)")
    return line


def result_view(incident: Incident, result: DrillResult) -> RenderableType:
    """What happened and how the answer compares, for the result pane."""
    i = incident
    parts: list[RenderableType] = [score_line(result), Text()]
    parts.append(Text(f"What happened: {safe_text(i.title)} ({i.year})", style="bold"))
    parts.append(Text(f"{safe_text(i.organisation)}: {safe_text(i.system)}", style="dim"))
    parts.append(Text(safe_text(" ".join(i.account.split()))))
    parts.append(Text())

    answer = result.answer
    kind = Text("Primary harm type: ", style="bold")
    kind.append(f"yours {type_label(answer.harm_type)}; ")
    kind.append(f"the case's {type_label(i.primary_harm)}. ")
    if result.type_match:
        kind.append("✓ match", style="bold green")
        if answer.harm_type != i.primary_harm:
            kind.append(" (a harm type the case shows, not its primary one)")
    else:
        kind.append("✗ no match", style="bold red")
        others = ", ".join(type_label(t) for t in i.harm_types)
        kind.append(f"; the case shows {others}")
    parts.append(kind)
    parts.append(Text())

    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True)
    table.add_column("Scale", no_wrap=True)
    table.add_column("Yours", justify="right", no_wrap=True)
    table.add_column("Ref.", justify="right", no_wrap=True)
    table.add_column("Diff", justify="right", no_wrap=True)
    table.add_column("Why the reference", ratio=1)
    diffs = result.diffs
    for name, mine, ref in zip(SCALE_NAMES, answer.ratings, result.reference, strict=True):
        scale = SCALES[name]
        d = diffs[name]
        style = "" if d == 0 else ("yellow" if abs(d) == 1 else "bold red")
        table.add_row(
            f"{scale.label} ({scale.letter})",
            str(mine),
            str(ref),
            Text(f"{d:+d}" if d else "0", style=style),
            safe_text(getattr(i.reasons, name)),
        )
    parts.append(table)
    parts.append(Text())

    tier = Text("Tier: ", style="bold")
    tier.append(
        f"yours {tier_label(result.tier)}, the reference {tier_label(result.reference_tier)}. "
    )
    tier.append_text(_mark(result.tier_agrees))
    parts.append(tier)
    verdict = Text("Verdict: ", style="bold")
    verdict.append(
        f"yours {verdict_label(answer.verdict)}; a {tier_label(result.reference_tier)} "
        f"reference implies {verdict_label(result.reference_verdict)}. "
    )
    verdict.append_text(_mark(result.verdict_agrees))
    parts.append(verdict)
    parts.append(Text())
    parts.append(Text("Sources: " + "; ".join(safe_text(s) for s in i.sources), style="dim"))
    return Group(*parts)


def type_options() -> Iterable[Option]:
    """The taxonomy's types under their families (the family lines cannot be chosen)."""
    taxonomy = builtin_taxonomy()
    for family in taxonomy.families:
        yield Option(Text(family.label, style="bold"), disabled=True)
        for harm_type in taxonomy.types_in(family.id):
            yield Option(f"  {harm_type.label} ({harm_type.id})", id=harm_type.id)


class DrillScreen(ReportsWorkerErrors, Screen[None]):
    """``DrillScreen(case_id=None, exclude=())``: a random case not yet drilled without id."""

    CSS_PATH = "drill.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", id="drill.back"),
        Binding("ctrl+s", "submit", "Submit", id="drill.submit"),
        Binding("n", "another", "Another drill", id="drill.another"),
        Binding("enter", "next", "Next", show=False, id="drill.next"),
    ]

    @dataclass
    class Chosen(Message):
        """The case to drill was chosen (``repeat``: every case was drilled already)."""

        case_id: str
        repeat: bool

    @dataclass
    class Saved(Message):
        """The result was kept in the database."""

        result: DrillResult

    def __init__(self, case_id: str | None = None, exclude: Iterable[str] = ()) -> None:
        super().__init__()
        self.case_id = case_id
        self.exclude = set(exclude)
        self.incident: Incident | None = None
        self.harm_type: str | None = None
        self.verdict: Verdict | None = None
        self.result: DrillResult | None = None
        self.saved: DrillResult | None = None

    # -------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Label("Drill: choosing a case…", id="drill-heading")
        with Vertical(id="drill-question"):
            yield Static("", id="drill-brief")
            with VerticalScroll(id="drill-form", can_focus=False):
                yield Label("1. The primary harm: which type? (↑↓, Enter)", id="drill-type-label")
                yield OptionList(*type_options(), id="drill-type")
                yield Label(
                    "2. Rate it: 1-5 (or ←→), Enter for the next scale", id="drill-rate-label"
                )
                for key in SCALE_NAMES:
                    yield RatingScale(key, id=f"drill-{key}")
                yield Label("3. Your verdict (↑↓, Enter)", id="drill-verdict-label")
                yield OptionList(
                    *(Option(verdict_label(v), id=v.value) for v in Verdict), id="drill-verdict"
                )
                yield Button("Submit (ctrl+s)", id="drill-submit", variant="primary")
        with VerticalScroll(id="drill-result"):
            yield Static("", id="drill-result-body")
            yield Static("", id="drill-saved")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#drill-result").display = False
        if self.case_id is not None:
            self._show_case(self.case_id, repeat=False)
        else:
            self._choose()

    # ------------------------------------------------------------- the case

    @work(thread=True, group="drill-db", exit_on_error=False)
    def _choose(self) -> None:
        casebook = builtin_casebook()
        done = self.app.store.drilled_case_ids() | self.exclude
        fresh = [i for i in casebook.ids() if i not in done]
        repeat = not fresh
        pool = fresh or [i for i in casebook.ids() if i not in self.exclude] or casebook.ids()
        self.post_message(self.Chosen(random.choice(pool), repeat))

    @on(Chosen)
    def _chosen(self, message: Chosen) -> None:
        if message.repeat:
            self.notify(
                f"You have drilled all {plural(len(builtin_casebook()), 'case')}; "
                "here is one again.",
                title="Every case drilled",
            )
        self._show_case(message.case_id, message.repeat)

    def _show_case(self, case_id: str, repeat: bool) -> None:
        incident = builtin_casebook().get(case_id)
        if incident is None:  # the CLI checks ids; a stale id from elsewhere
            self.notify(f"No case {safe_text(case_id)!r} in the casebook.", severity="error")
            self.app.pop_screen()
            return
        self.incident = incident
        again = " (drilled before)" if repeat else ""
        self.query_one("#drill-heading", Label).update(
            f"Drill: a feature from {incident.year}, before launch{again}"
        )
        self.query_one("#drill-brief", Static).update(
            safe_text(" ".join(incident.before_launch.split()))
        )
        types = self.query_one("#drill-type", OptionList)
        types.highlighted = 1  # the first type, under the first family line
        types.focus()

    # ------------------------------------------------------------ answering

    @on(OptionList.OptionSelected, "#drill-type")
    def _type_chosen(self, event: OptionList.OptionSelected) -> None:
        self.harm_type = event.option.id
        self.query_one("#drill-type-label", Label).update(
            f"1. The primary harm: {type_label(self.harm_type)}  (↑↓, Enter to change)"
        )
        self.query_one(f"#drill-{SCALE_NAMES[0]}", RatingScale).focus()

    @on(OptionList.OptionSelected, "#drill-verdict")
    def _verdict_chosen(self, event: OptionList.OptionSelected) -> None:
        self.verdict = Verdict(event.option.id)
        self.query_one("#drill-verdict-label", Label).update(
            f"3. Your verdict: {verdict_label(self.verdict)}  (↑↓, Enter to change)"
        )
        self.query_one("#drill-submit", Button).focus()

    @on(Button.Pressed, "#drill-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    def action_next(self) -> None:
        """Enter on a rating moves on to the next control."""
        if isinstance(self.focused, RatingScale):
            self.focus_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        answering = self.result is None
        if action in ("submit", "next"):
            return answering and self.incident is not None
        if action == "another":
            return not answering
        return True

    def _missing(self) -> tuple[str, str] | None:
        """The first unanswered question: (what to say, the id of its control)."""
        if self.harm_type is None:
            return "pick the primary harm's type", "drill-type"
        for key in SCALE_NAMES:
            if self.query_one(f"#drill-{key}", RatingScale).value is None:
                return f"rate {SCALES[key].label.lower()}", f"drill-{key}"
        if self.verdict is None:
            return "pick a verdict", "drill-verdict"
        return None

    def action_submit(self) -> None:
        if self.incident is None or self.result is not None:
            return
        missing = self._missing()
        if missing is not None:
            what, control = missing
            self.notify(f"First {what}.", title="Not yet")
            self.query_one(f"#{control}").focus()
            return
        assert self.harm_type is not None and self.verdict is not None
        ratings = {key: self.query_one(f"#drill-{key}", RatingScale).value for key in SCALE_NAMES}
        answer = DrillAnswer(harm_type=self.harm_type, verdict=self.verdict, **ratings)
        self.result = score(self.incident, answer)
        self._show_result()
        self._save(self.result)

    def _show_result(self) -> None:
        assert self.incident is not None and self.result is not None
        self.query_one("#drill-heading", Label).update("Drill: what happened, and your answer")
        self.query_one("#drill-question").display = False
        pane = self.query_one("#drill-result", VerticalScroll)
        pane.display = True
        self.query_one("#drill-result-body", Static).update(result_view(self.incident, self.result))
        self.query_one("#drill-saved", Static).update("Saving the result…")
        pane.focus()
        self.refresh_bindings()

    @work(thread=True, group="drill-db", exit_on_error=False)
    def _save(self, result: DrillResult) -> None:
        self.post_message(self.Saved(self.app.store.record_drill(result)))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.saved = message.result
        self.query_one("#drill-saved", Static).update(
            "Kept in the database (see `aipm-workbench drill --stats`). "
            "n: another drill · escape: back"
        )

    def worker_failed(self, worker, error: BaseException) -> None:
        if worker.name == "_save":
            self.query_one("#drill-saved", Static).update("Not saved: the database refused it.")
        super().worker_failed(worker, error)

    # ---------------------------------------------------------------- leave

    def action_another(self) -> None:
        if self.result is None:
            return
        done = self.exclude | {self.result.case_id}
        self.app.switch_screen(DrillScreen(exclude=done))

    def action_leave(self) -> None:
        self.app.pop_screen()
