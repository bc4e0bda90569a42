"""The project's own validation error, and turning pydantic errors into plain problems.

pydantic is imported only where its errors are turned into problems: every command
imports this module to report :class:`InvalidInput`, and most never validate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class InvalidInput(Exception):
    """A file or value that cannot be used; ``problems`` lists every reason.

    Each problem reads ``path.to.field: message``; ``lines()`` prefixes the source
    so that a user sees ``FILE: harms[2].severity: must be 1..5``.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems) or ["invalid"]
        super().__init__(f"{source}: {self.problems[0]}")

    def lines(self) -> list[str]:
        return [f"{self.source}: {p}" for p in self.problems]


class MergeConflict(InvalidInput):
    """A file still holding git's conflict markers: ``FILE:LINE: unresolved merge
    conflict (<<<<<<<)`` for each marker, never a parse error."""

    def __init__(self, source: str, markers: list[tuple[int, str]]):
        self.markers = markers
        super().__init__(source, [f"line {n}: unresolved merge conflict ({m})" for n, m in markers])

    def lines(self) -> list[str]:
        return [f"{self.source}:{n}: unresolved merge conflict ({m})" for n, m in self.markers]


def conflict_markers(text: str) -> list[tuple[int, str]]:
    """(line number, marker) of each merge-conflict marker line in ``text``."""
    found = []
    for n, line in enumerate(text.splitlines(), start=1):
        for marker in ("<<<<<<<", "=======", ">>>>>>>", "|||||||"):
            if line.startswith(marker) and (line == marker or line[7:8] == " "):
                found.append((n, marker))
    return found


def loc_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_EXTRA_MSG = "unknown key: check its spelling (free-form data belongs under [extra])"


SLUG_MSG = (
    "must be a slug: lowercase letters, digits and '-', starting with a letter or digit, "
    "at most 64 characters"
)


def _message(err: dict) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "string_pattern_mismatch" and "a-z0-9" in str(ctx.get("pattern", "")):
        return SLUG_MSG + f" (got {got!r})"
    if ctx in ({"ge": 1}, {"le": 5}):
        return f"must be 1..5 (got {got!r})"
    if ctx == {"gt": 0}:
        return f"must be a share with 0 < value <= 1 (got {got!r})"
    if ctx == {"le": 1}:
        return f"must be at most 1 (got {got!r})"
    if ctx == {"ge": 0}:
        return f"must be 0 or more (got {got!r})"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must list at least one item"
    if kind in ("too_short", "too_long") and 2 in (ctx.get("min_length"), ctx.get("max_length")):
        return "must be a range [low, high] of two numbers"
    if kind in ("int_type", "float_type") and isinstance(got, str):
        return f"must be a number, written without quotes (got {got!r})"
    if kind == "int_type":
        return "must be a whole number" + (f" (got {got!r})" if _short(got) else "")
    if kind == "float_type":
        return "must be a number" + (f" (got {got!r})" if _short(got) else "")
    if kind == "finite_number":
        return "must be a finite number"
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        return _EXTRA_MSG
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a table (a group of keys), not a single value"
    if kind == "list_type":
        return "must be a list"
    if kind.startswith("string_") and kind != "string_pattern_mismatch":
        return "must be text"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if msg.startswith("Input should be "):
        msg = "must be " + msg[len("Input should be ") :]
    if kind in ("too_short", "too_long") and "List" in msg:
        msg = msg.replace("List should have", "must have")
    return msg


def _short(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 40


def pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err.get("loc", ()) if not _is_tag(p))
        problems.append(f"{loc_path(loc)}: {_message(err)}")
    return problems


def _is_tag(part: object) -> bool:
    # pydantic adds validator names such as "function-before[...]" to some locations
    return isinstance(part, str) and ("[" in part and "]" in part or part.startswith("function-"))


def load_stored(body: str):
    """An assessment kept as canonical JSON (a stored revision). Raises ``ValueError``
    with the first problem, worded for people, when it no longer validates."""
    from pydantic import ValidationError

    from .models import Assessment

    try:
        return Assessment.model_validate_json(body)
    except ValidationError as exc:
        raise ValueError(pydantic_problems(exc)[0]) from None
