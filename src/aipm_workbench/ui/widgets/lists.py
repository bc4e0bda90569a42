"""Behaviour shared by the lists where Space acts on the line under the cursor."""

from __future__ import annotations

from typing import Any


class StopsAtEnds:
    """Up and Down stop at the first and the last line instead of wrapping around (an
    ``OptionList`` mixin): where Space ticks or links the line under the cursor, a
    Down too many must not land on the first line again and act on it."""

    highlighted: Any
    option_count: int

    def action_cursor_down(self) -> None:
        if self.option_count:
            now = self.highlighted
            self.highlighted = 0 if now is None else min(now + 1, self.option_count - 1)

    def action_cursor_up(self) -> None:
        if self.option_count:
            now = self.highlighted
            self.highlighted = 0 if now is None else max(now - 1, 0)
