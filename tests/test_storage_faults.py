"""Files the store must refuse untouched, and a database another process holds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from aipm_workbench.domain import iter_assessment_paths, read_assessment
from aipm_workbench.storage import (
    DatabaseDamaged,
    DatabaseLocked,
    DatabaseTooNew,
    Store,
    StoreError,
)
from aipm_workbench.storage import store as store_module

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [read_assessment(p) for p in iter_assessment_paths([ROOT / "sample_projects"])]


def every_call(store: Store):
    """Each public method once, reads and writes."""
    a = SAMPLES[0]
    yield "rank", lambda: store.rank()
    yield "latest", lambda: store.latest(a.feature.id)
    yield "revisions", lambda: store.revisions(a.feature.id)
    yield "summary", lambda: store.summary()
    yield "drafts", lambda: store.drafts()
    yield "save", lambda: store.save(a)
    yield "import", lambda: store.import_assessments([("x", a)])
    yield "save_draft", lambda: store.save_draft("x", {}, "feature")


def assert_refused_untouched(path: Path, error: type[StoreError], words: str) -> None:
    before = path.read_bytes()
    store = Store(path, lock_timeout=0.2)
    for name, call in every_call(store):
        with pytest.raises(error) as info:
            call()
        assert words in str(info.value), name
        assert "untouched" in str(info.value)
        assert path.read_bytes() == before, f"{name} changed the file"
        assert not Path(str(path) + ".wal").exists(), f"{name} left a write-ahead log"


@pytest.fixture(scope="module")
def good_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "good.duckdb"
    Store(path).import_assessments([(a.feature.id, a) for a in SAMPLES])
    return path


def test_a_file_that_is_not_duckdb_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("format = 'aipm-assessment/1'\n" * 500)
    assert_refused_untouched(path, DatabaseDamaged, "not a DuckDB file")


def test_a_short_binary_file_is_refused_untouched(tmp_path):
    path = tmp_path / "short.duckdb"
    path.write_bytes(b"\x00\x01DU")
    assert_refused_untouched(path, DatabaseDamaged, "not a DuckDB file")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: bytes(8) + b[8:], id="main-header-checksum"),
        pytest.param(lambda b: b[:4096] + b"\xff" * 8192 + b[12288:], id="database-headers"),
        pytest.param(lambda b: b[: len(b) // 3], id="truncated"),
        pytest.param(lambda b: b[:12288] + bytes(len(b) - 12288), id="blocks-zeroed"),
    ],
)
def test_a_damaged_database_is_refused_untouched(tmp_path, good_db, damage):
    path = tmp_path / "damaged.duckdb"
    path.write_bytes(damage(good_db.read_bytes()))
    assert_refused_untouched(path, DatabaseDamaged, "damaged")


def test_another_programs_duckdb_database_is_refused_untouched(tmp_path):
    path = tmp_path / "analytics.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE events (happened TIMESTAMP, what VARCHAR)")
    con.execute("INSERT INTO events VALUES (now(), 'login')")
    con.close()
    assert_refused_untouched(path, DatabaseDamaged, "another program")


def test_a_newer_schema_is_refused_untouched(tmp_path, good_db):
    path = tmp_path / "newer.duckdb"
    path.write_bytes(good_db.read_bytes())
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    assert_refused_untouched(path, DatabaseTooNew, "newer aipm-workbench (schema version 99")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(DatabaseDamaged, match="is a folder"):
        Store(tmp_path).rank()


def test_an_empty_file_is_a_new_database(tmp_path):
    path = tmp_path / "empty.duckdb"
    path.touch()
    store = Store(path)
    assert store.rank() == []
    assert path.read_bytes() == b"", "a read leaves it alone"
    store.save(SAMPLES[0])
    assert store.feature_ids() == [SAMPLES[0].feature.id]


# ---------------------------------------------------------------- locks

HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()   # hold the database until the test closes our stdin
con.close()
"""


@pytest.fixture
def holder(good_db):
    """A second process holding the database open; released when the test ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(good_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    yield proc
    if proc.poll() is None:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_a_held_database_names_its_holder(good_db, holder):
    store = Store(good_db, lock_timeout=0.3)
    with pytest.raises(DatabaseLocked) as info:
        store.rank()
    err = info.value
    assert err.holder is not None and f"(PID {holder.pid})" in err.holder
    assert err.holder.startswith("python")
    assert f"PID {holder.pid}" in str(err)
    assert "stayed locked for 0.3 seconds" in str(err)
    with pytest.raises(DatabaseLocked):
        store.save(SAMPLES[0])


def test_a_busy_database_is_waited_for(good_db, holder, monkeypatch):
    attempts = []
    retried = threading.Event()
    original = store_module._connect

    def counting(path, read_only):
        attempts.append(read_only)
        if len(attempts) >= 3:
            retried.set()  # the store has met the lock and retried: let the holder go
        return original(path, read_only)

    monkeypatch.setattr(store_module, "_connect", counting)
    store = Store(good_db, lock_timeout=60)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("rows", store.rank()))
    worker.start()
    assert retried.wait(timeout=60)
    holder.stdin.close()
    holder.wait(timeout=30)
    worker.join(timeout=60)
    assert len(result["rows"]) == len(SAMPLES)
    assert len(attempts) >= 3


def test_the_lock_timeout_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AIPM_WORKBENCH_LOCK_TIMEOUT", "0.25")
    assert Store(tmp_path / "x.duckdb").lock_timeout == 0.25
    monkeypatch.setenv("AIPM_WORKBENCH_LOCK_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="AIPM_WORKBENCH_LOCK_TIMEOUT"):
        Store(tmp_path / "x.duckdb")


def test_process_names_come_from_the_system():
    import psutil

    assert store_module.process_name(os.getpid()) == psutil.Process().name()
    assert "py" in store_module.process_command(os.getpid())
    assert store_module.process_name(2**22 + 12345) is None, "no such process"


def test_an_idle_store_holds_no_lock(tmp_path):
    """Between calls the file is free: another process can write it at once."""
    path = tmp_path / "shared.duckdb"
    store = Store(path, lock_timeout=0)
    store.import_assessments([(a.feature.id, a) for a in SAMPLES[:2]])
    assert len(store.rank()) == 2
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); "
            "c.execute(\"INSERT INTO meta VALUES ('touched', 'yes')\"); c.close()",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.returncode == 0, other.stderr
    assert store.meta()["touched"] == "yes"
    assert len(store.rank()) == 2
