"""A Static that redraws only when its content changes."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


class Live(Static):
    """A Static that redraws only when its content changes (live values update
    on every keystroke; an unchanged one must not cost a layout)."""

    _content_key: object = None

    def __init__(self, *args: Any, fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed = fixed  # its size never changes: an update needs no layout

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        if content == self._content_key:
            return
        self._content_key = content
        super().update(content, layout=layout and not self.fixed)
