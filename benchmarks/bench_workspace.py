"""A team's workspace: the first sync of its files into a new index, and a sync after
a pull that changed a few of them (issue targets: 10,000 files, 10 changed)."""

from __future__ import annotations

import time
from pathlib import Path

from synth import Result, write_files


def _sync(root: Path) -> tuple[float, str]:
    from aipm_workbench.services.workspace import sync
    from aipm_workbench.settings import WORKSPACE_INDEX
    from aipm_workbench.storage import Store

    started = time.perf_counter()
    report = sync(root, Store(root / WORKSPACE_INDEX))
    return time.perf_counter() - started, report.line()


def run(quick: bool, workdir: Path) -> list[Result]:
    from aipm_workbench.services.workspace import init

    n = 2_000 if quick else 10_000
    root = workdir / "record"
    init(root)
    paths = write_files(root / "assessments", n)
    first, line = _sync(root)
    assert line.startswith(f"synced: {n} new"), line
    for p in paths[:10]:  # as a pull would change them
        p.write_text(p.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    again, line = _sync(root)
    assert line == f"synced: 0 new, 10 changed, {n - 10} unchanged files", line
    note = "quick: 2,000 files instead of 10,000" if quick else ""
    return [
        Result(f"workspace: first sync of {n:,} files", first, "s", 10.0, note),
        Result(f"workspace: sync after 10 of {n:,} files changed", again, "s", 0.5, note),
    ]
