"""Living decisions: recording observations, and the portfolio's due work and ranking
when 10,000 features carry 1,000,000 observations (DOMAIN.md section 9)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import statistics
import time
from pathlib import Path

from bench_storage import build_portfolio, cache_tag
from synth import Result

RUNS = 11
FEATURES = 10_000
START = dt.date(2020, 1, 1)


def _observations(ids: list[str], per_feature: int, seed: int) -> list:
    """``population`` readings below every synthetic feature's declared reach."""
    from aipm_workbench.domain.living import Observation

    rng = random.Random(seed)
    return [
        Observation(fid, "population", float(rng.randint(1, 1000)), START + dt.timedelta(days=d))
        for fid in ids
        for d in range(per_feature)
    ]


def _with_observations(base: Path, path: Path, per_feature: int) -> Path:
    """A copy of the 10,000-feature portfolio with ``per_feature`` observations each."""
    from aipm_workbench.storage import Store

    if path.exists():
        return path
    shutil.copy(base, path)
    store = Store(path)
    ids = store.feature_ids()
    for start in range(0, len(ids), 1_000):
        store.record_observations(_observations(ids[start : start + 1_000], per_feature, start))
    return path


def _median_ms(fn) -> float:
    fn()  # warm the file cache
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _observe_file(store_path: Path, work: Path, rows: int) -> float:
    """``observe --file`` of ``rows`` distinct observations, in process."""
    from click.testing import CliRunner

    from aipm_workbench.cli import main
    from aipm_workbench.storage import Store

    ids = Store(store_path).feature_ids()[:1_000]
    per = rows // len(ids)
    lines = ["feature,metric,value,observed_on,source"]
    for i, fid in enumerate(ids):
        for d in range(per):
            day = START + dt.timedelta(days=2_000 + d)
            lines.append(f"{fid},population,{(i * 7 + d) % 900 + 1},{day},bench")
    csv = work / "observations.csv"
    csv.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    result = CliRunner(env={"AIPM_WORKBENCH_TODAY": "2026-11-28"}).invoke(
        main, ["--db", str(store_path), "observe", "--file", str(csv)], catch_exceptions=False
    )
    took = time.perf_counter() - t0
    assert result.exit_code == 0 and result.output.startswith(f"{per * len(ids)} recorded"), (
        result.output
    )
    return took


def run(quick: bool, workdir: Path) -> list[Result]:
    from aipm_workbench.storage import Store

    here = Path(__file__).resolve().parent
    cache = here / ".cache"
    cache.mkdir(exist_ok=True)
    tag = cache_tag()
    base = cache / f"portfolio-{FEATURES}-{tag}.duckdb"
    build_portfolio(base, FEATURES)
    per = 10 if quick else 100
    total = FEATURES * per
    db = _with_observations(base, cache / f"observed-{FEATURES}-{per}-{tag}.duckdb", per)
    note = "quick: 100,000 observations instead of 1,000,000" if quick else ""
    store = Store(db)
    results = [
        Result(
            f"due: {FEATURES:,} features, {total:,} observations, in-process (median)",
            _median_ms(lambda: store.due(dt.date(2026, 11, 28))),
            "ms",
            100,
            note,
        ),
        Result(
            f"rank: top 50 of {FEATURES:,} features, {total:,} observations, in-process (median)",
            _median_ms(lambda: store.rank(limit=50, today=dt.date(2026, 11, 28))),
            "ms",
            100,
            note,
        ),
    ]
    copy = workdir / "observe.duckdb"
    shutil.copy(base, copy)
    rows = 10_000 if quick else 100_000
    results.append(
        Result(
            f"observe --file: {rows:,} rows over 1,000 features, in-process",
            _observe_file(copy, workdir, rows),
            "s",
            2.0,
        )
    )
    return results
