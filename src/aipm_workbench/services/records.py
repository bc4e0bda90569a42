"""Exports: decision records, the portfolio report and assessment files, written to a folder.

Every export follows the same rules:

- file names are safe slugs derived from ids, and never leave the out folder;
- when any target file exists and ``force`` is false, nothing is written and
  :class:`ExportError` names the file;
- everything is rendered before anything is written, so a template problem
  writes nothing; files are written to temporary files in the out folder,
  flushed to disk, then renamed over their targets.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .. import settings as _settings
from ..storage import StoreError

RECORD_SUFFIX = ".md"
PORTFOLIO_FORMATS = ("md", "csv", "parquet")
ASSESSMENT_FORMATS = ("toml", "json")
PORTFOLIO_NAME = "portfolio"

Progress = Callable[[int, int], None]


class ExportError(StoreError):
    """An export that cannot be done as asked; the message names the file or the id."""


# ----------------------------------------------------------------- files

_UNSAFE = re.compile(r"[^a-z0-9-]+")


def safe_name(stem: str, suffix: str) -> str:
    """A file name from an id: lowercase letters, digits and ``-`` only, never empty."""
    slug = _UNSAFE.sub("-", stem.lower()).strip("-")[:100] or "untitled"
    return slug + suffix


def _out_dir(out_dir: str | os.PathLike) -> Path:
    """The out folder, checked; it is created only when files are written."""
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder: choose a folder for --out")
    return out


def _make_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None


_SAFE_FILE = re.compile(r"[a-z0-9][a-z0-9-]*\.[a-z]+")


def _target(out: Path, name: str) -> Path:
    """``out / name`` for a name made by :func:`safe_name` (no separator, no ``..``)."""
    if not _SAFE_FILE.fullmatch(name):
        raise ExportError(f"{name!r} is not a safe file name")  # pragma: no cover
    return out / name


def _check_targets(paths: Sequence[Path], force: bool) -> None:
    seen: set[Path] = set()
    for p in paths:
        if p in seen:
            raise ExportError(f"{p} would be written twice: two items have the same file name")
        seen.add(p)
    if force:
        return
    existing = [p for p in paths if p.exists() or p.is_symlink()]
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ExportError(
            f"{existing[0]} already exists{more}: nothing was written; "
            "use --force to overwrite, or choose another folder"
        )


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _temp_path(target: Path) -> Path:
    """A new, empty file beside ``target`` (created with the usual permissions)."""
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        except OSError as exc:
            raise ExportError(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
        os.close(fd)
        return tmp
    raise ExportError(f"cannot create a temporary file in {target.parent}")  # pragma: no cover


def _commit(pairs: Sequence[tuple[Path, Path]]) -> None:
    """Rename finished temporary files over their targets; remove them all on failure."""
    try:
        for tmp, target in pairs:
            os.replace(tmp, target)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in pairs:
            if tmp.exists():
                tmp.unlink()
    if pairs:
        _fsync_dir(pairs[0][1].parent)


def _write_temp(target: Path, data: bytes) -> Path:
    """``data`` in a new temporary file beside ``target``, flushed to disk."""
    tmp = _temp_path(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return tmp


def write_files(files: Sequence[tuple[Path, str | bytes]]) -> list[Path]:
    """Write every (path, content) or none: temporary files first, each flushed and
    synced (several at a time: the waits for the disk overlap), then renamed over
    the targets."""
    from concurrent.futures import ThreadPoolExecutor

    encoded = [(t, c.encode("utf-8") if isinstance(c, str) else c) for t, c in files]
    for folder in dict.fromkeys(t.parent for t, _ in encoded):
        _make_dir(folder)
    pairs: list[tuple[Path, Path]] = []
    problems: list[ExportError] = []
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(encoded)))) as pool:
        futures = [pool.submit(_write_temp, t, data) for t, data in encoded]
        for (target, _), future in zip(encoded, futures, strict=True):
            try:
                pairs.append((future.result(), target))
            except ExportError as exc:
                problems.append(exc)
    if problems:
        for tmp, _ in pairs:
            tmp.unlink(missing_ok=True)
        raise problems[0]
    _commit(pairs)
    return [target for target, _ in files]


# --------------------------------------------------------------- records


def _requested(feature_ids: Iterable[str] | None) -> list[str] | None:
    return None if feature_ids is None else list(dict.fromkeys(feature_ids))


def _known(store, found: dict, ids: list[str] | None) -> list[str]:
    """The ids to export, in order: every one found when ``ids`` is None; an error
    naming the first requested id the database does not hold."""
    if ids is None:
        if not found:
            raise ExportError("the database holds no features yet: import assessments first")
        return sorted(found)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ExportError(
            f"no feature with id {missing[0]!r} in the database"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + f"; {_suggestion(missing[0], store.feature_ids())}"
        )
    return ids


def _suggestion(feature_id: str, known: Iterable[str]) -> str:
    """The closest ids the database holds, or the command that lists them."""
    import difflib

    ids = sorted(known)
    close = difflib.get_close_matches(feature_id, ids, n=3, cutoff=0.5)
    close += [i for i in ids if feature_id in i and i not in close][: 3 - len(close)]
    if close:
        return f"did you mean {', '.join(close)}? (`aipm-workbench rank` lists the features)"
    return "`aipm-workbench rank` lists the features"


def _histories(store, ids: list[str] | None) -> dict:
    """Every revision (with its assessment) of these features (all when None), read in
    one session."""
    from ..storage.exports import revisions_with_assessments

    return revisions_with_assessments(store, ids)


def _selected(feature_id: str, revisions: list, revision: int | None, history: bool) -> list:
    """The stored revisions to render for one feature."""
    decided = [r for r in revisions if r.info.verdict is not None]
    if revision is not None:
        chosen = [r for r in revisions if r.info.number == revision]
        if not chosen:
            have = f"revisions 1-{revisions[-1].info.number}" if revisions else "no revisions"
            raise ExportError(f"feature {feature_id!r} has no revision {revision} (it has {have})")
        return chosen
    if history and decided:
        return decided
    if decided:
        return [decided[-1]]
    return revisions[-1:]


def _record(renderer, stored, revisions: list, today: dt.date) -> str:
    """Render one stored revision; ``revisions`` are all of its feature's, oldest first."""
    from ..domain import evaluate
    from ..render import record_context

    ev = evaluate(stored.assessment, today)
    decided = [r.info for r in revisions if r.info.verdict is not None]
    latest = revisions[-1].info.number if revisions else None
    ctx = record_context(ev, stored.info, decided, latest_revision=latest)
    return renderer.decision_record(ctx)


def _renderer(template):
    from ..render import Renderer

    if template is None or isinstance(template, str | os.PathLike):
        return Renderer(template)
    return template  # already a Renderer


def record_markdown(
    store, feature_id: str, revision: int | None = None, today: dt.date | None = None
) -> str:
    """One feature's decision record as Markdown (the built-in template): its latest
    decided revision, or its latest revision as a proposed record, or ``revision``."""
    today = _settings.today(today)
    histories = _histories(store, [feature_id])
    _known(store, histories, [feature_id])
    revisions = histories[feature_id]
    chosen = _selected(feature_id, revisions, revision, history=False)
    if not chosen:
        raise ExportError(f"feature {feature_id!r} has no revisions")
    return _record(_renderer(None), chosen[0], revisions, today)


def export_records(
    store,
    feature_ids: Iterable[str] | None,
    out_dir: str | os.PathLike,
    *,
    template=None,
    force: bool = False,
    history: bool = False,
    revision: int | None = None,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write decision records (``FEATURE-rN.md``) to ``out_dir``; return the paths.

    ``feature_ids=None`` means every feature. Per feature: its latest decided
    revision, or its latest revision as a proposed record when it was never
    decided; ``history`` writes every decided revision; ``revision`` that one.
    ``template`` is a user template path (or a :class:`~aipm_workbench.render.Renderer`);
    a template problem raises :class:`~aipm_workbench.render.TemplateProblem` and
    nothing is written.
    """
    from ..render import record_id

    today = _settings.today(today)
    renderer = _renderer(template)  # a user template's syntax error stops here
    requested = _requested(feature_ids)
    histories = _histories(store, requested)
    ids = _known(store, histories, requested)
    out = _out_dir(out_dir)

    jobs = []
    for fid in ids:
        revisions = histories.get(fid, [])
        for stored in _selected(fid, revisions, revision, history):
            name = safe_name(record_id(fid, stored.info.number), RECORD_SUFFIX)
            jobs.append((_target(out, name), stored, revisions))
    _check_targets([j[0] for j in jobs], force)

    files: list[tuple[Path, str]] = []
    total = len(jobs)
    for done, (path, stored, revisions) in enumerate(jobs, start=1):
        files.append((path, _record(renderer, stored, revisions, today)))
        if progress is not None:
            progress(done, total)
    return write_files(files)


# -------------------------------------------------------------- portfolio


def portfolio_markdown(store, today: dt.date | None = None, *, template=None) -> str:
    """The portfolio report as Markdown."""
    from ..render import portfolio_context

    today = _settings.today(today)
    renderer = _renderer(template)
    ctx = portfolio_context(store.rank(today=today), store.risk_matrix(), today)
    return renderer.portfolio(ctx)


def export_portfolio(
    store,
    out_dir: str | os.PathLike,
    fmt: str = "md",
    *,
    force: bool = False,
    today: dt.date | None = None,
    template=None,
) -> Path:
    """Write the portfolio report (``portfolio.md``) or the ranked table
    (``portfolio.csv``, ``portfolio.parquet``, through DuckDB's ``COPY``)."""
    if fmt not in PORTFOLIO_FORMATS:
        raise ExportError(
            f"unknown portfolio format {fmt!r}: choose one of {', '.join(PORTFOLIO_FORMATS)}"
        )
    if template is not None and fmt != "md":
        raise ExportError("a template only applies to the Markdown report (--format md)")
    today = _settings.today(today)
    renderer = _renderer(template) if fmt == "md" else None
    out = _out_dir(out_dir)
    target = _target(out, safe_name(PORTFOLIO_NAME, "." + fmt))
    _check_targets([target], force)
    if fmt == "md":
        text = portfolio_markdown(store, today, template=renderer)
        return write_files([(target, text)])[0]
    from ..storage.exports import copy_portfolio

    _make_dir(out)
    tmp = _temp_path(target)
    try:
        tmp.unlink()  # DuckDB writes the file itself
        copy_portfolio(store, tmp, fmt, today)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    _commit([(tmp, target)])
    return target


# ------------------------------------------------------------- assessments


def export_assessments(
    store,
    feature_ids: Iterable[str] | None,
    out_dir: str | os.PathLike,
    fmt: str = "toml",
    *,
    force: bool = False,
) -> list[Path]:
    """Write each feature's latest revision as an assessment file (``FEATURE.toml`` or
    ``.json``) in FORMAT.md's key order, so a folder diffs cleanly and importing it
    into an empty database gives the same portfolio."""
    from ..domain import dump_json, dump_toml

    if fmt not in ASSESSMENT_FORMATS:
        raise ExportError(
            f"unknown assessment format {fmt!r}: choose one of {', '.join(ASSESSMENT_FORMATS)}"
        )
    dump = dump_toml if fmt == "toml" else dump_json
    from ..storage.exports import latest_assessments

    requested = _requested(feature_ids)
    latest = latest_assessments(store, requested)
    ids = _known(store, latest, requested)
    out = _out_dir(out_dir)
    files: list[tuple[Path, str]] = [
        (_target(out, safe_name(fid, "." + fmt)), dump(latest[fid])) for fid in ids if fid in latest
    ]
    _check_targets([p for p, _ in files], force)
    return write_files(files)
