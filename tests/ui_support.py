"""Helpers for the full-screen app's tests: databases to open and ways to wait."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from conftest import TODAY  # noqa: F401  (re-exported: the one fixed "today" of the tests)
from textual.worker import WorkerFailed, WorkerState

from aipm_workbench.domain import iter_assessment_paths, parse_assessment, read_assessment
from aipm_workbench.storage import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_projects"

SIZE = (100, 32)


def pilot_test(fn):
    """Run an ``async def`` test (it drives the app with ``run_test``) to completion."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


def sample_store(path: Path) -> Store:
    """A database holding the ten sample projects."""
    store = Store(path)
    items = [(str(p), read_assessment(p)) for p in iter_assessment_paths([SAMPLES])]
    store.import_assessments(items)
    return store


def copy_db(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


def small_assessment(i: int, tier_seed: int = 0):
    """A valid assessment with one harm whose ratings vary with ``i``."""
    s = 1 + (i + tier_seed) % 5
    data = {
        "format": "aipm-assessment/1",
        "feature": {
            "id": f"bulk-{i:04d}",
            "name": f"Bulk feature {i:04d}",
            "owner": "Test Owner",
            "stage": ("concept", "beta", "launched")[i % 3],
            "population": 1000 + i,
        },
        "harms": [
            {
                "id": "h",
                "type": "rights.privacy",
                "source": "system_error",
                "statement": "If it fails, then someone could be hurt.",
                "severity": s,
                "likelihood": 1 + i % 5,
                "reversibility": 1 + (i // 5) % 5,
                "detectability": 1 + (i // 25) % 5,
            }
        ],
        "metrics": [
            {"name": "A metric", "kind": "product", "target": "t", "decided_on": "2026-01-10"}
        ],
        "premortem": [{"failure": "It failed."}],
    }
    return parse_assessment(data, f"bulk-{i}")


def bulk_store(path: Path, n: int) -> Store:
    store = Store(path)
    store.import_assessments([(f"bulk-{i}", small_assessment(i)) for i in range(n)])
    return store


def busy(app) -> bool:
    return any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def settle(pilot, timeout: float = 10.0) -> None:
    """Wait until no worker runs and the messages they posted are handled."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(WorkerFailed):  # workers raise; the app shows a problem
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not busy(app):
            # what the workers' messages mounted gets laid out and drawn
            for _ in range(3):
                await pilot.pause()
            if not busy(app):
                return
        if time.monotonic() > deadline:
            raise AssertionError("workers kept running")


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (letting the app run) until ``condition()`` holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)
    await settle(pilot)


def shown_ids(app) -> list[str]:
    """The feature ids the portfolio table draws, top to bottom."""
    from aipm_workbench.ui.screens.portfolio import PortfolioScreen

    screen = app.portfolio if not isinstance(app.screen, PortfolioScreen) else app.screen
    return [row.id for row in screen.table.visible_rows()]


def screen_text(app) -> str:
    """The text on the terminal, line by line (what the user reads)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def field_at(screen, path: str):
    """The wizard field for ``path`` on the screen's current step."""
    from aipm_workbench.ui.wizard.fields import Field

    for field in screen.pane().query(Field):
        if field.path == path:
            return field
    raise AssertionError(f"no field for {path} on step {screen.current_step}")
