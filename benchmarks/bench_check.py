"""`check` on 1,000 generated files of five harms each: under 1 s of work after start-up.

And one feature with many harms: ``evaluate()`` (findings and sensitivity included)
of 10,000 harms under 2 s. Sensitivity once grew with the square of the harm
count (1,000 harms 1.2 s, 4,000 18 s, 10,000 125 s on the shape below).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

from synth import Result, write_files

TODAY = dt.date(2026, 11, 28)


def many_harms(n: int, seed: int = 7) -> dict:
    """One feature with ``n`` harms rated 1-3, most covered: it ships with guardrails,
    so every harm has a change that makes the verdict better or worse (the most
    sensitivity work there is)."""
    rng = random.Random(seed)
    harms, fallbacks = [], []
    for h in range(n):
        harm = {
            "id": f"harm-{h}",
            "type": "rights.privacy",
            "source": "system_error",
            "statement": f"If way {h} fails, then a user could be harmed.",
            "severity": rng.randint(1, 3),
            "likelihood": rng.randint(1, 3),
            "reversibility": rng.randint(1, 3),
            "detectability": rng.randint(1, 3),
        }
        if rng.random() < 0.6:
            harm["residual"] = {"likelihood": 1, "detectability": rng.randint(1, 3)}
        harms.append(harm)
        if rng.random() < 0.7:
            fallbacks.append(
                {
                    "id": f"fb-{h}",
                    "covers": [f"harm-{h}"],
                    "kind": rng.choice(["block", "warn_user", "monitor", "human_review"]),
                    "trigger": "confidence below threshold",
                    "action": "route to a person",
                    **({"tested_on": dt.date(2026, 1, 2)} if rng.random() < 0.7 else {}),
                }
            )
    return {
        "format": "aipm-assessment/1",
        "feature": {"id": "many-harms", "name": "Many harms", "population": 100_000},
        "harms": harms,
        "fallbacks": fallbacks,
        "metrics": [
            {
                "name": "Escalation rate",
                "kind": "product",
                "target": "below 2%",
                "decided_on": dt.date(2026, 1, 5),
            }
        ],  # fmt: skip
        "premortem": [{"failure": "Nobody trusted it."}],
    }


def _evaluate_many(quick: bool) -> list[Result]:
    from aipm_workbench.domain import evaluate, parse_assessment

    out = []
    for n in (1_000, 10_000) if quick else (1_000, 4_000, 10_000):
        a = parse_assessment(many_harms(n), f"many-harms-{n}")
        best = float("inf")
        for _ in range(1 if quick else 3):
            t0 = time.perf_counter()
            ev = evaluate(a, TODAY)
            best = min(best, time.perf_counter() - t0)
        assert len(ev.sensitivity) >= n  # every harm has at least one lever here
        out.append(
            Result(
                f"evaluate one feature of {n:,} harms (with sensitivity)",
                best,
                "s",
                2.0 if n == 10_000 else None,
            )
        )
    return out


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
    results = [Result(f"check: read, validate and score {n} files x 5 harms", best, "s", 1.0)]
    return results + _evaluate_many(quick)
