"""Record an observation of one of a feature's metrics (``aipm-workbench observe`` in a dialog).

The metric is picked from those the feature lets you observe (DOMAIN.md 9: a
metric with an id and a limit, or one a hypothesis test names, and
``population``); the value must be a finite number and the date (today unless
changed) not after today, as ``observe`` checks. Enter records from any
field, tab moves between them. The dialog returns the observation; the detail
screen saves it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ...domain.formatting import number, safe_text

POPULATION = "population"  # domain.living.OBSERVED_POPULATION: needs no declaration


@dataclass(frozen=True)
class Observable:
    """A metric that observations can be recorded for, with what judges them."""

    id: str
    kind: str  # "guardrail", "product", "model", or "reach" for population
    op: str | None  # the limit's operator (None: no limit)
    limit: float | None
    unit: str | None
    tests: tuple[str, ...] = ()  # "falsifies H when > 0.12", one per hypothesis test

    def describe(self) -> str:
        """What the chart's heading says of it: its kind and the tests that name it."""
        return "; ".join((self.kind, *self.tests))


def observable(a: Any) -> list[Observable]:
    """The metrics of assessment ``a`` that take observations, in file order, then
    ``population`` (always allowed: it records the reach actually seen)."""
    tests: dict[str, list[str]] = {}
    for h in a.hypotheses:
        if h.test is not None:
            tests.setdefault(h.test.metric, []).append(
                f"falsifies {h.id} when {h.test.op} {number(h.test.value)}"
            )
    out = []
    for m in a.metrics:
        if m.id is None or (m.limit is None and m.id not in tests):
            continue
        out.append(
            Observable(
                m.id,
                m.kind.value,
                m.limit.op if m.limit else None,
                m.limit.value if m.limit else None,
                m.unit,
                tuple(tests.get(m.id, ())),
            )
        )
    declared = a.feature.population
    reach = f"reach; declared {number(declared)}" if declared is not None else "reach"
    out.append(Observable(POPULATION, reach, None, None, "people"))
    return out


@dataclass(frozen=True)
class NewObservation:
    metric: str
    value: float
    observed_on: dt.date
    source: str | None


def check(value: str, day: str, today: dt.date) -> tuple[float | None, dt.date | None, list[str]]:
    """The value and date typed, or what is wrong with them (``observe``'s rules)."""
    problems = []
    number_ = None
    with contextlib.suppress(ValueError):
        number_ = float(value.strip())
    if number_ is None or not math.isfinite(number_):
        shown = safe_text(value.strip()) or "nothing"
        problems.append(f"Value: {shown!s} is not a number: type e.g. 0.031 or 1200.")
        number_ = None
    date = None
    try:
        date = dt.date.fromisoformat(day.strip())
    except ValueError:
        shown = safe_text(day.strip()) or "nothing"
        problems.append(f"Date: {shown} is not a date: type it as {today.isoformat()}.")
    if date is not None and date > today:
        problems.append(f"Date: {date} is after today ({today}): observations are of the past.")
        date = None
    elif date is not None and date.year < 1970:
        problems.append(f"Date: {date} is before 1970-01-01.")
        date = None
    return number_, date, problems


class ObserveScreen(ModalScreen[NewObservation | None]):
    """``ObserveScreen(feature_id, metrics, today, metric=None)``: returns the observation."""

    CSS_PATH = "observe.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "record", "Record", id="observe.record", tooltip="Record it"),
        Binding("escape", "close", "Cancel", id="observe.close"),
    ]

    def __init__(
        self,
        feature_id: str,
        metrics: list[Observable],
        today: dt.date,
        metric: str | None = None,
    ) -> None:
        super().__init__()
        self.feature_id = feature_id
        self.metrics = {m.id: m for m in metrics}
        self.today = today
        self.first = metric if metric in self.metrics else next(iter(self.metrics))

    def compose(self) -> ComposeResult:
        with Vertical(id="observe"):
            yield Label(
                f"Record an observation of {safe_text(self.feature_id)}", id="observe-title"
            )
            with Horizontal(classes="observe-row"):
                yield Label("Metric", classes="observe-label")
                yield Select(
                    [(safe_text(m), m) for m in self.metrics],
                    value=self.first,
                    allow_blank=False,
                    compact=True,
                    id="observe-metric",
                )
            yield Static("", id="observe-rule")
            with Horizontal(classes="observe-row"):
                yield Label("Value", classes="observe-label")
                yield Input(placeholder="e.g. 0.031", id="observe-value", compact=True)
            with Horizontal(classes="observe-row"):
                yield Label("Date", classes="observe-label")
                yield Input(self.today.isoformat(), id="observe-date", compact=True)
            with Horizontal(classes="observe-row"):
                yield Label("Source", classes="observe-label")
                yield Input(
                    placeholder="optional: where the value comes from",
                    id="observe-source",
                    compact=True,
                )
            yield Static("", id="observe-problems")
            with Horizontal(id="observe-buttons"):
                yield Button("Record (enter)", id="observe-record", variant="primary")
                yield Button("Cancel (esc)", id="observe-cancel")

    def on_mount(self) -> None:
        self._show_rule(self.first)
        self.query_one("#observe-value", Input).focus()  # the metric is already picked

    @on(Select.Changed, "#observe-metric")
    def _metric_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._show_rule(event.value)

    def _show_rule(self, metric_id: str) -> None:
        m = self.metrics[metric_id]
        unit = f" {safe_text(m.unit)}" if m.unit else ""
        rule = f"healthy while value {m.op} {number(m.limit)}{unit}" if m.op else "no limit"
        text = f"{safe_text(m.describe())}; {rule}"
        self.query_one("#observe-rule", Static).update(text)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter records from any field (the date is today's and the source optional);
        tab moves between them."""
        self.action_record()

    @on(Button.Pressed, "#observe-record")
    def _record_pressed(self) -> None:
        self.action_record()

    @on(Button.Pressed, "#observe-cancel")
    def _cancel_pressed(self) -> None:
        self.action_close()

    def action_record(self) -> None:
        metric = self.query_one("#observe-metric", Select).value
        value, day, problems = check(
            self.query_one("#observe-value", Input).value,
            self.query_one("#observe-date", Input).value,
            self.today,
        )
        shown = self.query_one("#observe-problems", Static)
        if problems or value is None or day is None or not isinstance(metric, str):
            shown.update("\n".join(problems))
            shown.add_class("-error")
            field = "#observe-value" if value is None else "#observe-date"
            self.query_one(field, Input).focus()
            return
        source = self.query_one("#observe-source", Input).value.strip() or None
        self.dismiss(NewObservation(metric, value, day, source))

    def action_close(self) -> None:
        self.dismiss(None)
