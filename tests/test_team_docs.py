"""The team's hook and CI workflow (docs/TEAMS.md) name real commands and options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from aipm_workbench.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _known(command: str) -> None:
    words = shlex.split(command)
    assert words[0] == "aipm-workbench", command
    sub = main.get_command(None, words[1])
    options = {o for p in sub.params for o in getattr(p, "opts", [])}
    for word in words[2:]:
        if word.startswith("--"):
            assert word in options, f"{command}: {word} is not an option of {words[1]}"


def test_the_pre_commit_hook_runs_a_real_command():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "aipm-check" and hook["language"] == "python"
    _known(hook["entry"])


def test_the_ci_workflow_is_valid_yaml_and_runs_real_commands():
    text = (ROOT / "docs" / "TEAMS.md").read_text()
    (block,) = re.findall(r"```yaml\n(name: assessments.*?)```", text, flags=re.S)
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["check"]["steps"]
    commands = [s["run"] for s in steps if "run" in s and s["run"].startswith("aipm-workbench")]
    assert len(commands) == 3
    for command in commands:
        _known(command)
