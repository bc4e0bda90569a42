"""Rewrite a TOML assessment file with new values, keeping its comments, key order
and layout: only the values that changed move, so ``git diff`` shows only them.

:func:`updated` edits the parsed document in place of the old one: tables are
merged key by key, arrays of tables (harms, fallbacks, metrics...) are matched by
their ``id`` when every item has one (else by position), values equal to the new
ones are left as written, and a changed value is written in the style of a new
file (long text as a multi-line string, long lists one item per line).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, InlineTable, Item, Table
from tomlkit.toml_document import TOMLDocument

LONG_LIST = 80  # characters: a longer list of strings is written one item per line


def updated(text: str, data: dict) -> str:
    """``text`` (a TOML document) with ``data``'s values; raises ``ValueError`` when
    ``text`` is not TOML."""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ValueError(str(exc)) from None
    _merge(doc, data)
    return tomlkit.dumps(doc).rstrip("\n") + "\n"


def _plain(value: Any) -> Any:
    return value.unwrap() if isinstance(value, Item | TOMLDocument) else value


def _merge(container: Table | InlineTable | TOMLDocument, new: dict) -> None:
    for key in [k for k in container if k not in new]:
        del container[key]
    for key, value in new.items():
        if key not in container:
            container[key] = _item(value)
            continue
        old = container[key]
        if isinstance(value, dict) and isinstance(old, Table | InlineTable):
            _merge(old, value)
        elif _is_tables(value) and isinstance(old, AoT):
            _merge_tables(old, value)
        elif _is_lines(old) and isinstance(value, list) and value and not _is_tables(value):
            if not _same(_plain(old), value):
                _edit_array(old, value)
        elif not _same(_plain(old), value):
            container[key] = _item(value)


def _same(old: Any, new: Any) -> bool:
    """The same value once read: equal numbers are the same (``2_400`` stays as
    written where the model holds 2400.0), a boolean is never a number."""
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if _is_number(old) and _is_number(new):
        return old == new
    return type(old) is type(new) and old == new


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_lines(value: Any) -> bool:
    """An array written one item per line."""
    return isinstance(value, Array) and "\n" in value.as_string()


def _edit_array(array: Array, new: list) -> None:
    """Make ``array`` hold ``new`` by deleting and inserting items where they differ,
    so its layout (one item per line, indentation) stays as written."""
    from difflib import SequenceMatcher

    old = [repr(v) for v in _plain(array)]
    want = [repr(v) for v in new]
    ops = SequenceMatcher(a=old, b=want, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(ops):
        if tag == "equal":
            continue
        for i in reversed(range(i1, i2)):
            del array[i]
        for offset, v in enumerate(new[j1:j2]):
            array.insert(i1 + offset, _item(v))


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _merge_tables(aot: AoT, new: list[dict]) -> None:
    """Merge an array of tables: items keep their place by ``id`` when all have one."""
    old = list(aot.body)
    ids = [_plain(t.get("id")) for t in old]
    new_ids = [n.get("id") for n in new]
    by_id = all(ids) and all(new_ids) and len(set(ids)) == len(ids)
    if by_id and ids != new_ids:
        found = dict(zip(ids, old, strict=True))
        while len(aot):
            del aot[0]
        for item in new:
            table = found.get(item["id"])
            if table is None:
                aot.append(_table(item))
            else:
                _merge(table, item)
                aot.append(table)
        return
    for i, item in enumerate(new):
        if i < len(old):
            _merge(old[i], item)
        else:
            aot.append(_table(item))
    while len(aot) > len(new):
        del aot[len(new)]


def _table(data: dict) -> Table:
    """A new table, followed by a blank line as in a written file."""
    table = tomlkit.table()
    for key, value in data.items():
        table[key] = _item(value)
    if not any(isinstance(v, dict) for v in data.values()):
        table.add(tomlkit.nl())  # (a table with sub-tables ends with its last one)
    return table


def _item(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value and "\r" not in value:
        return tomlkit.string(value, multiline=True)
    if _is_tables(value):
        aot = tomlkit.aot()
        for v in value:
            aot.append(_table(v))
        return aot
    if isinstance(value, dict):
        return _table(value)
    if isinstance(value, list):
        array: Array = tomlkit.array()
        array.extend(_item(v) if not isinstance(v, dict) else v for v in value)
        if sum(len(str(v)) + 4 for v in value) > LONG_LIST:
            array.multiline(True)
        return array
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return tomlkit.item(value)
    return value
