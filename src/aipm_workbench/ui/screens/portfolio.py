"""The start screen: the ranked portfolio, its summary and the risk matrix.

The table is paged: the screen asks the store for one page of the ranked query
at a time (``store.rank(limit=..., offset=...)``) and the table draws only the
rows on screen. Every store call runs in a thread worker that posts a message
back; a query change (sort, filter, refresh) bumps a generation number so that
answers to an older query are dropped.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Select
from textual.worker import Worker

from ...domain.formatting import plural, safe_text, verdict_label
from ...domain.vocab import DecisionState, Stage, Tier, Verdict
from ..commands import ListedCommands
from ..widgets.footer import PriorityFooter
from ..widgets.portfolio_table import COLUMNS, PAGE_SIZE, PortfolioTable, verdict_short
from ..widgets.risk_matrix import AXES, RiskMatrix
from ..widgets.summary import SummaryBar
from ..workers import ReportsWorkerErrors
from .problem import Problem

UNDECIDED = verdict_label(None)  # the store's filter word for "no verdict chosen"
TIERS = tuple(t.name for t in sorted(Tier, reverse=True))  # worst first
VERDICTS = (*(v.value for v in Verdict), UNDECIDED)
STAGES = tuple(s.value for s in Stage)
STATES = tuple(s.value for s in DecisionState)
# Columns whose natural order is "worst or biggest first".
DESCENDING_FIRST = {
    "residual_priority",
    "inherent_priority",
    "residual_max_rpn",
    "harmed_high",
    "errors",
}
SEARCH_DEBOUNCE = 0.25
FILTER_KEYS = {"tier": "t", "verdict": "v", "stage": "g", "state": "d"}
FILTERS = {"tier": TIERS, "verdict": VERDICTS, "stage": STAGES, "state": STATES}


@dataclass(frozen=True)
class Query:
    """What the table shows: the sort and the filters."""

    sort: str | None = None  # a PortfolioRow field; None keeps the rank order
    descending: bool = False
    search: str | None = None
    tier: str | None = None
    verdict: str | None = None
    stage: str | None = None
    state: str | None = None  # the decision state (DOMAIN.md 9)

    def filters(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "verdict": self.verdict,
            "tier": self.tier,
            "search": self.search,
            "state": self.state,
        }

    def rank_args(self) -> dict[str, Any]:
        return {**self.filters(), "sort": self.sort, "descending": self.descending}

    @property
    def filtered(self) -> bool:
        return any(v for v in self.filters().values())

    def describe(self) -> str:
        column = next((c.label for c in COLUMNS if c.key == self.sort), "rank")
        arrow = "▼" if self.descending else "▲"
        return f"{column}{arrow}" if self.sort or self.descending else "rank"


def wizard_screen(app: Any, draft: Any | None = None, assessment: Any | None = None) -> Screen:
    """The wizard: resuming ``draft`` (a stored draft), editing ``assessment``, or new."""
    from .wizard import WizardScreen

    today = app.today()
    if draft is not None:
        return WizardScreen.resume(draft, today)
    if assessment is not None:
        return WizardScreen.edit(assessment, today)
    return WizardScreen.new(today, owner=app.suggested_owner)


class PortfolioCommands(ListedCommands):
    """Sort by any column and filter by tier, verdict, stage or decision state from the palette."""

    def _commands(self) -> list[tuple[str, str, Any]]:
        screen = self.screen
        if not isinstance(screen, PortfolioScreen):
            return []
        out = []
        for column in (c for c in COLUMNS if c.sortable):
            out.append(
                (
                    f"Sort by {column.title}",
                    f"Order the portfolio by {column.title} (again to reverse)",
                    lambda key=column.key: screen.sort_by(key),
                )
            )
        for name, values in FILTERS.items():
            words = "decision state" if name == "state" else name
            for value in values:
                out.append(
                    (
                        f"Show {words}: {value}",
                        f"Only features whose {words} is {value}",
                        lambda name=name, value=value: screen.set_filter(name, value),
                    )
                )
        out.append(("Clear filters", "Show the whole portfolio", screen.action_clear_filters))
        out.append(
            (
                "Needs attention",
                "Stale, reopened and expired decisions and other due work (key !)",
                screen.action_attention,
            )
        )
        return out


def _select(kind: str, values: tuple[str, ...], value: str | None) -> Select[str]:
    def label(v: str) -> str:
        return verdict_short(v) if kind == "verdict" else v

    words = "decision state" if kind == "state" else kind
    options = [(f"any {kind}", "")] + [(label(v), v) for v in values]
    return Select(
        options,
        value=value or "",
        allow_blank=False,
        compact=True,
        id=f"filter-{kind}",
        classes="filter",
        tooltip=f"Show only features of this {words} (key {FILTER_KEYS[kind]})",
    )


class PortfolioScreen(ReportsWorkerErrors, Screen[None]):
    """The ranked portfolio: open, compare, export, assess."""

    CSS_PATH = "portfolio.tcss"
    COMMANDS = {PortfolioCommands}
    FOOTER_GIVE_WAY = (
        "mark",
        "compare",
        "edit",
        "new",
        "search",
        "export",
    )  # at 80 columns, least needed first
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="portfolio.open", tooltip="Open the feature"),
        Binding("n", "new", "New", id="portfolio.new", tooltip="Start a new assessment"),
        Binding("E", "edit", "Edit", id="portfolio.edit", tooltip="Edit the feature"),
        Binding("e", "export", "Export", id="portfolio.export", tooltip="Export records"),
        Binding("space", "mark", "Mark", id="portfolio.mark", tooltip="Mark for compare"),
        Binding("c", "compare", "Compare", id="portfolio.compare", tooltip="Compare marked"),
        Binding("slash", "search", "Filter", id="portfolio.search", tooltip="Filter by text"),
        Binding(
            "exclamation_mark",
            "attention",
            "Attention",
            id="portfolio.attention",
            tooltip="Needs attention: stale, reopened and expired decisions, other due work",
        ),
        Binding("s", "sort", "Sort", id="portfolio.sort", tooltip="Sort by the next column"),
        Binding("r", "refresh", "Refresh", id="portfolio.refresh", show=False, tooltip="Reload"),
        Binding("q", "app.quit", "Quit", id="portfolio.quit", show=False),
        Binding(
            "S", "reverse", "Reverse sort", id="portfolio.reverse", show=False, tooltip="Reverse"
        ),
        Binding("t", "cycle('tier')", "Filter tier", id="portfolio.tier", show=False),
        Binding("v", "cycle('verdict')", "Filter verdict", id="portfolio.verdict", show=False),
        Binding("g", "cycle('stage')", "Filter stage", id="portfolio.stage", show=False),
        Binding("d", "cycle('state')", "Filter decision state", id="portfolio.state", show=False),
        Binding("x", "clear_filters", "Clear filters", id="portfolio.clear", show=False),
        Binding("m", "matrix", "Matrix: portfolio/feature", id="portfolio.matrix", show=False),
        Binding(
            "a",
            "matrix_axes",
            "Matrix: R x D / S x L",
            id="portfolio.matrix_axes",
            show=False,
            tooltip="Switch the risk matrix between reversibility x detectability "
            "and severity x likelihood",
        ),
        Binding("D", "drafts", "Drafts", id="portfolio.drafts", show=False, tooltip="Drafts"),
        Binding("b", "band", "Show/hide summary", id="portfolio.band", show=False),
        Binding("escape", "unfocus_filters", "Back to the table", show=False),
    ]

    # -- what the workers post back (each carries the query generation it answers)

    @dataclass
    class Loaded(Message):
        """The first page of a query; ``total`` None: it is counted next."""

        generation: int
        total: int | None
        rows: list
        cursor: int
        extra: dict  # page number -> rows, when the cursor is beyond the first page
        overview: bool = False  # a full reload: the summary and matrix follow

    @dataclass
    class TotalLoaded(Message):
        generation: int
        total: int

    @dataclass
    class PageLoaded(Message):
        generation: int
        page: int
        rows: list

    @dataclass
    class Synced(Message):
        """The workspace's files were read again (``services.workspace.sync``)."""

        line: str
        problems: list[str]

    @dataclass
    class OverviewLoaded(Message):
        summary: dict
        drafts: list

    @dataclass
    class MatrixLoaded(Message):
        feature: Any | None  # None: the whole portfolio
        axes: str
        counts: dict

    @dataclass
    class LatestLoaded(Message):
        """The latest revision of a feature (or its stored draft: ``draft`` True), to edit it."""

        feature_id: str
        assessment: Any
        step: str | None
        draft: bool

    def __init__(self) -> None:
        super().__init__()
        self.query_state = Query()
        self.generation = 0
        self._counter = itertools.count(1)
        self.matrix_feature = False  # the matrix shows the highlighted feature
        self.matrix_axes = AXES[0]
        self.drafts_offered = False
        self.drafts: list = []
        self.summary: dict | None = None
        self._search_timer: Timer | None = None
        self._matrix_timer: Timer | None = None
        self._pending_select: str | None = None
        self._focus_table_after_load = False
        self._rest_mounted = False
        self._quiet_reload = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="band"):
            yield SummaryBar(id="summary")
            yield RiskMatrix(id="matrix")
        with Horizontal(id="filters"):
            yield Input(
                placeholder="/ filter name, id, owner",
                id="search",
                compact=True,
            )
            # the filter boxes and the footer are mounted once the first rows
            # are drawn (see _mount_rest): they would hold up the first rows
            yield Label("", id="shown")
        yield PortfolioTable(id="table")
        # the highlighted row's columns that gave way to a narrow terminal
        yield Label("", id="row-detail", markup=False)

    def _mount_rest(self) -> None:
        if self._rest_mounted:
            return
        self._rest_mounted = True
        q = self.query_state
        self.query_one("#filters").mount_all(
            [
                _select("tier", TIERS, q.tier),
                _select("verdict", VERDICTS, q.verdict),
                _select("stage", STAGES, q.stage),
                _select("state", STATES, q.state),
            ],
            before="#shown",
        )
        self.mount(PriorityFooter(compact=True))
        self.call_after_refresh(self.refresh_bindings)  # the footer shows its keys

    @property
    def table(self) -> PortfolioTable:
        return self.query_one(PortfolioTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 90, "-narrow")
        self.set_class(self.size.height < 22, "-short")
        self.call_after_refresh(self._update_detail)

    def _update_detail(self) -> None:
        table = self.table
        line = self.query_one("#row-detail", Label)
        text = table.detail_line(table.highlighted)
        line.display = bool(text)
        line.update(text)

    # -- loading ------------------------------------------------------------

    def reload(self, select: str | None = None, quiet: bool = False) -> None:
        """Read the portfolio again (keeps the query; optionally select a feature).
        ``quiet``: without the "Refreshed" note (the change was said where it was made)."""
        self._quiet_reload = quiet
        highlighted = self.table.highlighted
        self._pending_select = select or (highlighted.id if highlighted else None)
        self._apply(self.query_state, overview=True)

    def _apply(self, query: Query, overview: bool = False) -> None:
        table = self.table
        # A new sort of the same rows keeps the count: no second query for it.
        same_rows = query.filters() == self.query_state.filters() and table.total_known
        known_total = table.total if same_rows and not overview else None
        self.query_state = query
        self.generation = next(self._counter)
        if self.generation == 1 and self._pending_select is None:
            # the first page, when it was fetched while Textual started: in the first frame
            rows = self.app.store.prefetched_rank(  # type: ignore[attr-defined]
                **query.rank_args(), limit=PAGE_SIZE, offset=0, today=self.app.today()
            )
            if rows is not None:
                total = len(rows) if len(rows) < PAGE_SIZE else None
                self._loaded(self.Loaded(self.generation, total, rows, 0, {}, overview=overview))
                return
        # the query first; the header's sort mark meanwhile, the counts with the rows
        self._load(self.generation, query, self._pending_select, overview, known_total)
        self._pending_select = None
        table.sort_key = query.sort
        table.descending = query.descending
        table.refresh(Region(0, 0, table.size.width, 1))

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _load(
        self,
        generation: int,
        query: Query,
        select: str | None,
        overview: bool,
        total: int | None,
    ) -> None:
        """The first page of a query (the row count follows, see ``_load_count``)."""
        store = self.app.store
        today = self.app.today()
        rows = store.rank(**query.rank_args(), limit=PAGE_SIZE, offset=0, today=today)
        if len(rows) < PAGE_SIZE:
            total = len(rows)
        cursor, extra = 0, {}
        if select is not None:
            found = next((i for i, r in enumerate(rows) if r.id == select), None)
            if found is None and len(rows) == PAGE_SIZE:
                # beyond the first page: find its place, then load its page
                ids = [r.id for r in store.rank(**query.rank_args(), today=today)]
                total = len(ids)
                found = ids.index(select) if select in ids else None
                if found is not None:
                    page = found // PAGE_SIZE
                    extra[page] = store.rank(
                        **query.rank_args(), limit=PAGE_SIZE, offset=page * PAGE_SIZE, today=today
                    )
            cursor = found or 0
        self.post_message(self.Loaded(generation, total, rows, cursor, extra, overview=overview))

    @work(thread=True, exclusive=True, group="warm", exit_on_error=False)
    def _warm_records(self, feature_id: str) -> None:
        """Render one record once, in the background: the first detail view then
        opens without loading the templates and the record code. Then the objects
        made so far (modules, styles, models' schemas: they live as long as the app)
        are set aside from garbage collection, whose full passes over them would
        otherwise pause the app for a tenth of a second at random moments."""
        import gc

        from ...services import records

        records.record_markdown(self.app.store, feature_id, today=self.app.today())
        gc.freeze()

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        if worker.group == "warm":  # only a head start: the detail view will say it
            return
        if worker.group == "db":  # the first page: say so in the table too
            self.table.empty_text = "The portfolio could not be read: press r to try again."
            self.table.reset(self.generation, 0, [])
            self.query_one(SummaryBar).update("The database could not be read.")
            self.query_one(RiskMatrix).show({}, "no data")
            self._update_shown()
        super().worker_failed(worker, error)

    @work(thread=True, exclusive=True, group="db-count", exit_on_error=False)
    def _load_count(self, generation: int, query: Query) -> None:
        total = self.app.store.count(**query.filters(), today=self.app.today())
        self.post_message(self.TotalLoaded(generation, total))

    @work(thread=True, exclusive=True, group="db-overview", exit_on_error=False)
    def _load_overview(self) -> None:
        """The summary, the drafts and the portfolio's risk matrix."""
        store = self.app.store
        summary = store.summary(today=self.app.today())
        drafts = store.drafts()
        self.post_message(self.OverviewLoaded(summary, drafts))
        if not self.matrix_feature:
            axes = self.matrix_axes
            self.post_message(self.MatrixLoaded(None, axes, store.risk_matrix(None, axes=axes)))

    @work(thread=True, group="db-page", exit_on_error=False)
    def _load_page(self, generation: int, query: Query, page: int) -> None:
        rows = self.app.store.rank(
            **query.rank_args(), limit=PAGE_SIZE, offset=page * PAGE_SIZE, today=self.app.today()
        )
        self.post_message(self.PageLoaded(generation, page, rows))

    @work(thread=True, exclusive=True, group="db-matrix", exit_on_error=False)
    def _load_matrix(self, feature: Any | None, axes: str) -> None:
        counts = self.app.store.risk_matrix(feature.id if feature else None, axes=axes)
        self.post_message(self.MatrixLoaded(feature, axes, counts))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.generation != self.generation:
            return
        table = self.table
        if not message.rows:
            table.empty_text = (
                "No feature matches the filters: press x to clear them, / to edit the text."
                if self.query_state.filtered
                else "No features yet: press n to start an assessment, or import files "
                "with `aipm-workbench import FOLDER` and press r."
            )
        table.reset(message.generation, message.total, message.rows, message.cursor)
        for page, rows in message.extra.items():
            table.add_page(message.generation, page, rows)
        self._update_shown()
        if message.total is None:
            # counted once the first page is drawn, so as not to hold it up
            self.call_after_refresh(self._load_count, message.generation, self.query_state)
        if not self._rest_mounted:
            self.call_after_refresh(self._mount_rest)
        if message.overview:
            # after the rows are on screen
            self.call_after_refresh(self._load_overview)
        if self._focus_table_after_load:
            self._focus_table_after_load = False
            self.call_after_refresh(table.focus)

    @on(TotalLoaded)
    def _total_loaded(self, message: TotalLoaded) -> None:
        if message.generation == self.generation:
            self.table.set_total(message.generation, message.total)
            self._update_shown()

    @on(PageLoaded)
    def _page_loaded(self, message: PageLoaded) -> None:
        self.table.add_page(message.generation, message.page, message.rows)

    @on(OverviewLoaded)
    def _overview_loaded(self, message: OverviewLoaded) -> None:
        before = self.summary
        self.summary = message.summary
        self.drafts = message.drafts
        self.query_one(SummaryBar).show(message.summary, self.app.today(), len(message.drafts))
        quiet, self._quiet_reload = self._quiet_reload, False
        if before is not None and not quiet:
            total, was = message.summary.get("total", 0), before.get("total", 0)
            change = f" ({total - was:+d} since the last load)" if total != was else ""
            self.notify(f"{plural(total, 'feature')}{change}.", title="Refreshed", timeout=3)
        if message.drafts and not self.drafts_offered:
            self.drafts_offered = True
            self.offer_drafts(message.drafts)
        highlighted = self.table.highlighted
        if before is None and highlighted is not None:
            self._warm_records(highlighted.id)

    @on(MatrixLoaded)
    def _matrix_loaded(self, message: MatrixLoaded) -> None:
        if message.axes != self.matrix_axes:
            return
        if message.feature is None:
            if self.matrix_feature:
                return
            scope = "portfolio"
        else:
            highlighted = self.table.highlighted
            if not self.matrix_feature or highlighted is None:
                return
            if highlighted.id != message.feature.id:
                return
            scope = safe_text(message.feature.name)
        self.query_one(RiskMatrix).show(message.counts, scope, message.axes)

    @on(PortfolioTable.PageWanted)
    def _page_wanted(self, message: PortfolioTable.PageWanted) -> None:
        if message.generation == self.generation:
            self._load_page(message.generation, self.query_state, message.page)

    @on(PortfolioTable.Highlighted)
    def _highlighted(self, message: PortfolioTable.Highlighted) -> None:
        self._update_detail()
        if self.matrix_feature and message.row is not None:
            if self._matrix_timer is not None:
                self._matrix_timer.stop()
            row = message.row
            self._matrix_timer = self.set_timer(
                0.1, lambda: self._load_matrix(row, self.matrix_axes)
            )

    @on(PortfolioTable.Opened)
    def _opened(self, message: PortfolioTable.Opened) -> None:
        self.open_feature(message.row.id)

    @on(PortfolioTable.SortClicked)
    def _sort_clicked(self, message: PortfolioTable.SortClicked) -> None:
        self.sort_by(message.key)

    def _update_shown(self) -> None:
        table = self.table
        label = self.query_one("#shown", Label)
        if table.total is None:
            label.update("loading...")
            return
        marked = f" · {len(table.selected)} marked" if table.selected else ""
        count = f"{table.total:,}" if table.total_known else f"{table.total:,}+"
        shown = f"{count} shown" if self.query_state.filtered else count
        label.update(f"{shown}{marked} · {self.query_state.describe()}")

    # -- sorting and filtering -------------------------------------------

    def sort_by(self, key: str) -> None:
        """Sort by a column; sorting by the same column again reverses it."""
        q = self.query_state
        sort = None if key == "rank" else key
        if sort == q.sort:
            self._apply(replace(q, descending=not q.descending))
        else:
            self._apply(replace(q, sort=sort, descending=sort in DESCENDING_FIRST))

    def action_sort(self) -> None:
        keys = [c.key for c in COLUMNS if c.sortable]
        current = keys.index(self.query_state.sort or "rank")
        self.sort_by(keys[(current + 1) % len(keys)])

    def action_reverse(self) -> None:
        self._apply(replace(self.query_state, descending=not self.query_state.descending))

    def set_filter(self, kind: str, value: str | None) -> None:
        self._apply(replace(self.query_state, **{kind: value or None}))  # the query first
        for select in self.query(f"#filter-{kind}").results(Select):
            with select.prevent(Select.Changed):
                select.value = value or ""

    def action_cycle(self, kind: str) -> None:
        values = FILTERS[kind]
        current = getattr(self.query_state, kind)
        options = (None, *values)
        self.set_filter(kind, options[(options.index(current) + 1) % len(options)])

    def action_clear_filters(self) -> None:
        search = self.query_one("#search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
        for select in self.query(".filter").results(Select):
            with select.prevent(Select.Changed):
                select.value = ""
        self._apply(
            replace(self.query_state, search=None, tier=None, verdict=None, stage=None, state=None)
        )

    @on(Select.Changed, ".filter")
    def _filter_changed(self, event: Select.Changed) -> None:
        kind = (event.select.id or "").removeprefix("filter-")
        value = event.value or None
        if getattr(self.query_state, kind) != value:
            self._apply(replace(self.query_state, **{kind: value}))

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._apply_search)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        before = self.generation
        self._apply_search()
        if self.generation == before:
            self.table.focus()
        else:
            # back to the table once the rows are drawn: moving the focus redraws
            # the footer, which would hold up the rows
            self._focus_table_after_load = True

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.query_one("#search", Input).value.strip() or None
        if text != self.query_state.search:
            self._apply(replace(self.query_state, search=text))

    def action_unfocus_filters(self) -> None:
        self.table.focus()

    # -- actions ------------------------------------------------------------

    def action_open(self) -> None:
        row = self.table.highlighted
        if row is not None:
            self.open_feature(row.id)

    def open_feature(self, feature_id: str) -> None:
        from .detail import FeatureDetailScreen

        self.app.push_screen(FeatureDetailScreen(feature_id))

    def action_attention(self) -> None:
        from .attention import NeedsAttentionScreen

        self.app.push_screen(NeedsAttentionScreen())

    def action_new(self) -> None:
        self.app.push_screen(wizard_screen(self.app))

    def action_edit(self) -> None:
        row = self.table.highlighted
        if row is not None:
            self.edit_feature(row.id)

    def edit_feature(self, feature_id: str) -> None:
        self._load_latest(feature_id)

    @work(thread=True, exclusive=True, group="db-edit", exit_on_error=False)
    def _load_latest(self, feature_id: str) -> None:
        store = self.app.store
        draft = store.draft(feature_id)
        if draft is not None:
            self.post_message(self.LatestLoaded(feature_id, draft, draft.step, True))
            return
        latest = store.latest(feature_id)
        if latest is None:
            raise Problem(
                "The feature is gone",
                f"{safe_text(feature_id)} is no longer in the database. "
                "Press r on the portfolio to reload it.",
            )
        self.post_message(self.LatestLoaded(feature_id, latest.assessment, None, False))

    @on(LatestLoaded)
    def _latest_loaded(self, message: LatestLoaded) -> None:
        if message.draft:
            self.notify(
                f"Resuming your unsaved draft of {safe_text(message.feature_id)}.", timeout=4
            )
            screen = wizard_screen(self.app, draft=message.assessment)
        else:
            screen = wizard_screen(self.app, assessment=message.assessment)
        self.app.push_screen(screen)

    def action_mark(self) -> None:
        row = self.table.toggle_selected()
        if row is not None:
            self.table.action_cursor(1)
            self._update_shown()

    def action_compare(self) -> None:
        marked = list(self.table.selected)
        if not 2 <= len(marked) <= 4:
            self.notify(
                f"Mark 2 to 4 features with space, then press c ({len(marked)} marked).",
                title="Compare",
                severity="warning",
            )
            return
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(marked))

    def action_export(self) -> None:
        from .export import ExportScreen

        marked = list(self.table.selected)
        row = self.table.highlighted
        ids = marked or ([row.id] if row is not None else None)
        self.app.push_screen(ExportScreen(ids))

    def action_refresh(self) -> None:
        """Read the portfolio again; in a workspace, its files first."""
        if getattr(self.app, "workspace", None) is not None:
            self._sync_files()
        else:
            self.reload()

    @work(thread=True, exclusive=True, group="db-sync", exit_on_error=False)
    def _sync_files(self) -> None:
        from ...services.workspace import sync

        report = sync(self.app.workspace, self.app.store)  # type: ignore[attr-defined]
        self.post_message(self.Synced(report.line(), report.problems))

    @on(Synced)
    def _synced(self, message: Synced) -> None:
        problems = message.problems
        if problems:
            shown = "\n".join(safe_text(p) for p in problems[:3])
            more = f"\n(and {len(problems) - 3} more: see `aipm-workbench sync`)"
            self.notify(
                shown + (more if len(problems) > 3 else ""),
                title=f"{plural(len(problems), 'file problem')}: last good revisions kept",
                severity="warning",
                timeout=12,
            )
        self.notify(message.line.capitalize() + ".", title="Files read", timeout=4)
        self.reload(quiet=True)

    def action_matrix(self) -> None:
        self.matrix_feature = not self.matrix_feature
        row = self.table.highlighted
        if self.matrix_feature and row is None:
            self.matrix_feature = False
        self._load_matrix(row if self.matrix_feature else None, self.matrix_axes)

    def action_matrix_axes(self) -> None:
        self.matrix_axes = AXES[(AXES.index(self.matrix_axes) + 1) % len(AXES)]
        row = self.table.highlighted if self.matrix_feature else None
        self._load_matrix(row, self.matrix_axes)

    def on_risk_matrix_toggled(self, message: RiskMatrix.Toggled) -> None:
        self.action_matrix()

    def action_band(self) -> None:
        band = self.query_one("#band")
        band.display = not band.display

    # -- drafts -------------------------------------------------------------

    def action_drafts(self) -> None:
        if not self.drafts:
            self.notify("No draft in progress: press n to start an assessment.", timeout=3)
            return
        self.offer_drafts(self.drafts)

    def offer_drafts(self, drafts: list) -> None:
        from .drafts import DraftsScreen

        def chosen(result: tuple[str, Any] | None) -> None:
            if result is None:
                return
            what, draft = result
            if what == "resume":
                self.app.push_screen(wizard_screen(self.app, draft=draft))

        self.app.push_screen(DraftsScreen(drafts), chosen)
