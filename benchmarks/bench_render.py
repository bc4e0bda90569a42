"""Decision records and the portfolio report.

- 1,000 decision records rendered (context and template; each template compiled
  once): under 1 s.
- The portfolio report for 10,000 features (ranking, risk matrix, rendering):
  under 2 s.

Also reported, without a target: exporting 1,000 records end to end from a
database file (read, evaluate, render, write each file atomically), and the
ranked table of 10,000 features as CSV and Parquet through DuckDB's COPY.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from synth import Result, assessments

TODAY = dt.date(2026, 11, 28)


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(quick: bool, workdir: Path) -> list[Result]:
    from aipm_workbench.domain import evaluate
    from aipm_workbench.render import Renderer, record_context
    from aipm_workbench.services import records
    from aipm_workbench.storage import Store

    repeat = 1 if quick else 3
    results: list[Result] = []

    # --- 1,000 records: render only (the data is evaluated beforehand).
    n = 1000
    items = assessments(n, seed=11)
    evaluations = [evaluate(a, TODAY) for a in items]
    renderer = Renderer()
    renderer.decision_record(record_context(evaluations[0]))  # compiles the template once

    def render_all() -> None:
        for ev in evaluations:
            renderer.decision_record(record_context(ev))

    results.append(
        Result(
            f"records: render {n:,} decision records",
            _best(render_all, 2 if quick else 5),
            "s",
            1.0,
            note="context and template; the template compiled once",
        )
    )

    results += _export_records(items, workdir, repeat)

    # --- The portfolio report.
    features = 2_000 if quick else 10_000
    big = Store(workdir / "portfolio.duckdb", lock_timeout=30)
    batch = 2_000
    for start in range(0, features, batch):
        chunk = assessments(min(batch, features - start), seed=100 + start)
        big.import_assessments(
            [(f"synthetic-{start + i}", _renamed(a, start + i)) for i, a in enumerate(chunk)]
        )
    report = workdir / "report"

    def portfolio_md() -> None:
        records.export_portfolio(big, report, "md", force=True, today=TODAY)

    results.append(
        Result(
            f"portfolio: report of {features:,} features",
            _best(portfolio_md, repeat),
            "s",
            None if quick else 2.0,
            note="rank, risk matrix, render, write"
            + ("; quick: fewer features, no target" if quick else ""),
        )
    )
    for fmt in ("csv", "parquet"):
        results.append(
            Result(
                f"portfolio: {features:,} ranked rows as {fmt} (DuckDB COPY)",
                _best(
                    lambda fmt=fmt: records.export_portfolio(
                        big, report, fmt, force=True, today=TODAY
                    ),
                    repeat,
                ),
                "s",
            )
        )
    return results


def _export_records(items: list, workdir: Path, repeat: int) -> list[Result]:
    """1,000 records end to end from a database file, and the writing alone."""
    from aipm_workbench.services import records
    from aipm_workbench.storage import Store

    n = len(items)
    store = Store(workdir / "records.duckdb", lock_timeout=30)
    store.import_assessments([(f"synthetic-{i}", a) for i, a in enumerate(items)])
    out = workdir / "records"

    def export_all() -> None:
        if out.exists():
            shutil.rmtree(out)
        records.export_records(store, None, out, today=TODAY)

    exported = _best(export_all, repeat)
    texts = [(out / p.name, p.read_text(encoding="utf-8")) for p in sorted(out.iterdir())]
    written = out.with_name("records-written")

    def write_all() -> None:
        if written.exists():
            shutil.rmtree(written)
        records.write_files([(written / p.name, text) for p, text in texts])

    return [
        Result(
            f"records: export {n:,} from a database file",
            exported,
            "s",
            1.0,
            note="read, evaluate, render and write them; one flush of the disk, not one per file",
        ),
        Result(
            f"records: write {n:,} rendered records (temporary files, flush, rename)",
            _best(write_all, repeat),
            "s",
            note="the writing part of the export above",
        ),
    ]


def _renamed(a, i: int):
    """The same synthetic assessment under a unique feature id."""
    feature = a.feature.model_copy(update={"id": f"feature-{i:06d}", "name": f"Feature {i}"})
    return a.model_copy(update={"feature": feature})
