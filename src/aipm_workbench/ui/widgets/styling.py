"""Rich text coloured from the current theme (no literal colours), for DataTable cells."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text

from ...domain.formatting import tier_label
from ...domain.vocab import Tier

TIER_VARIABLE = {
    Tier.critical.name: "text-error",
    Tier.high.name: "text-warning",
    Tier.medium.name: "text-primary",
    Tier.low.name: "text-success",
}
BOLD_TIERS = frozenset({Tier.critical.name, Tier.high.name})


def themed(app: Any, text: str, variable: str | None, bold: bool = False) -> Text:
    """``text`` (never parsed as markup) in the colour of a theme variable."""
    if variable is None:
        return Text(text, style=Style(bold=bold) if bold else "")
    color = app.theme_variables.get(variable)
    try:
        style = Style(color=color, bold=bold)
    except Exception:  # noqa: BLE001 - a theme value Rich cannot read: plain text
        style = Style(bold=bold)
    return Text(text, style=style)


def tier_text(app: Any, tier: Any, label: str | None = None) -> Text:
    """A tier name (``Tier`` or lowercase string) in its theme colour."""
    name = None if tier is None else str(getattr(tier, "name", tier)).lower()
    shown = label if label is not None else tier_label(name)
    return themed(app, shown, TIER_VARIABLE.get(name or ""), bold=name in BOLD_TIERS)
