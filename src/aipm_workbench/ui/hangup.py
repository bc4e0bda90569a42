"""When the terminal goes away: save what can be saved, then exit.

A terminal can vanish in two ways: the kernel sends SIGHUP (the window closed,
the SSH connection dropped), or, under a parent that does not pass the hang-up
on, the input just ends: reads give end-of-file or fail with EIO. Textual on
its own would spin on the dead input forever. :class:`HangupWatch` notices
both (a signal handler, and a thread that polls the input for a hang-up or an
error without reading it) and calls ``App.terminal_lost()`` once, on the app's
own loop. :func:`driver_class` wraps Textual's Linux driver so that a failed
read of the input (EIO) is a lost terminal too, not a crash, and so that a
failed write drops the output instead of ending Textual's writer thread: with
that thread gone, its queue fills and the app would block on it forever while
shutting down.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import threading
from contextlib import suppress
from typing import Any

POLL_MS = 250  # how often the watch thread looks whether the app has ended


class HangupWatch:
    """``HangupWatch(app, fd)``: call ``app.terminal_lost()`` once when ``fd`` hangs up."""

    def __init__(self, app: Any, fd: int) -> None:
        self.app = app
        self.fd = fd
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done = threading.Event()
        self._fired = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        with suppress(NotImplementedError, RuntimeError, ValueError):  # no signals here
            self._loop.add_signal_handler(signal.SIGHUP, self.lost)
        if hasattr(select, "poll"):
            threading.Thread(target=self._watch, name="terminal-watch", daemon=True).start()

    def stop(self) -> None:
        self._done.set()
        if self._loop is not None:
            with suppress(NotImplementedError, RuntimeError, ValueError):
                self._loop.remove_signal_handler(signal.SIGHUP)

    def _watch(self) -> None:
        poller = select.poll()
        poller.register(self.fd, 0)  # no events asked: only a hang-up or an error shows
        while not self._done.is_set():
            try:
                events = poller.poll(POLL_MS)
            except OSError:
                events = [(self.fd, select.POLLERR)]
            if events:
                self.lost_from_thread()
                return

    def lost_from_thread(self) -> None:
        """From any thread: the terminal is gone."""
        if self._loop is not None and not self._done.is_set():
            with suppress(RuntimeError):  # a closed loop: the app is ending anyway
                self._loop.call_soon_threadsafe(self.lost)

    def lost(self) -> None:
        if self._fired or self._done.is_set():
            return
        self._fired = True
        self.app.terminal_lost()


class TerminalOutput:
    """The driver's output file: a write or flush that fails (the terminal went away:
    EIO, EPIPE) drops the output and calls ``lost`` once; every later one is dropped."""

    def __init__(self, file: Any, lost: Any) -> None:
        self._file = file
        self._lost = lost
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._file.write(text)
            except (OSError, ValueError):  # ValueError: the file was closed
                self._went()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self._went()

    def _went(self) -> None:
        self.gone = True
        self._lost()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding...
        return getattr(self._file, name)


def driver_class(base: type) -> type:
    """``base`` (Textual's Linux driver) with a failed input read reported as a hang-up
    and its output written through :class:`TerminalOutput`."""

    class HangupAwareDriver(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = TerminalOutput(self._file, self._output_lost)

        def _output_lost(self) -> None:
            watch = getattr(self._app, "hangup_watch", None)
            if watch is not None:
                watch.lost_from_thread()

        def run_input_thread(self) -> None:
            try:
                super().run_input_thread()
            except OSError:  # EIO: the terminal went away under the read
                watch = getattr(self._app, "hangup_watch", None)
                if watch is not None:
                    watch.lost_from_thread()
                    return
                raise

    HangupAwareDriver.__name__ = f"HangupAware{base.__name__}"
    return HangupAwareDriver


def input_fd() -> int | None:
    """The descriptor the app reads keys from, when it is a real terminal."""
    try:
        fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else None
    except (OSError, ValueError):
        return None
    return fd if fd is not None and os.isatty(fd) else None
