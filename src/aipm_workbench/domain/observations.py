"""Observation files and rows (DOMAIN.md 9): the CSV that ``observe --file`` reads, that
a workspace keeps in ``observations/FEATURE.csv``, and the checks every row passes.

A file's first line is the header ``feature,metric,value,observed_on[,source]``.
A row is accepted when its feature exists, its metric has an ``id`` and a
``limit``, or is named by a hypothesis ``test``, or is ``population``; its value
is a finite number and its date a real date, not after today. Problems read
``WHERE:LINE: message`` (the header is line 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Any

from .living import OBSERVED_POPULATION, Observation

CSV_HEADER = ["feature", "metric", "value", "observed_on"]


class BadHeader(ValueError):
    """The first line is not the header; the message says what it must be."""


def parse_csv(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, fields) of each data row; a row of the wrong width has the single
    key ``__width__``. Raises BadHeader when the first line is not the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] not in (CSV_HEADER, [*CSV_HEADER, "source"]):
        got = ",".join(header or [])
        raise BadHeader(f"the header must be {','.join(CSV_HEADER)}[,source], not {got!r}")
    names = [h.strip() for h in header]
    rows = []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(names):
            rows.append((reader.line_num, {"__width__": str(len(fields))}))
        else:
            rows.append((reader.line_num, dict(zip(names, fields, strict=True))))
    return rows


def metric_problem(a: Any, feature_id: str, metric: str) -> str | None:
    """Why this metric cannot be observed for this feature (its latest assessment ``a``),
    or None when it can."""
    if a is None:
        return f"no feature {feature_id!r} in the database"
    if metric == OBSERVED_POPULATION:
        return None
    tested = {h.test.metric for h in a.hypotheses if h.test is not None}
    m = a.metric(metric)
    if m is None:
        ids = sorted({x.id for x in a.metrics if x.id} | tested | {OBSERVED_POPULATION})
        return f"{feature_id} has no metric {metric!r}: observable metrics are {', '.join(ids)}"
    if m.limit is None and metric not in tested:
        return (
            f"metric {metric!r} of {feature_id} has no limit and no hypothesis tests it: "
            "give it a limit (or a test) before recording observations"
        )
    return None


def finite(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_row(
    fields: dict[str, str], latest: dict, today: dt.date, where: str, problems: list[str]
) -> Observation | None:
    """One row as an observation, or None with its problems appended as ``where: ...``.
    ``latest`` maps feature ids to their latest assessment and caches one judgement per
    (feature, metric)."""
    before = len(problems)
    if "__width__" in fields:
        problems.append(f"{where}: {fields['__width__']} fields: expected {len(CSV_HEADER)} or 5")
        return None
    fid, metric = fields["feature"].strip(), fields["metric"].strip()
    key = (fid, metric)
    if key not in latest:
        latest[key] = metric_problem(latest.get(fid), fid, metric)
    if latest[key]:
        problems.append(f"{where}: {latest[key]}")
    value = finite(fields["value"].strip())
    if value is None:
        problems.append(f"{where}: value {fields['value']!r} is not a finite number")
    key = ("observed_on", fields["observed_on"])  # one judgement per distinct date text
    day = latest.get(key)
    if day is None:
        day = latest[key] = _day(fields["observed_on"], today)
    if isinstance(day, str):
        problems.append(f"{where}: {day}")
        day = None
    if len(problems) > before:
        return None
    source = (fields.get("source") or "").strip() or None
    return Observation(fid, metric, value, day, source)


def _day(raw: str, today: dt.date) -> dt.date | str:
    """The date of a row, or why it cannot be one."""
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return f"observed_on {raw!r} is not a date like 2026-03-01"
    if day > today:
        return f"observed_on {day} is after today ({today})"
    if day.year < 1970:
        return f"observed_on {day} is before 1970-01-01"
    return day


def csv_line(o: Observation) -> str:
    """One observation as a line of the file (what ``observe`` appends in a workspace)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        [o.feature_id, o.metric, repr(float(o.value)), o.observed_on.isoformat(), o.source or ""]
    )
    return out.getvalue()
