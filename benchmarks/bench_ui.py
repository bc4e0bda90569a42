"""The full-screen app on a big portfolio (10,000 features; 2,000 with --quick).

- Launch: the time from starting ``python -m aipm_workbench --db FILE`` in a real
  terminal (a tmux pane) until the ranked table shows its first row, against a
  bare Textual app that opens the same DuckDB file and shows one query's result
  (the first page of the same ranking), measured alternately in the same run.
  Both are timed the same way: the benchmark polls ``tmux capture-pane`` for the
  name of the first-ranked feature. Target: the ratio below 1.3.
- Hang-up: every launch ends by closing its terminal (killing the tmux
  session) as soon as the first rows show; the app must notice and exit.
  Counted: launches still running 5 s later. Target: none.
- Memory: the app's peak resident memory (VmHWM) after jumping to the last row
  and back. Target: below 300 MB.
- Re-sort and filter, in process (``App.run_test``): the time from the key press
  to the table showing the new query's rows. Target: below 100 ms.
- Opening a long record (a feature with 30 harms), in process: the time from
  Enter on the portfolio to the detail view drawing the record's first lines.
  Target: below 0.2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from synth import Result, assessments

BARE_APP = textwrap.dedent(
    '''
    """A bare Textual app: open a DuckDB file, run one query, show its rows."""
    import sys

    from textual import work
    from textual.app import App, ComposeResult
    from textual.widgets import Static


    class Bare(App):
        def compose(self) -> ComposeResult:
            yield Static("", id="rows")

        def on_mount(self) -> None:
            self.load()

        @work(thread=True)
        def load(self) -> None:
            import duckdb

            con = duckdb.connect(sys.argv[1], read_only=True)
            rows = con.execute(sys.argv[2]).fetchall()
            con.close()
            self.call_from_thread(self.show, rows)

        def show(self, rows) -> None:
            text = "\\n".join("  ".join(str(v) for v in row) for row in rows)
            self.query_one(Static).update(text)


    if __name__ == "__main__":
        Bare().run()
    '''
)

SOCKET = f"aipm-bench-{os.getpid()}"
TIMEOUT = 60.0


def _tmux(*args: str, check: bool = True) -> str:
    out = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check)
    return out.stdout


def build_db(path: Path, n: int) -> None:
    from aipm_workbench.storage import Store

    Store(path).import_assessments([(a.feature.id, a) for a in assessments(n)])


def first_page_query(limit: int) -> str:
    """What the bare app runs: the first page of the portfolio's ranking."""
    from aipm_workbench.storage.sql import RANK_ORDER

    return (
        "SELECT feature_id, name, residual_tier, inherent_tier, residual_max_rpn, "
        "harmed_low, harmed_high, recommended, verdict, review_by "
        f"FROM latest ORDER BY {RANK_ORDER['residual']} LIMIT {limit}"
    )


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else None


def _wait_for(name: str, marker: re.Pattern, started: float, what: str) -> float:
    """Poll the pane until ``marker`` shows; seconds since ``started``."""
    while True:
        screen = _tmux("capture-pane", "-p", "-t", name, check=False)
        if marker.search(screen):
            return time.perf_counter() - started
        if time.perf_counter() - started > TIMEOUT:
            raise RuntimeError(f"{name}: no {what} after {TIMEOUT:.0f} s:\n{screen}")
        time.sleep(0.004)


LEFT_RUNNING: list[int] = []  # pids of launches still running after their terminal closed


def _ended(pid: int, within: float) -> bool:
    deadline = time.perf_counter() + within
    while Path(f"/proc/{pid}").exists():
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.02)
    return True


def launch(
    command: str,
    marker: re.Pattern,
    name: str,
    last: re.Pattern | None = None,
    watch_exit: bool = True,
) -> tuple[float, float | None]:
    """Seconds from starting ``command`` in a tmux pane until ``marker`` is on screen;
    with ``last``, also the peak memory (MB) after jumping to the last row (``last``
    on screen) and back to the first. The pane is then closed; with ``watch_exit``,
    a process still running 5 s later is noted in :data:`LEFT_RUNNING`. Any process
    left is killed."""
    started = time.perf_counter()
    _tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "36", command)
    pid = int(_tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())
    try:
        seconds = _wait_for(name, marker, started, "first row")
        peak = None
        if last is not None:
            _tmux("send-keys", "-t", name, "End")
            _wait_for(name, last, time.perf_counter(), "last row")
            _tmux("send-keys", "-t", name, "Home")
            _wait_for(name, marker, time.perf_counter(), "first row again")
            peak = _vm_hwm_mb(pid)
        return seconds, peak
    finally:
        _tmux("kill-session", "-t", name, check=False)
        if not _ended(pid, 5.0 if watch_exit else 0.5):
            if watch_exit:
                LEFT_RUNNING.append(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def launches(db: Path, workdir: Path, rounds: int) -> tuple[list, list, float | None]:
    from aipm_workbench.storage import Store

    store = Store(db)
    first = store.rank(limit=1)[0]
    last = store.rank(offset=store.count() - 1, limit=1)[0]
    marker = re.compile(rf"{re.escape(first.name)}(?!\d)")
    last_marker = re.compile(rf"{re.escape(last.name)}(?!\d)")
    bare = workdir / "bare_app.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    py = sys.executable
    query = first_page_query(100)
    app_cmd = f"exec {py} -m aipm_workbench --db '{db}'"
    bare_cmd = f"exec {py} {bare} '{db}' \"{query}\""
    _tmux("new-session", "-d", "-s", "warm", "-x", "80", "-y", "24", "sleep 600")
    app_times, bare_times, peak = [], [], None
    try:
        # one untimed launch warms the file cache (the database and the modules)
        launch(app_cmd, marker, "warm-app")
        for i in range(rounds):
            seconds, mb = launch(app_cmd, marker, f"app-{i}", last_marker if i == 0 else None)
            app_times.append(seconds)
            peak = mb if mb is not None else peak
            bare_times.append(launch(bare_cmd, marker, f"bare-{i}", watch_exit=False)[0])
    finally:
        _tmux("kill-server", check=False)
    return app_times, bare_times, peak


async def _in_process(db: Path) -> tuple[list[float], list[float]]:
    from aipm_workbench.cli.app import make_app
    from aipm_workbench.ui.widgets.portfolio_table import PortfolioTable

    # When each query generation's first body line is drawn: the table updated.
    drawn: dict[int, float] = {}
    render_line = PortfolioTable.render_line

    def timed_line(self, y):
        if y == 1:
            drawn.setdefault(self.generation, time.perf_counter())
        return render_line(self, y)

    PortfolioTable.render_line = timed_line
    app = make_app(db)

    async def timed(pilot, screen, *keys: str) -> float:
        t0 = time.perf_counter()
        await pilot.press(*keys)
        while screen.table.generation != screen.generation:
            await asyncio.sleep(0.001)
        while screen.generation not in drawn:
            await pilot.pause()
        seconds = drawn[screen.generation] - t0
        await app.workers.wait_for_complete()
        await pilot.pause()
        return seconds

    sorts: list[float] = []
    filters: list[float] = []
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            while screen.generation not in drawn:
                await pilot.pause()
            await app.workers.wait_for_complete()
            for _ in range(12):  # every column, then back to the rank
                sorts.append(await timed(pilot, screen, "s"))
            search = screen.query_one("#search")
            for text in ("feature 12", "feature 999", "okafor", "no such feature", ""):
                await pilot.press("slash")
                search.value = text
                # enter applies at once (typing waits for a pause first)
                filters.append(await timed(pilot, screen, "enter"))
            for _ in range(5):  # tier filter: critical, high, medium, low, any
                filters.append(await timed(pilot, screen, "t"))
    finally:
        PortfolioTable.render_line = render_line
    return sorts, filters


LONG_HARMS = 30


async def _open_long_record(db: Path) -> list[float]:
    """Seconds from Enter to the record's first lines drawn, for a 60-harm feature."""
    from aipm_workbench.cli.app import make_app
    from aipm_workbench.storage import Store
    from aipm_workbench.ui.screens.detail import FeatureDetailScreen

    long = assessments(1, seed=11, harms=LONG_HARMS)[0]
    Store(db).save(long)
    app = make_app(db)
    times: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        portfolio = app.screen
        for _ in range(9):
            portfolio.table.move_cursor(0)
            t0 = time.perf_counter()
            portfolio.open_feature(long.feature.id)
            while not isinstance(app.screen, FeatureDetailScreen):
                await asyncio.sleep(0.001)
            detail = app.screen

            def drawn(detail=detail) -> bool:
                """The record's body is laid out on screen (its first sections at
                least: the whole follows right after)."""
                found = detail.query("#record-md")
                body = found.first() if found else None
                return bool(detail.record_source and body and body.region.height > 1)

            while not drawn():
                await asyncio.sleep(0.001)
            times.append(time.perf_counter() - t0)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("escape")
            await pilot.pause()
    return times


def run(quick: bool, workdir: Path) -> list[Result]:
    n = 2_000 if quick else 10_000
    db = workdir / "portfolio.duckdb"
    t0 = time.perf_counter()
    build_db(db, n)
    built = time.perf_counter() - t0
    results: list[Result] = []
    label = f"{n:,} features"

    if shutil.which("tmux"):
        rounds = 5 if quick else 9  # launch times vary: fewer pairs gave 1.15-1.57x
        app_times, bare_times, peak = launches(db, workdir, rounds)
        app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
        results += [
            Result(f"ui: launch to first rows, workbench ({label})", app_s, "s"),
            Result("ui: launch to first rows, bare Textual + DuckDB", bare_s, "s"),
            Result(
                "ui: first rows, workbench / bare (median of pairs)",
                statistics.median(a / b for a, b in zip(app_times, bare_times, strict=True)),
                "x",
                1.3,
                note=f"{rounds} alternating launches in tmux",
            ),
        ]
        if peak is not None:
            results.append(Result("ui: peak memory after scrolling to the end", peak, "MB", 300))
        apps = rounds + 1
        results.append(
            Result(
                "ui: launches still running 5 s after their terminal closed",
                len(LEFT_RUNNING),
                "",
                1,
                note=f"of {apps} workbench launches closed right after the first rows",
            )
        )
    else:
        results.append(Result("ui: launch (tmux not installed: skipped)", 0, "s"))

    sorts, filters = asyncio.run(_in_process(db))
    results += [
        Result(
            f"ui: re-sort by a column ({label}), median",
            statistics.median(sorts) * 1000,
            "ms",
            100,
            note=f"max {max(sorts) * 1000:.0f} ms over {len(sorts)} columns",
        ),
        Result(
            f"ui: filter by text or tier ({label}), median",
            statistics.median(filters) * 1000,
            "ms",
            100,
            note=f"max {max(filters) * 1000:.0f} ms over {len(filters)} filters",
        ),
    ]
    opens = asyncio.run(_open_long_record(db))
    results.append(
        Result(
            f"ui: open a long record in the detail view ({LONG_HARMS} harms), median",
            statistics.median(opens),
            "s",
            0.2,
            note=f"max {max(opens):.3f} s over {len(opens)} opens",
        )
    )
    results.append(Result(f"ui: building the {label} database (setup)", built, "s"))
    return results
