"""``check``, ``taxonomy`` and ``schema``: validate and score files, no database needed."""

from __future__ import annotations

import json
import sys

import click

from .main import EXIT_FINDINGS, EXIT_INVALID, EXIT_OK, fail, main, today


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
    from ..domain import InvalidInput, evaluate, iter_assessment_paths, read_assessment
    from .text import describe

    taxonomy = _taxonomy(taxonomy_file)
    files = list(iter_assessment_paths(paths))
    if not files:
        fail(f"no assessment files (.toml or .json) found in {', '.join(paths)}")
    ref = today()
    results = []
    invalid = errors = warnings = 0
    for path in files:
        try:
            assessment = read_assessment(path, taxonomy)
        except InvalidInput as exc:
            invalid += 1
            for line in exc.lines():
                click.echo(line, err=True)
            results.append((str(path), None, exc.problems))
            continue
        ev = evaluate(assessment, ref)
        errors += ev.errors
        warnings += ev.warnings
        results.append((str(path), ev, []))

    if fmt == "json":
        out = []
        for path, ev, problems in results:
            item = {"file": path, "valid": ev is not None, "problems": problems}
            if ev is None:
                item.update(
                    {
                        "feature_id": None,
                        "priority": None,
                        "residual_priority": None,
                        "recommended_verdict": None,
                        "verdict": None,
                        "harms": [],
                        "findings": [],
                        "sensitivity": [],
                    }
                )
            else:
                item.update(ev.as_dict())
            out.append(item)
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for path, ev, _ in results:
            if ev is None:
                click.echo(f"{path}: INVALID (problems listed on stderr)\n")
                continue
            click.echo(path)
            for line in describe(ev):
                click.echo("  " + line)
            click.echo()
        valid = len(results) - invalid
        click.echo(
            f"{len(results)} file{'s' if len(results) != 1 else ''}: {valid} valid, "
            f"{invalid} invalid; {errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    if invalid:
        sys.exit(EXIT_INVALID)
    if strict and errors:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


def _taxonomy(path: str | None):
    from ..domain import InvalidInput, builtin_taxonomy, load_taxonomy

    if not path:
        return builtin_taxonomy()
    try:
        return load_taxonomy(path)
    except InvalidInput as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        sys.exit(EXIT_INVALID)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--taxonomy", "taxonomy_file", metavar="FILE", help="Show this taxonomy file.")
def taxonomy(fmt: str, taxonomy_file: str | None) -> None:
    """List the harm taxonomy: families, types, guiding questions and examples."""
    tax = _taxonomy(taxonomy_file)
    if fmt == "json":
        click.echo(json.dumps(tax.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    click.echo(f"{tax.name} ({tax.ref})")
    for fam in tax.families:
        click.echo(f"\n{fam.label.upper()}  {fam.description}")
        for t in tax.types_in(fam.id):
            mit = f"  [MIT {t.mit_cause}]" if t.mit_cause else ""
            click.echo(f"\n  {t.id}: {t.label}{mit}")
            click.echo(_wrap(t.description, "    "))
            for q in t.questions:
                click.echo(_wrap(q, "      - ", "        "))
            if t.example:
                click.echo(_wrap(f"Example: {t.example}", "    "))


def _wrap(text: str, first: str, rest: str | None = None) -> str:
    import textwrap

    return textwrap.fill(
        text, width=88, initial_indent=first, subsequent_indent=rest if rest is not None else first
    )


@main.command()
def schema() -> None:
    """Print the JSON Schema of the assessment file format (for editors)."""
    from ..domain.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
