"""A team's workspace: a folder (usually a git repository) of assessment files whose
local DuckDB index is kept in step with them (``init``, ``sync``).

The files are the record; the index (``.aipm/workbench.duckdb``, ignored by git)
is rebuilt from them. ``sync`` reads what changed since the last sync: a file
whose size and modification time are unchanged costs a ``stat``; one whose bytes
hash as before costs a hash; only new or changed content is parsed and becomes a
revision (an assessment equal to its feature's latest revision creates none).
A bad file (invalid, or holding merge-conflict markers) does not stop the others:
it is reported and its feature keeps its last good revision. Two files holding
one feature id are both reported and neither is synced until one is fixed. A
feature that no file holds any more is hidden from the portfolio (its revisions
stay; ``rank --all`` shows it as removed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.errors import InvalidInput
from ..settings import WORKSPACE_FILE, WORKSPACE_INDEX

ASSESSMENTS = "assessments"
OBSERVATIONS = "observations"
FORMAT = "aipm-workspace/1"
SUFFIXES = (".toml", ".json")


class WorkspaceError(ValueError):
    """A workspace cannot be made or used; the message says why and what to do."""


def init(folder: Path, name: str | None = None) -> list[Path]:
    """Make ``folder`` a workspace; returns what was created. Refuses an existing one."""
    folder = folder.expanduser()
    if (folder / WORKSPACE_FILE).exists():
        raise WorkspaceError(f"{folder} is already a workspace ({WORKSPACE_FILE} is there)")
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"{folder} is not a folder")
    made: list[Path] = []
    folder.mkdir(parents=True, exist_ok=True)
    title = name or folder.resolve().name
    manifest = folder / WORKSPACE_FILE
    manifest.write_text(
        f'format = "{FORMAT}"\nname = {_toml_string(title)}\n'
        f"created = {dt.date.today().isoformat()}\n",
        encoding="utf-8",
    )
    made.append(manifest)
    for sub in (ASSESSMENTS, OBSERVATIONS):
        (folder / sub).mkdir(exist_ok=True)
        keep = folder / sub / ".gitkeep"
        if not keep.exists():
            keep.touch()
            made.append(keep)
    ignore = folder / ".gitignore"
    entry = f"{WORKSPACE_INDEX.parts[0]}/"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    if entry not in lines:
        with ignore.open("a", encoding="utf-8") as out:
            if lines and lines[-1] != "":
                out.write("\n")
            out.write(f"# the workbench's local index, rebuilt from the files\n{entry}\n")
        made.append(ignore)
    return made


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class SyncReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0  # features no file holds any more: hidden from the portfolio
    problems: list[str] = field(default_factory=list)  # one line per bad file or duplicate

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        bad = f", {len(self.problems)} problem(s)" if self.problems else ""
        return (
            f"synced: {self.new} new, {self.changed} changed, {self.unchanged} unchanged files{bad}"
        )


def _files(root: Path) -> list[Path]:
    folder = root / ASSESSMENTS
    if not folder.is_dir():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.lower().endswith(SUFFIXES)]
    return out


PARALLEL_FROM = 400  # files to parse before worker processes pay for themselves


def _parse(item: tuple[str, bytes]):
    """(path, feature id and rows ready to store, or the problems) of one file's bytes."""
    from ..storage import rows

    rel, raw = item
    try:
        a = _load(raw, rel)
    except InvalidInput as exc:
        return rel, None, exc.lines()
    return rel, (a.feature.id, rows.prepare(a)), []


def _parse_all(items: list[tuple[str, bytes]]):
    """Every item parsed, in order; in worker processes when there are many (started
    fresh, so that no database thread of this process is copied into them)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_FROM or workers < 2:
        return [_parse(i) for i in items]
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        return list(pool.map(_parse, items, chunksize=64))


def sync(root: Path, store) -> SyncReport:
    """Bring the store in step with ``root``'s assessment files (see the module's notes)."""
    from ..domain.files import read_file

    report = SyncReport()
    known = store.workspace_files()
    index: dict[str, tuple[int, int, str, str | None]] = {}
    todo: list[tuple[str, bytes]] = []
    stats: dict[str, tuple[int, int, str]] = {}
    for path in _files(root):
        rel = path.relative_to(root).as_posix()
        try:
            st = path.stat()
        except OSError as exc:
            report.problems.append(f"{rel}: cannot be read: {exc.strerror or exc}")
            continue
        before = known.get(rel)
        if before and before[:2] == (st.st_size, st.st_mtime_ns) and before[3]:
            index[rel] = before
            report.unchanged += 1
            continue
        try:
            raw = read_file(path)
        except InvalidInput as exc:
            report.problems += exc.lines()
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if before and before[2] == digest and before[3]:
            index[rel] = (st.st_size, st.st_mtime_ns, digest, before[3])
            report.unchanged += 1
            continue
        stats[rel] = (st.st_size, st.st_mtime_ns, digest)
        todo.append((rel, raw))
    parsed: dict[str, tuple[str, object]] = {}  # path -> (feature id, rows ready to store)
    for rel, done, problems in _parse_all(todo):
        before = known.get(rel)
        if done is None:
            report.problems += problems
            if before:
                index[rel] = before  # keeps its last good revision
            continue
        index[rel] = (*stats[rel], done[0])
        parsed[rel] = done
        if before:
            report.changed += 1
        else:
            report.new += 1
    holders: dict[str, list[str]] = {}
    for rel, entry in index.items():
        if entry[3]:
            holders.setdefault(entry[3], []).append(rel)
    for fid, paths in sorted(holders.items()):
        if len(paths) > 1:
            report.problems.append(
                f"{' and '.join(sorted(paths))}: both hold the feature id {fid!r}; neither is "
                "synced until one of them is renamed or removed"
            )
            for rel in paths:
                parsed.pop(rel, None)
    prepared = [p for _, (fid, p) in sorted(parsed.items())]
    if prepared:
        store.import_prepared(prepared, note="sync")
    _sync_observations(root, store, known, index, report)
    removed = sorted(set(store.feature_ids()) - set(holders))
    report.removed = len(removed)
    store.set_workspace_files(index, removed)
    return report


def _sync_observations(root: Path, store, known: dict, index: dict, report: SyncReport) -> None:
    """Record the rows of new or changed ``observations/*.csv`` files (idempotently: rows
    already recorded change nothing). A file with a bad row is reported and skipped."""
    from ..domain.observations import BadHeader, check_row, parse_csv
    from ..settings import today

    folder = root / OBSERVATIONS
    if not folder.is_dir():
        return
    day = today()
    for path in sorted(folder.glob("*.csv")):
        rel = path.relative_to(root).as_posix()
        st = path.stat()
        before = known.get(rel)
        if before and before[:2] == (st.st_size, st.st_mtime_ns):
            index[rel] = before
            continue
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if before and before[2] == digest:
            index[rel] = (st.st_size, st.st_mtime_ns, digest, None)
            continue
        problems: list[str] = []
        try:
            rows = parse_csv(raw.decode("utf-8-sig"))
        except (BadHeader, UnicodeDecodeError) as exc:
            report.problems.append(f"{rel}:1: {exc}")
            continue
        ids = {f.get("feature", "").strip() for _, f in rows}
        latest = store.latest_assessments(sorted(i for i in ids if i))
        found = [check_row(f, latest, day, f"{rel}:{n}", problems) for n, f in rows]
        if problems:
            report.problems += problems
            continue
        store.record_observations([o for o in found if o is not None])
        index[rel] = (st.st_size, st.st_mtime_ns, digest, None)


def record_observations(root: Path | None, store, found):
    """Record observations the way the workspace keeps them: appended to their
    ``observations/FEATURE.csv`` first (the files travel through git), then stored;
    outside a workspace (``root`` None), only stored. Returns the store's answer."""
    if root is not None and found:
        append_observations(root, found)
    return store.record_observations(found)


def append_observations(root: Path, found) -> None:
    """Append observations to ``observations/FEATURE.csv`` (made with its header when new),
    each file written whole to a temporary file and renamed into place."""
    from ..domain.observations import CSV_HEADER, csv_line

    folder = root / OBSERVATIONS
    folder.mkdir(exist_ok=True)
    by_feature: dict[str, list] = {}
    for o in found:
        by_feature.setdefault(o.feature_id, []).append(o)
    for fid, rows in by_feature.items():
        path = folder / f"{fid}.csv"
        text = (
            path.read_text(encoding="utf-8")
            if path.exists()
            else ",".join([*CSV_HEADER, "source"]) + "\n"
        )
        if not text.endswith("\n"):
            text += "\n"
        text += "".join(csv_line(o) for o in rows)
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)


# ------------------------------------------------------------- writing files


class FileChanged(WorkspaceError):
    """The feature's file changed on disk since the index read it: writing it now
    would lose that change."""

    def __init__(self, rel: str) -> None:
        super().__init__(
            f"{rel} changed on disk since the workbench last read it (a pull, a checkout or "
            "an editor): nothing was written, so that change is kept"
        )
        self.path = rel


def holder(known: dict[str, tuple[int, int, str, str | None]], feature_id: str) -> str | None:
    """The file (relative path) that holds ``feature_id`` in the index, if one does."""
    paths = sorted(rel for rel, entry in known.items() if entry[3] == feature_id)
    if len(paths) > 1:
        raise WorkspaceError(
            f"{' and '.join(paths)} both hold the feature id {feature_id!r}: rename or remove "
            "one of them, then save again"
        )
    return paths[0] if paths else None


def file_text(root: Path, known: dict, assessment) -> tuple[str, str]:
    """(relative path, new content) of the file that holds ``assessment``: its file
    with only the changed values rewritten (comments, key order and layout kept), or
    ``assessments/ID.toml`` for a feature no file holds yet."""
    from ..domain.files import dump_json, dump_toml

    fid = assessment.feature.id
    rel = holder(known, fid)
    if rel is None:
        rel = f"{ASSESSMENTS}/{fid}.toml"
        path = root / rel
        if path.exists() or path.is_symlink():
            raise WorkspaceError(
                f"{rel} exists but does not hold {fid!r} (it is not synced, or holds another "
                "id): rename it or fix it, then save again"
            )
        return rel, dump_toml(assessment)
    path = root / rel
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return rel, dump_toml(assessment) if rel.lower().endswith(".toml") else dump_json(
            assessment
        )
    except OSError as exc:
        raise WorkspaceError(f"{rel}: cannot be read: {exc.strerror or exc}") from None
    if hashlib.sha256(raw).hexdigest() != known[rel][2]:
        _check_loads(raw, rel)
        raise FileChanged(rel)
    if rel.lower().endswith(".json"):
        # JSON keeps no comments; a file that already says this is left as it is
        return rel, raw.decode("utf-8") if _reads_as(raw, rel, assessment) else dump_json(
            assessment
        )
    return rel, _edited_toml(raw, rel, assessment)


def _load(raw: bytes, rel: str):
    """The assessment a workspace file's bytes hold; ``InvalidInput`` when none."""
    from ..domain.files import decode, parse_assessment

    return parse_assessment(decode(raw, rel, Path(rel).suffix.lower()), rel)


def _reads_as(raw: bytes, rel: str, assessment) -> bool:
    """Whether the file's bytes load as this very assessment."""
    from ..domain.files import to_data

    try:
        found = _load(raw, rel)
    except InvalidInput:
        return False
    return to_data(found) == to_data(assessment)


def _check_loads(raw: bytes, rel: str) -> None:
    """A ``WorkspaceError`` when the file on disk does not load (a bad edit, or
    merge-conflict markers): it is fixed by hand first, never overwritten."""
    try:
        _load(raw, rel)
    except InvalidInput as exc:
        raise WorkspaceError(
            f"{exc.lines()[0]}; fix the file first (`aipm-workbench sync` lists every "
            "problem): it is not overwritten"
        ) from None


def _edited_toml(raw: bytes, rel: str, assessment) -> str:
    """The TOML file with the assessment's values, layout kept; a fresh file when the
    edit would not read back as the assessment (never a file that says otherwise)."""
    from ..domain.files import dump_toml, toml_data
    from .tomledit import updated

    try:
        text = updated(raw.decode("utf-8-sig"), toml_data(assessment))
    except ValueError:  # (UnicodeDecodeError too)
        return dump_toml(assessment)
    return text if _reads_as(text.encode("utf-8"), rel, assessment) else dump_toml(assessment)


def save(root: Path, store, assessment, *, note: str | None = None):
    """Save ``assessment`` the workspace way: its file first (atomically; see
    :func:`file_text`), then the revision, with the file noted as synced. Returns
    (the file's relative path, or None when its content was already this, and the
    store's ``RevisionInfo``)."""
    from .records import ExportError, write_files

    rel, text = file_text(root, store.workspace_files(), assessment)
    path = root / rel
    content = text.encode("utf-8")
    try:
        same = path.is_file() and path.read_bytes() == content
    except OSError:
        same = False
    if not same:
        try:
            write_files([(path, content)])
        except ExportError as exc:
            raise WorkspaceError(str(exc)) from None
    st = path.stat()
    digest = hashlib.sha256(content).hexdigest()
    info = store.save(assessment, note=note, file=(rel, st.st_size, st.st_mtime_ns, digest))
    return (None if same else rel), info


def copy_in(root: Path, store, items: list[tuple[Path, str]], *, dry_run: bool = False):
    """Copy assessment files (path, feature id) into ``assessments/`` as they are,
    all or none, then sync. Refuses an id another workspace file already holds and a
    name taken by another file. Returns (the copies' relative paths, the SyncReport,
    or None on a dry run)."""
    from .records import ExportError, write_files

    known = store.workspace_files()
    folder = (root / ASSESSMENTS).resolve()
    problems: list[str] = []
    copies: list[tuple[Path, bytes]] = []
    taken: set[str] = set()
    for path, fid in items:
        held = holder(known, fid)
        source = path.resolve()
        if held is not None and (root / held).resolve() == source:
            continue  # already the workspace's own file
        if held is not None:
            problems.append(
                f"{path}: feature.id: {fid!r} is already held by {held}: edit that file "
                "instead, or give this assessment another id"
            )
            continue
        if folder in source.parents:
            continue  # in assessments/ already; sync reads it
        name = path.name
        if (folder / name).exists() or name in taken:
            name = f"{fid}{path.suffix.lower()}"
        if (folder / name).exists() or name in taken:
            problems.append(
                f"{path}: {ASSESSMENTS}/{name} exists already: rename one of the two files"
            )
            continue
        taken.add(name)
        copies.append((folder / name, path.read_bytes()))
    if problems:
        raise WorkspaceError("\n".join(problems))
    done = [f"{ASSESSMENTS}/{target.name}" for target, _ in copies]
    if dry_run:
        return done, None
    try:
        write_files(copies)
    except ExportError as exc:
        raise WorkspaceError(str(exc)) from None
    return done, sync(root, store)


def git_user(root: Path) -> str | None:
    """``git config user.name`` in the workspace, when git is there and it is set."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "config", "user.name"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    name = done.stdout.strip()
    return name if done.returncode == 0 and name else None


def demo_team(folder: Path, samples: Path) -> bool:
    """Make ``folder`` (new, or empty) a workspace holding the sample projects and their
    observations, staged in a new git repository when git is installed, so that
    ``git diff`` shows what each save changes. True when git staged them."""
    import shutil
    import subprocess

    folder = folder.expanduser()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise WorkspaceError(
            f"{folder} is not empty: the team demo makes a new workspace; name a new folder"
        )
    init(folder, name="aipm-workbench demo")
    for path in sorted(samples.glob("*.toml")):
        shutil.copyfile(path, folder / ASSESSMENTS / path.name)
    observed = samples / "observations.csv"
    if observed.is_file():
        shutil.copyfile(observed, folder / OBSERVATIONS / "samples.csv")
    try:
        for args in (["init", "-q"], ["add", "-A"]):
            done = subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, timeout=30, check=False
            )
            if done.returncode != 0:
                return False
    except (OSError, subprocess.SubprocessError):
        return False
    return True
