"""One snapshot per screen and modal of the workbench at 100x32, and the main ones at
80x24 (clock and cursor frozen).

Update with ``pytest tests/test_ui_snapshots.py --snapshot-update`` and look at
the SVGs in ``tests/__snapshots__/`` before committing them.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from textual.widgets import Input
from ui_support import SIZE, TODAY, copy_db, sample_store, settle

from aipm_workbench.cli.app import make_app
from aipm_workbench.storage import Store


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("ui-template") / "samples.duckdb"
    sample_store(path)
    return path


@pytest.fixture
def db(sample_template, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    copy_db(sample_template, tmp_path / "workbench.duckdb")
    return tmp_path / "workbench.duckdb"


def ready(*keys: str):
    """A ``run_before``: wait for the database, press keys, freeze every cursor."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for node in pilot.app.screen.query(Input):
            node.cursor_blink = False
        await settle(pilot)

    return run_before


def test_portfolio_screen(db, snap_compare):
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready("down", "space", "down"))


def test_feature_detail_screen(db, snap_compare):
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready("enter"))


def test_compare_screen(db, snap_compare):
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready("space", "space", "c"))


def test_export_modal(db, snap_compare):
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready("e"))


SMALL = (80, 24)


def test_portfolio_screen_at_80x24(db, snap_compare):
    """Rank, name, residual tier and both verdicts; the rest on the detail line."""
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SMALL, run_before=ready("down"))


def test_feature_detail_screen_at_80x24(db, snap_compare):
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SMALL, run_before=ready("enter"))


def test_export_modal_at_80x24(db, snap_compare):
    """Every action of the dialog on screen."""
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SMALL, run_before=ready("e"))


def test_problem_modal(tmp_path, monkeypatch, snap_compare):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.duckdb").write_text("these are notes, not a database\n" * 50)
    app = make_app("notes.duckdb", today=TODAY)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready())


def test_drafts_modal(db, monkeypatch, snap_compare):
    from aipm_workbench.storage import store as store_module

    monkeypatch.setattr(store_module, "_utcnow", lambda: dt.datetime(2026, 11, 27, 16, 45))
    data = {"format": "aipm-assessment/1", "feature": {"id": "voice-notes", "name": "Voice notes"}}
    Store(db).save_draft("voice-notes", data, "ratings")
    app = make_app(db, today=TODAY)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready())
