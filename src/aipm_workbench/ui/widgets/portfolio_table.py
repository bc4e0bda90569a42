"""A virtual table of the ranked portfolio that only ever renders the rows on screen.

The table never holds the whole portfolio: it knows the number of rows the current
query gives and keeps a few pages of rows around the viewport. When a line needs a
row that is not loaded it posts :class:`PortfolioTable.PageWanted`; the screen loads
that page in a worker and hands it back with :meth:`PortfolioTable.add_page`.
Every page carries the generation of the query it answers, so a page of an older
query (before a re-sort or a new filter) is dropped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...domain.formatting import safe_text, verdict_label
from ...domain.vocab import Tier, Verdict
from ..paging import PAGE_SIZE  # noqa: E402,F401  (re-exported)

KEEP_PAGES = 5  # pages kept around the viewport; the rest are dropped
TIER_NAMES = frozenset(t.name for t in Tier)


def verdict_short(value: str | None) -> str:
    """A verdict in at most ten cells: ``ship+guard`` for ship with guardrails."""
    if value == Verdict.ship_with_guardrails:
        return "ship+guard"
    return verdict_label(value)


def short_people(n: float) -> str:
    """A count of people in at most five characters: 7.2, 506, 11.5k, 2.4M."""
    from ...domain.formatting import people  # the domain loads in a worker, not at start

    if n < 10_000:
        return people(n)
    if n < 1_000_000:
        return f"{n / 1000:.3g}k"
    return f"{n / 1_000_000:.3g}M"


def _people(row: Any) -> str:
    low, high = row.harmed_low, row.harmed_high
    if low is None or high is None:
        return "-"
    a, b = short_people(low), short_people(high)
    return a if a == b else f"{a}-{b}"


def fit(text: str, width: int) -> str:
    """Pad or cut to ``width`` cells; a cut shows an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(0, width - 1)) + "…" if width else ""


def _findings(row: Any) -> str:
    parts = []
    if row.errors:
        parts.append(f"{row.errors}E")
    if row.warnings:
        parts.append(f"{row.warnings}W")
    return " ".join(parts) or "-"


def _review(row: Any) -> str:
    if row.review_by is None:
        return "-"
    return f"{row.review_by.isoformat()}{'!' if row.overdue else ''}"


@dataclass(frozen=True)
class Column:
    key: str  # the PortfolioRow field the store sorts by
    label: str
    width: int
    text: Callable[[Any], str]
    style: Callable[[Any], str | None] = lambda row: None  # a component class suffix
    right: bool = False
    flex: bool = False  # takes the spare width
    long: str = ""  # what the column holds, in words (the command palette)
    sortable: bool = True  # the store can order the portfolio by it

    @property
    def title(self) -> str:
        return self.long or self.label.lower()


def _tier_style(value: str | None) -> str | None:
    return value if value in TIER_NAMES else None


# a decision that needs attention stands out: reopened and expired as errors, stale as a warning
STATE_STYLE = {"reopened": "error", "expired": "overdue", "stale": "warning"}


RANK = 0  # the index of the rank column
COLUMNS: tuple[Column, ...] = (
    Column("rank", "#", 4, lambda r: str(r.rank), right=True, long="rank"),
    Column("name", "Feature", 20, lambda r: safe_text(r.name), flex=True, long="feature name"),
    Column(
        "residual_priority",
        "Residual",
        9,
        lambda r: r.residual_priority or "-",
        lambda r: _tier_style(r.residual_priority),
        long="residual tier",
    ),
    Column(
        "inherent_priority",
        "Inherent",
        9,
        lambda r: r.inherent_priority or "-",
        lambda r: _tier_style(r.inherent_priority),
        long="inherent tier",
    ),
    Column("verdict", "Chosen", 10, lambda r: verdict_short(r.verdict), long="chosen verdict"),
    Column(
        "recommended_verdict",
        "Recommend",
        10,
        lambda r: verdict_short(r.recommended_verdict),
        lambda r: "differs" if r.verdict and r.verdict != r.recommended_verdict else None,
        long="recommended verdict",
    ),
    Column(
        "decision_state",
        "State",
        9,
        lambda r: r.decision_state,
        lambda r: STATE_STYLE.get(r.decision_state),
        long="decision state",
        sortable=False,
    ),
    Column("harmed_high", "People harmed", 14, _people, right=True, long="people harmed"),
    Column(
        "residual_max_rpn",
        "RPN",
        4,
        lambda r: "-" if r.residual_max_rpn is None else str(r.residual_max_rpn),
        right=True,
        long="residual rpn",
    ),
    Column(
        "review_by",
        "Review due",
        11,
        _review,
        lambda r: "overdue" if r.overdue else None,
        long="review date",
    ),
    Column(
        "errors",
        "Finds",
        6,
        _findings,
        lambda r: "error" if r.errors else ("warning" if r.warnings else None),
        long="findings",
    ),
    Column(
        "worst_harm",
        "Worst harm",
        16,
        lambda r: safe_text(r.worst_harm) if r.worst_harm else "-",
        flex=True,
        long="worst harm",
    ),
    Column("stage", "Stage", 9, lambda r: r.stage, long="stage"),
)
FIXED = 2  # rank and name stay put when the table scrolls sideways
MARK_WIDTH = 2  # the selection mark before the rank
NAME_MIN = 20
NAME_MAX = 34  # the name's share before secondary columns get room
# Every row shows these; the others give way when the width is short, in this
# order of priority (first kept longest), and move to the detail line below.
ESSENTIAL = frozenset({"rank", "name", "residual_priority", "verdict", "recommended_verdict"})
SECONDARY = (
    "decision_state",
    "inherent_priority",
    "harmed_high",
    "review_by",
    "errors",
    "residual_max_rpn",
    "stage",
    "worst_harm",
)


class PortfolioTable(ScrollView, can_focus=True):
    """The ranked portfolio, drawn line by line from paged rows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First row", show=False),
        Binding("end", "last", "Last row", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "portfolio-table--header",
        "portfolio-table--sorted",
        "portfolio-table--cursor",
        "portfolio-table--mark",
        "portfolio-table--placeholder",
        "portfolio-table--critical",
        "portfolio-table--high",
        "portfolio-table--medium",
        "portfolio-table--low",
        "portfolio-table--differs",
        "portfolio-table--error",
        "portfolio-table--warning",
        "portfolio-table--overdue",
    }

    DEFAULT_CSS = """
    PortfolioTable {
        background: $surface;
        color: $foreground;
        & > .portfolio-table--header { background: $panel; color: $foreground; text-style: bold; }
        & > .portfolio-table--sorted { background: $panel; color: $text-accent; text-style: bold; }
        & > .portfolio-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .portfolio-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .portfolio-table--mark { color: $text-accent; text-style: bold; }
        & > .portfolio-table--placeholder { color: $text-muted; }
        & > .portfolio-table--critical { color: $text-error; text-style: bold; }
        & > .portfolio-table--high { color: $text-warning; text-style: bold; }
        & > .portfolio-table--medium { color: $text-primary; }
        & > .portfolio-table--low { color: $text-success; }
        & > .portfolio-table--differs { color: $text-warning; }
        & > .portfolio-table--error { color: $text-error; }
        & > .portfolio-table--warning { color: $text-warning; }
        & > .portfolio-table--overdue { color: $text-error; text-style: bold; }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class PageWanted(Message):
        """The table needs a page of rows of this query generation."""

        generation: int
        page: int

    @dataclass
    class Highlighted(Message):
        """The cursor is on another row (None: no row)."""

        row: Any | None

    @dataclass
    class Opened(Message):
        """A row was double-clicked."""

        row: Any

    @dataclass
    class SortClicked(Message):
        """A column header was clicked: sort by its key."""

        key: str

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.generation = 0
        self.total: int | None = None
        self.total_known = False
        self.pages: dict[int, list[Any]] = {}
        self.wanted: set[tuple[int, int]] = set()
        self.selected: dict[str, Any] = {}  # feature id -> row, marked with space
        self.sort_key: str | None = None
        self.descending = False
        self.empty_text = "Loading the portfolio..."
        self.widths = [c.width for c in COLUMNS]
        self.shown = list(range(len(COLUMNS)))  # the indices of the columns drawn
        self._last_highlight: str | None = None
        self._last_wanted = False  # End before the row count was known

    # -- data --------------------------------------------------------------

    def reset(self, generation: int, total: int | None, rows: list[Any], cursor: int = 0) -> None:
        """Show a new query's result: its first page, and its row count when known
        (else the page's length stands in until :meth:`set_total`)."""
        self.generation = generation
        self._last_wanted = False
        self.total_known = total is not None
        self.total = total if total is not None else len(rows)
        self.pages = {0: rows}
        self.wanted = set()
        self._update_virtual_size()
        self.cursor_row = max(0, min(cursor, self.total - 1))
        self._scroll_cursor_visible(center=cursor > 0)
        self.refresh()

    def set_total(self, generation: int, total: int) -> None:
        if generation != self.generation:
            return
        self.total = total
        self.total_known = True
        self._update_virtual_size()
        self.refresh()
        if self._last_wanted:
            self._last_wanted = False
            self.move_cursor(total - 1)

    def add_page(self, generation: int, page: int, rows: list[Any]) -> None:
        if generation != self.generation:
            return
        self.wanted.discard((generation, page))
        self.pages[page] = rows
        self._evict()
        self._update_virtual_size()
        self.refresh()
        if self.cursor_row // PAGE_SIZE == page:
            self._post_highlight()

    def row_at(self, index: int) -> Any | None:
        page = self.pages.get(index // PAGE_SIZE)
        if page is None:
            return None
        offset = index % PAGE_SIZE
        return page[offset] if offset < len(page) else None

    @property
    def highlighted(self) -> Any | None:
        return self.row_at(self.cursor_row) if self.total else None

    def visible_rows(self) -> list[Any]:
        """The rows currently drawn (loaded ones only), top to bottom."""
        top = round(self.scroll_y)
        out = []
        for i in range(top, min(top + self.body_height, self.total or 0)):
            row = self.row_at(i)
            if row is not None:
                out.append(row)
        return out

    def toggle_selected(self) -> Any | None:
        row = self.highlighted
        if row is None:
            return None
        if row.id in self.selected:
            del self.selected[row.id]
        else:
            self.selected[row.id] = row
        self.refresh()
        return row

    def _evict(self) -> None:
        if len(self.pages) <= KEEP_PAGES:
            return
        here = round(self.scroll_y) // PAGE_SIZE
        cursor = self.cursor_row // PAGE_SIZE
        for page in sorted(self.pages, key=lambda p: -min(abs(p - here), abs(p - cursor))):
            if len(self.pages) <= KEEP_PAGES:
                break
            if page not in (here, cursor, 0):
                del self.pages[page]

    def _want(self, page: int) -> None:
        key = (self.generation, page)
        if key not in self.wanted:
            self.wanted.add(key)
            self.post_message(self.PageWanted(self.generation, page))

    # -- geometry ----------------------------------------------------------

    @property
    def body_height(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)

    def _fixed_width(self) -> int:
        return MARK_WIDTH + sum(w + 1 for w in self.widths[:FIXED])

    def _scroll_width(self) -> int:
        return sum(w + 1 for _, w in self._columns()[FIXED:])

    def _columns(self) -> list[tuple[Column, int]]:
        """The columns drawn, with their widths."""
        return [(COLUMNS[i], self.widths[i]) for i in self.shown]

    def _layout(self) -> None:
        """Which columns fit, and how wide: the essential ones always, the name up to
        its share, then the secondary ones by priority; the spare width goes to the
        name (as long as names are), then to the worst harm."""
        widths = [c.width for c in COLUMNS]
        # the rank is the place in the whole portfolio: room for its longest number
        ranks = [len(str(self.total or 0))]
        ranks += [len(str(r.rank)) for rows in self.pages.values() for r in rows]
        widths[RANK] = max(widths[RANK], *ranks)
        keys = [c.key for c in COLUMNS]
        name = keys.index("name")
        longest = max(
            (len(COLUMNS[name].text(r)) for rows in self.pages.values() for r in rows),
            default=NAME_MIN,
        )
        widths[name] = max(NAME_MIN, min(NAME_MAX, longest))
        shown = {i for i, k in enumerate(keys) if k in ESSENTIAL}
        spare = self.scrollable_content_region.width - MARK_WIDTH
        spare -= sum(widths[i] + 1 for i in shown)
        for key in SECONDARY:
            i = keys.index(key)
            if widths[i] + 1 <= spare:
                shown.add(i)
                spare -= widths[i] + 1
        grow = max(0, min(spare, longest - widths[name]))
        widths[name] += grow
        spare -= grow
        worst = keys.index("worst_harm")
        widths[worst if worst in shown else name] += max(0, spare)
        self.widths = widths
        self.shown = sorted(shown)

    def hidden(self) -> list[Column]:
        """The columns that gave way to the width, in order of priority."""
        by_key = {c.key: i for i, c in enumerate(COLUMNS)}
        return [COLUMNS[by_key[k]] for k in SECONDARY if by_key[k] not in self.shown]

    def detail_line(self, row: Any | None) -> str:
        """The hidden columns of ``row`` in words: ``Inherent high · People harmed 21-495``."""
        if row is None:
            return ""
        values = [(c.label, c.text(row).strip()) for c in self.hidden()]
        return " · ".join(f"{label} {value}" for label, value in values if value != "-")

    def _update_virtual_size(self) -> None:
        self._layout()
        rows = self.total or 0
        self.virtual_size = Size(self._fixed_width() + self._scroll_width(), rows + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_visible()

    # -- rendering ---------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"portfolio-table--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._header(width)
        index = round(self.scroll_y) + y - 1
        total = self.total or 0
        if total == 0:
            lines = textwrap.wrap(self.empty_text, max(10, width - 2))
            text = lines[y - 1] if y - 1 < len(lines) else ""
            return Strip([Segment(set_cell_size(" " + text, width), base)], width)
        if index >= total:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            self._want(index // PAGE_SIZE)
            style = base + self._style("placeholder")
            return Strip([Segment(set_cell_size("  ...", width), style)], width)
        return self._row(row, index, width)

    def _cells(self, values: list[tuple[str, Style]], width: int) -> Strip:
        fixed: list[Segment] = []
        scrolled: list[Segment] = []
        for i, (text, style) in enumerate(values):
            (fixed if i <= FIXED else scrolled).append(Segment(text, style))
        fixed_width = self._fixed_width()
        left = Strip(fixed, fixed_width)
        right = Strip(scrolled).crop(
            round(self.scroll_x), round(self.scroll_x) + max(0, width - fixed_width)
        )
        return Strip.join([left, right]).adjust_cell_length(width, values[0][1])

    def _header(self, width: int) -> Strip:
        header = self.rich_style + self._style("header")
        sorted_style = self.rich_style + self._style("sorted")
        values = [(" " * MARK_WIDTH, header)]
        for column, w in self._columns():
            label = column.label
            style = header
            if column.key == self.sort_key or (self.sort_key is None and column.key == "rank"):
                arrow = "▼" if self.descending else "▲"
                label = f"{label}{arrow}"
                style = sorted_style
            text = label.rjust(w) if column.right else label
            values.append((fit(text, w) + " ", style))
        return self._cells(values, width)

    def _row(self, row: Any, index: int, width: int) -> Strip:
        base = self.rich_style
        cursor = index == self.cursor_row
        if cursor:
            base = base + self._style("cursor")
        mark = "* " if row.id in self.selected else "  "
        mark_style = base if cursor else base + self._style("mark")
        values = [(mark, mark_style)]
        for column, w in self._columns():
            text = column.text(row)
            text = text.rjust(w) if column.right else text
            text = fit(text, w)
            style = base
            if not cursor:
                extra = column.style(row)
                if extra:
                    style = base + self._style(extra)
            values.append((text + " ", style))
        return self._cells(values, width)

    # -- cursor and scrolling ----------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_cursor_visible()
        self.refresh()
        self._post_highlight()

    def _post_highlight(self) -> None:
        row = self.highlighted
        key = None if row is None else f"{self.generation}:{row.id}"
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(self.Highlighted(row))

    def _scroll_cursor_visible(self, center: bool = False) -> None:
        height = self.body_height
        if height <= 0:
            return
        top = round(self.scroll_y)
        if center and not (top <= self.cursor_row < top + height):
            self.scroll_to(y=max(0, self.cursor_row - height // 2), animate=False)
        elif self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False)

    def move_cursor(self, index: int) -> None:
        if self.total:
            self.cursor_row = max(0, min(index, self.total - 1))

    def action_cursor(self, delta: int) -> None:
        self._last_wanted = False
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.body_height - 1))

    def action_first(self) -> None:
        self._last_wanted = False
        self.move_cursor(0)

    def action_last(self) -> None:
        # before the row count is known, the last row is wherever the count puts it
        self._last_wanted = not self.total_known
        self.move_cursor((self.total or 1) - 1)

    def action_scroll_left(self) -> None:
        self.scroll_to(x=max(0, self.scroll_x - 8), animate=False)

    def action_scroll_right(self) -> None:
        self.scroll_to(x=self.scroll_x + 8, animate=False)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        x, y = offset.x, offset.y
        if y == 0:
            key = self._column_at(x)
            if key is not None:
                self.post_message(self.SortClicked(key))
            return
        index = round(self.scroll_y) + y - 1
        if 0 <= index < (self.total or 0):
            self.move_cursor(index)
            if event.chain >= 2 and (row := self.row_at(index)) is not None:
                self.post_message(self.Opened(row))

    def _column_at(self, x: int) -> str | None:
        fixed = self._fixed_width()
        if x < MARK_WIDTH:
            return None
        if x >= fixed:  # the scrolled columns
            x += round(self.scroll_x)
        edge = MARK_WIDTH
        for column, w in self._columns():
            if edge <= x < edge + w + 1:
                return column.key if column.sortable else None
            edge += w + 1
        return None
