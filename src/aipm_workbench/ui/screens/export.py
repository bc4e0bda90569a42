"""Export decision records or the portfolio report to a folder, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Input,
    Label,
    ProgressBar,
    RadioButton,
    RadioSet,
    Static,
)

from .problem import describe_error

DEFAULT_FOLDER = "records"
SHOW_PATHS = 6


class ExportProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        self.done = done
        self.total = total
        super().__init__()


class ExportFinished(Message):
    def __init__(self, paths: list[Path], error: tuple[str, str] | None = None) -> None:
        self.paths = paths
        self.error = error
        super().__init__()


class ExportScreen(ModalScreen[list[Path] | None]):
    """``ExportScreen(feature_ids=None)``: dismisses with the paths written, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export", id="export.run", tooltip="Write the files"),
        Binding("escape", "close", "Close", id="export.close"),
    ]

    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
        & > #export {
            width: 76;
            max-width: 96%;
            height: auto;
            max-height: 96%;
            border: thick $primary;
            background: $panel;
            padding: 0 2;
        }
        & #export-title { text-style: bold; margin-bottom: 1; }
        & RadioSet { width: 100%; }
        & #folder-row { height: auto; margin-top: 1; }
        & #folder-row Label { padding: 1 1 0 0; }
        & #folder { width: 1fr; }
        & ProgressBar { margin-top: 1; }
        & #export-result { height: auto; max-height: 9; margin-top: 1; }
        & #export-result.-error { color: $text-error; }
        & #export-buttons { height: auto; align-horizontal: right; }
        & #export-buttons Button { margin-left: 2; }
    }
    """

    def __init__(self, feature_ids: list[str] | None = None) -> None:
        super().__init__()
        self.feature_ids = list(feature_ids) if feature_ids else None
        self.written: list[Path] | None = None
        self.running = False
        self.result_text = ""  # what the dialog says about the last export

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label("Export", id="export-title")
            with RadioSet(id="what"):
                if self.feature_ids:
                    ids = self.feature_ids
                    label = (
                        f"Decision record of {ids[0]}"
                        if len(ids) == 1
                        else f"Decision records of the {len(ids)} marked features"
                    )
                    yield RadioButton(label, value=True, id="what-some")
                yield RadioButton("All decision records", value=not self.feature_ids, id="what-all")
                yield RadioButton("Portfolio report (Markdown)", id="what-portfolio")
            with Horizontal(id="folder-row"):
                yield Label("Folder")
                yield Input(DEFAULT_FOLDER, id="folder", placeholder="a folder path")
            yield Checkbox("Overwrite existing files", id="force")
            yield ProgressBar(id="progress", show_eta=False)
            with VerticalScroll(id="export-result"):
                yield Static("", id="export-message", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Close", id="close")
                yield Button("Export", id="run", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one(RadioSet).focus()

    def _what(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return (pressed.id if pressed else "what-all").removeprefix("what-")

    @on(Input.Submitted, "#folder")
    def _submitted(self) -> None:
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "run":
            self.action_export()
        else:
            self.action_close()

    def action_close(self) -> None:
        if self.running:
            self.notify("The export is still running.", timeout=3)
            return
        self.dismiss(self.written)

    def action_export(self) -> None:
        if self.running:
            return
        folder = self.query_one("#folder", Input).value.strip()
        if not folder:
            self._show_error("Name a folder to write to, for example records.")
            return
        self.running = True
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#run", Button).disabled = True
        self._set_message("Exporting...", error=False)
        force = self.query_one("#force", Checkbox).value
        self._export(self._what(), Path(folder).expanduser(), force)

    @work(thread=True, exclusive=True, group="db", exit_on_error=False)
    def _export(self, what: str, out_dir: Path, force: bool) -> None:
        from ...services import records

        store = self.app.store
        today = self.app.today()

        def progress(done: int, total: int) -> None:
            self.post_message(ExportProgress(done, total))

        try:
            if what == "portfolio":
                paths = [records.export_portfolio(store, out_dir, force=force, today=today)]
            else:
                ids = self.feature_ids if what == "some" else None
                paths = records.export_records(
                    store, ids, out_dir, force=force, today=today, progress=progress
                )
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self.post_message(ExportFinished([], describe_error(exc)))
            return
        self.post_message(ExportFinished(list(paths)))

    def on_export_progress(self, message: ExportProgress) -> None:
        self.query_one(ProgressBar).update(total=message.total, progress=message.done)

    def on_export_finished(self, message: ExportFinished) -> None:
        self.running = False
        self.query_one("#run", Button).disabled = False
        bar = self.query_one(ProgressBar)
        if message.error is not None:
            bar.display = False
            title, text = message.error
            self._show_error(f"{title}. {text}")
            return
        self.written = (self.written or []) + message.paths
        bar.update(total=max(1, len(message.paths)), progress=max(1, len(message.paths)))
        n = len(message.paths)
        if n == 0:
            self._set_message("Nothing to write: no decided revisions.", error=False)
            return
        folder = message.paths[0].parent.resolve()
        lines = [f"Wrote {n} file{'s' if n != 1 else ''} to {folder}:"]
        lines += [f"  {p.name}" for p in message.paths[:SHOW_PATHS]]
        if n > SHOW_PATHS:
            lines.append(f"  ... and {n - SHOW_PATHS} more")
        self._set_message("\n".join(lines), error=False)
        self.query_one("#close", Button).focus()

    def _show_error(self, text: str) -> None:
        self._set_message(text, error=True)

    def _set_message(self, text: str, error: bool) -> None:
        self.result_text = text
        self.query_one("#export-message", Static).update(text)
        self.query_one("#export-result").set_class(error, "-error")
