"""A footer whose least important keys give way first when the terminal is narrow.

Textual's footer cuts its keys at the right edge, so at 80 columns the keys a
newcomer needs most (Quit, Keys) were the first to go. This footer works out
the width of its keys and hides, in the screen's order
``FOOTER_GIVE_WAY`` (action names, least important first), as many as it
takes to fit; the hidden ones stay on their keys, in F1 and the palette.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

ALWAYS = ("quit", "toggle_keys")  # the app's Quit and Keys stay while anything does


def give_way_order(keys: list[Any], preferred: tuple[str, ...]) -> list[Any]:
    """``keys`` in the order they give way: the preferred actions first (in that
    order), then the command palette, then the rest from the right; Quit and Keys last."""

    def action(key: Any) -> str:
        return str(key.action).split("(", 1)[0].rsplit(".", 1)[-1]

    first = [k for name in preferred for k in keys if action(k) == name]
    palette = [k for k in keys if k.has_class("-command-palette") and k not in first]
    last = [k for k in keys if action(k) in ALWAYS and k not in first]
    rest = [k for k in reversed(keys) if k not in first and k not in palette and k not in last]
    return first + palette + rest + last


def key_width(key: Any, compact: bool) -> int:
    """The cells a footer key takes, margin included (as Textual's footer styles it)."""
    text = cell_len(key.key_display) + cell_len(key.description)
    if compact:
        return text + 2 + (1 if key.has_class("-command-palette") else 0)
    return text + 3


class PriorityFooter(Footer):
    """``Footer`` that hides keys by priority instead of cutting the last ones."""

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        self._fit([w for w in widgets if isinstance(w, FooterKey)])
        yield from widgets

    def on_resize(self) -> None:
        self._fit(list(self.query(FooterKey)))

    def _fit(self, keys: list[FooterKey]) -> None:
        width = self.size.width or self.app.size.width
        for k in keys:
            k.display = True
        total = sum(key_width(k, self.compact) for k in keys)
        preferred = tuple(getattr(self.screen, "FOOTER_GIVE_WAY", ()))
        for k in give_way_order(keys, preferred):
            if total <= width:
                break
            k.display = False
            total -= key_width(k, self.compact)
