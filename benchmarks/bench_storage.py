"""The database: importing 1,000 files, ranking 10,000 and 100,000 features, and the
memory a `rank --limit 50` needs on 100,000 features.

Portfolios are seeded synthetic ones (``synth.py``) of five harms per feature.
The 100,000-feature database is built once per work folder through the store's
bulk path (``Store.import_prepared``: one multi-row INSERT per column batch),
generated and scored in one process per core, and reused while the file is
there. ``--quick`` uses 10,000 features where the full run uses 100,000.

The commands that handle every feature (``export --all``, ``export --all
--history`` of about 18,000 decided revisions, ``import`` of 10,000 new files)
are measured for their peak memory, which must stay under 300 MB; ``--quick``
runs them on 2,000 features, without a target.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from synth import Result, assessment_data, write_files

CHUNK = 2_000
SEED = 7
RANK_RUNS = 11


def _script() -> str:
    """The installed command beside this interpreter."""
    return str(Path(sys.executable).with_name("aipm-workbench"))


def _prepare_chunk(bounds: tuple[int, int]) -> list:
    from aipm_workbench.domain import parse_assessment
    from aipm_workbench.storage import rows

    start, stop = bounds
    rng = random.Random(f"{SEED}-{start}")
    return [
        rows.prepare(parse_assessment(assessment_data(i, rng), f"synthetic-{i}"))
        for i in range(start, stop)
    ]


def cache_tag() -> str:
    """What a cached portfolio was built by: the schema version and the sources of the
    synthetic data and of the schema (so a changed schema never reuses an old file)."""
    from aipm_workbench.storage import SCHEMA_VERSION

    here = Path(__file__).resolve().parent
    storage = here.parent / "src" / "aipm_workbench" / "storage"
    digest = hashlib.sha1()
    for path in (here / "synth.py", storage / "schema.py", storage / "live.py"):
        digest.update(path.read_bytes())
    return f"v{SCHEMA_VERSION}-{digest.hexdigest()[:8]}"


def build_portfolio(path: Path, n: int) -> float:
    """A database of ``n`` synthetic features at ``path`` (reused when it is there);
    returns the seconds the build took (0 when reused).

    Built by a fresh process (see ``_build``), so that its workers are forked
    before any database engine starts.
    """
    from aipm_workbench.storage import Store

    if path.exists() and Store(path).count() == n:
        return 0.0
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, str(path), str(n)], check=True)
    assert Store(path).count() == n
    return time.perf_counter() - started


def _build(path: Path, n: int) -> None:
    """Generate and score ``n`` features in one process per core; insert them in bulk."""
    import gc
    import multiprocessing

    from aipm_workbench.storage import Store

    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)
    chunks = [(s, min(s + CHUNK, n)) for s in range(0, n, CHUNK)]
    gc.disable()
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        store = Store(path)
        for prepared in pool.imap_unordered(_prepare_chunk, chunks):
            store.import_prepared(prepared)


def _median_rank_ms(path: Path, n: int) -> float:
    from aipm_workbench.storage import Store

    store = Store(path)
    assert len(store.rank(limit=50)) == min(50, n)  # warm the file cache
    times = []
    for _ in range(RANK_RUNS):
        t0 = time.perf_counter()
        rows = store.rank(limit=50)
        times.append(time.perf_counter() - t0)
        assert len(rows) == 50 and rows[0].rank == 1
    return statistics.median(times) * 1000


MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t0
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(done.returncode, use.ru_maxrss, wall, use.ru_utime + use.ru_stime)
print(done.stdout.strip() or done.stderr.strip())
"""


def _measure(*args: str) -> tuple[float, float, float, str]:
    """Run the command from a fresh parent whose only child it is: wall time (s),
    peak RSS (MB), CPU time of it and its workers (s), and its output."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, _script(), *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    code, peak_kib, wall, cpu = out[0].split()
    assert code == "0", out[1:]
    return float(wall), int(peak_kib) / 1024, float(cpu), "\n".join(out[1:])


def _import_files(folder: Path, work: Path, runs: int) -> tuple[float, float]:
    """Best wall time of `aipm-workbench import FOLDER` into an empty database, and
    the CPU time of that run."""
    best = (float("inf"), 0.0)
    for run in range(runs):
        db = work / f"import-{run}.duckdb"
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        wall, _, cpu, output = _measure("--db", str(db), "import", str(folder))
        assert output == "1,000 imported: 1,000 new revisions, 0 unchanged", output
        best = min(best, (wall, cpu))
    return best


def _import_in_process(folder: Path, work: Path) -> float:
    from aipm_workbench.domain import iter_assessment_paths, read_assessment
    from aipm_workbench.storage import Store

    db = work / "import-in-process.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    items = [(str(p), read_assessment(p)) for p in iter_assessment_paths([folder])]
    Store(db).import_assessments(items)
    return time.perf_counter() - t0


def run(quick: bool, workdir: Path) -> list[Result]:
    results: list[Result] = []
    big = 10_000 if quick else 100_000
    quick_note = "quick: 10,000 features instead of 100,000" if quick else ""

    # Import of 1,000 files, as a user runs it (start-up included), and in-process.
    folder = workdir / "files-1000"
    if not folder.is_dir():
        write_files(folder, 1000)
    best, cpu = _import_files(folder, workdir, 1 if quick else 3)
    results.append(
        Result("import: 1,000 files x 5 harms (the command, start to end)", best, "s", 2.0)
    )
    results.append(
        Result(
            "import: CPU time of that run (all its processes)",
            cpu,
            "s",
            note=f"{os.cpu_count()} cores; the wall time grows when others share them",
        )
    )
    if not quick:
        results.append(
            Result(
                "import: 1,000 files, one process (read, score, store)",
                _import_in_process(folder, workdir),
                "s",
                note="no parallel reading; for comparison",
            )
        )

    # Ranking.
    # The synthetic portfolios take minutes to build; they are kept between runs
    # (benchmarks/.cache, per schema version) and rebuilt when they do not match.

    here = Path(__file__).resolve().parent
    cache = here / ".cache"
    cache.mkdir(exist_ok=True)
    tag = cache_tag()
    db10 = cache / f"portfolio-10000-{tag}.duckdb"
    took = build_portfolio(db10, 10_000)
    if took:
        results.append(Result("build: 10,000 features (generate, score, bulk insert)", took, "s"))
    results.append(
        Result(
            f"rank: top 50 of 10,000 features, in-process (median of {RANK_RUNS})",
            _median_rank_ms(db10, 10_000),
            "ms",
            50,
        )
    )
    if quick:
        db_big = db10
    else:
        db_big = cache / f"portfolio-100000-{tag}.duckdb"
        took = build_portfolio(db_big, big)
        if took:
            results.append(
                Result("build: 100,000 features (generate, score, bulk insert)", took, "s")
            )
    size = f"{big:,} features"
    results.append(
        Result(
            f"rank: top 50 of {size}, in-process (median of {RANK_RUNS})",
            _median_rank_ms(db_big, big),
            "ms",
            300,
            quick_note,
        )
    )
    wall, peak, _, output = _measure("--db", str(db_big), "rank", "--limit", "50")
    assert output.splitlines()[0].split()[:2] == ["#", "ID"], output
    results.append(Result(f"rank --limit 50 on {size}: peak memory", peak, "MB", 300, quick_note))
    results.append(
        Result(f"rank --limit 50 on {size}: the command, start to end", wall, "s", note=quick_note)
    )
    results += _streaming(quick, workdir, cache, tag)
    return results


def _with_history(source: Path, target: Path) -> int:
    """A copy of ``source`` where every decided feature has a second decided revision and
    a third of them a third (the revisions copied in SQL); returns the decided count."""
    import duckdb

    shutil.copy(source, target)
    con = duckdb.connect(str(target))
    try:
        con.execute(
            "INSERT INTO revisions SELECT * REPLACE (number + 1 AS number) FROM revisions "
            "WHERE verdict IS NOT NULL"
        )
        con.execute(
            "INSERT INTO revisions SELECT * REPLACE (number + 2 AS number) FROM revisions "
            "WHERE verdict IS NOT NULL AND number = 1 AND hash(feature_id) % 3 = 0"
        )
        con.execute(
            "UPDATE features SET latest = "
            "(SELECT max(number) FROM revisions r WHERE r.feature_id = features.id)"
        )
        return con.execute("SELECT count(verdict) FROM revisions").fetchone()[0]
    finally:
        con.close()


def _streaming(quick: bool, workdir: Path, cache: Path, tag: str) -> list[Result]:
    """Peak memory of the commands that handle every feature: it stays flat as the
    portfolio grows (they read, render and write in batches)."""
    n = 2_000 if quick else 10_000
    note = f"quick: {n:,} features instead of 10,000" if quick else ""
    target = None if quick else 300
    db = cache / f"portfolio-{n}-{tag}.duckdb"
    build_portfolio(db, n)
    results = []
    out = workdir / "export-all"
    wall, peak, _, _ = _measure("--db", str(db), "export", "--all", "--out", str(out))
    results.append(Result(f"export --all of {n:,} features: peak memory", peak, "MB", target, note))
    results.append(Result(f"export --all of {n:,} features: the command", wall, "s", note=note))
    shutil.rmtree(out)
    history = workdir / "history.duckdb"
    decided = _with_history(db, history)
    wall, peak, _, _ = _measure(
        "--db", str(history), "export", "--all", "--history", "--out", str(out)
    )
    results.append(
        Result(
            f"export --all --history, {decided:,} decided revisions: peak memory",
            peak,
            "MB",
            target,
            note,
        )
    )
    results.append(
        Result(
            f"export --all --history, {decided:,} decided revisions: the command",
            wall,
            "s",
            note=note,
        )
    )
    shutil.rmtree(out)
    folder = workdir / f"files-{n}"
    if not folder.is_dir():
        write_files(folder, n, seed=SEED + 1)
    fresh = workdir / "import-fresh.duckdb"
    wall, peak, _, output = _measure("--db", str(fresh), "import", str(folder))
    assert output.startswith(f"{n:,} imported"), output
    results.append(Result(f"import of {n:,} new files: peak memory", peak, "MB", target, note))
    results.append(Result(f"import of {n:,} new files: the command", wall, "s", note=note))
    return results


if __name__ == "__main__":
    _build(Path(sys.argv[1]), int(sys.argv[2]))
