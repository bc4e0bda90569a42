"""Plain-text formatting shared by the CLI, the records and the UI.

One place for the words and numbers a person reads: counts with the right
noun, verdict and tier labels, people-harmed figures, and text made safe to
show in a terminal.
"""

from __future__ import annotations

import math
import re
from typing import Any

# ------------------------------------------------------------------ words


def plural(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """``1 harm``, ``2 harms``: the count with the right form of the noun."""
    word = singular if n == 1 else (plural_form or singular + "s")
    return f"{n:,} {word}" if isinstance(n, int) else f"{n:,g} {word}"


def verdict_label(v: Any) -> str:
    """A verdict for people: ``ship with guardrails``; ``undecided`` for none."""
    if v is None or v == "":
        return "undecided"
    return str(getattr(v, "value", v)).replace("_", " ")


def tier_label(t: Any) -> str:
    """A tier for people: ``Critical``; ``-`` for none (a feature without harms)."""
    if t is None or t == "":
        return "-"
    label = getattr(t, "label", None)
    if isinstance(label, str):
        return label
    return str(t).capitalize()


# ------------------------------------------------------------------ numbers


def people_value(n: float | None) -> float | None:
    """People harmed as a number to publish: 3 significant digits, at most 3 decimals.

    ``12.899999999999999`` -> ``12.9``, ``1234567`` -> ``1230000``, ``5e-06`` -> ``0.0``.
    Ranking keeps the exact value; this is for what people and scripts read.
    """
    if n is None:
        return None
    if n == 0 or not math.isfinite(n):
        return float(n)
    digits = 2 - math.floor(math.log10(abs(n)))
    v = round(n, min(digits, 3))
    return float(v) + 0.0  # no negative zero


def people(n: float | None) -> str:
    """A count of people: ``1,230,000``, ``12.9``, ``0.3``; ``<0.001`` below that; ``-`` for none."""
    if n is None:
        return "-"
    if n == 0:
        return "0"
    v = people_value(n)
    if v == 0:
        return "<0.001"
    if v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.3f}".rstrip("0").rstrip(".")


def people_range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "-"
    if people(low) == people(high):
        return people(low)
    return f"{people(low)}-{people(high)}"


def people_words(low: float | None, high: float | None = None) -> str | None:
    """People harmed in words: ``fewer than 1 person``, ``1 person``, ``12.9 people``,
    ``11.2-490 people`` for a range (``low``, ``high``); None when there is no figure."""
    high = low if high is None else high
    if high is None:
        return None
    if high < 1:
        return "fewer than 1 person"
    text = people_range(low, high) if low is not None else people(high)
    return f"{text} person" if text == "1" else f"{text} people"


def times(x: float) -> str:
    """A ratio: ``1,000``; a power of ten when it is too large to write out."""
    if math.isfinite(x) and x < 1e15:
        return f"{x:,.0f}"
    return f"more than 10^{min(int(math.log10(x)), 999) if math.isfinite(x) else 308}"


def share(x: float) -> str:
    """A share as written in files (``0.001``, ``0.05``, ``0.000005``): never scientific notation."""
    if x == 0:
        return "0"
    text = f"{x:.6g}"
    if "e" in text:
        text = f"{x:.{max(0, 5 - math.floor(math.log10(abs(x))))}f}".rstrip("0").rstrip(".")
    return text


def percent(x: float) -> str:
    """A share as a percentage, at most one decimal: ``83.3%``, ``5%``."""
    return f"{x * 100:.1f}".removesuffix(".0") + "%"


def count(n: int | float | None) -> str:
    return "-" if n is None else f"{n:,.0f}"


def number(x: float | None) -> str:
    """A measured value as people read it: ``1,040,000``, ``0.147``, ``0.000005``; never
    scientific notation, at most 6 significant digits."""
    if x is None:
        return "-"
    if x == int(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.{max(0, 5 - math.floor(math.log10(abs(x))))}f}".rstrip("0").rstrip(".")
    return ("-" if x < 0 else "") + share(abs(x))


# ------------------------------------------------------------------ safe text

# C0 and C1 controls and DEL; bidi embeddings, overrides and isolates; line and
# paragraph separators. Shown visibly instead of acting on the terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_KEEP_NL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(m: re.Match[str]) -> str:
    ch = m.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def safe_text(text: Any, *, newlines: bool = False) -> str:
    """User- or file-system-supplied text made safe to show in a terminal or a table.

    Control characters (escape, bell, tab...) become visible escapes (``\\x1b``,
    ``\\t``) and bidi overrides and isolates become ``<U+202E>``, so nothing can
    retitle a terminal, clear a screen, hide a hyperlink or reorder a line.
    ``newlines=True`` keeps ``\\n`` where the output format allows a line break.
    """
    s = "" if text is None else str(text)
    pattern = _UNSAFE_KEEP_NL if newlines else _UNSAFE
    return pattern.sub(_visible, s)


def is_safe(text: str, *, newlines: bool = False) -> bool:
    """True when :func:`safe_text` would leave ``text`` unchanged."""
    return not (_UNSAFE_KEEP_NL if newlines else _UNSAFE).search(text)
