"""A process killed (SIGKILL) at any moment of ``observe --file`` leaves the database
with all of that file's observations, and the decision states they imply, or none."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from storage_support import HOOKED

from aipm_workbench.domain import iter_assessment_paths, read_assessment
from aipm_workbench.storage import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    work = tmp_path_factory.mktemp("observe-kill")
    db = work / "base.duckdb"
    samples = [read_assessment(p) for p in iter_assessment_paths([ROOT / "sample_projects"])]
    Store(db).import_assessments([(a.feature.id, a) for a in samples])
    return db


def outcome(db: Path, today) -> str:
    """ "all" (every observation and the re-opened decisions), "none", or what is torn."""
    store = Store(db)
    credit = len(store.observations("credit-limit-assist"))
    support = len(store.observations("support-bot"))
    states = {r.id: r.decision_state for r in store.rank(today=today)}
    reopened = {k for k, v in states.items() if v == "reopened"}
    if (credit, support) == (2, 3) and reopened == {"credit-limit-assist", "support-bot"}:
        return "all"
    if (credit, support) == (0, 0) and not reopened:
        return "none"
    return f"torn: {credit}+{support} observations, reopened {sorted(reopened)}"


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("after-insert-observations", "none"),
        ("after-insert-live", "none"),
        ("before-commit", "none"),
        ("after-commit", "all"),
    ],
)
def test_killed_at_a_point_of_recording(base, tmp_path, today, point, expected):
    db = tmp_path / "w.duckdb"
    shutil.copy(base, db)
    script = tmp_path / "hooked.py"
    script.write_text(HOOKED)
    csv = ROOT / "sample_projects" / "observations.csv"
    env = {**os.environ, "AIPM_WORKBENCH_TODAY": today.isoformat()}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), point, "observe", "--file", str(csv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = proc.stdout.readline()
    if line.strip() != "stopped":
        proc.kill()
        raise AssertionError(f"observe never reached {point}: {proc.stderr.read()}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert outcome(db, today) == expected
