"""One feature: where its decision stands and why, its decision record, its revision
history, the diff of two revisions, and its metrics' observations against their limits
(``o`` records one)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from ...domain.formatting import number, people_range, safe_text, verdict_label
from ..widgets.footer import PriorityFooter
from ..widgets.observation_chart import ObservationChart
from ..widgets.styling import themed, tier_text
from ..workers import ReportsWorkerErrors
from .problem import Problem

RECENT: OrderedDict[tuple[int, str], Any] = OrderedDict()  # (store, feature) -> Loaded
RECENT_MAX = 16
# how a decision state reads: those that no longer stand stand out
STATE_VARIABLE = {
    "reopened": "text-error",
    "expired": "text-error",
    "stale": "text-warning",
    "undecided": "text-muted",
    "decided": "text-success",
}
CHECK_AFTER = 0.3  # seconds: a record shown from the cache is checked this soon
FIRST_PART_LINES = 24  # a long record: its first sections at once, the whole just after


def for_display(record: str) -> str:
    """The record with its YAML front matter shown as a code block, not as Markdown."""
    if record.startswith("---\n"):
        end = record.find("\n---", 4)
        if end != -1:
            front = record[4:end]
            rest = record[end + 4 :].lstrip("\n")
            return f"```yaml\n{front}\n```\n\n{rest}"
    return record


def first_part(text: str, lines: int = FIRST_PART_LINES) -> str:
    """The record up to the first heading after ``lines`` lines (never inside a code
    block): what is drawn at once, before the whole record."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#") and len(out) >= lines:
            break
        out.append(line)
    return "".join(out)


def record_view(text: str) -> RichMarkdown:
    """A record drawn as one block (Rich's Markdown: one widget, not one per paragraph,
    so that a long record opens at once); no terminal hyperlinks."""
    return RichMarkdown(text, hyperlinks=False)


class KeyScroll(VerticalScroll):
    """A scrolling pane that also answers j and k (down, up) as the tables do."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]


def state_line(app: Any, live: Any) -> Text:
    """Where the decision stands and why: ``reopened: guardrail approval-ratio breached
    2026-11-25: 0.74 ratio, limit >= 0.8 ratio`` (the state in words, then the reason)."""
    out = Text()
    if live is None:
        return out
    state = str(live.state.value)
    reason = live.reason or ""
    if reason.startswith(f"{state}:"):
        reason = reason[len(state) + 1 :].strip()
    out.append_text(themed(app, state, STATE_VARIABLE.get(state), bold=True))
    if reason.startswith(f"{state} "):  # "decided 2026-03-18, review by ...": said once
        out.append(safe_text(reason[len(state) :]))
    elif reason:
        out.append(f": {safe_text(reason)}")
    more = [s.message for s in live.signals[1:]] if len(live.signals) > 1 else []
    for message in more:
        if message not in reason:
            out.append(f"; {safe_text(message)}")
    if live.standing_revision is not None and state != "decided":
        out.append(f" (decision of revision {live.standing_revision})", style="dim")
    return out


class FeatureDetailScreen(ReportsWorkerErrors, Screen[None]):
    """``FeatureDetailScreen(feature_id)``."""

    CSS_PATH = "detail.tcss"
    FOOTER_GIVE_WAY = (
        "diff_selected",
        "refresh",
        "export",
        "tab",
    )  # at 80 columns, least needed first
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("1", "tab('record')", "Record", id="detail.record"),
        Binding("2", "tab('history')", "History", id="detail.history"),
        Binding("3", "tab('diff')", "Diff", id="detail.diff"),
        Binding("4", "tab('observations')", "Observations", id="detail.observations"),
        Binding(
            "o",
            "observe",
            "Observe",
            id="detail.observe",
            tooltip="Record an observation of a metric",
        ),
        Binding("e", "export", "Export", id="detail.export", tooltip="Export this record"),
        Binding("E", "edit", "Edit", id="detail.edit", tooltip="Edit in the guided assessment"),
        Binding("r", "refresh", "Refresh", id="detail.refresh"),
        Binding(
            "d",
            "diff_selected",
            "Diff with previous",
            id="detail.diff_selected",
            show=False,
            tooltip="Diff the highlighted revision with the one before it",
        ),
    ]

    @dataclass
    class Loaded(Message):
        latest: Any
        evaluation: Any
        revisions: list
        record: str  # the latest revision's record
        live: Any = None  # LiveDecision: where the decision stands today, and why
        observations: list | None = None  # every observation, as recorded

    @dataclass
    class Observed(Message):
        """An observation was recorded (or was already there: ``recorded`` 0)."""

        metric: str
        value: float
        observed_on: Any
        recorded: int

    @dataclass
    class RecordLoaded(Message):
        revision: int
        record: str

    @dataclass
    class DiffLoaded(Message):
        old: int
        new: int
        lines: list[str]

    def __init__(self, feature_id: str) -> None:
        super().__init__()
        self.feature_id = feature_id
        self.revisions: list[Any] = []
        self.shown_revision: int | None = None
        self.latest: Any | None = None
        self.record_source = ""  # the record as exported (Markdown)
        self._diff_stale = False  # the Diff tab's diff is worked out when it is shown
        self.record_display = ""  # as shown: its front matter as a code block
        self._record_shown = 0  # bumps with each record shown: a late whole is dropped
        self.live: Any | None = None
        self.observations: list = []
        self._charts_key: Any = None  # what the observations tab shows

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{safe_text(self.feature_id)}: loading..."), id="detail-title")
        yield Static("", id="detail-state")
        with TabbedContent(initial="record"):
            with TabPane("Record", id="record"):
                yield Label("", id="record-revision")
                with KeyScroll(id="record-scroll"):
                    yield Static("Reading the record...", id="record-md")
            with TabPane("History", id="history"):
                yield DataTable(id="revisions", cursor_type="row", zebra_stripes=True)
            with TabPane("Diff", id="diff"):
                with Horizontal(id="diff-pickers"):
                    yield Label("from")
                    yield Select([], id="diff-old", compact=True, prompt="revision")
                    yield Label("to")
                    yield Select([], id="diff-new", compact=True, prompt="revision")
                with KeyScroll(id="diff-scroll"):
                    yield Static("", id="diff-text", markup=False)
            with TabPane("Observations", id="observations"):
                yield Label("", id="obs-help")
                with KeyScroll(id="obs-scroll"):
                    yield Vertical(id="obs-charts")
        yield PriorityFooter()

    def on_mount(self) -> None:
        table = self.query_one("#revisions", DataTable)
        table.add_columns("Rev", "Saved", "Chosen", "Recommended", "Decided", "Changes")
        # the record scrolls with the keys at once (PageDown, Down, j)
        self.query_one("#record-scroll").focus()
        # seen before: shown at once from the cache, then checked against the database
        cached = RECENT.get((id(self.app.store), self.feature_id))
        if cached is None:
            self._load()
        else:
            self._loaded(cached)
            # checked once drawn: the worker would hold up the drawing meanwhile
            self.set_timer(CHECK_AFTER, self._load)

    # -- loading ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _load(self) -> None:
        from ...domain import evaluate
        from ...services import records

        store = self.app.store
        today = self.app.today()
        latest = store.latest(self.feature_id)
        if latest is None:
            raise Problem(
                "The feature is gone",
                f"{safe_text(self.feature_id)} is no longer in the database. "
                "Press escape to go back to the portfolio.",
            )
        revisions = store.revisions(self.feature_id)
        # the latest revision, decided or not: what the header speaks of
        record = records.record_markdown(
            store, self.feature_id, revision=latest.info.number, today=today
        )
        live = store.decision(self.feature_id, today)
        observations = store.observations(self.feature_id)
        # as the world now stands, like the portfolio: observations can change the
        # recommendation and the bounds
        ev = evaluate(latest.assessment, today, observations=observations)
        self.post_message(self.Loaded(latest, ev, revisions, record, live, observations))

    @work(thread=True, exclusive=True, group="db-record", exit_on_error=False)
    def _load_record(self, revision: int) -> None:
        from ...services import records

        text = records.record_markdown(
            self.app.store, self.feature_id, revision=revision, today=self.app.today()
        )
        self.post_message(self.RecordLoaded(revision, text))

    @work(thread=True, exclusive=True, group="db-diff", exit_on_error=False)
    def _load_diff(self, old: int, new: int) -> None:
        from ...domain.diff import diff_assessments

        store = self.app.store
        a = store.revision(self.feature_id, old)
        b = store.revision(self.feature_id, new)
        if a is None or b is None:
            lines = ["One of these revisions is no longer in the database."]
        else:
            lines = diff_assessments(a.assessment, b.assessment)
        self.post_message(self.DiffLoaded(old, new, lines))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        key = (id(self.app.store), self.feature_id)
        RECENT[key] = message
        RECENT.move_to_end(key)
        while len(RECENT) > RECENT_MAX:
            RECENT.popitem(last=False)
        self._show_live(message.latest, message.live, message.observations or [])
        if (
            self.latest is not None
            and message.record == self.record_source
            and [i.number for i in message.revisions] == [i.number for i in self.revisions]
        ):
            return  # what the cache showed is still true
        self.latest = message.latest
        self.revisions = message.revisions
        self._title(message.latest, message.evaluation)
        self._show_record(message.latest.info.number, message.record)
        self._fill_history(message.revisions)

    def _fill_history(self, revisions: list) -> None:
        table = self.query_one("#revisions", DataTable)
        table.clear()
        for info in reversed(revisions):  # newest first
            changes = "; ".join(info.changes) or ("first revision" if info.number == 1 else "-")
            table.add_row(
                str(info.number),
                info.saved_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                verdict_label(info.verdict),
                verdict_label(info.recommended),
                str(info.decided_on or "-"),
                Text(safe_text(changes)),
                key=str(info.number),
            )
        options = [(f"revision {i.number}", i.number) for i in reversed(revisions)]
        old_select = self.query_one("#diff-old", Select)
        new_select = self.query_one("#diff-new", Select)
        old_select.set_options(options)
        new_select.set_options(options)
        if len(revisions) >= 2:
            with old_select.prevent(Select.Changed), new_select.prevent(Select.Changed):
                old_select.value = revisions[-2].number
                new_select.value = revisions[-1].number
            # worked out when the Diff tab is shown: not beside the record's first drawing
            self._diff_stale = True
            if self.query_one(TabbedContent).active == "diff":
                self._diff_seen()
        else:
            self.query_one("#diff-text", Static).update(
                "Only one revision so far: a diff needs two. Every save adds a revision."
            )

    def _show_live(self, latest: Any, live: Any, observations: list) -> None:
        """The decision state under the header, and the observations tab."""
        self.live = live
        self.observations = observations
        self.query_one("#detail-state", Static).update(state_line(self.app, live))
        from .observe import observable

        metrics = observable(latest.assessment)
        key = (latest.info.number, tuple(observations))
        if key == self._charts_key:
            return
        self._charts_key = key
        self._fill_charts(latest.assessment, metrics, observations)

    def _fill_charts(self, a: Any, metrics: list, observations: list) -> None:
        from ...domain.living import healthy, standing_values

        standing = standing_values(observations)
        charts = []
        shown = 0
        for m in metrics:
            points = [o for o in standing if o.metric == m.id]
            if m.id == "population" and not points:
                continue  # population: shown once observed
            shown += 1
            metric = a.metric(m.id) if m.id != "population" else None
            charts.append(
                ObservationChart(
                    m.id,
                    m.describe(),
                    m.op,
                    m.limit,
                    m.unit,
                    [
                        (o.observed_on.isoformat(), o.value, healthy(metric, o.value))
                        for o in points
                    ],
                )
            )
        if not shown:
            charts.append(
                Static(
                    "No metric of this feature can be checked yet: give a metric an id and a "
                    "limit (or name it in a hypothesis test) to record observations of it; "
                    "population can always be observed (press o).",
                    classes="obs-none",
                )
            )
        count = len(standing)
        self.query_one("#obs-help", Label).update(
            f"{count} observed value{'s' if count != 1 else ''} (the last twelve days of each "
            "metric); o records one."
        )
        box = self.query_one("#obs-charts", Vertical)
        box.remove_children()
        box.mount_all(charts)

    def _title(self, latest: Any, ev: Any) -> None:
        a = latest.assessment
        title = Text()
        title.append(safe_text(a.feature.name), style="bold")
        title.append(
            f"  {safe_text(a.feature.id)}, {a.feature.stage.value}, revision {latest.info.number}"
        )
        title.append("\nresidual ")
        title.append_text(tier_text(self.app, ev.residual_priority))
        title.append(", inherent ")
        title.append_text(tier_text(self.app, ev.priority))
        title.append(
            f"; recommended {verdict_label(ev.recommended)}, chosen {verdict_label(ev.verdict)}"
        )
        if ev.harmed_high is not None:
            title.append(f"; up to {people_range(ev.harmed_low, ev.harmed_high)} people harmed")
        self.query_one("#detail-title", Static).update(title)

    def _show_record(self, revision: int, text: str) -> None:
        self.shown_revision = revision
        latest = self.revisions[-1].number if self.revisions else revision
        note = "latest revision" if revision == latest else "an older revision"
        self.query_one("#record-revision", Label).update(
            f"Decision record of revision {revision} ({note}); History: enter shows another."
        )
        self.record_source = text
        # a long record: its first sections at once, the whole once they are drawn
        self.record_display = for_display(text)
        first = first_part(self.record_display)
        self._record_shown += 1
        self.query_one("#record-md", Static).update(record_view(first))
        if first != self.record_display:
            self.call_after_refresh(self._show_whole, self._record_shown)

    def _show_whole(self, shown: int) -> None:
        if shown == self._record_shown:  # no newer record meanwhile
            self.query_one("#record-md", Static).update(record_view(self.record_display))

    @on(RecordLoaded)
    def _record_loaded(self, message: RecordLoaded) -> None:
        self._show_record(message.revision, message.record)
        self.query_one(TabbedContent).active = "record"
        scroll = self.query_one("#record-scroll")
        scroll.scroll_home(animate=False)  # another record: from its top
        scroll.focus()

    @on(DiffLoaded)
    def _diff_loaded(self, message: DiffLoaded) -> None:
        old = self.query_one("#diff-old", Select).value
        new = self.query_one("#diff-new", Select).value
        if (old, new) != (message.old, message.new):
            return
        head = f"From revision {message.old} to revision {message.new}:\n\n"
        body = "\n".join(f"  {line}" for line in message.lines) or "  no differences"
        self.query_one("#diff-text", Static).update(head + body)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "diff":
            self._diff_seen()

    def _diff_seen(self) -> None:
        """The Diff tab is shown: the diff of the chosen revisions, if not yet worked out."""
        if not self._diff_stale:
            return
        self._diff_stale = False
        old = self.query_one("#diff-old", Select).value
        new = self.query_one("#diff-new", Select).value
        if isinstance(old, int) and isinstance(new, int):
            self._load_diff(old, new)

    @on(Select.Changed, "#diff-old, #diff-new")
    def _pick(self, event: Select.Changed) -> None:
        old = self.query_one("#diff-old", Select).value
        new = self.query_one("#diff-new", Select).value
        if isinstance(old, int) and isinstance(new, int):
            self._load_diff(old, new)

    @on(DataTable.RowSelected, "#revisions")
    def _revision_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._load_record(int(event.row_key.value))

    # -- actions ------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        focus = {
            "record": "#record-scroll",
            "history": "#revisions",
            "diff": "#diff-scroll",
            "observations": "#obs-scroll",
        }
        self.query_one(focus[tab]).focus()

    def action_diff_selected(self) -> None:
        table = self.query_one("#revisions", DataTable)
        if table.row_count == 0:
            return
        number = int(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value or 0)
        earlier = [i.number for i in self.revisions if i.number < number]
        if not earlier:
            self.notify("The first revision has nothing before it.", timeout=3)
            return
        self.query_one("#diff-old", Select).value = earlier[-1]
        self.query_one("#diff-new", Select).value = number
        self.query_one(TabbedContent).active = "diff"

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self._load()

    def action_observe(self) -> None:
        if self.latest is None:
            self.notify("The feature is still loading.", timeout=3)
            return
        from .observe import ObserveScreen, observable

        metrics = observable(self.latest.assessment)
        self.app.push_screen(
            ObserveScreen(self.feature_id, metrics, self.app.today()), self._observed_chosen
        )

    def _observed_chosen(self, result: Any) -> None:
        if result is None:
            return
        self._record(result)

    @work(thread=True, exclusive=True, group="db-observe", exit_on_error=False)
    def _record(self, new: Any) -> None:
        from ...domain.living import Observation
        from ...services.workspace import record_observations

        row = Observation(self.feature_id, new.metric, new.value, new.observed_on, new.source)
        workspace = getattr(self.app, "workspace", None)  # there, the CSV file first
        recorded, _unchanged, _superseded = record_observations(workspace, self.app.store, [row])
        self.post_message(self.Observed(new.metric, new.value, new.observed_on, recorded))

    @on(Observed)
    def _observed(self, message: Observed) -> None:
        what = f"{safe_text(message.metric)} {number(message.value)} on {message.observed_on}"
        self.notify(
            f"Recorded {what}." if message.recorded else f"{what} was already recorded.",
            title="Observation",
            timeout=4,
        )
        self.action_tab("observations")
        self._load()
        self.app.portfolio.reload(quiet=True)  # its state column: said here already

    def action_export(self) -> None:
        from .export import ExportScreen

        self.app.push_screen(ExportScreen([self.feature_id]))

    def action_edit(self) -> None:
        self.app.portfolio.edit_feature(self.feature_id)

    def on_feature_saved(self, feature_id: str) -> None:
        if feature_id == self.feature_id:
            self._load()
