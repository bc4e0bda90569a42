"""Saves the wizard's assessment as a new revision, in a worker thread.

The store calls are :meth:`~.autosave.DraftBook.save_revision`; this widget
runs them, tells the screen when the revision is stored, and keeps the form
open when saving fails (the id was taken meanwhile, or the database failed:
the app's problem dialog says which and what to do)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker

from ...domain.formatting import plural
from ...services.workspace import FileChanged, WorkspaceError
from ..workers import ReportsWorkerErrors
from .autosave import DraftBook, IdTaken

if TYPE_CHECKING:
    from ...storage import RevisionInfo


class RevisionSaver(ReportsWorkerErrors, Widget):
    """An invisible helper of the wizard screen that saves revisions."""

    DEFAULT_CSS = "RevisionSaver { display: none; }"

    @dataclass
    class Saved(Message):
        """The revision is stored (or an identical one was current)."""

        info: RevisionInfo

    @dataclass
    class Failed(Message):
        """Saving failed; the form stays open with every value."""

    def __init__(self, book: DraftBook) -> None:
        super().__init__()
        self.book = book
        self.saving = False

    def save(self, assessment: Any, editing: bool) -> None:
        if self.saving or self.book.finished:
            return
        self.saving = True
        self.book.status = "saving the revision…"
        self._save(assessment, editing)

    @work(thread=True, exit_on_error=False, group="wizard-save")
    def _save(self, assessment: Any, editing: bool) -> None:
        self.post_message(self.Saved(self.book.save_revision(assessment, editing)))

    def on_revision_saver_saved(self, event: Saved) -> None:
        self.saving = False
        self.book.status = "saved as a revision"

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        self.saving = False
        self.book.status = "revision not saved"
        self.post_message(self.Failed())
        if isinstance(error, IdTaken):
            self.notify(str(error), title=error.title, severity="error", timeout=10)
            return
        if isinstance(error, WorkspaceError):
            then = (
                " Your edits stay in this form and its draft: leave (esc), press r on the "
                "portfolio to read the files again, then make your change on the new version."
                if isinstance(error, FileChanged)
                else " Your edits stay in this form and its draft."
            )
            self.notify(
                f"{error}.{then}",
                title="The file was not written",
                severity="error",
                timeout=15,
            )
            return
        super().worker_failed(worker, error)


def saved_notice(info: RevisionInfo, file: str | None = None) -> tuple[str, str]:
    """The notice (message, title) once a revision is saved (``file``: the workspace
    file written with it)."""
    wrote = f" Wrote {file}." if file else ""
    if info.created:
        return f"Saved {info.feature_id} as revision {info.number}.{wrote}", "Saved"
    return (
        f"No changes: revision {info.number} of {info.feature_id} is current.{wrote}",
        "Nothing new to save",
    )


def leave_notice(editing: bool) -> str:
    """Where the kept draft is found again, for the notice when the wizard is left."""
    where = (
        "Edit (E) on the feature resumes it."
        if editing
        else "New (n) offers to resume it, and so does the next start."
    )
    return f"Draft kept: {where}"


def unsaved_notice(problems: int) -> tuple[str, str]:
    """The notice (message, title) when saving is refused for ``problems`` to fix."""
    return (
        f"Not saved: {plural(problems, 'problem')} to fix first; "
        "Enter on one (or ctrl+f from any step) jumps to it.",
        "Cannot save yet",
    )
