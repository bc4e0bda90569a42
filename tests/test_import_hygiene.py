"""Start-up stays light and layers point one way: each check imports a package in a fresh
interpreter and lists the heavy modules it pulled in."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

HEAVY = ("textual", "duckdb", "jinja2")


def loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> set[str]:
    """Top-level names of the heavy modules loaded by running ``code`` in a new interpreter."""
    script = (
        f"{code}\n"
        "import json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1])) & set(heavy)


def test_domain_imports_no_textual_duckdb_or_jinja2():
    assert loaded_after("import aipm_workbench.domain") == set()


def test_cli_start_up_imports_no_textual_duckdb_or_jinja2():
    assert loaded_after("import aipm_workbench.cli") == set()
    help_run = (
        "from aipm_workbench.cli import main\n"
        "try:\n"
        "    main(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    assert loaded_after(help_run) == set()


def test_check_command_imports_no_textual_duckdb_or_jinja2(sample_projects):
    run = (
        "import os\n"
        "os.environ['AIPM_WORKBENCH_TODAY'] = '2026-11-28'\n"
        "from aipm_workbench.cli import main\n"
        "try:\n"
        f"    main(['check', {str(sample_projects)!r}], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    assert loaded_after(run) == set()


def _skip_unless_exists(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} does not exist yet")


def test_storage_imports_no_jinja2_or_textual():
    _skip_unless_exists("aipm_workbench.storage")
    assert loaded_after("import aipm_workbench.storage") & {"jinja2", "textual"} == set()


def test_render_imports_no_duckdb_or_textual():
    _skip_unless_exists("aipm_workbench.render")
    assert loaded_after("import aipm_workbench.render") & {"duckdb", "textual"} == set()


def test_opening_the_portfolio_needs_no_pydantic_or_jinja2():
    """The full-screen app's first rows come straight from SQL: the store, the app and
    its start screen load neither the models (pydantic) nor the templates (jinja2)."""
    loaded = loaded_after(
        "from aipm_workbench.cli.app import make_app\n"
        "import aipm_workbench.storage, aipm_workbench.ui.app\n"
        "import aipm_workbench.ui.screens.portfolio\n",
        heavy=("pydantic", "jinja2"),
    )
    assert "pydantic" not in loaded
    assert "jinja2" not in loaded


def test_the_command_line_reports_errors_without_loading_pydantic():
    """Every command runs inside the group's error handling (``InvalidInput``,
    ``SettingsError``, ``StoreError``); loading it must not load the models, or the
    full-screen app's start pays for them."""
    loaded = loaded_after(
        "import aipm_workbench.cli.main, aipm_workbench.cli.app\n"
        "from aipm_workbench.domain.errors import InvalidInput\n"
        "from aipm_workbench.settings import SettingsError\n"
        "from aipm_workbench.storage.errors import StoreError\n",
        heavy=("pydantic", "jinja2"),
    )
    assert loaded == set()
