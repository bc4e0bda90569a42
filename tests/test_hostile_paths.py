"""Hostile paths and faults: what --db names, files that are not files, unreadable
folders, a full disk after a commit, and a database changed behind the workbench's back.
Every case ends in a message and an exit code, never a traceback, and nothing that
is not a regular file is ever deleted or replaced."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import dump_toml, iter_assessment_paths, read_assessment
from aipm_workbench.storage import DatabaseDamaged, Store, StoreError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_projects"
SCRIPT = str(Path(sys.executable).with_name("aipm-workbench"))
ENV = {"AIPM_WORKBENCH_TODAY": "2026-11-28", "AIPM_WORKBENCH_DB": None}


def run(*args: str):
    return CliRunner(env=ENV).invoke(main, list(args))


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def first_sample() -> Path:
    return sorted(SAMPLES.glob("*.toml"))[0]


# ------------------------------------------------------------- what --db names


def test_a_fifo_at_db_is_refused_untouched(tmp_path):
    fifo = tmp_path / "x.duckdb"
    os.mkfifo(fifo)
    for args in (["rank"], ["import", str(first_sample())], ["history", "x"]):
        result = run("--db", str(fifo), *args)
        no_traceback(result)
        assert result.exit_code == 3, (args, result.output)
        assert "not a workbench database: a FIFO at the path" in result.stderr
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO is still there"


def test_a_character_device_at_db_is_refused_untouched(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device needs root")
    dev = tmp_path / "null.duckdb"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null
    result = run("--db", str(dev), "import", str(first_sample()))
    no_traceback(result)
    assert result.exit_code == 3
    assert "not a workbench database: a character device at the path" in result.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


def test_a_folder_at_db_is_refused_untouched(tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    result = run("--db", str(folder), "import", str(first_sample()))
    assert result.exit_code == 3
    assert "not a workbench database" in result.stderr
    assert folder.is_dir() and not any(folder.iterdir())


def test_a_symlink_to_an_empty_file_becomes_a_database_where_it_points(tmp_path):
    target = tmp_path / "real.duckdb"
    target.touch()
    link = tmp_path / "link.duckdb"
    link.symlink_to(target)
    result = run("--db", str(link), "import", str(first_sample()))
    assert result.exit_code == 0, result.output
    assert link.is_symlink(), "the link was not replaced"
    assert target.stat().st_size > 0
    assert len(Store(target).feature_ids()) == 1


def test_an_empty_regular_file_becomes_a_database_in_place(tmp_path):
    path = tmp_path / "empty.duckdb"
    path.touch()
    result = run("--db", str(path), "import", str(first_sample()))
    assert result.exit_code == 0, result.output
    assert len(Store(path).feature_ids()) == 1


# -------------------------------------------------------------- --db after


def test_db_is_accepted_after_the_command(tmp_path):
    db = tmp_path / "w.duckdb"
    imported = run("import", "--db", str(db), str(SAMPLES))
    assert imported.exit_code == 0, imported.output
    after = run("rank", "--db", str(db), "--format", "json")
    before = run("--db", str(db), "rank", "--format", "json")
    assert after.exit_code == 0, after.output
    assert after.stdout == before.stdout and '"call-summaries"' in after.stdout
    assert run("history", "call-summaries", "--db", str(db)).exit_code == 0
    out = tmp_path / "out"
    exported = run("export", "call-summaries", "--db", str(db), "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "--db" in run("rank", "--help").stdout


def test_db_before_and_after_the_command_is_a_usage_error(tmp_path):
    db = tmp_path / "w.duckdb"
    result = run("--db", str(db), "rank", "--db", str(db))
    assert result.exit_code == 2
    assert "--db is given twice" in result.stderr
    assert not db.exists()


# ------------------------------------------------------------- disk full


def test_a_failed_close_after_the_commit_reports_what_was_written(tmp_path, monkeypatch):
    """Simulated: the commit succeeds, then detaching the file fails (as on a full disk)."""
    from aipm_workbench.storage import engine as engine_module

    db = tmp_path / "w.duckdb"
    real_close = engine_module.Attached.close

    def close_then_fail(self):
        real_close(self)
        raise duckdb.IOException('Could not write file "w.duckdb": No space left on device')

    monkeypatch.setattr(engine_module.Attached, "close", close_then_fail)
    result = run("--db", str(db), "import", str(SAMPLES))
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "10 imported: 10 new revisions" in result.stdout
    assert "warning: the changes were saved" in result.stderr
    assert "No space left on device" in result.stderr
    monkeypatch.setattr(engine_module.Attached, "close", real_close)
    assert len(Store(db).feature_ids()) == 10


def test_a_failed_close_of_a_read_or_before_the_commit_is_still_an_error(tmp_path, monkeypatch):
    from aipm_workbench.storage import engine as engine_module

    db = tmp_path / "w.duckdb"
    store = Store(db)
    store.save(read_assessment(first_sample()))

    def failing_close(self):
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr(engine_module.Attached, "close", failing_close)
    with pytest.raises(StoreError, match="No space left"):
        store.rank()


@pytest.fixture
def small_tmpfs():
    """A 3 MB tmpfs, when this machine lets the tests mount one (as root)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mnt = Path(tempfile.mkdtemp(prefix="aipm-tmpfs-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)])
    if done.returncode != 0:
        mnt.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        mnt.rmdir()


def test_disk_full_after_the_commit_on_a_real_tmpfs(small_tmpfs, tmp_path):
    import random

    from storage_support import varied_data

    rng = random.Random(5)
    folder = tmp_path / "files"
    folder.mkdir()
    from aipm_workbench.domain import parse_assessment

    for i in range(400):
        a = parse_assessment(varied_data(i, rng), f"f{i}")
        (folder / f"f{i}.toml").write_text(dump_toml(a), encoding="utf-8")
    db = small_tmpfs / "w.duckdb"
    done = subprocess.run(
        [SCRIPT, "--db", str(db), "import", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AIPM_WORKBENCH_TODAY": "2026-11-28"},
    )
    assert "Traceback" not in done.stderr
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in small_tmpfs.iterdir():
        shutil.copy(p, copy / p.name)
    stored = len(Store(copy / "w.duckdb").feature_ids()) if (copy / "w.duckdb").exists() else 0
    assert stored in (0, 400), "all or nothing"
    if done.returncode == 3 and stored == 0:
        assert "imported" not in done.stdout
        pytest.skip("the disk filled before the commit on this machine")
    assert stored == 400
    assert done.returncode == 0, f"written, yet reported as failed: {done.stderr}"
    assert "400 imported" in done.stdout
    if "warning" in done.stderr:
        assert "the changes were saved" in done.stderr


# ---------------------------------------------------------------- demo


def test_demo_refuses_a_database_that_holds_only_drafts(tmp_path):
    db = tmp_path / "mine.duckdb"
    Store(db).save_draft("my-feature", {"feature": {"name": "unsaved work"}}, "feature")
    result = run("demo", "--db", str(db))
    no_traceback(result)
    assert result.exit_code == 2
    assert "demo did not create" in result.stderr
    assert [d.feature_id for d in Store(db).drafts()] == ["my-feature"]


# ------------------------------------------------------- files that are not files


def test_a_fifo_named_on_the_command_line_is_refused_not_waited_for(tmp_path):
    fifo = tmp_path / "a.toml"
    os.mkfifo(fifo)
    for args in (["check", str(fifo)], ["import", "--dry-run", str(fifo)]):
        done = subprocess.run(
            [SCRIPT, "--db", str(tmp_path / "w.duckdb"), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "AIPM_WORKBENCH_TODAY": "2026-11-28"},
        )
        assert done.returncode == 2, done.stderr
        assert f"{fifo}: is a FIFO, not a regular file" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_device_is_refused_before_reading(tmp_path):
    """In a process limited to 2 GB of memory, so that reading without limit fails fast."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run(
        [SCRIPT, "check", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
        env={**os.environ, "AIPM_WORKBENCH_TODAY": "2026-11-28"},
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: is a character device, not a regular file" in done.stderr


def test_a_file_over_50_mb_is_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024 + 1)  # sparse: no 50 MB written
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(p) or real_open(p, *a, **k))
    result = run("check", str(big))
    no_traceback(result)
    assert result.exit_code == 2
    assert f"{big}: is larger than 50 MB" in result.stderr
    assert Path(big) not in [Path(p) for p in opened if isinstance(p, str | Path)], "not opened"


def lock_folder(folder: Path, monkeypatch) -> None:
    """Make ``folder`` unreadable: mode 000 for a normal user; for root, who reads
    anything (and whose interpreter here an unprivileged user cannot run), the
    system calls on it and inside it fail the way they do for a normal user."""
    folder.chmod(0)
    if os.geteuid() != 0:
        return
    inside = str(folder) + os.sep
    real_stat, real_scandir = os.stat, os.scandir

    def denied(path) -> PermissionError:
        return PermissionError(13, "Permission denied", str(path))

    def stat_(path, *args, **kwargs):
        if str(path).startswith(inside):
            raise denied(path)
        return real_stat(path, *args, **kwargs)

    def scandir(path="."):
        if str(path) == str(folder) or str(path).startswith(inside):
            raise denied(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "stat", stat_)
    monkeypatch.setattr(os, "scandir", scandir)


def test_a_file_in_an_unreadable_folder_is_exit_2_naming_it(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(first_sample(), locked / "a.toml")
    lock_folder(locked, monkeypatch)
    try:
        result = run("check", str(locked / "a.toml"))
    finally:
        locked.chmod(0o755)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert f"{locked / 'a.toml'}: cannot read the file: permission denied" in result.stderr


def test_an_unreadable_folder_fails_the_import_and_writes_nothing(tmp_path, monkeypatch):
    top = tmp_path / "in"
    (top / "locked").mkdir(parents=True)
    shutil.copy(first_sample(), top / "a.toml")
    shutil.copy(sorted(SAMPLES.glob("*.toml"))[1], top / "locked" / "b.toml")
    db = tmp_path / "w.duckdb"
    lock_folder(top / "locked", monkeypatch)
    try:
        result = run("--db", str(db), "import", str(top))
    finally:
        (top / "locked").chmod(0o755)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert f"{top / 'locked'}: cannot read the folder: permission denied" in result.stderr
    assert "imported" not in result.stdout
    assert not db.exists(), "nothing written"


def test_symlink_loops_and_dangling_links_are_reported(tmp_path):
    top = tmp_path / "in"
    (top / "sub").mkdir(parents=True)
    shutil.copy(first_sample(), top / "a.toml")
    (top / "sub" / "back").symlink_to(top)
    (top / "self.toml").symlink_to(top / "self.toml")
    (top / "gone.toml").symlink_to(top / "missing.toml")
    skipped: list[tuple[str, str]] = []
    files = list(iter_assessment_paths([top], on_skip=lambda p, why: skipped.append((p, why))))
    assert files == [top / "a.toml"]
    assert dict(skipped) == {
        str(top / "sub" / "back"): f"a symbolic link loop (back to {os.path.realpath(top)})",
        str(top / "self.toml"): "a symbolic link loop",
        str(top / "gone.toml"): "a symbolic link to nothing",
    }
    result = run("check", str(top))
    assert result.exit_code == 0, result.output
    assert f"warning: skipped {top / 'self.toml'}: a symbolic link loop" in result.stderr
    assert f"warning: skipped {top / 'sub' / 'back'}: a symbolic link loop" in result.stderr


def test_the_same_file_given_twice_is_read_once(tmp_path):
    db = tmp_path / "w.duckdb"
    a = first_sample()
    result = run("--db", str(db), "import", str(a), str(a), str(SAMPLES))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("10 imported")


# -------------------------------------------------- a database changed behind our back


def test_an_invalid_id_in_the_database_is_a_damaged_database(tmp_path):
    db = tmp_path / "w.duckdb"
    assert run("--db", str(db), "import", str(SAMPLES)).exit_code == 0
    con = duckdb.connect(str(db))
    con.execute(
        'UPDATE revisions SET body = replace(body, \'"id": "call-summaries"\', '
        "'\"id\": \"Bad Id!\"') WHERE feature_id = 'call-summaries'"
    )
    con.close()
    for args in (
        ["history", "call-summaries"],
        ["export", "--all", "--out", str(tmp_path / "out")],
        ["export", "--all", "--format", "toml", "--out", str(tmp_path / "out2")],
    ):
        result = run("--db", str(db), *args)
        no_traceback(result)
        assert result.exit_code == 3, (args, result.output)
        assert "'Bad Id!'" in result.stderr and "call-summaries" in result.stderr
        assert "damaged" in result.stderr
    with pytest.raises(DatabaseDamaged):
        Store(db).latest("call-summaries")


def test_export_of_an_unknown_id_suggests_the_closest_and_a_real_command(tmp_path):
    db = tmp_path / "w.duckdb"
    assert run("--db", str(db), "import", str(SAMPLES)).exit_code == 0
    close = run("--db", str(db), "export", "call-sumaries", "--out", str(tmp_path / "o"))
    assert close.exit_code == 2
    assert "did you mean call-summaries?" in close.stderr
    far = run("--db", str(db), "export", "zzzz", "--out", str(tmp_path / "o"))
    assert "`aipm-workbench rank` lists the features" in far.stderr
    assert "aipm-workbench list" not in close.stderr + far.stderr


def test_dates_in_stored_rows_still_read(tmp_path):
    """A sanity check that the refusals above do not refuse a good database."""
    db = tmp_path / "w.duckdb"
    Store(db).save(read_assessment(first_sample()))
    assert (
        Store(db).rank(today=dt.date(2026, 11, 28))[0].id
        == read_assessment(first_sample()).feature.id
    )


# ---------------------------------------------------------------- big exports


def test_an_export_flushes_the_disk_once_not_once_per_file(tmp_path, monkeypatch):
    from aipm_workbench.services import records

    db = tmp_path / "w.duckdb"
    assert run("--db", str(db), "import", str(SAMPLES)).exit_code == 0
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    paths = records.export_records(Store(db), None, tmp_path / "out", today=dt.date(2026, 11, 28))
    assert len(paths) == 10
    assert len(synced) <= 1, "at most the folder is synced; the files by one flush of the disk"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_exports_read_and_render_in_batches_with_the_same_result(tmp_path, monkeypatch):
    from aipm_workbench.services import records
    from aipm_workbench.storage import exports

    db = tmp_path / "w.duckdb"
    assert run("--db", str(db), "import", str(SAMPLES)).exit_code == 0
    today = dt.date(2026, 11, 28)
    whole = records.export_records(Store(db), None, tmp_path / "whole", today=today)
    seen: list[int] = []
    real = exports.revisions_with_assessments

    def counting(store, ids=None, upto=None):
        seen.append(len(ids))
        return real(store, ids, upto)

    monkeypatch.setattr(records, "BATCH_FEATURES", 3)
    monkeypatch.setattr(exports, "revisions_with_assessments", counting)
    parts = records.export_records(Store(db), None, tmp_path / "parts", today=today)
    assert seen == [3, 3, 3, 1]
    assert [p.read_text() for p in parts] == [p.read_text() for p in whole]
    assert [p.name for p in records.export_assessments(Store(db), None, tmp_path / "t")] == [
        f"{p.name.rsplit('-r', 1)[0]}.toml" for p in whole
    ]


def test_a_large_import_bounds_the_engine_memory_and_restores_it(tmp_path, monkeypatch):
    from aipm_workbench.storage import engine
    from aipm_workbench.storage import store as store_module

    limits: list[str] = []
    real_close = engine.Attached.close

    def close(self):
        limits.append(self.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        real_close(self)

    monkeypatch.setattr(store_module, "BOUNDED_FROM", 5)
    monkeypatch.setattr(engine.Attached, "close", close)
    cursor = engine.engine_cursor()
    before = cursor.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert run("--db", str(tmp_path / "w.duckdb"), "import", str(SAMPLES)).exit_code == 0
    assert limits[-1].replace(" ", "").lower().startswith("9")  # 96 MB (DuckDB: "91.5 MiB")
    assert cursor.execute("SELECT current_setting('memory_limit')").fetchone()[0] == before
    cursor.close()


def test_today_is_resolved_in_one_place(monkeypatch):
    from aipm_workbench import settings

    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", "2026-03-01")
    assert settings.today() == dt.date(2026, 3, 1)
    assert settings.today(dt.date(2020, 1, 2)) == dt.date(2020, 1, 2)
