"""The one worker convention: workers raise, and one handler tells the user.

Every database or file call runs in a thread worker created with
``exit_on_error=False`` that simply raises. Textual posts
``Worker.StateChanged`` to the node that started the worker (it does not
bubble), so screens and widgets mix in :class:`ReportsWorkerErrors`, which
hands an ``ERROR`` to ``App.report_error``: one place turns any exception into
a dialog that says what happened and what to do (``describe_error``).

A screen that must also react itself (re-enable a button, keep a form open)
overrides :meth:`ReportsWorkerErrors.worker_failed` and calls ``super()``.
"""

from __future__ import annotations

from typing import Any

from textual.worker import Worker, WorkerState


class ReportsWorkerErrors:
    """Mixin for a Screen or Widget whose workers raise instead of posting errors."""

    app: Any

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.worker_failed(event.worker, event.worker.error)

    def worker_failed(self, worker: Worker, error: BaseException) -> None:
        """Called once per failed worker; the default shows the app's problem dialog."""
        self.app.report_error(error)
