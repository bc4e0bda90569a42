"""Export decision records or the portfolio report to a folder, with progress."""

from __future__ import annotations

from dataclasses import dataclass
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
    RadioSet,
    Static,
)
from textual.worker import Worker

from ...domain.formatting import plural, safe_text
from ..widgets.marks import MarkedCheckbox, MarkedRadioButton
from ..workers import ReportsWorkerErrors
from .problem import describe_error

DEFAULT_FOLDER = "records"
SHOW_PATHS = 6
SHORT = 30  # below this many rows the dialog's fields go compact: its buttons stay on screen
OVERWRITE = "Overwrite existing files"


def export_problem(error: BaseException, force: bool) -> tuple[str, bool]:
    """What the dialog says about a failed export, in the dialog's own terms (its
    boxes, not the command's options), and whether ticking Overwrite is the fix."""
    from ...services.records import ExportError
    from ...storage import DatabaseLocked

    text = safe_text(str(error), newlines=True).rstrip(".")
    if isinstance(error, ExportError):
        head, sep, _fix = text.partition(": nothing was written")
        if sep and "already exists" in head and not force:
            return (
                f'Nothing was written: {head}. Tick "{OVERWRITE}" (space) to replace '
                "the files there, or type another folder.",
                True,
            )
        text = text.replace("choose a folder for --out", "type a folder in the Folder box")
        text = text.replace("--force", f'"{OVERWRITE}"')
        return f"Nothing was written: {text}.", False
    if isinstance(error, DatabaseLocked):
        return f"Nothing was written: {text}. When it is free, press Export again.", False
    if isinstance(error, OSError):
        return f"Nothing was written: {text}. Check the folder and its permissions.", False
    title, message = describe_error(error)
    return f"Nothing was written. {title}: {message}", False


class ExportScreen(ReportsWorkerErrors, ModalScreen[list[Path] | None]):
    """``ExportScreen(feature_ids=None)``: dismisses with the paths written, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "export", "Export", id="export.run", tooltip="Write the files"),
        Binding("escape", "close", "Close", id="export.close"),
    ]

    CSS_PATH = "export.tcss"

    @dataclass
    class Progress(Message):
        done: int
        total: int

    @dataclass
    class Finished(Message):
        paths: list[Path]

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
                        f"Decision record of {safe_text(ids[0])}"
                        if len(ids) == 1
                        else f"Decision records of the {len(ids)} marked features"
                    )
                    yield MarkedRadioButton(label, value=True, id="what-some")
                yield MarkedRadioButton(
                    "All decision records", value=not self.feature_ids, id="what-all"
                )
                yield MarkedRadioButton("Portfolio report (Markdown)", id="what-portfolio")
            with Horizontal(id="folder-row"):
                yield Label("Folder")
                yield Input(DEFAULT_FOLDER, id="folder", placeholder="a folder path")
            yield MarkedCheckbox(OVERWRITE, id="force")
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

    def on_resize(self) -> None:
        short = self.size.height < SHORT
        self.set_class(short, "-short")
        for widget in self.query("RadioSet, RadioButton, Input, Checkbox, Button"):
            widget.compact = short  # type: ignore[attr-defined]

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
            self.post_message(self.Progress(done, total))

        if what == "portfolio":
            paths = [records.export_portfolio(store, out_dir, force=force, today=today)]
        else:
            ids = self.feature_ids if what == "some" else None
            paths = records.export_records(
                store, ids, out_dir, force=force, today=today, progress=progress
            )
        self.post_message(self.Finished(list(paths)))

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        """A failed export is told in the dialog, with the fix that is in the dialog."""
        if worker.group != "db":
            super().worker_failed(worker, error)
            return
        self.running = False
        self.query_one("#run", Button).disabled = False
        self.query_one(ProgressBar).display = False
        text, overwrite_fixes = export_problem(error, self.query_one("#force", Checkbox).value)
        self._show_error(text)
        (self.query_one("#force") if overwrite_fixes else self.query_one("#folder")).focus()

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        self.query_one(ProgressBar).update(total=message.total, progress=message.done)

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        self.running = False
        self.query_one("#run", Button).disabled = False
        bar = self.query_one(ProgressBar)
        self.written = (self.written or []) + message.paths
        bar.update(total=max(1, len(message.paths)), progress=max(1, len(message.paths)))
        n = len(message.paths)
        if n == 0:
            self._set_message("Nothing to write: no decided revisions.", error=False)
            return
        folder = safe_text(message.paths[0].parent.resolve())
        lines = [f"Wrote {plural(n, 'file')} to {folder}:"]
        lines += [f"  {safe_text(p.name)}" for p in message.paths[:SHOW_PATHS]]
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
