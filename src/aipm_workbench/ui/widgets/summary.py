"""The portfolio at a glance: counts by tier and verdict, overdue reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.content import Content
from textual.markup import escape
from textual.widgets import Static

from .portfolio_table import verdict_short

TIER_MARKUP = {
    "critical": "$text-error b",
    "high": "$text-warning b",
    "medium": "$text-primary",
    "low": "$text-success",
}
VERDICTS = ("ship", "ship_with_guardrails", "hold", "kill")


def _count(mapping: dict, key: str) -> int:
    return int(mapping.get(key, 0) or 0)


def summary_markup(summary: dict[str, Any], today: dt.date) -> str:
    """Console markup (theme variables only) for a ``Store.summary()`` result."""
    total = int(summary.get("total", 0))
    overdue = int(summary.get("overdue", 0))
    errors = int(summary.get("with_errors", 0))
    head = f"[b]{total:,} feature{'s' if total != 1 else ''}[/b]"
    if overdue:
        head += f"  [$text-error b]{overdue:,} review{'s' if overdue != 1 else ''} overdue[/]"
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
    no_harms = _count(tiers, "none")
    if no_harms:
        tier_parts.append(f"no harms {no_harms:,}")

    def verdicts(mapping: dict, undecided: bool) -> str:
        keys = VERDICTS + (("undecided",) if undecided else ())
        parts = []
        for v in keys:
            n = _count(mapping, v)
            label = escape(verdict_short(None if v == "undecided" else v))
            parts.append(f"{label} {n:,}" if n else f"[$text-muted]{label} 0[/]")
        return "  ".join(parts)

    return "\n".join(
        [
            head,
            "[$text-muted]Residual [/] " + "  ".join(tier_parts),
            "[$text-muted]Chosen   [/] " + verdicts(summary.get("by_verdict", {}), True),
            "[$text-muted]Recommend[/] " + verdicts(summary.get("by_recommended", {}), False),
            "[$text-muted]keys: t v g filter tier, verdict, stage · m matrix · r reload[/]",
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

    def show(self, summary: dict[str, Any], today: dt.date) -> None:
        self.summary = summary
        self.update(Content.from_markup(summary_markup(summary, today)))
