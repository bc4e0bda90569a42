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
    panel_cold, panel_warm = _panel(quick)
    return [
        Result(f"incidents --search, first call (loads {n} cases)", cold, "ms", 50),
        Result("incidents --search, warm (median)", statistics.median(warm), "ms", 50),
        Result("wizard precedents panel, first harm (loads the casebook)", panel_cold, "ms", 50),
        Result("wizard precedents panel, a harm (worst of every type)", panel_warm, "ms", 50),
    ]


STATEMENT = (
    "If the assistant is used as designed and gets it wrong by showing one user's private "
    "chats, medical records or face images to another user, then customers could lose "
    "their privacy, their jobs or their trust."
)


def _panel(quick: bool) -> tuple[float, float]:
    """The wizard's precedents panel for one harm, in process: rank the type's cases by
    the statement, make the list's lines and the linked cases' reference rows."""
    from aipm_workbench.domain import builtin_taxonomy
    from aipm_workbench.domain.casebook import builtin_casebook
    from aipm_workbench.ui.widgets.precedents import (
        case_text,
        ranked_cases,
        ratings_text,
        reference_rows,
    )

    def panel(type_id: str) -> float:
        t0 = time.perf_counter()
        casebook = builtin_casebook()
        cases = ranked_cases(casebook, type_id, STATEMENT)
        lines = [f"{ratings_text(c)}  {c.title} ({c.year})" for c in cases]
        harm = {
            "type": type_id,
            "severity": 4,
            "likelihood": 3,
            "reversibility": 4,
            "detectability": 3,
            "precedents": [c.id for c in cases[:3]],
        }
        reference_rows(harm, casebook)
        if cases:
            case_text(cases[0])  # the case opened to read
        elapsed = (time.perf_counter() - t0) * 1000
        if len(lines) != len(casebook.of_type(type_id)):
            raise RuntimeError(f"the panel lost cases of {type_id}")
        return elapsed

    types = builtin_taxonomy().ids()
    builtin_casebook.cache_clear()
    cold = panel("rights.privacy")
    rounds = 3 if quick else 20
    worst = max(statistics.median(panel(t) for _ in range(rounds)) for t in types)
    return cold, worst
