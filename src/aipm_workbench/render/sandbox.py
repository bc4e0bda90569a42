"""Limits for user templates: what they may include, how much they may build, how long they run.

Jinja's sandbox keeps a template away from Python internals, but not from a
disk's other files (an ``{% include %}`` of a symlink), memory
(``'x' * 10**10``) or time (nested loops). A user template here:

- includes only files whose real path is inside its own folder (or the
  built-in templates through ``builtin/``);
- cannot build a string longer than :data:`MAX_TEXT` characters or a list
  longer than :data:`MAX_ITEMS` items by repetition, concatenation, padding
  or formatting, nor a ``range`` longer than :data:`MAX_ITEMS`;
- renders for at most :data:`MAX_SECONDS` (see :mod:`.renderer`).

A refusal is a ``jinja2.sandbox.SecurityError`` raised inside the template,
so the problem names the template's file and line.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

# A record or report over this many bytes is refused (and so is any string
# a template builds beyond this many characters).
MAX_BYTES = 10 * 1024 * 1024
MAX_TEXT = MAX_BYTES
# Longest list a template may build by repetition, and longest range.
MAX_ITEMS = 100_000
# Longest a user template may render, in seconds.
MAX_SECONDS = 10.0
# Largest integer power a template may compute, in bits.
MAX_POWER_BITS = 4096

_WIDTHS = re.compile(r"\d+")
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


class OutsideFolder(Exception):
    """An include whose real path leaves the template's folder."""

    def __init__(self, name: str, real: str, folder: str) -> None:
        super().__init__(name)
        self.name = name
        self.real = real
        self.folder = folder

    def __str__(self) -> str:
        return (
            f"includes {self.name!r}, which resolves to {self.real}, outside the template "
            f"folder {self.folder}: only files inside it can be included"
        )


def _refuse(what: str) -> None:
    from jinja2.sandbox import SecurityError

    raise SecurityError(what)


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _limit(value: Any) -> int:
    return MAX_TEXT if isinstance(value, str | bytes) else MAX_ITEMS


def weight(value: Any, budget: int = MAX_TEXT) -> int:
    """About how many characters ``value`` prints as, counting no further than past
    ``budget`` (a list of one long string repeated is as long as all its copies)."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str | bytes):
            total += len(v)
        elif isinstance(v, list | tuple | set | frozenset):
            total += 2 + len(v)
            stack.extend(v)
        elif isinstance(v, dict):
            total += 2 + len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        else:
            total += 8
        if total > budget:
            return total
    return total


def check_weight(value: Any, what: str) -> None:
    if weight(value) > MAX_TEXT:
        _refuse(f"{what} would print more than {MAX_TEXT:,} characters")


def check_repeat(seq: Any, times: Any) -> None:
    size = _size(seq)
    if size is None or isinstance(times, bool) or not isinstance(times, int):
        return
    if size * max(times, 0) > _limit(seq):
        kind, unit = ("text", "characters") if isinstance(seq, str | bytes) else ("a list", "items")
        _refuse(f"repeating {kind} {times:,} times builds more than {_limit(seq):,} {unit}")
    if isinstance(seq, list | tuple) and times > 1 and weight(seq) * times > MAX_TEXT:
        _refuse(f"repeating this list {times:,} times builds more than {MAX_TEXT:,} characters")


def check_concat(left: Any, right: Any) -> None:
    a, b = _size(left), _size(right)
    if a is not None and b is not None and a + b > _limit(left):
        unit = "characters" if isinstance(left, str | bytes) else "items"
        _refuse(f"joining these builds more than {_limit(left):,} {unit}")
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        check_weight((left, right), "joining these lists")


def check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0:
        return
    if abs(base) > 1 and exponent * math.log2(abs(base)) > MAX_POWER_BITS:
        _refuse(f"{base} ** {exponent} is a number too large to compute")


def check_widths(spec: Any, what: str = "a format") -> None:
    """Refuse a format string or width that pads beyond the text limit."""
    numbers = (
        [spec] if isinstance(spec, int) else _WIDTHS.findall(spec) if isinstance(spec, str) else []
    )
    for n in numbers:
        if int(n) > MAX_TEXT:
            _refuse(f"{what} asks for a width of {int(n):,}, over {MAX_TEXT:,}")


def check_arguments(values) -> None:
    """Refuse a width given as an argument (``'%*s' % (n, x)``, ``'{:>{}}'.format(x, n)``)."""
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_TEXT:
            _refuse(f"a width of {v:,} is over {MAX_TEXT:,}")


def check_call(obj: Any, args: tuple, kwargs: dict) -> None:
    """Refuse str methods whose result would grow past the text limit."""
    # The sandbox hands out str.format wrapped (functools.wraps keeps __wrapped__).
    owner = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, str | bytes):
        return
    if name in _PADDING:
        for a in (*args, *kwargs.values()):
            if isinstance(a, int) and not isinstance(a, bool):
                bound = a * (owner.count("\t") + 1) if name == "expandtabs" else a
                if bound > MAX_TEXT:
                    _refuse(f"str.{name}({a:,}) builds more than {MAX_TEXT:,} characters")
    elif name in ("format", "format_map") and isinstance(owner, str):
        check_widths(owner)
        check_arguments((*args, *kwargs.values()))
    elif name == "replace" and len(args) >= 2 and isinstance(args[1], str | bytes):
        old = args[0] if isinstance(args[0], str | bytes) else ""
        hits = owner.count(old) if old else len(owner) + 1
        if len(owner) + hits * max(len(args[1]) - len(old), 0) > MAX_TEXT:
            _refuse(f"str.replace builds more than {MAX_TEXT:,} characters")
    elif name == "join" and args and isinstance(args[0], list | tuple):
        parts = args[0]
        if len(owner) * max(len(parts) - 1, 0) + weight(parts) > MAX_TEXT:
            _refuse(f"str.join builds more than {MAX_TEXT:,} characters")


def bounded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_ITEMS:
        _refuse(f"a range of {len(rng):,} items is longer than the {MAX_ITEMS:,} allowed")
    return rng


def bounded_lipsum(n: int = 5, *args: Any, **kwargs: Any) -> str:
    from jinja2.utils import generate_lorem_ipsum

    if n > 100:
        _refuse(f"lipsum({n:,}) is more than the 100 paragraphs allowed")
    return generate_lorem_ipsum(n, *args, **kwargs)


def _weighed(name: str, f):
    """A filter that refuses a value printing past the text limit before it runs."""

    passes = hasattr(f, "jinja_pass_arg")  # a context or environment comes first

    def bounded(*args: Any, **kwargs: Any) -> Any:
        check_weight(args[1:2] if passes else args[:1], f"the {name} filter")
        return f(*args, **kwargs)

    for attr in ("jinja_pass_arg",):  # keep @pass_eval_context / @pass_context
        if hasattr(f, attr):
            setattr(bounded, attr, getattr(f, attr))
    return bounded


# Filters that print or combine a whole value.
_WEIGHED = ("join", "tojson", "pprint", "string", "sum", "urlencode", "xmlattr")


def bounded_filters(filters: dict) -> dict:
    """The built-in Jinja filters that pad, repeat or print whole values, with the same limits."""
    center, indent, fmt = filters["center"], filters["indent"], filters["format"]
    replace = filters["replace"]

    def bounded_center(value: Any, width: int = 80) -> str:
        check_widths(width, "center")
        return center(value, width)

    def bounded_indent(value: Any, width: int | str = 4, *args: Any, **kwargs: Any) -> str:
        pad = len(width) if isinstance(width, str) else width
        if isinstance(pad, int) and pad * (str(value).count("\n") + 1) > MAX_TEXT:
            _refuse(f"indent of {pad:,} builds more than {MAX_TEXT:,} characters")
        return indent(value, width, *args, **kwargs)

    def bounded_format(value: Any, *args: Any, **kwargs: Any) -> str:
        check_widths(value)
        check_arguments((*args, *kwargs.values()))
        return fmt(value, *args, **kwargs)

    def bounded_replace(eval_ctx, value: Any, old: Any, new: Any, count: Any = None) -> Any:
        text, old, new = str(value), str(old), str(new)
        hits = text.count(old) if old else len(text) + 1
        if len(text) + hits * max(len(new) - len(old), 0) > MAX_TEXT:
            _refuse(f"replace builds more than {MAX_TEXT:,} characters")
        return replace(eval_ctx, value, old, new, count)

    bounded_replace.jinja_pass_arg = replace.jinja_pass_arg  # type: ignore[attr-defined]
    out = {name: _weighed(name, filters[name]) for name in _WEIGHED if name in filters}
    out.update(
        center=bounded_center, indent=bounded_indent, format=bounded_format, replace=bounded_replace
    )
    return out


def sandbox_class(base):
    """``base`` (a sandboxed environment class) with the limits above."""

    class Bounded(base):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        code_generator_class = _bounded_code_generator()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.globals["range"] = bounded_range
            self.globals["lipsum"] = bounded_lipsum
            self.filters.update(bounded_filters(self.filters))

        def bounded_concat(self, parts: tuple) -> str:
            """``a ~ b``: Jinja's string concatenation, within the text limit."""
            check_weight(parts, "joining these with ~")
            return "".join(map(str, parts))

        def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                check_repeat(left, right)
                check_repeat(right, left)
            elif operator == "+":
                check_concat(left, right)
            elif operator == "**":
                check_power(left, right)
            elif operator == "%" and isinstance(left, str):
                check_widths(left)
                check_arguments(right if isinstance(right, tuple) else (right,))
            return super().call_binop(context, operator, left, right)

        def call(__self, __context, __obj, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            check_call(__obj, args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

    Bounded.__name__ = f"Bounded{base.__name__}"
    return Bounded


def _bounded_code_generator():
    """Jinja's code generator, compiling ``a ~ b`` into ``environment.bounded_concat``."""
    from jinja2.compiler import CodeGenerator

    class BoundedCodeGenerator(CodeGenerator):
        def visit_Concat(self, node, frame) -> None:
            self.write("environment.bounded_concat((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    return BoundedCodeGenerator


def folder_loader(folder: Path, template_name: str):
    """A file loader for ``folder`` that refuses any file whose real path is outside
    it; ``template_name`` (the user's own template, named on the command line)
    may itself be a symlink."""
    import jinja2

    real_folder = os.path.realpath(folder)

    class FolderLoader(jinja2.FileSystemLoader):
        def get_source(self, environment, template):
            source, filename, uptodate = super().get_source(environment, template)
            if template != template_name:
                real = os.path.realpath(filename)
                if os.path.commonpath([real, real_folder]) != real_folder:
                    raise OutsideFolder(template, real, real_folder)
            return source, filename, uptodate

    return FolderLoader(str(folder), "utf-8")
