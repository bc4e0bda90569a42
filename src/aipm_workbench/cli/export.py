"""``export``: decision records, the portfolio report, and assessment files."""

from __future__ import annotations

import sys

import click

from .main import EXIT_DB, Context, fail, main, today

RECORD_FORMATS = ("md", "toml", "json")
PORTFOLIO_FORMATS = ("md", "csv", "parquet")
PROGRESS_FROM = 20  # records; fewer finish before a bar is worth drawing


@main.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "all_features", is_flag=True, help="Every feature in the database.")
@click.option(
    "--portfolio",
    is_flag=True,
    help="The portfolio report (md) or the ranked table (csv, parquet) instead of records.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=str),
    help="Folder to write to (created when missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted({*RECORD_FORMATS, *PORTFOLIO_FORMATS})),
    default="md",
    show_default=True,
    help="Records: md, or toml/json assessment files. --portfolio: md, csv or parquet.",
)
@click.option(
    "--template",
    metavar="FILE",
    type=click.Path(path_type=str),
    help="Render with this Jinja template instead of the built-in one (sandboxed).",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--revision",
    type=click.IntRange(min=1),
    metavar="N",
    help="Export revision N instead of the latest decided one.",
)
@click.option("--history", is_flag=True, help="A record for every decided revision.")
@click.pass_obj
def export(
    obj: Context,
    ids: tuple[str, ...],
    all_features: bool,
    portfolio: bool,
    out_dir: str,
    fmt: str,
    template: str | None,
    force: bool,
    revision: int | None,
    history: bool,
) -> None:
    """Write decision records, the portfolio report, or assessment files to a folder.

    \b
    aipm-workbench export ID... --out DIR      one record per feature: its latest
                                               decided revision, else its latest
                                               revision as a proposed record
    aipm-workbench export --all --out DIR      every feature
    aipm-workbench export --portfolio --out DIR [--format md|csv|parquet]

    Records are named FEATURE-rN.md; --format toml or json writes each feature's
    latest revision as an assessment file (FEATURE.toml) that `import` reads back.
    When a target file exists nothing is written, unless --force.

    Exit codes: 0 written, 2 invalid usage, existing files or a template problem,
    3 database unavailable.
    """
    _check_usage(ids, all_features, portfolio, fmt, template, revision, history)
    from ..domain.formatting import safe_text
    from ..render import TemplateProblem
    from ..services import records
    from ..storage import Store, StoreError

    path = obj.db_path
    if not path.exists():
        fail(
            f"no workbench database at {path}: import assessments first "
            "(aipm-workbench import FILES), or pass --db",
            EXIT_DB,
        )
    ref = today()
    store = Store(path)
    feature_ids = None if all_features else list(ids)
    try:
        if portfolio:
            written = [
                records.export_portfolio(
                    store, out_dir, fmt, force=force, today=ref, template=template
                )
            ]
            what = "portfolio report" if fmt == "md" else f"ranked table ({fmt})"
        elif fmt in ("toml", "json"):
            written = records.export_assessments(store, feature_ids, out_dir, fmt, force=force)
            what = "assessment file"
        else:
            with _Progress() as progress:
                written = records.export_records(
                    store,
                    feature_ids,
                    out_dir,
                    template=template,
                    force=force,
                    history=history,
                    revision=revision,
                    today=ref,
                    progress=progress,
                )
            what = "decision record"
    except TemplateProblem as exc:
        fail(safe_text(f"{exc} (nothing was written)"))
    except records.ExportError as exc:
        fail(safe_text(exc))
    except StoreError as exc:
        fail(safe_text(exc), EXIT_DB)
    for p in written:
        click.echo(safe_text(p))
    n = len(written)
    plural = what if n == 1 else what.replace("record", "records").replace("file", "files")
    click.echo(safe_text(f"wrote {n} {plural} to {out_dir}"), err=True)


def _check_usage(
    ids: tuple[str, ...],
    all_features: bool,
    portfolio: bool,
    fmt: str,
    template: str | None,
    revision: int | None,
    history: bool,
) -> None:
    if portfolio:
        if ids or all_features or revision is not None or history:
            fail("--portfolio takes no feature ids, --all, --revision or --history")
        if fmt not in PORTFOLIO_FORMATS:
            fail(f"--portfolio writes md, csv or parquet, not {fmt}")
        if template and fmt != "md":
            fail("--template applies to Markdown only: use --format md")
        return
    if ids and all_features:
        fail("give feature ids or --all, not both")
    if not ids and not all_features:
        fail("name the features to export (ID...), or pass --all or --portfolio")
    if fmt not in RECORD_FORMATS:
        fail(f"--format {fmt} is for --portfolio; records are md, toml or json")
    if revision is not None and history:
        fail("--revision and --history cannot be combined")
    if revision is not None and all_features:
        fail("--revision needs feature ids, not --all")
    if fmt != "md" and (template or revision is not None or history):
        fail("--template, --revision and --history apply to Markdown records (--format md)")


class _Progress:
    """A progress bar on stderr for many records, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.bar = None
        self.done = 0
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_FROM:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Rendering records", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
