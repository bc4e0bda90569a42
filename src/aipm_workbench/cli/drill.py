"""``drill``: practise judgment on a past incident, or summarise the drills done.

``aipm-workbench drill [ID]`` opens the full-screen drill on a case (one not yet
drilled, at random, without ID); ``aipm-workbench drill --stats`` prints what
the drills kept in the database say (DOMAIN.md section 10).
"""

from __future__ import annotations

import json

import click

from ..domain.formatting import percent, plural, safe_text
from .main import EXIT_INVALID, fail, main
from .portfolio import _database, _db_path, _store


@main.command()
@click.argument("incident_id", metavar="[ID]", required=False)
@click.option("--stats", is_flag=True, help="Summarise the drills done instead of starting one.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Output of --stats (default text).",
)
@click.pass_context
def drill(ctx: click.Context, incident_id: str | None, stats: bool, fmt: str | None) -> None:
    """Practise on a past incident: rate it before seeing what happened.

    Shows a casebook case as the feature it was before launch (one not yet
    drilled, at random, unless ID is given); you pick the primary harm's type,
    rate it and pick a verdict, then see what happened, the reference ratings
    and how far yours were. Results are kept in the database; --stats
    summarises them.
    """
    if stats:
        if incident_id is not None:
            fail("give a case ID to drill it, or --stats to summarise the drills, not both")
        store = _store(_db_path(ctx))
        with _database():
            results = store.drill_results()
        from ..domain.drill import drill_stats

        summary = drill_stats(results)
        if fmt == "json":
            click.echo(json.dumps(summary.to_json(), indent=2))
        else:
            click.echo("\n".join(stats_lines(summary)))
        return
    if fmt is not None:
        fail("--format applies to --stats only")
    if incident_id is not None:
        from ..domain.casebook import builtin_casebook

        casebook = builtin_casebook()
        if casebook.get(incident_id) is None:
            close = casebook.closest(incident_id)
            hint = f"; closest: {', '.join(close)}" if close else ""
            fail(
                f"unknown incident id {safe_text(incident_id)!r}{hint} "
                "(run `aipm-workbench incidents` for the list)",
                EXIT_INVALID,
            )
    from .app import run_app

    def start():
        from ..ui.screens.drill import DrillScreen

        return DrillScreen(incident_id)

    run_app(
        _db_path(ctx),
        "the drill is full-screen and needs a terminal; run it in one "
        "(`aipm-workbench drill --stats` prints the summary anywhere)",
        start=start,
    )


def stats_lines(summary) -> list[str]:
    """The summary at 80 columns."""
    from ..domain.scales import SCALES

    if summary.drills == 0:
        return ["No drills yet. Start one: aipm-workbench drill"]
    lines = [
        f"{plural(summary.drills, 'drill')}",
        f"Type matched:       {percent(summary.type_match_rate)}",
        f"Tier agreed:        {percent(summary.tier_agreement_rate)}",
        f"Verdict agreed:     {percent(summary.verdict_agreement_rate)}",
        f"{'Mean difference from the reference':<36} signed  absolute",
    ]
    for key, scale in SCALES.items():
        signed = summary.mean_diff[key]
        lines.append(
            f"  {scale.label + ' (' + scale.letter + ')':<34} {signed:+6.2f}  "
            f"{summary.mean_abs_diff[key]:8.2f}"
        )
    low = summary.most_under_rated
    lines.append(
        f"Most under-rated:   {SCALES[low].label.lower()} "
        f"(you rate it {abs(summary.mean_diff[low]):.2f} "
        f"{'below' if summary.mean_diff[low] < 0 else 'above'} the reference on average)"
    )
    return lines
