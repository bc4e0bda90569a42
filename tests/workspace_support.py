"""Helpers for the workspace tests: real git repositories in temp folders, and the
command line run inside them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY

from aipm_workbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_projects"
GIT = {
    "GIT_AUTHOR_NAME": "Dana Reyes",
    "GIT_AUTHOR_EMAIL": "dana@example.com",
    "GIT_COMMITTER_NAME": "Dana Reyes",
    "GIT_COMMITTER_EMAIL": "dana@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

NEEDS_GIT = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(cwd: Path, *args: str, conflicts: bool = False) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT}, capture_output=True, text=True
    )
    assert done.returncode == (1 if conflicts else 0), done.stdout + done.stderr
    return done.stdout


def run(cwd: Path, *args: str):
    env = {"AIPM_WORKBENCH_TODAY": TODAY.isoformat(), "AIPM_WORKBENCH_DB": None}
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def ranking(cwd: Path) -> list[tuple]:
    result = run(cwd, "rank", "--format", "json")
    assert result.exit_code == 0, result.output
    return [(r["id"], r["residual_priority"], r["verdict"]) for r in json.loads(result.stdout)]


def make_team(tmp_path: Path) -> Path:
    """A workspace in a new git repository with three sample assessments, committed."""
    repo = tmp_path / "record"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    result = run(repo, "init")
    assert result.exit_code == 0, result.output
    for name in ("support-bot", "fraud-alerts", "call-summaries"):
        shutil.copy(SAMPLES / f"{name}.toml", repo / "assessments" / f"{name}.toml")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first assessments")
    return repo
