"""Markdown-safe text: the filters every template uses to print user text.

User text may contain anything (``|``, backticks, ``#`` at a line start, ``{{ }}``,
HTML, newlines inside a table cell, emoji, right-to-left text); printed through
these filters it stays literal text in valid CommonMark (with GitHub's tables),
never markup. Nothing here imports jinja2, so the same functions serve any
Markdown the workbench writes.

- :func:`inline`: one line of text (newlines become ``<br>``), safe in a table
  cell, a list item or a heading.
- :func:`oneline`: the same, with every run of whitespace folded to one space
  (headings, summaries).
- :func:`cell`: :func:`inline` that prints ``-`` for nothing.
- :func:`text`: paragraphs of text as blocks (blank lines separate paragraphs,
  single newlines are kept as line breaks).
- :func:`yaml`: a YAML scalar or flow list for front matter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from ..domain.formatting import safe_text

# Line breaks of every flavour become "\n"; a byte-order mark goes.
_NEWLINES = re.compile(r"\r\n|[\r\v\f\x85\u2028\u2029]")
_DROP = re.compile("\ufeff")

# ASCII punctuation that can start markup anywhere in a line. A backslash
# escape is valid CommonMark for every one of them and prints the character.
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_[]<|~#"})
# "&copy;" or "&#169;" would print a character instead of the text.
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# What starts a block at the beginning of a line once the characters above
# are escaped: list bullets, setext underlines, block quotes, ordered list numbers.
_LINE_START = re.compile(r"^([-+=>])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")
_SPACES = re.compile(r"\s+")
# An underscore between two letters or digits (``ship_with_guardrails``) can
# neither open nor close emphasis in CommonMark: it needs no backslash.
_INTRAWORD_UNDERSCORE = re.compile(r"(?<=[^\W_])\\_(?=[^\W_])")
# Text with none of these characters, not starting with a block marker and not
# padded with whitespace, needs no work at all (the common case, and fast).
_NOT_PLAIN = re.compile(
    "[\\\\`*_\\[\\]<|~#&\\x00-\\x1f\\x7f-\\x9f\u200e\u200f\u061c\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
_BLOCK_START = frozenset("-+=>0123456789")

EMPTY = "-"


def clean(value: Any) -> str:
    """Plain text: one kind of newline, tabs as spaces, every other control
    character and every bidi override or isolate shown visibly (``\\x1b``,
    ``<U+202E>``) by :func:`~aipm_workbench.domain.formatting.safe_text`."""
    if value is None:
        return ""
    s = str(value)
    s = _NEWLINES.sub("\n", s).replace("\t", "    ")
    s = _DROP.sub("", s)
    return safe_text(s, newlines=True)


def _escape_line(line: str) -> str:
    """One line of text, escaped for any inline position (and for a line start)."""
    line = line.strip()
    if not line:
        return ""
    line = line.translate(_ESCAPES)
    if "\\_" in line:
        line = _INTRAWORD_UNDERSCORE.sub("_", line)
    if "&" in line:
        line = _ENTITY.sub(r"\\&", line)
    if line[0] in _BLOCK_START:
        line = _LINE_START.sub(r"\\\1", line)
        line = _ORDERED.sub(r"\1\\\2", line)
    return line


def _plain(value: Any) -> str | None:
    """The text itself when printing it needs no escape and no trimming, else None."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    if not s or s[0] in _BLOCK_START or s[0].isspace() or s[-1].isspace() or _NOT_PLAIN.search(s):
        return None
    return s


def inline(value: Any) -> str:
    """Text for one line of Markdown: a table cell, a list item, a heading.

    Newlines become ``<br>``; blank lines inside the text are dropped.
    """
    plain = _plain(value)
    if plain is not None:
        return plain
    lines = [_escape_line(part) for part in clean(value).split("\n")]
    return "<br>".join(part for part in lines if part)


def oneline(value: Any) -> str:
    """Text folded onto one line: every run of whitespace becomes one space."""
    plain = _plain(value)
    if plain is not None and " ".join(plain.split()) == plain:
        return plain
    return _escape_line(_SPACES.sub(" ", clean(value)))


def cell(value: Any, empty: str = EMPTY) -> str:
    """A table cell: :func:`inline`, or ``empty`` when there is nothing to show."""
    out = inline(value)
    return out if out else empty


def text(value: Any, indent: int = 0) -> str:
    """Paragraphs of text as Markdown blocks.

    Blank lines separate paragraphs; a single newline stays a line break (a
    backslash at the end of the line). ``indent`` spaces prefix every line
    after the first, to continue a list item.
    """
    plain = _plain(value)
    if plain is not None:
        return plain
    paragraphs: list[list[str]] = [[]]
    for raw in clean(value).split("\n"):
        line = _escape_line(raw)
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    blocks = ["\\\n".join(p) for p in paragraphs if p]
    out = "\n\n".join(blocks)
    if indent and out:
        pad = " " * indent
        out = "\n".join(pad + line if line else line for line in out.split("\n"))
        out = out[indent:]
    return out


# ------------------------------------------------------------------ YAML

_YAML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\0": "\\0",
}


# Printable characters that need no escape inside a double-quoted YAML string.
# Bidi marks, embeddings, overrides and isolates are escaped too (``\\u202e``):
# printable for YAML, but they would reorder what a person reads.
_YAML_PLAIN = re.compile(
    r'[^"\\\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029'
    r"\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]*"
)
_YAML_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _yaml_char(ch: str) -> str:
    if ch in _YAML_ESCAPES:
        return _YAML_ESCAPES[ch]
    code = ord(ch)
    # YAML's printable set: tab, LF, CR, 0x20-0x7E, NEL, 0xA0-0xD7FF, 0xE000-0xFFFD, 0x10000+
    if (
        code < 0x20
        or code == 0x7F
        or 0x80 <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or code in (0xFEFF, 0xFFFE, 0xFFFF)
        or code in (0x2028, 0x2029)
        or ch in _YAML_BIDI
    ):
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return ch


def yaml(value: Any) -> str:
    """A YAML value for front matter: ``null``, a number, an ISO date, a
    double-quoted string (every character that could end it or the document is
    escaped), or a flow list of those."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(yaml(v) for v in value) + "]"
    s = str(value)
    if _YAML_PLAIN.fullmatch(s):
        return '"' + s + '"'
    return '"' + "".join(_yaml_char(ch) for ch in s) + '"'


# ------------------------------------------------------------------ lists


def join_names(names: Iterable[Any], conjunction: str = "and") -> str:
    """ "A", "A and B", "A, B and C" (the names as given, unescaped)."""
    items = [str(n) for n in names if n is not None and str(n).strip()]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
