"""The templates and sample projects travel inside the wheel, where the renderer finds them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_built_wheel_contains_the_templates_and_sample_projects(tmp_path):
    # Built once, offline when the build backend is installed (it is a dev dependency).
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            *isolation,
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("aipm_workbench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in sorted((ROOT / "templates").glob("*.j2")):
        assert f"aipm_workbench/templates/{template.name}" in names
    assert "aipm_workbench/templates/decision_record.md.j2" in names
    assert "aipm_workbench/templates/portfolio.md.j2" in names
    samples = sorted((ROOT / "sample_projects").glob("*.toml"))
    assert samples
    for sample in samples:
        assert f"aipm_workbench/sample_projects/{sample.name}" in names
    assert "aipm_workbench/render/renderer.py" in names

    # Installed from the wheel (unpacked on its own), the renderer finds its templates.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import aipm_workbench.render as r, sys; d = r.templates_dir(); "
        "print(d); sys.exit(0 if (d / 'decision_record.md.j2').is_file() else 1)"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == site / "aipm_workbench" / "templates"
