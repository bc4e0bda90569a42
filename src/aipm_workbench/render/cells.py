"""Cells and documents for machines: CSV cells and JSON text that are safe to open.

- :func:`csv_cell`: one CSV cell. Text keeps its newlines (a quoted CSV cell
  may hold them) but no other control character and no bidi override, shown
  visibly (``\\x1b``, ``<U+202E>``); a cell that a spreadsheet would read as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return) is prefixed with ``'``, as OWASP recommends against CSV injection.
  Numbers stay numbers.
- :func:`json_text`: JSON with every string's exact text, control characters,
  C1 controls and bidi/line-separator characters escaped (``\\u001b``,
  ``\\u202e``), never raw.

Nothing here imports jinja2.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..domain.formatting import safe_text

# Characters a spreadsheet reads as the start of a formula (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# What json.dumps(ensure_ascii=False) leaves raw but a terminal would act on:
# DEL, C1 controls, bidi marks, embeddings, overrides and isolates, line and
# paragraph separators (C0 controls are always escaped by json itself).
_JSON_RAW = re.compile("[\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def csv_cell(value: Any) -> Any:
    """One CSV cell: ``""`` for nothing, ``true``/``false``, numbers as they are,
    text made safe and never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    raw = str(value)
    text = safe_text(raw, newlines=True)
    if raw.startswith(FORMULA_START) or text.startswith(FORMULA_START):
        return "'" + text
    return text


def json_text(data: Any, indent: int | None = 2) -> str:
    """``json.dumps`` readable as UTF-8, with nothing a terminal would act on left raw."""
    out = json.dumps(data, indent=indent, ensure_ascii=False)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


def escape_raw(text: str) -> str:
    """TOML or JSON text from another writer, with the characters :func:`json_text`
    escapes escaped the same way (valid inside their basic strings)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
