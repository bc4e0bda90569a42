"""Commands load on first use: every command a module registers is in the group's map,
and starting one command loads no other command's module."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click

import aipm_workbench.cli as cli
from aipm_workbench.cli.main import COMMAND_MODULES, main


def test_every_registered_command_is_in_the_map():
    for info in pkgutil.iter_modules(cli.__path__):
        importlib.import_module(f"aipm_workbench.cli.{info.name}")
    registered = {
        name: cmd.callback.__module__.rsplit(".", 1)[-1] for name, cmd in main.commands.items()
    }
    assert registered == COMMAND_MODULES
    assert sorted(main.list_commands(click.Context(main))) == sorted(COMMAND_MODULES)


def test_starting_check_loads_no_other_command():
    code = (
        "import sys\n"
        "from aipm_workbench.cli import main\n"
        "try:\n"
        "    main(['check', '--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('aipm_workbench.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip().splitlines()[-1]
    assert "aipm_workbench.cli.check" in loaded
    for other in ("portfolio", "living", "drill", "workspace", "incidents", "export"):
        assert f"aipm_workbench.cli.{other}'" not in loaded
