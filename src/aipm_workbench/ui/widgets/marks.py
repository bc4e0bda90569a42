"""A radio button and a checkbox whose state shows without colour.

Textual draws a ticked and an unticked box with the same character, told
apart by colour only; these draw the mark only when the box is on, so that
``▐X▌`` and ``▐ ▌`` read the same on any theme or terminal.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class MarkedRadioButton(RadioButton):
    """A radio button: ``▐●▌`` when chosen, ``▐ ▌`` when not."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return super()._button


class MarkedCheckbox(Checkbox):
    """A checkbox: ``▐X▌`` when ticked, ``▐ ▌`` when not."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button
