"""Plain-text formatting of numbers, shared by the CLI, the records and the UI."""

from __future__ import annotations


def people(n: float | None) -> str:
    """A count of people: thousands separated, small fractions kept readable."""
    if n is None:
        return "-"
    if n == 0:
        return "0"
    if n >= 100:
        return f"{n:,.0f}"
    if n >= 1:
        return f"{n:,.1f}".removesuffix(".0")
    return f"{n:.2g}"


def people_range(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "-"
    if people(low) == people(high):
        return people(low)
    return f"{people(low)}-{people(high)}"


def share(x: float) -> str:
    """A share as written in files: 0.001, 0.05, 0.1."""
    return f"{x:.6g}"


def count(n: int | float | None) -> str:
    return "-" if n is None else f"{n:,.0f}"
