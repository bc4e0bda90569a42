"""Writes the wizard's draft: debounced after changes, at once on request, and
blocking when the screen closes or the app must exit. What to write and where
is decided by :class:`~.autosave.DraftBook`; this widget owns the timer and the
worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker

from ..workers import ReportsWorkerErrors
from .autosave import DraftBook, DraftWrite

AUTOSAVE_DELAY = 0.7  # seconds of quiet before a draft is written

# What to write now: the data, the step it is at, and whether a saved feature
# is edited (its id is fixed).
Current = Callable[[], tuple[dict, str, bool]]


class DraftWriter(ReportsWorkerErrors, Widget):
    """An invisible helper of the wizard screen that writes its drafts."""

    DEFAULT_CSS = "DraftWriter { display: none; }"

    @dataclass
    class Stored(Message):
        """A draft write reached the store."""

        feature_id: str
        step: str
        seq: int

    @dataclass
    class Failed(Message):
        """A draft write failed; the next change tries again."""

        error: BaseException

    def __init__(self, book: DraftBook, current: Current) -> None:
        super().__init__()
        self.book = book
        self.current = current
        self._timer: Timer | None = None

    def schedule(self) -> None:
        """Write after a moment of quiet (each change restarts the wait)."""
        if self.book.finished:
            return
        self._stop()
        self._timer = self.set_timer(AUTOSAVE_DELAY, self.write_soon)

    def write_soon(self) -> None:
        """Write now, in a worker thread, if anything changed since the last write."""
        self._stop()
        write = self.book.prepare(*self.current())
        if write is not None:
            self._store(write)

    def write_now(self) -> bool:
        """Write now, blocking (safe from the main thread when the app must exit);
        False when nothing could be written (the last written draft stays)."""
        self._stop()
        if self.book.store is None:
            return False  # never mounted: nothing was typed
        try:
            return self.book.flush(*self.current())
        except Exception:  # noqa: BLE001 - the app is going away: never a traceback
            self.book.write_failed("the draft could not be written")
            return False

    async def write_on_close(self) -> None:
        """Write what the draft does not hold yet before the screen goes."""
        self._stop()
        write = self.book.prepare(*self.current())
        if write is None:
            return
        try:
            await asyncio.to_thread(self.book.write, write)
        except Exception:  # noqa: BLE001 - closing: the last autosaved draft stays
            return

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @work(thread=True, exit_on_error=False, group="wizard-draft")
    def _store(self, write: DraftWrite) -> None:
        if self.book.write(write):
            self.post_message(self.Stored(write.key, write.step, write.seq))

    @on(Stored)
    def _stored(self, event: Stored) -> None:
        self.book.stored(event.seq)

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        """Not a dialog on every keystroke: the screen says it in its status line."""
        self.post_message(self.Failed(error))
