"""Two to four features side by side: roll-ups first, then harm by harm by taxonomy type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Label

from ...domain.formatting import people_range, plural, safe_text, verdict_label
from ..widgets.footer import PriorityFooter
from ..widgets.styling import themed, tier_text
from ..workers import ReportsWorkerErrors

LABEL_WIDTH = 22


def _type_order(type_ids: set[str]) -> list[str]:
    from ...domain import builtin_taxonomy

    order = {t: i for i, t in enumerate(builtin_taxonomy().ids())}
    return sorted(type_ids, key=lambda t: (order.get(t, len(order)), t))


def _type_label(type_id: str) -> str:
    from ...domain import builtin_taxonomy

    t = builtin_taxonomy().get(type_id)
    return f"{type_id}\n{t.label}" if t else safe_text(type_id)


class CompareScreen(ReportsWorkerErrors, Screen[None]):
    """``CompareScreen(feature_ids)``: 2 to 4 features, harm by harm."""

    FOOTER_GIVE_WAY = ("refresh",)  # at 80 columns, least needed first
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="compare.back"),
        Binding("e", "export", "Export", id="compare.export", tooltip="Export their records"),
        Binding("r", "refresh", "Refresh", id="compare.refresh"),
    ]

    CSS_PATH = "compare.tcss"

    @dataclass
    class Loaded(Message):
        evaluations: list[tuple[str, Any | None]]  # (feature id, Evaluation or None when gone)

    def __init__(self, feature_ids: list[str]) -> None:
        super().__init__()
        self.feature_ids = list(feature_ids)
        self.evaluations: list[tuple[str, Any | None]] = []

    def compose(self) -> ComposeResult:
        yield Label(f"Comparing {len(self.feature_ids)} features", id="compare-title")
        yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)
        yield PriorityFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _load(self) -> None:
        from ...domain import evaluate

        today = self.app.today()
        out = []
        for fid in self.feature_ids:
            stored = self.app.store.latest(fid)
            out.append((fid, evaluate(stored.assessment, today) if stored else None))
        self.post_message(self.Loaded(out))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.evaluations = message.evaluations
        self._build()

    def _build(self) -> None:
        app = self.app
        table = self.query_one(DataTable)
        table.clear(columns=True)
        evs = self.evaluations
        width = max(14, (self.size.width - LABEL_WIDTH - 4) // max(1, len(evs)) - 3)
        table.add_column(Text(""), width=LABEL_WIDTH, key="label")
        for fid, ev in evs:
            name = ev.assessment.feature.name if ev else f"{fid} (gone)"
            table.add_column(Text(safe_text(name), style="bold"), width=width, key=fid)
        table.fixed_columns = 1

        def row(label: str, cells: list[Any], height: int = 1) -> None:
            table.add_row(themed(app, label, "text-muted"), *cells, height=height)

        def each(fn) -> list[Any]:
            return [Text("-") if ev is None else fn(ev) for _, ev in evs]

        self._add_rollups(row, each)
        self._add_harm_rows(table, row, each)

    def _add_rollups(self, row: Any, each: Any) -> None:
        """The feature-level rows: tiers, verdicts, people harmed, findings."""
        app = self.app
        row("Stage", each(lambda ev: Text(ev.assessment.feature.stage.value)))
        row("Residual tier", each(lambda ev: tier_text(app, ev.residual_priority)))
        row("Inherent tier", each(lambda ev: tier_text(app, ev.priority)))
        row(
            "Worst harm",
            each(lambda ev: Text(safe_text(ev.worst_harm.id) if ev.worst_harm else "-")),
        )
        row(
            "Max rpn (res./inh.)",
            each(lambda ev: Text(f"{_n(ev.residual_max_rpn)} / {_n(ev.max_rpn)}")),
        )
        row("People harmed", each(lambda ev: Text(people_range(ev.harmed_low, ev.harmed_high))))
        row("Recommended", each(lambda ev: Text(verdict_label(ev.recommended))))
        row(
            "Chosen",
            each(
                lambda ev: themed(
                    app, verdict_label(ev.verdict), "text-warning" if ev.overridden else None
                )
            ),
        )
        row(
            "Review by",
            each(
                lambda ev: themed(
                    app,
                    f"{ev.review_by or '-'}{' overdue' if ev.overdue else ''}",
                    "text-error" if ev.overdue else None,
                )
            ),
        )
        row(
            "Findings",
            each(
                lambda ev: themed(
                    app,
                    f"{plural(ev.errors, 'error')}, {plural(ev.warnings, 'warning')}",
                    "text-error" if ev.errors else None,
                )
            ),
        )
        row("Harms", each(lambda ev: Text(str(len(ev.harms)))))

    def _add_harm_rows(self, table: DataTable, row: Any, each: Any) -> None:
        """One row per harm type any of the features has, in taxonomy order."""
        evs = self.evaluations
        types = {h.harm.type for _, ev in evs if ev for h in ev.harms}
        for type_id in _type_order(types):
            cells = []
            height = 2
            for _, ev in evs:
                harms = [h for h in ev.harms if h.harm.type == type_id] if ev else []
                cell = self._harms_cell(harms)
                height = max(height, len(cell.plain.splitlines()))
                cells.append(cell)
            table.add_row(Text(_type_label(type_id), style="bold"), *cells, height=height)
        if not types:
            row("(no harms)", each(lambda ev: Text("-")))

    def _harms_cell(self, harms: list[Any]) -> Text:
        if not harms:
            return Text("-")
        app = self.app
        out = Text()
        for i, h in enumerate(harms):
            if i:
                out.append("\n")
            s, l, r, d = h.ratings  # noqa: E741
            out.append(f"{safe_text(h.id)}\n", style="bold")
            out.append(f"S{s} L{l} R{r} D{d}\n")
            out.append_text(tier_text(app, h.inherent.tier))
            out.append(" -> ")
            out.append_text(tier_text(app, h.residual.tier))
            out.append(f"\nrpn {h.rpn} -> {h.residual_rpn}")
        return out

    def on_resize(self) -> None:
        if self.evaluations:
            self._build()

    def on_feature_saved(self, feature_id: str) -> None:
        if feature_id in self.feature_ids:
            self._load()

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self._load()

    def action_export(self) -> None:
        from .export import ExportScreen

        self.app.push_screen(ExportScreen(self.feature_ids))


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
