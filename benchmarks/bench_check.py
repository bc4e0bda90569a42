"""`check` on 1,000 generated files of five harms each: under 1 s of work after start-up."""

from __future__ import annotations

import time
from pathlib import Path

from synth import Result, write_files


def run(quick: bool, workdir: Path) -> list[Result]:
    from aipm_workbench.domain import evaluate, read_assessment

    n = 1000
    paths = write_files(workdir / "files", n)
    best = float("inf")
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter()
        for p in paths:
            evaluate(read_assessment(p))
        best = min(best, time.perf_counter() - t0)
    return [Result(f"check: read, validate and score {n} files x 5 harms", best, "s", 1.0)]
