"""``incidents``: browse the casebook of public AI incidents; no database needed."""

from __future__ import annotations

import json
import sys
import textwrap

import click

from .main import EXIT_INVALID, main

WIDTH = 80


@main.command()
@click.argument("incident_id", metavar="[ID]", required=False)
@click.option("--type", "type_id", metavar="ID", help="Only cases showing this harm type.")
@click.option(
    "--search",
    "words",
    metavar="WORDS",
    help="Cases matching these words in title, organisation, account or harm types, "
    "best matches first.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def incidents(incident_id: str | None, type_id: str | None, words: str | None, fmt: str) -> None:
    """List the casebook of public AI incidents, or show one case in full with ID.

    Each case gives what happened, the harm types it shows, what failed, the
    fallbacks that were missing, reference ratings of its primary harm and its
    public sources.
    """
    from ..domain.casebook import builtin_casebook

    casebook = builtin_casebook()
    if incident_id is not None:
        if type_id is not None or words is not None:
            _fail("give a case ID, or --type/--search to list cases, not both")
        incident = casebook.get(incident_id)
        if incident is None:
            close = casebook.closest(incident_id)
            hint = f"; closest: {', '.join(close)}" if close else ""
            _fail(
                f"unknown incident id {_safe(incident_id)!r}{hint} "
                "(run `aipm-workbench incidents` for the list)"
            )
        if fmt == "json":
            click.echo(json.dumps(incident.to_json(), indent=2, ensure_ascii=False))
        else:
            click.echo("\n".join(describe(incident)))
        return

    cases = list(casebook)
    if type_id is not None:
        cases = _of_type(casebook, type_id)
    if words is not None:
        from ..domain.casebook import query_words

        if not query_words(words):
            _fail("--search needs at least one word to look for")
        cases = [hit.incident for hit in casebook.search(words, within=cases)]
    if fmt == "json":
        click.echo(json.dumps([i.to_json() for i in cases], indent=2, ensure_ascii=False))
        return
    if not cases:
        click.echo("No incidents match.")
        return
    click.echo("\n\n".join("\n".join(summary(i)) for i in cases))
    click.echo(
        f"\n{len(cases)} of {len(casebook)} incidents. "
        "Show one in full: aipm-workbench incidents ID"
    )


def _of_type(casebook, type_id: str):
    from ..domain import builtin_taxonomy

    taxonomy = builtin_taxonomy()
    if taxonomy.get(type_id) is None:
        import difflib

        close = difflib.get_close_matches(type_id, taxonomy.ids(), n=3, cutoff=0.3)
        close += [t for t in taxonomy.ids() if type_id and type_id in t and t not in close]
        hint = f"; closest: {', '.join(close[:3])}" if close else ""
        _fail(
            f"unknown harm type {_safe(type_id)!r}{hint} "
            "(run `aipm-workbench taxonomy` for the list)"
        )
    return casebook.of_type(type_id)


def summary(incident) -> list[str]:
    """A case in the list: id, year and title, its harm types, one line."""
    lines = textwrap.wrap(
        f"{_safe(incident.id)} ({incident.year})  {_safe(incident.title)}",
        width=WIDTH,
        subsequent_indent="    ",
    )
    types = ", ".join(
        _safe(t) + ("*" if t == incident.primary_harm else "") for t in incident.harm_types
    )
    lines += _wrap(f"types: {types}", "  ", "    ")
    lines += _wrap(incident.one_line, "  ")
    return lines


def describe(incident) -> list[str]:
    """One case in full, at 80 columns."""
    from ..domain.scales import SCALES
    from ..domain.scoring import priority

    i = incident
    lines = textwrap.wrap(f"{_safe(i.title)} ({i.year})", width=WIDTH)
    lines.append(f"id: {_safe(i.id)}")
    lines += _wrap(f"Organisation: {_safe(i.organisation)}", "", "  ")
    lines += _wrap(f"System: {_safe(i.system)}", "", "  ")
    lines.append(f"Stage reached: {i.stage.value}")
    lines.append(f"What failed: {i.source.value.replace('_', ' ')}")
    types = ", ".join(
        _safe(t) + (" (primary)" if t == i.primary_harm else "") for t in i.harm_types
    )
    lines += _wrap(f"Harm types: {types}", "", "  ")
    missing = ", ".join(k.value.replace("_", " ") for k in i.missing_fallbacks) or "none"
    lines += _wrap(f"Fallbacks missing or failed: {missing}", "", "  ")
    lines += ["", "What happened"]
    lines += _wrap(i.account, "  ")
    lines += ["", "Before launch, as pitched"]
    lines += _wrap(i.before_launch, "  ")
    lines += [
        "",
        f"Reference ratings of the primary harm ({_safe(i.primary_harm)})",
        "  1 to 5, higher is always worse",
    ]
    for name in ("severity", "likelihood", "reversibility", "detectability"):
        scale = SCALES[name]
        value = getattr(i, name)
        lines += _wrap(f"{value} ({scale.anchor(value)})", f"  {scale.label:<15}", " " * 17)
        lines += _wrap(f"why: {getattr(i.reasons, name)}", " " * 17)
    p = priority(*i.ratings)
    lines += _wrap(f"Reference tier: {p.tier.label} (rule {p.rule.label})", "  ", "    ")
    lines += ["", "Sources"]
    for source in i.sources:
        lines += _wrap(source, "  - ", "    ")
    return lines


def _wrap(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        _safe(" ".join(text.split())),
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
    )


def _safe(text: str) -> str:
    from ..domain.formatting import safe_text

    return safe_text(text)


def _fail(message: str) -> None:
    click.echo(f"aipm-workbench: {message}", err=True)
    sys.exit(EXIT_INVALID)
