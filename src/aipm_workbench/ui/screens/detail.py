"""One feature: its decision record, its revision history and the diff of two revisions."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Label,
    Markdown,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from ...domain.formatting import people_range
from ..messages import DatabaseFailed
from ..widgets.styling import tier_text
from .problem import describe_error


class DetailLoaded(Message):
    def __init__(self, latest: Any, evaluation: Any, revisions: list, record: str) -> None:
        self.latest = latest
        self.evaluation = evaluation
        self.revisions = revisions
        self.record = record
        super().__init__()


class RecordLoaded(Message):
    def __init__(self, revision: int, record: str) -> None:
        self.revision = revision
        self.record = record
        super().__init__()


class DiffLoaded(Message):
    def __init__(self, old: int, new: int, lines: list[str]) -> None:
        self.old = old
        self.new = new
        self.lines = lines
        super().__init__()


def for_display(record: str) -> str:
    """The record with its YAML front matter shown as a code block, not as Markdown."""
    if record.startswith("---\n"):
        end = record.find("\n---", 4)
        if end != -1:
            front = record[4:end]
            rest = record[end + 4 :].lstrip("\n")
            return f"```yaml\n{front}\n```\n\n{rest}"
    return record


def _verdict(v: str | None) -> str:
    return (v or "undecided").replace("_", " ")


class FeatureDetailScreen(Screen[None]):
    """``FeatureDetailScreen(feature_id)``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back"),
        Binding("1", "tab('record')", "Record", id="detail.record"),
        Binding("2", "tab('history')", "History", id="detail.history"),
        Binding("3", "tab('diff')", "Diff", id="detail.diff"),
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

    DEFAULT_CSS = """
    FeatureDetailScreen {
        & > #detail-title { padding: 0 1; background: $panel; width: 100%; height: auto; }
        & > TabbedContent { height: 1fr; }
        & #record-scroll { height: 1fr; padding: 0 1; }
        & #revisions { height: 1fr; }
        & #diff-pickers { height: 1; margin: 1 1 0 1; }
        & #diff-pickers Label { padding: 0 1; }
        & #diff-pickers Select { width: 24; }
        & #diff-scroll { height: 1fr; padding: 1 1 0 1; }
        & #record-revision { padding: 0 1; color: $text-muted; }
    }
    """

    def __init__(self, feature_id: str) -> None:
        super().__init__()
        self.feature_id = feature_id
        self.revisions: list[Any] = []
        self.shown_revision: int | None = None
        self.latest: Any | None = None
        self.record_source = ""  # the record as exported (Markdown)

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.feature_id}: loading..."), id="detail-title")
        with TabbedContent(initial="record"):
            with TabPane("Record", id="record"):
                yield Label("", id="record-revision")
                with VerticalScroll(id="record-scroll"):
                    yield Markdown("", id="record-md")
            with TabPane("History", id="history"):
                yield DataTable(id="revisions", cursor_type="row", zebra_stripes=True)
            with TabPane("Diff", id="diff"):
                with Horizontal(id="diff-pickers"):
                    yield Label("from")
                    yield Select([], id="diff-old", compact=True, prompt="revision")
                    yield Label("to")
                    yield Select([], id="diff-new", compact=True, prompt="revision")
                with VerticalScroll(id="diff-scroll"):
                    yield Static("", id="diff-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#revisions", DataTable)
        table.add_columns("Rev", "Saved", "Chosen", "Recommended", "Decided", "Changes")
        self._load()

    # -- loading ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _load(self) -> None:
        from ...domain import evaluate
        from ...services import records

        store = self.app.store
        today = self.app.today()
        try:
            latest = store.latest(self.feature_id)
            if latest is None:
                self.post_message(
                    DatabaseFailed(
                        "The feature is gone",
                        f"{self.feature_id} is no longer in the database.",
                    )
                )
                return
            revisions = store.revisions(self.feature_id)
            record = records.record_markdown(store, self.feature_id, today=today)
        except Exception as exc:  # noqa: BLE001
            self.post_message(DatabaseFailed(*describe_error(exc)))
            return
        ev = evaluate(latest.assessment, today)
        self.post_message(DetailLoaded(latest, ev, revisions, record))

    @work(thread=True, exclusive=True, group="db-record", exit_on_error=False)
    def _load_record(self, revision: int) -> None:
        from ...services import records

        try:
            text = records.record_markdown(
                self.app.store, self.feature_id, revision=revision, today=self.app.today()
            )
        except Exception as exc:  # noqa: BLE001
            self.post_message(DatabaseFailed(*describe_error(exc)))
            return
        self.post_message(RecordLoaded(revision, text))

    @work(thread=True, exclusive=True, group="db-diff", exit_on_error=False)
    def _load_diff(self, old: int, new: int) -> None:
        from ...domain.diff import diff_assessments

        store = self.app.store
        try:
            a = store.revision(self.feature_id, old)
            b = store.revision(self.feature_id, new)
        except Exception as exc:  # noqa: BLE001
            self.post_message(DatabaseFailed(*describe_error(exc)))
            return
        if a is None or b is None:
            lines = ["One of these revisions is no longer in the database."]
        else:
            lines = diff_assessments(a.assessment, b.assessment)
        self.post_message(DiffLoaded(old, new, lines))

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.latest = message.latest
        self.revisions = message.revisions
        self._title(message.latest, message.evaluation)
        self._show_record(message.latest.info.number, message.record)
        table = self.query_one("#revisions", DataTable)
        table.clear()
        for info in reversed(message.revisions):  # newest first
            table.add_row(
                str(info.number),
                info.saved_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                _verdict(info.verdict),
                _verdict(info.recommended),
                str(info.decided_on or "-"),
                Text("; ".join(info.changes) or ("first revision" if info.number == 1 else "-")),
                key=str(info.number),
            )
        options = [(f"revision {i.number}", i.number) for i in reversed(message.revisions)]
        old_select = self.query_one("#diff-old", Select)
        new_select = self.query_one("#diff-new", Select)
        old_select.set_options(options)
        new_select.set_options(options)
        if len(message.revisions) >= 2:
            with old_select.prevent(Select.Changed), new_select.prevent(Select.Changed):
                old_select.value = message.revisions[-2].number
                new_select.value = message.revisions[-1].number
            self._load_diff(message.revisions[-2].number, message.revisions[-1].number)
        else:
            self.query_one("#diff-text", Static).update(
                "Only one revision so far: a diff needs two. Every save adds a revision."
            )

    def _title(self, latest: Any, ev: Any) -> None:
        a = latest.assessment
        title = Text()
        title.append(f"{a.feature.name}", style="bold")
        title.append(f"  {a.feature.id}, {a.feature.stage.value}, revision {latest.info.number}")
        title.append("\nresidual ")
        title.append_text(tier_text(self.app, ev.residual_priority))
        title.append(", inherent ")
        title.append_text(tier_text(self.app, ev.priority))
        title.append(
            f"; recommended {_verdict(ev.recommended.value)}, chosen "
            f"{_verdict(ev.verdict.value if ev.verdict else None)}"
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
        self.query_one("#record-md", Markdown).update(for_display(text))

    def on_record_loaded(self, message: RecordLoaded) -> None:
        self._show_record(message.revision, message.record)
        self.query_one(TabbedContent).active = "record"

    def on_diff_loaded(self, message: DiffLoaded) -> None:
        old = self.query_one("#diff-old", Select).value
        new = self.query_one("#diff-new", Select).value
        if (old, new) != (message.old, message.new):
            return
        head = f"From revision {message.old} to revision {message.new}:\n\n"
        body = "\n".join(f"  {line}" for line in message.lines) or "  no differences"
        self.query_one("#diff-text", Static).update(head + body)

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
        if tab == "history":
            self.query_one("#revisions", DataTable).focus()

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

    def action_export(self) -> None:
        from .export import ExportScreen

        self.app.push_screen(ExportScreen([self.feature_id]))

    def action_edit(self) -> None:
        self.app.portfolio.edit_feature(self.feature_id)

    def on_feature_saved(self, feature_id: str) -> None:
        if feature_id == self.feature_id:
            self._load()
