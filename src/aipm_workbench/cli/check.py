"""``check``, ``taxonomy`` and ``schema``: validate and score files, no database needed."""

from __future__ import annotations

import json
import sys

import click

from ..domain.formatting import people_value, plural, safe_text
from .main import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK, main, today
from .main import fail as _fail
from .text import say, say_lines

# The JSON shape of a file that could not be read: the keys of a valid one, empty.
INVALID_ITEM = {
    "feature_id": None,
    "priority": None,
    "residual_priority": None,
    "recommended_verdict": None,
    "verdict": None,
    "harms": [],
    "findings": [],
    "sensitivity": [],
}


def fail(message: str, code: int = EXIT_INVALID) -> None:
    _fail(safe_text(message), code)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--strict", is_flag=True, help="Exit 1 when any file has an error-level finding.")
@click.option("--taxonomy", "taxonomy_file", metavar="FILE", help="Use this taxonomy file.")
def check(paths: tuple[str, ...], fmt: str, strict: bool, taxonomy_file: str | None) -> None:
    """Validate and score assessment files (files or folders of .toml/.json).

    Exit codes: 0 ok, 1 error-level findings with --strict, 2 invalid files.
    """
    from ..domain import iter_assessment_paths

    taxonomy = _taxonomy(taxonomy_file)
    files = list(iter_assessment_paths(paths))
    if not files:
        fail(f"no assessment files (.toml or .json) found in {', '.join(paths)}")
    results, invalid, errors = _check_all(files, taxonomy, today())
    if fmt == "json":
        _print_json(results)
    else:
        _print_text(results, invalid)
    if invalid:
        sys.exit(EXIT_INVALID)
    if strict and errors:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


def _check_all(files, taxonomy, ref):
    """(path, evaluation or None, problems) per file, the invalid count, the error count."""
    from ..domain import InvalidInput, evaluate, read_assessment

    results = []
    invalid = errors = 0
    for path in files:
        try:
            assessment = read_assessment(path, taxonomy)
        except InvalidInput as exc:
            invalid += 1
            say_lines(exc.lines(), err=True)
            results.append((str(path), None, exc.problems))
            continue
        ev = evaluate(assessment, ref)
        errors += ev.errors
        results.append((str(path), ev, []))
    return results, invalid, errors


def _people_rounded(item: dict) -> dict:
    """People harmed to 3 significant digits, at most 3 decimals (ranking used the exact ones)."""
    for key in ("harmed_low", "harmed_high"):
        if key in item:
            item[key] = people_value(item[key])
    for harm in item.get("harms", []):
        _people_rounded(harm)
    return item


def _print_json(results) -> None:
    from ..render.cells import json_text

    out = []
    for path, ev, problems in results:
        item = {"file": path, "valid": ev is not None, "problems": problems}
        item.update(INVALID_ITEM if ev is None else _people_rounded(ev.as_dict()))
        out.append(item)
    click.echo(json_text(out))


def _print_text(results, invalid: int) -> None:
    from .text import describe

    errors = sum(ev.errors for _, ev, _ in results if ev is not None)
    warnings = sum(ev.warnings for _, ev, _ in results if ev is not None)
    for path, ev, _ in results:
        if ev is None:
            say(f"{path}: INVALID (problems listed on stderr)")
            say()
            continue
        say(path)
        say_lines(describe(ev), indent="  ")
        say()
    valid = len(results) - invalid
    say(
        f"{plural(len(results), 'file')}: {valid} valid, {invalid} invalid; "
        f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    )


def _taxonomy(path: str | None):
    from ..domain import InvalidInput, builtin_taxonomy, load_taxonomy

    if not path:
        return builtin_taxonomy()
    try:
        return load_taxonomy(path)
    except InvalidInput as exc:
        say_lines(exc.lines(), err=True)
        sys.exit(EXIT_INVALID)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--taxonomy", "taxonomy_file", metavar="FILE", help="Show this taxonomy file.")
def taxonomy(fmt: str, taxonomy_file: str | None) -> None:
    """List the harm taxonomy: families, types, guiding questions and examples, and
    how many cases of the incident casebook show each type (`incidents --type ID`)."""
    from ..domain.casebook import builtin_casebook

    tax = _taxonomy(taxonomy_file)
    counts = builtin_casebook().counts_by_type()
    if fmt == "json":
        from ..render.cells import json_text

        out = tax.model_dump(mode="json")
        for t in out.get("types", []):
            t["cases"] = counts.get(t["id"], 0)
        click.echo(json_text(out))
        return
    say(f"{tax.name} ({tax.ref})")
    for fam in tax.families:
        say()
        say(f"{fam.label.upper()}  {fam.description}")
        for t in tax.types_in(fam.id):
            mit = f"  [MIT {t.mit_cause}]" if t.mit_cause else ""
            say()
            cases = counts.get(t.id, 0)
            say(f"  {t.id}: {t.label}{mit}  ({plural(cases, 'case')} in the casebook)")
            click.echo(_wrap(t.description, "    "))
            for q in t.questions:
                click.echo(_wrap(q, "      - ", "        "))
            if t.example:
                click.echo(_wrap(f"Example: {t.example}", "    "))


def _wrap(text: str, first: str, rest: str | None = None) -> str:
    import textwrap

    return textwrap.fill(
        safe_text(text),
        width=88,
        initial_indent=first,
        subsequent_indent=rest if rest is not None else first,
    )


@main.command()
def schema() -> None:
    """Print the JSON Schema of the assessment file format (for editors)."""
    from ..domain.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
