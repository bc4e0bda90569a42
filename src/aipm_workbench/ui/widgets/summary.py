"""The portfolio at a glance: counts by tier and verdict, overdue reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from ...domain.formatting import plural
from ...domain.vocab import Tier, Verdict
from .portfolio_table import verdict_short

TIER_MARKUP = {
    Tier.critical.name: "$text-error b",
    Tier.high.name: "$text-warning b",
    Tier.medium.name: "$text-primary",
    Tier.low.name: "$text-success",
}
VERDICTS = tuple(v.value for v in Verdict)
NONE = "none"  # Store.summary()'s key for features without harms
UNDECIDED = verdict_short(None)  # and for features without a chosen verdict


def _count(mapping: dict, key: str) -> int:
    return int(mapping.get(key, 0) or 0)


def summary_markup(summary: dict[str, Any], today: dt.date, drafts: int = 0) -> str:
    """Console markup (theme variables only) for a ``Store.summary()`` result and
    the number of drafts in progress."""
    total = int(summary.get("total", 0))
    overdue = int(summary.get("overdue", 0))
    errors = int(summary.get("with_errors", 0))
    head = f"[b]{plural(total, 'feature')}[/b]"
    if drafts:
        head += f"  [$text-accent]{plural(drafts, 'draft')} in progress (D)[/]"
    if overdue:
        head += f"  [$text-error b]{plural(overdue, 'review')} overdue[/]"
    else:
        head += "  [$text-muted]no review overdue[/]"
    if errors:
        head += f"  [$text-warning]{errors:,} with errors[/]"
    head += f"  [$text-muted]today {today.isoformat()}[/]"

    tiers = summary.get("by_tier", {})
    tier_parts = []
    for tier, style in TIER_MARKUP.items():
        n = _count(tiers, tier)
        tier_parts.append(f"[{style}]{tier} {n:,}[/]" if n else f"[$text-muted]{tier} 0[/]")
    no_harms = _count(tiers, NONE)
    if no_harms:
        tier_parts.append(f"no harms {no_harms:,}")

    def verdicts(mapping: dict, undecided: bool) -> str:
        keys = VERDICTS + ((UNDECIDED,) if undecided else ())
        parts = []
        for v in keys:
            n = _count(mapping, v)
            label = escape(verdict_short(None if v == UNDECIDED else v))
            parts.append(f"{label} {n:,}" if n else f"[$text-muted]{label} 0[/]")
        return "  ".join(parts)

    return "\n".join(
        [
            head,
            "[$text-muted]Residual [/] " + "  ".join(tier_parts),
            "[$text-muted]Chosen   [/] " + verdicts(summary.get("by_verdict", {}), True),
            "[$text-muted]Recommend[/] " + verdicts(summary.get("by_recommended", {}), False),
            "[$text-muted]keys: t v g d filters · ! needs attention · m a matrix · r reload[/]",
        ]
    )


class SummaryBar(Static):
    """Counts by residual tier, chosen and recommended verdict; overdue reviews."""

    DEFAULT_CSS = """
    SummaryBar { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Loading the portfolio...", id=id)
        self.summary: dict[str, Any] | None = None

    def show(self, summary: dict[str, Any], today: dt.date, drafts: int = 0) -> None:
        self.summary = summary
        self.update(Content.from_markup(summary_markup(summary, today, drafts)))
