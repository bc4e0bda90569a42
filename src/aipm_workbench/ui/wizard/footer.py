"""The wizard's footer: Textual's Footer, rebuilt only when the keys it shows change.

The stock Footer rebuilds its keys on every focus change; a form is walked with
Tab, so on the wizard that rebuild ran for nearly every key press. The keys it
shows here change only when a field that brings its own shown keys gets focus.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class StepFooter(Footer):
    _shown_keys: tuple | None = None

    def _keys(self, screen: Screen) -> tuple:
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        )

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            keys = self._keys(screen)
            if keys == self._shown_keys and self._bindings_ready:
                return
            self._shown_keys = keys
        super().bindings_changed(screen)
