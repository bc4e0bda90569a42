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
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import settings as _settings
from ..storage import StoreError

RECORD_SUFFIX = ".md"
PORTFOLIO_FORMATS = ("md", "csv", "parquet")
ASSESSMENT_FORMATS = ("toml", "json")
PORTFOLIO_NAME = "portfolio"
# Features read, rendered and written at a time by the exports of many files.
BATCH_FEATURES = 250

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
    tmp, fd = _create_temp(target)
    os.close(fd)
    return tmp


def _create_temp(target: Path) -> tuple[Path, int]:
    """A new temporary file beside ``target``, open for writing: (its path, its descriptor)."""
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        except OSError as exc:
            raise ExportError(f"cannot write in {target.parent}: {exc.strerror or exc}") from None
        return tmp, fd
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


def _syncfs(folder: Path) -> bool:
    """Flush the whole file system that holds ``folder`` to disk in one call (Linux's
    ``syncfs``); False where that call is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # pragma: no cover - every Linux libc has it
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return False
    try:
        return syncfs(fd) == 0
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


class StagedFiles:
    """Files written as temporary files beside their targets, then all renamed over
    their targets (:meth:`commit`), or all removed when anything fails.

    Before the renames, the temporary files reach the disk with one flush of their
    file system (not one ``fsync`` per file: a thousand records would wait for the
    disk a thousand times); after them, the folder is synced once. A crash before
    the renames leaves the targets as they were; after, each is a complete file.
    """

    def __init__(self) -> None:
        self.pairs: list[tuple[Path, Path]] = []
        self._folders: set[Path] = set()
        self._created: list[Path] = []

    def add(self, target: Path, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        if target.parent not in self._folders:
            missing = [f for f in (target.parent, *target.parent.parents) if not f.exists()]
            _make_dir(target.parent)
            self._folders.add(target.parent)
            self._created += missing  # innermost first: removed again on abort
        tmp, fd = _create_temp(target)
        self.pairs.append((tmp, target))
        try:
            with open(fd, "wb", closefd=True) as fh:
                fh.write(data)
        except OSError as exc:
            raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None

    def commit(self) -> list[Path]:
        try:
            folders = list(dict.fromkeys(target.parent for _, target in self.pairs))
            for folder in folders:
                if not _syncfs(folder):
                    for tmp, target in self.pairs:
                        if target.parent == folder:
                            _fsync_file(tmp)
        except OSError as exc:
            raise ExportError(f"cannot write in {folders[0]}: {exc.strerror or exc}") from None
        _commit(self.pairs)
        for folder in folders[1:]:
            _fsync_dir(folder)
        return [target for _, target in self.pairs]

    def abort(self) -> None:
        for tmp, _ in self.pairs:
            tmp.unlink(missing_ok=True)
        for folder in self._created:
            try:
                folder.rmdir()
            except OSError:
                break

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self.abort()


def write_files(files: Iterable[tuple[Path, str | bytes]]) -> list[Path]:
    """Write every (path, content) or none (see :class:`StagedFiles`)."""
    with StagedFiles() as staged:
        for target, content in files:
            staged.add(target, content)
        return staged.commit()


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


def _selected(
    feature_id: str, revisions: list[tuple], revision: int | None, history: bool
) -> list[int]:
    """The revision numbers to render for one feature, from its (number, verdict) pairs."""
    decided = [n for n, verdict in revisions if verdict is not None]
    if revision is not None:
        if not any(n == revision for n, _ in revisions):
            have = f"revisions 1-{revisions[-1][0]}" if revisions else "no revisions"
            raise ExportError(f"feature {feature_id!r} has no revision {revision} (it has {have})")
        return [revision]
    if history and decided:
        return decided
    if decided:
        return [decided[-1]]
    return [n for n, _ in revisions[-1:]]


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class RevisionMark:
    """What a revision did to the feature's decision (DOMAIN.md 9)."""

    number: int
    decided: bool  # it has a [decision]
    remade: bool  # it made or re-made the decision, and its content matches it
    stale: bool  # its decision does not match its content
    standing: int | None  # the revision whose decision stands as of this one
    withdrawn: bool  # no [decision], after a revision that had one


def revision_marks(revisions: Sequence) -> list[RevisionMark]:
    """One mark per revision (``domain.living.Revision``, oldest first): which re-made
    the decision, which were stale, and which revision's decision stood at each."""
    from ..domain.living import is_stale, remakes, standing_index

    marks = []
    previous = None
    for i, rev in enumerate(revisions):
        decision = rev.assessment.decision
        prefix = revisions[: i + 1]
        at = standing_index(prefix)
        stale = is_stale(prefix, at)
        marks.append(
            RevisionMark(
                number=rev.number,
                decided=decision is not None,
                remade=decision is not None and not stale and remakes(previous, decision),
                stale=stale,
                standing=revisions[at].number if at is not None else None,
                withdrawn=decision is None and previous is not None,
            )
        )
        previous = decision
    return marks


def _living(revisions: list) -> list:
    from ..domain.living import Revision

    return [Revision(r.info.number, r.info.saved_at, r.assessment) for r in revisions]


def _default_choice(revisions: list) -> int | None:
    """The revision a record is written for by default: the latest decided, else the latest."""
    decided = [r.info.number for r in revisions if r.info.verdict is not None]
    if decided:
        return decided[-1]
    return revisions[-1].info.number if revisions else None


@dataclass
class _FeatureDecision:
    """What every record of one feature shares: its revisions as the living-decision
    rules read them, each revision's mark and the decision state (computed once)."""

    living: list
    marks: list[RevisionMark]
    state: object
    observations: list
    default: int | None


def _feature_decision(revisions: list, today: dt.date, observations=()) -> _FeatureDecision:
    from ..domain.living import decision_state

    living = _living(revisions)
    return _FeatureDecision(
        living=living,
        marks=revision_marks(living),
        state=decision_state(living, observations, today) if living else None,
        observations=list(observations),
        default=_default_choice(revisions),
    )


def _record(renderer, stored, revisions: list, today: dt.date, feature: _FeatureDecision) -> str:
    """Render one stored revision; ``revisions`` are all of its feature's, oldest first.

    The record written by default (the latest decided revision, or the latest one)
    is scored with the observations, as the world now stands, and gets the "Since
    the decision" section; older records are the history of the decision and are
    scored on their own content.
    """
    from ..domain import evaluate
    from ..render import record_context
    from ..render.context import Living

    current = stored.info.number == feature.default
    observations = feature.observations if current else ()
    ev = evaluate(stored.assessment, today, observations=observations)
    decided = [r.info for r in revisions if r.info.verdict is not None]
    latest = revisions[-1].info.number if revisions else None
    mark = next(m for m in feature.marks if m.number == stored.info.number)
    standing = None
    if mark.stale:
        standing = next((r for r in feature.living if r.number == mark.standing), None)
    ctx = record_context(
        ev,
        stored.info,
        decided,
        latest_revision=latest,
        living=Living(
            marks=feature.marks,
            state=feature.state,
            current=current,
            latest=feature.living[-1].assessment if feature.living else stored.assessment,
            observations=feature.observations,
            standing_assessment=standing.assessment if standing is not None else None,
        ),
    )
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
    from ..storage.exports import observations_by_feature, revisions_with_assessments

    today = _settings.today(today)
    histories = revisions_with_assessments(store, [feature_id])
    _known(store, histories, [feature_id])
    revisions = histories[feature_id]
    pairs = [(r.info.number, r.info.verdict) for r in revisions]
    chosen = _selected(feature_id, pairs, revision, history=False)
    if not chosen:
        raise ExportError(f"feature {feature_id!r} has no revisions")
    stored = next(r for r in revisions if r.info.number == chosen[0])
    observations = observations_by_feature(store, [feature_id])[feature_id]
    feature = _feature_decision(revisions, today, observations)
    return _record(_renderer(None), stored, revisions, today, feature)


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

    The files are planned from the revision numbers alone, then the assessments are
    read, rendered and written in batches of ``BATCH_FEATURES`` features, so that
    memory stays flat however large the portfolio.
    """
    from ..render import record_id
    from ..storage.exports import (
        observations_by_feature,
        revision_index,
        revisions_with_assessments,
    )

    today = _settings.today(today)
    renderer = _renderer(template)  # a user template's syntax error stops here
    requested = _requested(feature_ids)
    index = revision_index(store, requested)
    ids = _known(store, index, requested)
    out = _out_dir(out_dir)
    plan = {fid: _selected(fid, index.get(fid, []), revision, history) for fid in ids}
    targets = {
        (fid, n): _target(out, safe_name(record_id(fid, n), RECORD_SUFFIX))
        for fid in ids
        for n in plan[fid]
    }
    _check_targets(list(targets.values()), force)
    total, done = len(targets), 0
    with StagedFiles() as staged:
        for chunk in _batches(ids, BATCH_FEATURES):
            upto = {fid: index[fid][-1][0] for fid in chunk}
            histories = revisions_with_assessments(store, chunk, upto=upto)
            observed = observations_by_feature(store, chunk)
            for fid in chunk:
                revisions = histories.get(fid, [])
                by_number = {r.info.number: r for r in revisions}
                feature = _feature_decision(revisions, today, observed[fid])
                for n in plan[fid]:
                    text = _record(renderer, by_number[n], revisions, today, feature)
                    staged.add(targets[(fid, n)], text)
                    done += 1
                    if progress is not None:
                        progress(done, total)
        return staged.commit()


# -------------------------------------------------------------- portfolio


def portfolio_markdown(store, today: dt.date | None = None, *, template=None) -> str:
    """The portfolio report as Markdown."""
    from ..render import portfolio_context

    today = _settings.today(today)
    renderer = _renderer(template)
    ctx = portfolio_context(
        store.rank(today=today),
        store.risk_matrix(),
        today,
        store.risk_matrix(axes=("severity", "likelihood")),
    )
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
    from ..storage.exports import assessments_at, latest_numbers

    requested = _requested(feature_ids)
    latest = latest_numbers(store, requested)
    ids = _known(store, latest, requested)
    out = _out_dir(out_dir)
    targets = {fid: _target(out, safe_name(fid, "." + fmt)) for fid in ids}
    _check_targets(list(targets.values()), force)
    with StagedFiles() as staged:
        for chunk in _batches(ids, BATCH_FEATURES):
            found = assessments_at(store, {fid: latest[fid] for fid in chunk})
            for fid in chunk:
                staged.add(targets[fid], dump(found[fid]))
        return staged.commit()
