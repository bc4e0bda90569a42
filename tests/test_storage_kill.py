"""A process killed (SIGKILL) at any moment of ``import`` leaves the database with
all of that import or none of it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from storage_support import HOOKED, check_consistent, synth

from aipm_workbench.domain import dump_toml, iter_assessment_paths, read_assessment
from aipm_workbench.storage import Store

ROOT = Path(__file__).resolve().parent.parent
N_NEW = 120


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A database holding the sample projects, and a folder to import into it:
    N_NEW new features and a changed call-summaries."""
    work = tmp_path_factory.mktemp("kill")
    base = work / "base.duckdb"
    samples = [read_assessment(p) for p in iter_assessment_paths([ROOT / "sample_projects"])]
    Store(base).import_assessments([(a.feature.id, a) for a in samples])
    folder = work / "incoming"
    synth.write_files(folder, N_NEW, seed=3)
    calls = next(a for a in samples if a.feature.id == "call-summaries")
    data = calls.model_dump()
    data["feature"]["stage"] = "prototype"
    (folder / "call-summaries.toml").write_text(
        dump_toml(type(calls).model_validate(data)), encoding="utf-8"
    )
    before = check_consistent(base)
    after_db = work / "after.duckdb"
    shutil.copyfile(base, after_db)
    Store(after_db).import_assessments(
        [(str(p), read_assessment(p)) for p in iter_assessment_paths([folder])]
    )
    after = check_consistent(after_db)
    assert before["features"] == len(samples)
    assert after["features"] == len(samples) + N_NEW
    assert after["latest"]["call-summaries"] == 2
    return {"base": base, "folder": folder, "before": before, "after": after, "work": work}


def all_or_nothing(db: Path, setup) -> str:
    state = check_consistent(db)  # opens the file as it was left, write-ahead log and all
    if state == setup["before"]:
        outcome = "none"
    elif state == setup["after"]:
        outcome = "all"
    else:
        raise AssertionError(f"a partial import: {state['features']} features")
    # The store opens it too, and ranks every feature.
    assert len(Store(db).rank()) == state["features"]
    return outcome


def fresh_copy(setup, name: str) -> Path:
    db = setup["work"] / f"{name}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(setup["base"], db)
    return db


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("after-insert-features", "none"),
        ("after-insert-revisions", "none"),
        ("after-insert-harms", "none"),
        ("before-commit", "none"),
        ("after-commit", "all"),
        ("at-close", "all"),
    ],
)
def test_killed_at_a_point_of_the_write(setup, tmp_path, point, expected):
    db = fresh_copy(setup, point)
    script = tmp_path / "hooked.py"
    script.write_text(HOOKED)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), point, "import", str(setup["folder"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if line.strip() != "stopped":
        proc.kill()
        raise AssertionError(f"the import never reached {point}: {proc.stderr.read()}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert all_or_nothing(db, setup) == expected


def test_killed_at_moments_spread_over_a_real_import(setup):
    """The installed command, killed after a share of the time a whole import takes."""
    command = [str(Path(sys.executable).with_name("aipm-workbench")), "--db"]
    db = fresh_copy(setup, "timed-full")
    started = time.perf_counter()
    done = subprocess.run([*command, str(db), "import", str(setup["folder"])], capture_output=True)
    whole = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert all_or_nothing(db, setup) == "all"
    outcomes = []
    for share in (0.6, 0.85, 0.97):
        db = fresh_copy(setup, f"timed-{share}")
        proc = subprocess.Popen([*command, str(db), "import", str(setup["folder"])])
        try:
            proc.wait(timeout=whole * share)  # the moment to kill it
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        outcomes.append(all_or_nothing(db, setup))
    assert set(outcomes) <= {"none", "all"}
