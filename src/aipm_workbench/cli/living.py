"""Decisions that live (DOMAIN.md section 9): ``decide``, ``observe``, ``observations``, ``due``.

``decide`` records a decision bound to the content it was made on; ``observe``
records what the world answered (one value, or a CSV file, all or nothing);
``observations`` lists them; ``due`` lists what needs attention, and with
``--strict`` fails a CI job or a cron job when anything is due.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..domain.formatting import number, safe_text
from ..domain.vocab import DecisionStatus, DueKind, Verdict
from ..render.cells import csv_cell, json_text
from .main import EXIT_FINDINGS, fail, main
from .portfolio import _database, _db_path, _known_feature, _store, _workspace

if TYPE_CHECKING:
    from ..domain import Assessment
    from ..domain.living import Observation


MAX_OBSERVATION_FILE = 200 * 1024 * 1024


def _date(value: str | None, what: str) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{what}: {value!r} is not a date: use the form 2026-03-01")
    if not dt.date(1970, 1, 1) <= day <= dt.date(2999, 12, 31):
        fail(f"{what}: {value} is outside 1970-01-01..2999-12-31")
    return day


# ------------------------------------------------------------------ decide


@main.command()
@click.argument("feature_id", metavar="FEATURE")
@click.option(
    "--verdict",
    required=True,
    type=click.Choice([v.value for v in Verdict]),
    help="The verdict decided on.",
)
@click.option("--by", "deciders", multiple=True, required=True, metavar="NAME",
              help="Who decided (repeat for each person).")  # fmt: skip
@click.option("--rationale", required=True, metavar="TEXT", help="Why, in a sentence or two.")
@click.option("--on", "decided_on", metavar="DATE", help="Date of the decision (default today).")
@click.option("--review-by", metavar="DATE", help="When to revisit it (default by the tier).")
@click.option(
    "--status",
    type=click.Choice([s.value for s in DecisionStatus if s != DecisionStatus.superseded]),
    default=DecisionStatus.accepted.value,
    show_default=True,
)
@click.pass_context
def decide(
    ctx: click.Context,
    feature_id: str,
    verdict: str,
    deciders: tuple[str, ...],
    rationale: str,
    decided_on: str | None,
    review_by: str | None,
    status: str,
) -> None:
    """Record a decision on FEATURE's latest revision, bound to its content.

    The decision is saved as a new revision with the hash of the material
    content it was made on; editing that content later makes it stale.
    """
    from ..domain import Decision, evaluate
    from ..domain.living import content_hash
    from ..settings import today

    day = _date(decided_on, "--on") or today()
    review = _date(review_by, "--review-by")
    if review is not None and review < day:
        fail(f"--review-by: {review} is before the decision date {day}")
    names = [n.strip() for n in deciders if n.strip()]
    if not names:
        fail("--by: name at least one person who decided")
    if not rationale.strip():
        fail("--rationale: say why, in a sentence or two")
    store = _store(_db_path(ctx))
    with _database():
        _known_feature(store, feature_id)
        latest = store.latest(feature_id)
        a = latest.assessment
        decision = Decision(
            verdict=Verdict(verdict),
            status=DecisionStatus(status),
            rationale=rationale.strip(),
            decided_by=names,
            decided_on=day,
            review_by=review,
            content_hash=content_hash(a),
        )
        decided = a.model_copy(update={"decision": decision})
        written = _save(ctx, store, decided)
        info = written[1] if written else store.save(decided, note="decided")
    ev = evaluate(decided, today())
    click.echo(
        f"{safe_text(feature_id)}: {Verdict(verdict).label} ({status}) on {day}, "
        f"revision {info.number}; review by {ev.review_by}"
        + (f"; written to {safe_text(written[0])}" if written and written[0] else "")
    )
    for f in ev.findings:
        if f.code in ("F07", "F16"):
            click.echo(f"{f.level.value} {f.code}: {safe_text(f.message)}", err=True)


def _save(ctx: click.Context, store, assessment):
    """In a workspace, the decision is written to the feature's file, then stored:
    (the file, the revision's info); None outside a workspace."""
    workspace = _workspace(ctx)
    if workspace is None:
        return None
    from ..services.workspace import FileChanged, WorkspaceError, save

    try:
        return save(workspace, store, assessment, note="decided")
    except FileChanged as exc:
        fail(safe_text(f"{exc}; nothing was decided: run the command again (it reads it first)"))
    except WorkspaceError as exc:
        fail(safe_text(f"{exc}; nothing was decided"))


# ------------------------------------------------------------------ observe


class Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}")


def _metric_problem(a: Assessment | None, feature_id: str, metric: str) -> str | None:
    """Why this metric cannot be observed for this feature, or None when it can."""
    from ..domain.observations import metric_problem

    return metric_problem(a, feature_id, metric)


def _observation(
    fields: dict[str, str], latest: dict, today: dt.date, where: str, problems: Problems
) -> Observation | None:
    from ..domain.observations import check_row

    return check_row(fields, latest, today, where, problems)


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, fields) of each data row; exits 2 naming the file on a bad header."""
    from ..domain.observations import BadHeader, parse_csv

    shown = safe_text(str(path))
    try:
        if not path.is_file():
            fail(f"{shown}: not a regular file: give a CSV file of observations")
        if path.stat().st_size > MAX_OBSERVATION_FILE:
            fail(f"{shown}: larger than 200 MB: split it into smaller files")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"{shown}: cannot read it: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{shown}: not UTF-8 text: save the CSV as UTF-8")
    try:
        return parse_csv(text)
    except BadHeader as exc:
        fail(f"{shown}:1: {safe_text(str(exc))}")
        raise  # unreachable: fail exits


@main.command()
@click.argument("args", nargs=-1, metavar="FEATURE METRIC VALUE")
@click.option("--on", "observed_on", metavar="DATE", help="Date observed (default today).")
@click.option("--source", metavar="TEXT", help="Where the value comes from.")
@click.option(
    "--file",
    "csv_file",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Record a CSV: feature,metric,value,observed_on[,source].",
)
@click.pass_context
def observe(
    ctx: click.Context,
    args: tuple[str, ...],
    observed_on: str | None,
    source: str | None,
    csv_file: Path | None,
) -> None:
    """Record what was observed of a feature's metric (or a CSV file of observations).

    All or nothing: any bad row is listed as FILE:LINE and nothing is written.
    Re-sending identical rows records nothing; a new value for the same
    feature, metric and date is a correction.
    """
    from ..domain.observations import CSV_HEADER
    from ..settings import today

    day = today()
    if csv_file is not None:
        if args or observed_on or source:
            fail("give either FEATURE METRIC VALUE or --file FILE, not both")
        rows = _read_csv(csv_file)
        where = f"{safe_text(str(csv_file))}:{{line}}"
    else:
        if len(args) != 3:
            fail("give FEATURE METRIC VALUE (or --file FILE): e.g. observe support-bot "
                 "escalation-rate 0.03")  # fmt: skip
        on = observed_on or day.isoformat()
        rows = [(0, dict(zip(CSV_HEADER, [*args, on], strict=True)) | {"source": source or ""})]
        where = "{line}"
    store = _store(_db_path(ctx))
    with _database():
        ids = {r.get("feature", "").strip() for _, r in rows}
        latest = store.latest_assessments(sorted(i for i in ids if i))
        problems = Problems()
        found: list[Observation] = []
        for line, fields in rows:
            at = where.format(line=line) if csv_file is not None else "observe"
            o = _observation(fields, latest, day, at, problems)
            if o is not None:
                found.append(o)
        if problems:
            for p in problems:
                click.echo(safe_text(p), err=True)
            fail(f"nothing recorded: {len(problems)} problem(s)")
        from ..services.workspace import record_observations

        recorded, unchanged, superseded = record_observations(_workspace(ctx), store, found)
    later = f", {superseded} replaced by a later row for the same day" if superseded else ""
    click.echo(f"{recorded} recorded, {unchanged} unchanged{later}")


# ------------------------------------------------------------------ observations


@main.command()
@click.argument("feature_id", metavar="FEATURE")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
@click.pass_context
def observations(ctx: click.Context, feature_id: str, fmt: str) -> None:
    """List a feature's observations, oldest first, with whether each was healthy."""
    from ..domain.living import healthy

    store = _store(_db_path(ctx))
    with _database():
        _known_feature(store, feature_id)
        a = store.latest(feature_id).assessment
        found = store.observations(feature_id)
    rows = [
        {
            "feature_id": o.feature_id,
            "metric": o.metric,
            "value": o.value,
            "observed_on": o.observed_on.isoformat(),
            "source": o.source,
            "recorded_at": o.recorded_at.isoformat() if o.recorded_at else None,
            "healthy": healthy(a.metric(o.metric), o.value),
        }
        for o in found
    ]
    if fmt == "json":
        click.echo(json_text(rows))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["feature_id"])
        writer.writeheader()
        for r in rows:
            writer.writerow({k: csv_cell(v) for k, v in r.items()})
        click.echo(out.getvalue(), nl=False)
    elif not rows:
        click.echo(f"no observations of {safe_text(feature_id)} yet: record one with "
                   "`aipm-workbench observe FEATURE METRIC VALUE`")  # fmt: skip
    else:
        for r in rows:
            state = {True: "healthy", False: "UNHEALTHY", None: "-"}[r["healthy"]]
            src = f"  ({safe_text(r['source'])})" if r["source"] else ""
            click.echo(
                f"{r['observed_on']}  {safe_text(r['metric']):<24} {number(r['value']):>12}  {state}{src}"
            )


# ------------------------------------------------------------------ due


@main.command()
@click.option("--within", type=click.IntRange(min=0, max=3650), default=14, show_default=True,
              metavar="DAYS", help="List reviews due within this many days too.")  # fmt: skip
@click.option("--strict", is_flag=True, help="Exit 1 when anything but an upcoming review is due.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def due(ctx: click.Context, within: int, strict: bool, fmt: str) -> None:
    """What needs attention: stale, reopened and expired decisions, overdue hypothesis
    checks, untested fallbacks of serious harms, and upcoming reviews."""
    store = _store(_db_path(ctx))
    with _database():
        items = store.due(within=within)
    if fmt == "json":
        payload = [
            {
                "feature_id": i.feature_id,
                "kind": i.kind.value,
                "date": i.date.isoformat() if i.date else None,
                "message": i.message,
            }
            for i in items
        ]
        click.echo(json_text(payload))
    elif not items:
        click.echo("nothing is due")
    else:
        for i in items:
            day = i.date.isoformat() if i.date else "never"
            click.echo(
                f"{i.kind.value:<18} {day:<10}  {safe_text(i.feature_id)}: {safe_text(i.message)}"
            )
    if strict and any(i.kind != DueKind.review_upcoming for i in items):
        raise SystemExit(EXIT_FINDINGS)
