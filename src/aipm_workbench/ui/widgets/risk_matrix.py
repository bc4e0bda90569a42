"""The risk matrix: harms counted in a 5x5 grid of two ratings, each cell coloured
by its worst tier. Two grids are on offer (:data:`AXES`): reversibility x
detectability (DOMAIN.md's matrix) and the classic severity x likelihood; both
count the harms' residual ratings (after their fallbacks)."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ...domain.vocab import Tier

TIERS = tuple(t.name for t in sorted(Tier, reverse=True))  # worst first
CELL = 5
LABEL = 4

# (rows, columns): rows from 5 at the top, columns from 1 at the left, so that
# the top-right corner is the worst place to be in either grid.
AXES: tuple[tuple[str, str], ...] = (
    ("reversibility", "detectability"),
    ("severity", "likelihood"),
)
LEGEND = {
    ("reversibility", "detectability"): "R5 irreversible, D5 unseen",
    ("severity", "likelihood"): "S5 catastrophic, L5 likely",
}
COUNTED = "residual"  # which ratings the grids count (Store.risk_matrix)

Matrix = dict[tuple[int, int], dict[str, int]]


def worst_tier(counts: dict[str, int]) -> str | None:
    return next((t for t in TIERS if counts.get(t)), None)


def matrix_title(axes: tuple[str, str]) -> str:
    """``Reversibility x detectability``: the grid's axes, rows first."""
    rows, columns = axes
    return f"{rows.capitalize()} x {columns}"


class RiskMatrix(Widget):
    """Counts of harms by two of their residual ratings (``axes``, rows first)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "risk-matrix--title",
        "risk-matrix--axis",
        "risk-matrix--empty",
        "risk-matrix--critical",
        "risk-matrix--high",
        "risk-matrix--medium",
        "risk-matrix--low",
    }

    DEFAULT_CSS = """
    RiskMatrix {
        width: 32;
        height: 9;
        padding: 0 1;
        & > .risk-matrix--title { text-style: bold; color: $text-accent; }
        & > .risk-matrix--axis { color: $text-muted; }
        & > .risk-matrix--empty { background: $surface; color: $text-muted; }
        & > .risk-matrix--critical { background: $error; color: $text; text-style: bold; }
        & > .risk-matrix--high { background: $warning; color: $text; text-style: bold; }
        & > .risk-matrix--medium { background: $primary; color: $text; }
        & > .risk-matrix--low { background: $success; color: $text; }
    }
    """

    class Toggled(Message):
        """The matrix was clicked: switch between portfolio and feature."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.counts: Matrix = {}
        self.axes = AXES[0]
        self.scope = "portfolio"  # what is counted: the portfolio or one feature (its name)
        self.loaded = False

    @property
    def title(self) -> str:
        return matrix_title(self.axes)

    @property
    def subtitle(self) -> str:
        return f"{COUNTED} ratings · {self.scope}"

    def show(self, counts: Matrix, scope: str, axes: tuple[str, str] | None = None) -> None:
        self.counts = counts
        self.scope = scope
        if axes is not None:
            self.axes = axes
        self.loaded = True
        self.refresh()

    def cell(self, row: int, column: int) -> tuple[int, str | None]:
        """The number of harms in a cell and the worst tier among them."""
        counts = self.counts.get((row, column), {})
        return sum(counts.values()), worst_tier(counts)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        base = self.rich_style

        def style(name: str):
            return base + self.get_component_rich_style(f"risk-matrix--{name}", partial=True)

        def line(text: str, name: str) -> Strip:
            return Strip([Segment(set_cell_size(text, width), style(name))], width)

        rows, columns = (a[0].upper() for a in self.axes)
        if y == 0:
            return line(self.title, "title")
        if y == 1:
            return line(self.subtitle if self.loaded else "loading...", "axis")
        if y == 2:
            return line(
                " " * LABEL + "".join(f"{columns}{c}".center(CELL) for c in range(1, 6)), "axis"
            )
        if 3 <= y <= 7:
            r = 8 - y  # 5 at the top
            segments = [Segment(f"{rows}{r}".ljust(LABEL), style("axis"))]
            for c in range(1, 6):
                n, tier = self.cell(r, c)
                text = str(n) if n else "."
                segments.append(Segment(text.center(CELL - 1), style(tier or "empty")))
                segments.append(Segment(" ", base))
            return Strip(segments).adjust_cell_length(width, base)
        if y == 8:
            return line(LEGEND.get(self.axes, ""), "axis")
        return Strip.blank(width, base)

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Toggled())
