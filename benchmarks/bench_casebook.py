"""`incidents --search` in process: under 50 ms, the first call (which loads and validates
the casebook) and a warm call alike."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from synth import Result

QUERIES = ("chatbot privacy", "facial recognition arrest", "welfare fraud algorithm", "bias")


def run(quick: bool, workdir: Path) -> list[Result]:
    from click.testing import CliRunner

    from aipm_workbench.cli import main
    from aipm_workbench.domain.casebook import builtin_casebook

    runner = CliRunner()

    def search(words: str) -> float:
        t0 = time.perf_counter()
        result = runner.invoke(main, ["incidents", "--search", words])
        elapsed = time.perf_counter() - t0
        if result.exit_code != 0 or "incidents." not in result.output:
            raise RuntimeError(f"incidents --search {words!r} failed: {result.output}")
        return elapsed * 1000

    builtin_casebook.cache_clear()
    cold = search(QUERIES[0])
    rounds = 5 if quick else 50
    warm = [search(q) for _ in range(rounds) for q in QUERIES]
    n = len(builtin_casebook())
    return [
        Result(f"incidents --search, first call (loads {n} cases)", cold, "ms", 50),
        Result("incidents --search, warm (median)", statistics.median(warm), "ms", 50),
    ]
