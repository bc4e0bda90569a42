"""Helpers for the storage and portfolio tests: a varied synthetic portfolio and
a consistency check of a database file."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import duckdb

from aipm_workbench.domain import Assessment, parse_assessment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import synth  # noqa: E402

DATES = [dt.date(2025, 6, 1) + dt.timedelta(days=45 * i) for i in range(20)]  # to 2027-12


def varied_data(i: int, rng: random.Random) -> dict:
    """A synthetic assessment with the date-dependent cases varied: metrics decided
    before or after "today", open hypotheses past their check date, review dates
    set, defaulted or passed, no harms, harms without exposure, and ties."""
    data = synth.assessment_data(i, rng, harms=rng.choice([0, 1, 2, 3, 5]))
    for m in data["metrics"]:
        m["decided_on"] = rng.choice(DATES)
    if rng.random() < 0.3:
        data["metrics"] = []
    data["hypotheses"] = [
        {
            "id": f"hyp-{k}",
            "statement": "Something holds.",
            "falsified_if": "it does not",
            **({"check_by": rng.choice(DATES)} if rng.random() < 0.8 else {}),
            "status": rng.choice(["open", "open", "supported", "falsified"]),
        }
        for k in range(rng.randint(0, 3))
    ]
    if rng.random() < 0.2:
        data["premortem"] = []
    d = data.get("decision")
    if d is not None:
        d["decided_on"] = rng.choice(DATES)
        if rng.random() < 0.4:
            del d["review_by"]
        else:
            d["review_by"] = rng.choice(DATES)
    if rng.random() < 0.3:
        for h in data["harms"]:
            h.pop("exposure", None)
    if rng.random() < 0.1:
        data["feature"].pop("population", None)
    return data


def varied_portfolio(n: int, seed: int = 11) -> list[Assessment]:
    rng = random.Random(seed)
    out = [parse_assessment(varied_data(i, rng), f"varied-{i}") for i in range(n)]
    # Exact ties on every rank key but the id: copies under other ids.
    for k in range(3):
        twin = out[k].model_dump()
        twin["feature"]["id"] = f"twin-{k}"
        out.append(Assessment.model_validate(twin))
    return out


def check_consistent(path: Path) -> dict:
    """Assert the invariants of a workbench database; return a summary of its contents."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        pointers = dict(con.execute("SELECT id, latest FROM features").fetchall())
        maxima = dict(
            con.execute("SELECT feature_id, max(number) FROM revisions GROUP BY ALL").fetchall()
        )
        assert pointers == maxima, "every feature points at its newest revision"
        gaps = con.execute(
            "SELECT feature_id FROM revisions GROUP BY ALL HAVING count(*) <> max(number)"
        ).fetchall()
        assert gaps == [], "revision numbers run 1..n without gaps"
        harm_mismatch = con.execute(
            """
            SELECT r.feature_id, r.number FROM revisions r
            LEFT JOIN (SELECT feature_id, revision, count(*) AS n FROM harms GROUP BY ALL) h
              ON h.feature_id = r.feature_id AND h.revision = r.number
            WHERE coalesce(h.n, 0) <> r.harm_count
            """
        ).fetchall()
        assert harm_mismatch == [], "every revision has exactly its harm rows"
        return {
            "features": len(pointers),
            "revisions": sum(maxima.values()),
            "latest": pointers,
        }
    finally:
        con.close()


# Runs `aipm-workbench --db DB ARGS...` (arguments: DB POINT ARGS...) with the store's
# connections wrapped, so that the process stops at one moment of its write (POINT:
# after-insert-TABLE, before-commit, after-commit, at-close) and says so on stdout;
# the test then kills it there.
HOOKED = r"""
import signal, sys
from aipm_workbench.storage import store as store_module

db, point = sys.argv[1:3]


def stop_here():
    print("stopped", flush=True)
    while True:
        signal.pause()  # until SIGKILL


class Connection:
    def __init__(self, con):
        self._con = con

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, *args):
        if point == "before-commit" and sql == "COMMIT":
            stop_here()
        result = self._con.execute(sql, *args)
        if point == "after-commit" and sql == "COMMIT":
            stop_here()
        if point.startswith("after-insert-") and sql.startswith(
            "INSERT INTO " + point.removeprefix("after-insert-") + " "
        ):
            stop_here()
        return result

    def close(self):
        if point == "at-close":
            stop_here()
        self._con.close()


connect = store_module._connect
store_module._connect = lambda path, read_only: Connection(connect(path, read_only))

from aipm_workbench.cli import main

main(["--db", db, *sys.argv[3:]])
"""
