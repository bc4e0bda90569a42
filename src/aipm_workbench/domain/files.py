"""Reading and writing assessment files (FORMAT.md): TOML, or the same structure as JSON.

``parse_assessment`` never raises anything but :class:`InvalidInput`, whatever the
input, and lists every problem at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import tomli as tomllib  # the reference parser (errors with line and column)
from pydantic import ValidationError

from .errors import InvalidInput, MergeConflict, conflict_markers, pydantic_problems
from .models import FORMAT_VERSION, Assessment
from .taxonomy import Taxonomy, builtin_taxonomy

SUFFIXES = (".toml", ".json")
# Larger files are refused before they are read: no assessment comes near it.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_TEXT = "50 MB"

Skipped = Callable[[str, str], None]


def report_skipped(path: str, reason: str) -> None:
    """The default report of a path a folder search passed over: a warning on stderr."""
    from .formatting import safe_text

    print(f"aipm-workbench: warning: skipped {safe_text(path)}: {reason}", file=sys.stderr)


def iter_assessment_paths(
    paths: Iterable[str | Path], on_skip: Skipped | None = None
) -> Iterator[Path]:
    """Files named directly, and every .toml/.json file under the folders named, sorted;
    each file once, however often it is named.

    Inside folders, hidden files and folders (``.name``) are left out, and so is
    every file without a .toml/.json suffix. Any other path passed over (a symbolic
    link loop, a dangling link, a FIFO or device) is reported to ``on_skip`` (a
    warning on stderr by default). A folder that cannot be read raises
    :class:`InvalidInput` naming it, after every file has been found, so that a
    command never works on part of what it was given.
    """
    report = on_skip or report_skipped
    unreadable: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw in paths:
        p = Path(raw)
        try:
            is_dir = stat.S_ISDIR(os.stat(p).st_mode)
        except (OSError, ValueError):
            is_dir = False  # read_assessment names the problem
        found = _walk(p, report, unreadable) if is_dir else [p]
        for f in found:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                yield f
    if unreadable:
        for where, reason in unreadable[1:]:
            report(where, reason)
        where, reason = unreadable[0]
        more = len(unreadable) - 1
        raise InvalidInput(
            where,
            [
                f"{reason}; nothing was read"
                + (
                    f" ({more} more unreadable path{'s' if more != 1 else ''} above)"
                    if more
                    else ""
                )
                + ": fix the permissions, or name only the files to read"
            ],
        )


def _walk(top: Path, report: Skipped, unreadable: list[tuple[str, str]]) -> list[Path]:
    """The assessment files under ``top``, sorted; following links to folders, once each."""
    found: list[Path] = []
    stack = [(top, frozenset({os.path.realpath(top)}))]
    while stack:
        folder, ancestors = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            unreadable.append((str(folder), f"cannot read the folder: {_why(exc)}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            wanted = path.suffix.lower() in SUFFIXES
            try:
                st = os.stat(path)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    report(str(path), "a symbolic link loop")
                elif isinstance(exc, FileNotFoundError):
                    if wanted:
                        report(str(path), "a symbolic link to nothing")
                elif wanted or entry.is_dir(follow_symlinks=False):
                    unreadable.append((str(path), f"cannot read it: {_why(exc)}"))
                continue
            if stat.S_ISDIR(st.st_mode):
                real = os.path.realpath(path)
                if real in ancestors:
                    report(str(path), f"a symbolic link loop (back to {real})")
                else:
                    stack.append((path, ancestors | {real}))
            elif wanted:
                if stat.S_ISREG(st.st_mode):
                    found.append(path)
                else:
                    report(str(path), f"{_kind(st.st_mode)}, not a regular file")
    return sorted(found)


def _why(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def decode(raw: bytes, source: str, suffix: str) -> dict:
    """Bytes of a TOML or JSON file to a dict, or InvalidInput."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(source, ["not a UTF-8 text file: is this an assessment file?"]) from None
    if "\x00" in text:
        raise InvalidInput(source, ["contains binary data: is this an assessment file?"])
    if "<<<<<<<" in text or ">>>>>>>" in text:
        markers = conflict_markers(text)
        if markers:
            raise MergeConflict(source, markers)
    try:
        data = json.loads(text) if suffix == ".json" else _loads_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(source, [f"not valid TOML: {exc}"]) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            source, [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        ) from None
    except (RecursionError, ValueError) as exc:
        raise InvalidInput(source, [f"cannot be parsed: {exc}"]) from None
    if not isinstance(data, dict):
        raise InvalidInput(source, ["must be a table of keys at the top level"])
    return data


def _loads_toml(text: str) -> dict:
    """Parse TOML with rtoml (a compiled parser, several times faster); a document
    it refuses goes through tomli, the reference parser, whose error names the
    line and column (and which decides when the two disagree)."""
    try:
        import rtoml

        return rtoml.loads(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - including a parser panic: tomli decides
        return tomllib.loads(text)


def read_assessment(path: str | Path, taxonomy: Taxonomy | None = None) -> Assessment:
    """Read and validate one assessment file. Only a regular file of at most
    50 MB is read (a FIFO, a device or a huge file is refused before reading)."""
    p = Path(path)
    return parse_assessment(decode(read_file(p), str(p), p.suffix.lower()), str(p), taxonomy)


def read_file(p: Path) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``; InvalidInput otherwise."""
    source = str(p)
    try:
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode):
            raise InvalidInput(source, ["is a folder, not a file"])
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInput(
                source, [f"is {_kind(st.st_mode)}, not a regular file: name an assessment file"]
            )
        _check_size(source, st.st_size)
        # O_NONBLOCK: should the path have become a FIFO since, opening it does not wait
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InvalidInput(source, ["is not a regular file: name an assessment file"])
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput(source, ["no such file"]) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidInput(source, ["is a symbolic link loop"]) from None
        raise InvalidInput(
            source, [f"cannot read the file: {_why(exc)}; check its and its folders' permissions"]
        ) from None
    _check_size(source, len(raw))
    return raw


def _check_size(source: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            source,
            [
                f"is larger than {MAX_FILE_TEXT} ({size / 1024 / 1024:,.0f} MB or more): "
                "assessment files are far smaller; is this an assessment file?"
            ],
        )


def parse_assessment(data: Any, source: str, taxonomy: Taxonomy | None = None) -> Assessment:
    """Validate a decoded file. Raises InvalidInput listing every problem."""
    if not isinstance(data, dict):
        raise InvalidInput(source, ["must be a table of keys at the top level"])
    taxonomy = taxonomy or builtin_taxonomy()
    problems: list[str] = []
    fmt = data.get("format")
    format_problem = _format_problem(fmt)
    if format_problem:
        problems.append(format_problem)
    try:
        model = Assessment.model_validate(data)
    except ValidationError as exc:
        model = None
        problems += [p for p in pydantic_problems(exc) if not p.startswith("format:")]
    except (RecursionError, TypeError, ValueError) as exc:  # pragma: no cover - defensive
        model = None
        problems.append(f"(top level): cannot be read: {exc}")
    problems += _cross_problems(data, taxonomy)
    if problems:
        raise InvalidInput(source, problems)
    assert model is not None
    return model


def _format_problem(fmt: Any) -> str | None:
    if fmt is None:
        return f'format: required: the file must start with format = "{FORMAT_VERSION}"'
    if fmt == FORMAT_VERSION:
        return None
    if isinstance(fmt, str) and fmt.startswith("aipm-assessment/"):
        return (
            f"format: {fmt!r} is a newer or unknown version; this aipm-workbench reads "
            f"{FORMAT_VERSION!r} only: upgrade aipm-workbench to read it"
        )
    return f'format: must be "{FORMAT_VERSION}"'


def _items(data: dict, key: str) -> list[tuple[int, dict]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


OBSERVED_POPULATION = "population"  # the reserved metric id of the reach seen (DOMAIN.md 9)


def _cross_problems(data: dict, taxonomy: Taxonomy) -> list[str]:
    """Checks that span items: unique ids, references, taxonomy types."""
    problems: list[str] = []
    for key in ("harms", "fallbacks", "metrics", "hypotheses"):
        seen: dict[str, int] = {}
        for i, item in _items(data, key):
            hid = item.get("id")
            if isinstance(hid, str):
                if hid in seen:
                    problems.append(
                        f"{key}[{i}].id: duplicate id {hid!r} (also {key}[{seen[hid]}])"
                    )
                else:
                    seen[hid] = i
    harm_ids = {
        item.get("id") for _, item in _items(data, "harms") if isinstance(item.get("id"), str)
    }
    valid_types = taxonomy.ids()
    for i, item in _items(data, "harms"):
        htype = item.get("type")
        if isinstance(htype, str) and taxonomy.get(htype) is None:
            close = difflib.get_close_matches(htype, valid_types, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"harms[{i}].type: {htype!r} is not a harm type of taxonomy {taxonomy.ref}"
                f"{hint}; `aipm-workbench taxonomy` lists them"
            )
    for i, item in _items(data, "fallbacks"):
        covers = item.get("covers")
        if isinstance(covers, list):
            for j, hid in enumerate(covers):
                if isinstance(hid, str) and hid not in harm_ids:
                    problems.append(
                        f"fallbacks[{i}].covers[{j}]: {hid!r} is not the id of a harm in this file"
                    )
    problems += _metric_problems(data)
    problems += _precedent_problems(data)
    return problems


def _precedent_problems(data: dict) -> list[str]:
    """Every precedent a harm cites is an incident of the built-in casebook."""
    cited = [
        (i, j, pid)
        for i, item in _items(data, "harms")
        if isinstance(item.get("precedents"), list)
        for j, pid in enumerate(item["precedents"])
        if isinstance(pid, str)
    ]
    if not cited:
        return []  # the casebook is loaded only for a file that cites one
    from .casebook import builtin_casebook

    casebook = builtin_casebook()
    problems: list[str] = []
    first: dict[tuple[int, str], int] = {}
    for i, j, pid in cited:
        if (i, pid) in first:
            problems.append(
                f"harms[{i}].precedents[{j}]: {pid!r} is cited twice "
                f"(also harms[{i}].precedents[{first[i, pid]}]); cite each case once"
            )
            continue
        first[i, pid] = j
        if casebook.get(pid) is not None:
            continue
        close = casebook.closest(pid)
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        problems.append(
            f"harms[{i}].precedents[{j}]: {pid!r} is not an incident of the casebook{hint}; "
            "`aipm-workbench incidents` lists them"
        )
    return problems


def _metric_problems(data: dict) -> list[str]:
    """Observable metrics: a limit needs an id; a hypothesis test names a metric of the file."""
    problems: list[str] = []
    metric_ids = {OBSERVED_POPULATION}
    for i, item in _items(data, "metrics"):
        mid = item.get("id")
        if mid == OBSERVED_POPULATION:
            problems.append(
                f"metrics[{i}].id: {mid!r} is reserved for the observed reach; choose another id"
            )
        elif isinstance(mid, str):
            metric_ids.add(mid)
        if item.get("limit") is not None and mid is None:
            problems.append(
                f"metrics[{i}].limit: a limit needs the metric's id, so observations can name it; "
                'add id = "..."'
            )
    for i, item in _items(data, "hypotheses"):
        test = item.get("test")
        metric = test.get("metric") if isinstance(test, dict) else None
        if isinstance(metric, str) and metric not in metric_ids:
            known = sorted(metric_ids - {OBSERVED_POPULATION})
            close = difflib.get_close_matches(metric, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"hypotheses[{i}].test.metric: {metric!r} is not the id of a metric in this "
                f"file{hint}; give the metric an id or test `population`"
            )
    return problems


# ---------------------------------------------------------------- writing


def to_data(assessment: Assessment) -> dict:
    """The assessment as plain data in FORMAT.md's key order, without empty values."""
    raw = assessment.model_dump(mode="python", exclude_none=True)
    return _clean(raw, top=True)


def _clean(value: Any, top: bool = False) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None or (isinstance(v, list) and not v and not (top and k == "extra")):
                continue
            out[k] = value[k] if (top and k == "extra") else _clean(v)
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _toml_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_safe(v) for v in value if v is not None]
    return value


def toml_data(assessment: Assessment) -> dict:
    """The assessment as the data of a TOML file (``to_data`` without the empty values
    TOML cannot hold)."""
    return _toml_safe(to_data(assessment))


def dump_toml(assessment: Assessment) -> str:
    import tomli_w

    data = toml_data(assessment)
    # tomli_w turns CRLF inside a multi-line string into LF; keep such text exact
    return tomli_w.dumps(data, multiline_strings=not _has_crlf(data))


def _has_crlf(value: Any) -> bool:
    if isinstance(value, str):
        return "\r\n" in value
    if isinstance(value, dict):
        return any(_has_crlf(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_crlf(v) for v in value)
    return False


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dump_json(assessment: Assessment) -> str:
    return (
        json.dumps(to_data(assessment), indent=2, ensure_ascii=False, default=_json_default) + "\n"
    )
