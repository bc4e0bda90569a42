"""An app that loses its terminal saves its drafts and exits, whoever its parent is.

The app runs for real in a child process on a pseudo-terminal; the test closes
the terminal (the input then fails or ends) or sends SIGHUP, and waits for the
process to end. The child is in its own session, so nothing passes the
hang-up on for it: the app must notice by itself.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import time

import pytest
from ui_support import TODAY

from aipm_workbench.storage import Store

READY = "HELD-SCREEN-READY"
CHILD = textwrap.dedent(
    f"""
    import datetime as dt
    import sys

    from textual.screen import Screen
    from textual.widgets import Static

    from aipm_workbench.cli.app import make_app


    class Held(Screen):
        '''Stands for the wizard: a screen holding a draft not yet written.'''

        def compose(self):
            yield Static("{READY}")

        def flush_draft(self):
            data = {{"format": "aipm-assessment/1", "feature": {{"id": "held", "name": "Held"}}}}
            self.app.store.save_draft("held", data, "feature")


    app = make_app(sys.argv[1], today=dt.date.fromisoformat("{TODAY.isoformat()}"))
    app.call_later(lambda: app.push_screen(Held()))
    app.run()
    sys.exit(app.return_code or 0)
    """
)


def start(db) -> tuple[subprocess.Popen, int]:
    """The app on a 80x24 pseudo-terminal, once its screen is drawn: (process, master fd)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 60
    while READY.encode() not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([master], [], [], max(0.0, left))
        if not ready:
            proc.kill()
            pytest.fail(f"the app did not draw its screen: {seen[-500:]!r}")
        seen += os.read(master, 65536)
    return proc, master


@pytest.mark.parametrize("how", ["close the terminal", "SIGHUP"])
def test_a_lost_terminal_saves_the_draft_and_exits(tmp_path, how):
    db = tmp_path / "workbench.duckdb"
    Store(db).drafts()  # a new, empty database
    proc, master = start(db)
    try:
        if how == "SIGHUP":
            os.kill(proc.pid, signal.SIGHUP)
        else:
            os.close(master)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if how == "SIGHUP":
            os.close(master)
    assert code != 0  # it did not go on as if nothing happened...
    draft = Store(db).draft("held")  # ...and the draft it held is in the database
    assert draft is not None and draft.data["feature"]["name"] == "Held"


def test_output_to_a_lost_terminal_is_dropped_so_the_writer_never_blocks():
    """Textual's writer thread ends on a failed write, and then its bounded queue
    fills: the app would block forever while shutting down. Through the driver's
    output file a failed write is dropped, reported once, and the queue drains."""
    import threading

    from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

    from aipm_workbench.ui.hangup import TerminalOutput

    class DeadTerminal:
        def write(self, text):
            raise OSError(5, "Input/output error")

        def flush(self):
            raise OSError(5, "Input/output error")

        def fileno(self):
            return 2

    lost = []
    output = TerminalOutput(DeadTerminal(), lambda: lost.append(True))
    writer = WriterThread(output)
    writer.start()
    done = threading.Event()

    def shut_down():
        for _ in range(MAX_QUEUED_WRITES * 5):
            writer.write("\x1b[?1000l")
        writer.stop()
        done.set()

    threading.Thread(target=shut_down, daemon=True).start()
    assert done.wait(timeout=10), "the writes blocked on the writer's full queue"
    assert lost == [True]  # reported once
    assert output.fileno() == 2  # the rest is the terminal's
