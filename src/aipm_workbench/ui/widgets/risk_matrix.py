"""The risk matrix: reversibility x detectability, each cell coloured by its worst tier."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

TIERS = ("critical", "high", "medium", "low")  # worst first
CELL = 5
LABEL = 4

Matrix = dict[tuple[int, int], dict[str, int]]


def worst_tier(counts: dict[str, int]) -> str | None:
    return next((t for t in TIERS if counts.get(t)), None)


class RiskMatrix(Widget):
    """Counts of harms by (reversibility, detectability) of their residual ratings.

    Rows are reversibility 5 (irreversible, top) to 1; columns detectability 1 to
    5 (nobody notices, right): the top-right corner is the worst place to be.
    """

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
        width: 31;
        height: 8;
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
        self.title = "Risk matrix"
        self.loaded = False

    def show(self, counts: Matrix, title: str) -> None:
        self.counts = counts
        self.title = title
        self.loaded = True
        self.refresh()

    def cell(self, reversibility: int, detectability: int) -> tuple[int, str | None]:
        """The number of harms in a cell and the worst tier among them."""
        counts = self.counts.get((reversibility, detectability), {})
        return sum(counts.values()), worst_tier(counts)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        base = self.rich_style

        def style(name: str):
            return base + self.get_component_rich_style(f"risk-matrix--{name}", partial=True)

        if y == 0:
            title = self.title if self.loaded else f"{self.title} (loading)"
            return Strip([Segment(set_cell_size(title, width), style("title"))], width)
        if y == 1:
            head = " " * LABEL + "".join(f"D{d}".center(CELL) for d in range(1, 6))
            return Strip([Segment(set_cell_size(head, width), style("axis"))], width)
        if 2 <= y <= 6:
            r = 7 - y  # reversibility 5 at the top
            segments = [Segment(f"R{r}".ljust(LABEL), style("axis"))]
            for d in range(1, 6):
                n, tier = self.cell(r, d)
                text = str(n) if n else "."
                segments.append(Segment(text.center(CELL - 1), style(tier or "empty")))
                segments.append(Segment(" ", base))
            return Strip(segments).adjust_cell_length(width, base)
        if y == 7:
            legend = "R5 irreversible, D5 unseen"
            return Strip([Segment(set_cell_size(legend, width), style("axis"))], width)
        return Strip.blank(width, base)

    def on_click(self, event: events.Click) -> None:
        self.post_message(self.Toggled())
