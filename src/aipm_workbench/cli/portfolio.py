"""The portfolio commands: ``import``, ``rank``, ``show``, ``history``, ``diff`` and ``demo``.

Every command opens the database through :class:`~aipm_workbench.storage.Store`
(``--db``, else ``$AIPM_WORKBENCH_DB``, else the user data directory); any
store error ends the command with exit code 3 and the store's message.
"""

from __future__ import annotations

import csv
import difflib
import gc
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..domain.formatting import people_value, plural, safe_text, tier_label, verdict_label
from ..domain.vocab import DecisionState, Stage, Verdict
from .main import EXIT_DB, EXIT_INVALID, Context, main, today
from .main import fail as _fail
from .text import say, say_lines

if TYPE_CHECKING:
    from ..storage import PortfolioRow, Store

# The largest --limit: more than any portfolio holds, small enough for the database.
MAX_LIMIT = 1_000_000_000
UNDECIDED = verdict_label(None)
# Inputs of at least this many files show a progress bar (when stderr is a terminal).
PROGRESS_FROM = 200
# history shows at most this many changes per revision; `diff` shows them all.
HISTORY_CHANGES = 8
DEMO_NAME = "demo.duckdb"
DEMO_MARK = "demo"

JSON_FIELDS = (
    "rank",
    "id",
    "name",
    "stage",
    "revision",
    "inherent_priority",
    "residual_priority",
    "max_rpn",
    "residual_max_rpn",
    "harmed_low",
    "harmed_high",
    "recommended_verdict",
    "verdict",
    "errors",
    "warnings",
    "review_by",
    "overdue",
    "decision_state",
    "standing_revision",
)
BY_TEXT = {
    "residual": "residual priority",
    "inherent": "inherent priority",
    "rpn": "highest residual rpn",
    "harmed": "people harmed",
    "review": "review date",
}


# ---------------------------------------------------------------- helpers


def fail(message: str, code: int = EXIT_INVALID) -> None:
    """Exit with ``message`` on stderr, made safe (it may quote ids and paths)."""
    _fail(safe_text(message), code)


def _store(path: Path) -> Store:
    from ..settings import SettingsError, lock_timeout
    from ..storage import Store

    try:
        return Store(path, lock_timeout=lock_timeout())
    except SettingsError as exc:
        fail(str(exc))
        raise  # unreachable: fail exits


@contextmanager
def _database() -> Iterator[None]:
    """Turn every store error into its message and exit code 3."""
    from ..storage import StoreError

    try:
        yield
    except StoreError as exc:
        fail(str(exc), EXIT_DB)


def _db_path(ctx: click.Context) -> Path:
    obj = ctx.find_object(Context)
    if obj is None:  # invoked outside the group (tests calling the command directly)
        from ..settings import resolve_db_path

        return resolve_db_path(None)
    return obj.db_path


def _workspace(ctx: click.Context) -> Path | None:
    """The workspace in use (None outside one, or when --db names a database)."""
    obj = ctx.find_object(Context)
    return obj.workspace if obj is not None else None


def _copy_in(workspace: Path, store: Store, items: list[tuple[Path, str]], dry_run: bool) -> None:
    """``import`` in a workspace: the files are copied into assessments/, then synced."""
    from ..services.workspace import WorkspaceError, copy_in

    with _database():
        try:
            copied, report = copy_in(workspace, store, items, dry_run=dry_run)
        except WorkspaceError as exc:
            say_lines(safe_text(str(exc)).splitlines(), err=True)
            fail("nothing was copied into the workspace")
    if not copied:
        say("nothing to copy: every file is in the workspace's assessments/ already")
        return
    names = ", ".join(safe_text(c) for c in copied)
    if report is None:
        say(f"{plural(len(copied), 'file')} would be copied (dry run, nothing written): {names}")
        return
    for line in report.problems:
        click.echo(f"aipm-workbench: warning: {safe_text(line)}", err=True)
    say(f"{plural(len(copied), 'file')} copied: {names}; {report.line()}")


def _known_feature(store: Store, feature_id: str) -> None:
    """Exit 2 with close matches when the database has no such feature."""
    ids = store.feature_ids()
    if feature_id in ids:
        return
    if not ids:
        fail(
            f"no feature {feature_id!r}: the database {store.path} holds no features yet; "
            "import assessment files with `aipm-workbench import PATH`"
        )
    close = difflib.get_close_matches(feature_id, ids, n=3, cutoff=0.5)
    close += [i for i in ids if feature_id in i and i not in close][: 3 - len(close)]
    hint = (
        f"; did you mean {', '.join(close)}?"
        if close
        else "; `aipm-workbench rank` lists the features"
    )
    fail(f"no feature {feature_id!r} in {store.path}{hint}")


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that all survive."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ----------------------------------------------------------------- import

# Inputs of at least this many files are read by one process per core.
PARALLEL_FROM = 100
_taxonomy_for_workers = None


def _read_one(path: Path):
    """(path, the file as rows ready to store or None, its problems): never raises."""
    from ..domain import InvalidInput, read_assessment
    from ..storage import rows

    try:
        assessment = read_assessment(path, _taxonomy_for_workers)
    except InvalidInput as exc:
        return path, None, exc.lines()
    return path, rows.prepare(assessment), []


def _read_all(files: list[Path], taxonomy):
    """Read, validate and score every file, in order; in parallel when there are many.

    Worker processes are forked (the modules they need are already loaded, and
    the database engine has not started yet); where fork is unavailable, or the
    engine runs already, this process reads them all.
    """
    import multiprocessing
    import os

    from ..storage.store import engine_running

    global _taxonomy_for_workers
    _taxonomy_for_workers = taxonomy
    workers = min(os.cpu_count() or 1, 8)
    if (
        len(files) < PARALLEL_FROM
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
        or engine_running()  # never fork a process whose database threads are running
    ):
        yield from map(_read_one, files)
        return
    from ..storage import rows  # noqa: F401  (loaded once, before the fork)

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_read_one, files, chunksize=16)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
@click.option("--taxonomy", "taxonomy_file", metavar="FILE", help="Validate with this taxonomy.")
@click.pass_context
def import_(ctx: click.Context, paths: tuple[str, ...], dry_run: bool, taxonomy_file: str | None):
    """Import assessment files (files or folders of .toml/.json) into the database.

    All or nothing: when any file is invalid, every problem is listed on stderr
    as FILE: path: message and nothing is written. An assessment equal to its
    feature's latest revision creates no new revision; a changed one creates the
    next revision.

    Exit codes: 0 imported, 2 invalid files or usage, 3 database unavailable.
    """
    from ..domain import iter_assessment_paths
    from .check import _taxonomy

    taxonomy = _taxonomy(taxonomy_file)
    files = list(iter_assessment_paths(paths))
    if not files:
        fail(f"no assessment files (.toml or .json) found in {', '.join(paths)}")
    store = _store(_db_path(ctx))
    problems: list[str] = []
    invalid = 0
    prepared = []
    seen: dict[str, Path] = {}
    show_progress = len(files) >= PROGRESS_FROM and sys.stderr.isatty()
    with (
        _no_gc(),
        click.progressbar(
            length=len(files),
            label="Reading",
            file=sys.stderr if show_progress else io.StringIO(),
            show_pos=True,
        ) as bar,
    ):
        for path, item, lines in _read_all(files, taxonomy):
            bar.update(1)
            if item is None:
                invalid += 1
                problems += lines
                continue
            fid = item.feature_id
            if fid in seen:
                invalid += 1
                problems.append(
                    f"{path}: feature.id: {fid!r} is also the id in {seen[fid]}: keep one "
                    "file per feature"
                )
                continue
            seen[fid] = path
            prepared.append(item)
    if problems:
        say_lines(problems, err=True)
        fail(
            f"{invalid} of {plural(len(files), 'file')} "
            f"{'is' if invalid == 1 else 'are'} invalid: nothing was imported"
        )
    workspace = _workspace(ctx)
    if workspace is not None:
        _copy_in(workspace, store, [(seen[p.feature_id], p.feature_id) for p in prepared], dry_run)
        return
    with _database():
        report = store.import_prepared(prepared, dry_run=dry_run)
    n, new, same = len(files), len(report.created), len(report.unchanged)
    if dry_run:
        say(
            f"{n} checked (dry run, nothing written): {new} would be "
            f"{plural(new, 'new revision').split(' ', 1)[1]}, {same} unchanged"
        )
    else:
        say(f"{n:,} imported: {plural(new, 'new revision')}, {same:,} unchanged")


# ------------------------------------------------------------------- rank


@main.command()
@click.option(
    "--by",
    type=click.Choice(list(BY_TEXT)),
    default="residual",
    show_default=True,
    help="Rank by residual or inherent priority, residual rpn, people harmed or review date.",
)
@click.option(
    "--stage",
    type=click.Choice([s.value for s in Stage]),
    help="Only features at this stage.",
)
@click.option(
    "--verdict",
    type=click.Choice([v.value for v in Verdict] + [UNDECIDED]),
    help="Only features with this chosen verdict.",
)
@click.option(
    "--state",
    type=click.Choice([s.value for s in DecisionState]),
    help="Only features whose decision is in this state (DOMAIN.md 9).",
)
@click.option(
    "--all",
    "include_removed",
    is_flag=True,
    help="Also features whose workspace file was deleted (shown as removed).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIMIT),
    metavar="N",
    help="Show the first N.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "md"]),
    default="table",
    show_default=True,
)
@click.pass_context
def rank(
    ctx: click.Context,
    by: str,
    stage: str | None,
    verdict: str | None,
    state: str | None,
    include_removed: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """The portfolio, riskiest first (DOMAIN.md section 4).

    Rank numbers are places in the whole portfolio; --stage, --verdict and
    --state hide rows without renumbering them. The verdict is the standing
    decision's; the state says whether it is stale, reopened or expired.

    Exit codes: 0 ok, 2 usage, 3 database unavailable.
    """
    ref = today()
    store = _store(_db_path(ctx))
    with _database():
        filters = {"stage": stage, "verdict": verdict, "state": state}
        rows = store.rank(by=by, limit=limit, today=ref, include_removed=include_removed, **filters)
        if rows and (limit is None or len(rows) < limit):
            total = len(rows)
        else:
            total = store.count(today=ref, **filters)
        everything = store.count() if not rows else total
    if not rows:
        _no_rows(fmt, store.path, filters, everything)
        return
    if fmt == "json":
        from ..render.cells import json_text

        click.echo(json_text([_json_row(r) for r in rows]))
    elif fmt == "csv":
        click.echo(_csv(rows), nl=False)
    elif fmt == "md":
        click.echo(_markdown(rows), nl=False)
    else:
        click.echo(_table(rows, _terminal_width()), nl=False)
        shown = plural(total, "feature")
        shown = f"{len(rows)} of {shown}" if len(rows) < total else shown
        overdue = sum(1 for r in rows if r.overdue)
        tail = f"; {plural(overdue, 'overdue review')}" if overdue else ""
        say(f"{shown}, ranked by {BY_TEXT[by]}{tail} (as of {ref})")


def _no_rows(fmt: str, path: Path, filters: dict[str, str | None], everything: int):
    """An empty ranking: the format's empty document, and a line saying why."""
    if fmt == "json":
        click.echo("[]")
    elif fmt == "csv":
        click.echo(",".join(JSON_FIELDS))
    elif fmt == "md":
        click.echo(_markdown([]), nl=False)
    if not everything:
        why = f"no features in {path}: import assessment files with `aipm-workbench import PATH`"
    else:
        wanted = [
            f"at stage {filters['stage']}" if filters["stage"] else "",
            f"with verdict {filters['verdict']}" if filters["verdict"] else "",
            f"whose decision is {filters['state']}" if filters["state"] else "",
        ]
        why = (
            f"no feature {' and '.join(w for w in wanted if w)}: "
            f"{plural(everything, 'feature')} in all; leave out the filter to see them"
        )
    say(why, err=True)


def _csv(rows: list[PortfolioRow]) -> str:
    """The ranked rows as CSV: people harmed rounded, text safe, never a formula."""
    from ..render.cells import csv_cell

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(JSON_FIELDS)
    for r in rows:
        writer.writerow([csv_cell(v) for v in _json_row(r).values()])
    return buf.getvalue()


def _json_row(r: PortfolioRow) -> dict:
    """A row for machines: exact text, people harmed to 3 significant digits."""
    data = {k: getattr(r, k) for k in JSON_FIELDS}
    data["harmed_low"] = people_value(r.harmed_low)
    data["harmed_high"] = people_value(r.harmed_high)
    data["review_by"] = r.review_by.isoformat() if r.review_by else None
    return data


def _people(r: PortfolioRow) -> str:
    from ..domain.formatting import people_range

    return people_range(r.harmed_low, r.harmed_high)


def _cells(r: PortfolioRow) -> list[str]:
    review = "-"
    if r.review_by is not None:
        review = r.review_by.isoformat() + (" OVERDUE" if r.overdue else "")
    name = safe_text(r.name)
    name = name if len(name) <= 34 else name[:31] + "..."
    return [
        str(r.rank),
        safe_text(r.id),
        name,
        r.stage,
        tier_label(r.residual_priority),
        tier_label(r.inherent_priority),
        "-" if r.residual_max_rpn is None else str(r.residual_max_rpn),
        _people(r),
        verdict_label(r.recommended_verdict),
        verdict_label(r.verdict),
        "removed" if r.removed else r.decision_state,
        str(r.errors),
        str(r.warnings),
        review,
    ]


HEADERS = [
    "#",
    "ID",
    "NAME",
    "STAGE",
    "RESIDUAL",
    "INHERENT",
    "RPN",
    "PEOPLE HARMED",
    "RECOMMENDED",
    "VERDICT",
    "DECISION",
    "ERR",
    "WARN",
    "REVIEW BY",
]
RIGHT = {0, 6, 7, 11, 12}  # numeric columns, right-aligned


# Columns left out, in this order, while a table is wider than the terminal.
DROPPABLE = ("NAME", "INHERENT", "STAGE")


def _table(rows: list[PortfolioRow], width: int | None = None) -> str:
    """An aligned table; when ``width`` is given, the least needed columns make room."""
    cells = [_cells(r) for r in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(HEADERS)]
    keep = list(range(len(HEADERS)))
    for name in DROPPABLE:
        if width is None or sum(widths[i] + 2 for i in keep) - 2 <= width:
            break
        keep.remove(HEADERS.index(name))

    def line(values: list[str]) -> str:
        parts = [
            values[i].rjust(widths[i]) if i in RIGHT else values[i].ljust(widths[i]) for i in keep
        ]
        return "  ".join(parts).rstrip() + "\n"

    return line(HEADERS) + "".join(line(c) for c in cells)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _interactive() -> bool:
    """A person at a terminal: the full-screen app can run."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one; None (no limit) for pipes and files."""
    import shutil

    if not _stdout_is_terminal():
        return None
    return shutil.get_terminal_size((200, 24)).columns


def _markdown(rows: list[PortfolioRow]) -> str:
    """A GitHub table: every cell escaped (pipes, HTML, newlines as ``<br>``), one row each."""
    from ..render.markdown import cell

    out = "| " + " | ".join(HEADERS) + " |\n"
    out += "|" + "|".join("---:" if i in RIGHT else "---" for i in range(len(HEADERS))) + "|\n"
    for r in rows:
        cells = _cells(r)  # the values are the workbench's own words and numbers...
        cells[1], cells[2] = cell(r.id), cell(r.name)  # ...except the id and the name
        out += "| " + " | ".join(cells) + " |\n"
    return out


# ------------------------------------------------------------------- show


@main.command()
@click.argument("feature_id", metavar="ID")
@click.option("--revision", type=click.IntRange(min=1), metavar="N", help="Revision N.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "toml"]),
    default="text",
    show_default=True,
    help="text: the scored summary; json or toml: the assessment file itself.",
)
@click.pass_context
def show(ctx: click.Context, feature_id: str, revision: int | None, fmt: str) -> None:
    """Show a feature's latest revision (or revision N).

    Exit codes: 0 ok, 2 unknown feature or revision, 3 database unavailable.
    """
    from ..domain import dump_json, dump_toml, evaluate
    from .text import describe, living_lines

    ref = today()
    store = _store(_db_path(ctx))
    with _database():
        stored = store.revision(feature_id, revision)
        if stored is None:
            _known_feature(store, feature_id)
            last = store.latest(feature_id)
            have = last.info.number if last else 0
            fail(
                f"{feature_id} has no revision {revision} (it has revisions 1-{have}); "
                f"`aipm-workbench history {feature_id}` lists them"
            )
            return
        latest = store.latest(feature_id) if fmt == "text" and revision is not None else stored
    if fmt in ("json", "toml"):
        from ..render.cells import escape_raw

        dump = dump_json if fmt == "json" else dump_toml
        click.echo(escape_raw(dump(stored.assessment)), nl=False)
        return
    info = stored.info
    saved = info.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
    say(f"revision {info.number} of {latest.info.number}, saved {saved}")
    with _database():
        live = store.decision(feature_id, ref)
        # The latest revision is scored as the world now stands; an older one on its own.
        observations = store.observations(feature_id) if revision is None else []
    ev = evaluate(stored.assessment, ref, observations=observations)
    lines = describe(ev)
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("chosen:")), len(lines))
    say_lines([*lines[:at], *living_lines(live, ev), *lines[at:]])


# ---------------------------------------------------------------- history


@main.command()
@click.argument("feature_id", metavar="ID")
@click.pass_context
def history(ctx: click.Context, feature_id: str) -> None:
    """Every revision of a feature: when, the verdict, and what changed.

    Exit codes: 0 ok, 2 unknown feature, 3 database unavailable.
    """
    from ..services.records import revision_marks
    from .text import revision_mark_text

    store = _store(_db_path(ctx))
    with _database():
        infos = store.revisions(feature_id)
        if not infos:
            _known_feature(store, feature_id)
        marks = {m.number: m for m in revision_marks(store.history(feature_id))}
    say(f"{feature_id}: {plural(len(infos), 'revision')}")
    last = infos[-1].number if infos else None
    earlier = False
    for info in infos:
        saved = info.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
        decided = f", decided {info.decided_on}" if info.decided_on else ""
        say(
            f"r{info.number}  {saved}  verdict {verdict_label(info.verdict)}{decided} "
            f"(recommended {verdict_label(info.recommended)})"
        )
        mark = marks.get(info.number)
        if mark is not None:
            now = marks[last].standing if last in marks else None
            said = revision_mark_text(mark, now, earlier)
            earlier = earlier or mark.decided
            if said:
                say(f"    {said}")
        if info.note:
            say(f"    note: {info.note}")
        say_lines(info.changes[:HISTORY_CHANGES], indent="    ")
        more = len(info.changes) - HISTORY_CHANGES
        if more > 0:
            say(
                f"    ... and {more} more: aipm-workbench diff {feature_id} "
                f"{info.number - 1} {info.number}"
            )


# ------------------------------------------------------------------- diff


@main.command()
@click.argument("feature_id", metavar="ID")
@click.argument("a", type=click.IntRange(min=1), required=False)
@click.argument("b", type=click.IntRange(min=1), required=False)
@click.pass_context
def diff(ctx: click.Context, feature_id: str, a: int | None, b: int | None) -> None:
    """What changed between two revisions of a feature, field by field.

    With no revisions: the last two. With A: revision A against the latest.

    Exit codes: 0 ok, 2 unknown feature or revision, 3 database unavailable.
    """
    from ..domain.diff import diff_assessments

    store = _store(_db_path(ctx))
    with _database():
        latest = store.latest(feature_id)
        if latest is None:
            _known_feature(store, feature_id)
            return
        last = latest.info.number
        if a is None:
            if last < 2:
                fail(f"{feature_id} has only one revision: there is nothing to compare yet")
            a, b = last - 1, last
        elif b is None:
            b = last
        for n in (a, b):
            if n > last:
                fail(f"{feature_id} has no revision {n} (it has revisions 1-{last})")
        old = store.revision(feature_id, a)
        new = store.revision(feature_id, b)
    assert old is not None and new is not None
    say(f"{feature_id}: revision {a} -> revision {b}")
    lines = diff_assessments(old.assessment, new.assessment)
    if not lines:
        say("  no differences")
    say_lines(lines, indent="  ")


# ------------------------------------------------------------------- demo


def default_demo_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("aipm-workbench", appauthor=False)) / DEMO_NAME


def _demo_team(ctx: click.Context, obj: Context | None, folder: Path, samples: Path) -> None:
    """``demo --team DIR``: the samples as a team's workspace, opened (or ranked)."""
    from ..services.workspace import WorkspaceError, demo_team

    if obj is not None and obj.db_option:
        fail("--team makes a workspace, whose index is its own database: leave out --db")
    try:
        staged = demo_team(folder, samples)
    except WorkspaceError as exc:
        fail(str(exc))
        return
    shown = safe_text(str(folder))
    git = f"; `git -C {shown} diff` shows what each save changes" if staged else ""
    say(f"demo: a team workspace of the sample projects in {shown}{git}", err=True)
    if obj is not None:
        obj.workspace_option = str(folder)
    open_app = main.get_command(ctx, "open")
    if open_app is not None and _interactive():
        ctx.invoke(open_app)
        return
    ctx.invoke(rank)


def _demo_observations(store: Store, csv_path: Path) -> int:
    """Record the sample observations as ``observe --file`` does (all or nothing); the
    number recorded. A bad row is a broken installation, not the user's input."""
    from .living import Problems, _observation, _read_csv

    rows = _read_csv(csv_path)
    ids = sorted({r.get("feature", "").strip() for _, r in rows} - {""})
    latest = store.latest_assessments(ids)
    problems = Problems()
    found = []
    for line, fields in rows:
        where = f"{csv_path}:{line}"
        if "__width__" in fields:
            problems.add(where, f"{fields['__width__']} fields")
            continue
        o = _observation(fields, latest, today(), where, problems)
        if o is not None:
            found.append(o)
    if problems:
        say_lines([safe_text(p) for p in problems], err=True)
        fail("the sample observations are invalid: reinstall aipm-workbench")
    recorded, _unchanged, _superseded = store.record_observations(found)
    return recorded


@main.command()
@click.option(
    "--db",
    "demo_db",
    metavar="PATH",
    help=f"Demo database file (default: {DEMO_NAME} in the user data directory).",
)
@click.option(
    "--team",
    "team_dir",
    metavar="DIR",
    help="Make DIR (new or empty) a team's workspace of the sample projects and open it.",
)
@click.pass_context
def demo(ctx: click.Context, demo_db: str | None, team_dir: str | None) -> None:
    """Load the sample projects into a fresh demo database and open it.

    The demo database is its own file, replaced on every run; demo never
    touches your workbench database, and refuses to replace a file it did not
    create. Opens the full-screen workbench when run in a terminal; otherwise
    prints the ranked portfolio.

    With --team DIR, the samples become a team's workspace instead (files in
    DIR/assessments, staged in a new git repository): saves in the app and
    `decide` write those files, and `git diff` shows what changed.

    Exit codes: 0 ok, 2 the path holds another database (or DIR is not empty),
    3 database unavailable.
    """
    from ..domain import InvalidInput, iter_assessment_paths, read_assessment
    from ..settings import resource_dir

    obj = ctx.find_object(Context)
    if team_dir is not None:
        _demo_team(ctx, obj, Path(team_dir), resource_dir("sample_projects"))
        return
    if demo_db:
        path = Path(demo_db).expanduser()
    elif obj is not None and obj.db_option:
        path = Path(obj.db_option).expanduser()
    else:
        path = default_demo_path()
    folder = resource_dir("sample_projects")
    files = list(iter_assessment_paths([folder]))
    if not files:
        fail(f"no sample projects found in {folder}: reinstall aipm-workbench")
    try:
        items = [(str(p), read_assessment(p)) for p in files]
    except InvalidInput as exc:  # a broken installation, not the user's input
        say_lines(exc.lines(), err=True)
        fail("a sample project is invalid: reinstall aipm-workbench")
        return
    store = _store(path)
    with _database():
        meta = store.meta()
        if meta and meta.get(DEMO_MARK) != "sample_projects":  # drafts alone included
            fail(
                f"{path} holds a workbench database that demo did not create; demo replaces "
                "its database on every run, so it leaves this one alone: pass another --db path"
            )
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
        store.set_meta(DEMO_MARK, "sample_projects")
        report = store.import_assessments(items, note="demo: sample projects")
        observed = _demo_observations(store, folder / "observations.csv")
    say(
        f"demo: loaded {len(report.created)} sample assessments and {observed} observations "
        f"into {path}",
        err=True,
    )
    if obj is not None:
        obj.db_option = str(path)
    open_app = main.get_command(ctx, "open")
    if open_app is not None and _interactive():
        ctx.invoke(open_app)
        return
    ctx.invoke(rank)
