"""A footer whose least important keys give way first when the terminal is narrow.

Textual's footer cuts its keys at the right edge, so at 80 columns the keys a
newcomer needs most (Quit, Keys) were the first to go. This footer measures
its keys once they are laid out and hides, in the screen's order
``FOOTER_GIVE_WAY`` (action names, least important first), as many as it
takes to fit; the hidden ones stay on their keys, in F1 and the palette.
"""

from __future__ import annotations

from typing import Any

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


class PriorityFooter(Footer):
    """``Footer`` that hides keys by priority instead of cutting the last ones."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._widths: dict[int, int] = {}

    def compose(self) -> ComposeResult:
        yield from super().compose()
        self.call_after_refresh(self._measure)

    def _measure(self) -> None:
        keys = list(self.query(FooterKey))
        if any(not k.display for k in keys):
            return
        self._widths = {
            id(k): k.outer_size.width + k.styles.margin.left + k.styles.margin.right for k in keys
        }
        self._fit()

    def on_resize(self) -> None:
        if self._widths:
            self._fit()

    def _fit(self) -> None:
        keys = list(self.query(FooterKey))
        if not keys or any(id(k) not in self._widths for k in keys):
            return
        for k in keys:
            k.display = True
        total = sum(self._widths[id(k)] for k in keys)
        preferred = tuple(getattr(self.screen, "FOOTER_GIVE_WAY", ()))
        for k in give_way_order(keys, preferred):
            if total <= self.size.width:
                break
            k.display = False
            total -= self._widths[id(k)]
