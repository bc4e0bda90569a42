"""A problem the user must know about (a locked or damaged database...), never a traceback."""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from ...domain.formatting import safe_text

Choice = Literal["ok", "quit"]


class Problem(Exception):
    """A problem a worker found and already put in words: ``Problem(title, message)``."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title
        self.message = message


def describe_error(exc: BaseException) -> tuple[str, str]:
    """A title and a message a person can act on, for any error a worker meets."""
    from ...storage import DatabaseDamaged, DatabaseLocked, DatabaseTooNew, StoreError

    if isinstance(exc, Problem):
        return exc.title, exc.message
    again = "Press r to try again."
    if isinstance(exc, DatabaseLocked):
        return "The database is locked", f"{exc}.\n\nWhen it is free: {again}"
    if isinstance(exc, DatabaseDamaged):
        return (
            "The database cannot be read",
            f"{exc}.\n\nTo use another file: quit, then run `aipm-workbench --db PATH`.",
        )
    if isinstance(exc, DatabaseTooNew):
        return "The database is from a newer version", f"{exc}."
    if isinstance(exc, StoreError):
        return "The database call failed", f"{exc}.\n\n{again}"
    if isinstance(exc, OSError):
        return "A file could not be used", f"{exc}\n\nCheck the path and its permissions."
    return (
        "Something went wrong",
        f"{type(exc).__name__}: {exc}\n\nThe workbench keeps running; "
        "what you saved is in the database. Please report this problem.",
    )


class ProblemScreen(ModalScreen[Choice]):
    """Says what went wrong and what to do; dismisses with "ok" or "quit"."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_ok", "Close", id="problem.close"),
        Binding("q", "quit_app", "Quit", id="problem.quit"),
    ]

    CSS_PATH = "problem.tcss"

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.problem_title = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="problem"):
            yield Label(safe_text(self.problem_title), id="problem-title", markup=False)
            with VerticalScroll(id="problem-body"):
                yield Static(
                    safe_text(self.message, newlines=True), id="problem-message", markup=False
                )
            with Horizontal(id="problem-buttons"):
                yield Button("Quit", id="quit", variant="error")
                yield Button("OK", id="ok", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss("quit" if event.button.id == "quit" else "ok")

    def action_dismiss_ok(self) -> None:
        self.dismiss("ok")

    def action_quit_app(self) -> None:
        self.dismiss("quit")
