"""A metric's observations against its limit, drawn as text.

One row per observed day (the value that stands after corrections), newest
last: the date, the value, a bar scaled to the largest of the values and the
limit with the limit's place marked ``│``, and the verdict in words, so that a
breach reads without colour and at 80 columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Static

from ...domain.formatting import number, safe_text

ROWS = 12  # the last twelve days observed
BAR = 28


def chart_lines(
    metric_id: str,
    kind: str,
    op: str | None,
    limit: float | None,
    unit: str | None,
    points: Sequence[tuple[str, float, bool | None]],
) -> Text:
    """The chart of one metric: ``points`` are (date, value, healthy) oldest first."""
    unit_text = f" {safe_text(unit)}" if unit else ""
    rule = f"healthy while value {op} {number(limit)}{unit_text}" if op else "no limit"
    out = Text()
    out.append(f"{safe_text(metric_id)}", style="bold")
    out.append(f"  ({kind}; {rule})\n")
    shown = list(points)[-ROWS:]
    if not shown:
        out.append("  no observations yet\n", style="dim")
        return out
    if len(points) > ROWS:
        out.append(f"  ... {len(points) - ROWS} earlier days not shown\n", style="dim")
    top = max([abs(v) for _, v, _ in shown] + ([abs(limit)] if limit is not None else []))
    scale = (BAR / top) if top else 0.0
    mark = round(abs(limit) * scale) if limit is not None else None
    for day, value, healthy in shown:
        filled = round(abs(value) * scale)
        cells = ["█" if i < filled else " " for i in range(BAR + 1)]
        if mark is not None:
            cells[min(mark, BAR)] = "│"
        verdict = {True: "ok", False: "BREACH" if kind == "guardrail" else "off limit", None: ""}
        style = "bold red" if healthy is False else ""
        out.append(f"  {day}  {number(value):>12}  ")
        out.append("".join(cells), style=style)
        out.append(f"  {verdict[healthy]}\n", style=style)
    return out


class ObservationChart(Static):
    """``ObservationChart(metric_id, kind, op, limit, unit, points)``: see ``chart_lines``."""

    DEFAULT_CSS = """
    ObservationChart { height: auto; margin-bottom: 1; }
    """

    def __init__(self, *chart: Any, **kwargs: Any) -> None:
        super().__init__(chart_lines(*chart), **kwargs)
