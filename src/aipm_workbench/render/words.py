"""Sentences shared by the terminal and the records (no jinja2, no pydantic)."""

from __future__ import annotations

from typing import Any

from ..domain.formatting import verdict_label


def sensitivity_text(
    harm: str, rating: str, residual: bool, old: int, new: int, verdict: Any
) -> str:
    """A change of one rating that moves the verdict, the verdict as people say it."""
    verb = "lower" if new < old else "raise"
    which = f"residual {rating}" if residual else rating
    return (
        f"{verb} {which} of harm {harm} from {old} to {new} "
        f"and the verdict becomes {verdict_label(verdict)}"
    )
