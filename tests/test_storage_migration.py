"""A schema-version-1 database (tests/fixtures/workbench-v1.duckdb) opens migrated, nothing lost."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from storage_support import check_consistent

from aipm_workbench.domain import Assessment, dump_json, evaluate, read_assessment
from aipm_workbench.storage import SCHEMA_VERSION, Store

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "workbench-v1.duckdb"
SAMPLES = Path(__file__).resolve().parent.parent / "sample_projects"
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)


def raw(path: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def v1(tmp_path) -> Path:
    path = tmp_path / "old.duckdb"
    shutil.copyfile(FIXTURE, path)
    return path


def test_the_fixture_is_version_1():
    assert raw(FIXTURE, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    columns = [
        r[0]
        for r in raw(
            FIXTURE, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'features'"
        )
    ]
    assert "latest" not in columns
    assert SCHEMA_VERSION > 1


def test_migration_keeps_every_revision_and_draft(v1):
    before_revisions = raw(
        v1,
        "SELECT feature_id, number, saved_at, note, content_hash, body FROM revisions ORDER BY ALL",
    )
    before_harms = raw(v1, "SELECT * FROM harms ORDER BY ALL")
    before_drafts = raw(v1, "SELECT * FROM drafts ORDER BY ALL")
    before_features = raw(v1, "SELECT id, created_at FROM features ORDER BY ALL")

    store = Store(v1)
    rows = store.rank(today=TODAY)  # a read migrates the file first
    assert store.schema_version() == SCHEMA_VERSION
    assert raw(v1, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]
    assert (
        raw(
            v1,
            "SELECT feature_id, number, saved_at, note, content_hash, body FROM revisions ORDER BY ALL",
        )
        == before_revisions
    )
    assert raw(v1, "SELECT * FROM harms ORDER BY ALL") == before_harms
    assert raw(v1, "SELECT * FROM drafts ORDER BY ALL") == before_drafts
    assert raw(v1, "SELECT id, created_at FROM features ORDER BY ALL") == before_features
    check_consistent(v1)

    assert [r.id for r in rows] == ["call-summaries", "support-bot", "fraud-alerts"]
    calls = next(r for r in rows if r.id == "call-summaries")
    assert (calls.revision, calls.verdict, calls.residual_priority) == (2, "hold", "high")

    history = store.revisions("call-summaries")
    assert [(i.number, i.note) for i in history] == [(1, None), (2, "severity reviewed with legal")]
    assert "harm privileged-calls: severity 5 -> 4" in history[1].changes
    assert history[0].saved_at == dt.datetime(2026, 3, 18, 9, 30, tzinfo=dt.UTC)
    original = read_assessment(SAMPLES / "call-summaries.toml")
    assert store.revision("call-summaries", 1).assessment == original

    draft = store.draft("support-bot")
    assert draft.step == "ratings"
    assert draft.data["feature"]["name"] == "Support chatbot with human handoff (draft)"


def test_migrated_rows_equal_evaluate(v1):
    store = Store(v1)
    for row in store.rank(today=TODAY):
        stored = store.latest(row.id)
        ev = evaluate(stored.assessment, TODAY)
        assert (row.errors, row.warnings, row.overdue) == (ev.errors, ev.warnings, ev.overdue)
        assert len(stored.info.content_hash) == 64
        assert (
            dump_json(stored.assessment)
            == raw(
                v1,
                f"SELECT body FROM revisions WHERE feature_id = '{row.id}' AND number = {row.revision}",
            )[0][0]
        )


def test_a_migrated_database_takes_new_revisions(v1):
    store = Store(v1)
    calls = store.latest("call-summaries").assessment
    data = calls.model_dump()
    data["feature"]["stage"] = "retired"
    info = store.save(Assessment.model_validate(data))
    assert (info.number, info.created) == (3, True)
    assert store.save(Assessment.model_validate(data)).created is False
    assert store.draft("support-bot") is not None, "saving another feature keeps this draft"
    summary = check_consistent(v1)
    assert summary["latest"]["call-summaries"] == 3


def test_a_read_only_look_at_an_old_database_does_not_need_a_migration_twice(v1):
    store = Store(v1)
    store.rank()
    stamp = raw(v1, "SELECT value FROM meta WHERE key LIKE 'migrated_from_1_at'")
    assert len(stamp) == 1
    store.rank()
    assert raw(v1, "SELECT value FROM meta WHERE key LIKE 'migrated_from_%'") == stamp
