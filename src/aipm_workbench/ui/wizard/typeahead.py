"""Keys typed while the fields they are meant for are still being mounted.

Adding a metric, hypothesis or premortem item mounts a new box of fields, which
takes a noticeable moment on a large assessment; a person who presses Enter
on "Add metric" and types the name at once must not lose what they typed.
The wizard holds those keys and replays them once the new field has focus.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input, TextArea


class Typeahead:
    def __init__(self) -> None:
        self.keys: list[str] | None = None  # None: nothing is awaited

    @property
    def active(self) -> bool:
        return self.keys is not None

    def start(self) -> None:
        """A new item's fields are being mounted: hold what is typed meanwhile."""
        self.keys = []

    def hold(self, key: str) -> bool:
        """Keep a key (a character, or ``tab``) for later; False when none is awaited."""
        if self.keys is None:
            return False
        self.keys.append(key)
        return True

    def replay(self, app: Any) -> None:
        """Type the held keys into what has focus now (Tab moves on, as it would have)."""
        keys, self.keys = self.keys or [], None
        text = ""
        for key in [*keys, ""]:
            if key in ("tab", "") and text:
                _insert(app.focused, text)
                text = ""
            if key == "tab":
                app.screen.focus_next()
            elif key:
                text += key


def _insert(widget: Any, text: str) -> None:
    if isinstance(widget, Input):
        widget.insert_text_at_cursor(text)
    elif isinstance(widget, TextArea):
        widget.insert(text)


class HoldsTypeahead:
    """Mixin for a screen that mounts fields while the user may be typing: bind Tab
    to ``focus_next_field``; call :meth:`await_fields` before mounting and
    :meth:`fields_ready` once the new field has focus."""

    typeahead: Typeahead
    app: Any

    def await_fields(self) -> None:
        self.typeahead.start()

    def fields_ready(self) -> None:
        self.call_after_refresh(self.typeahead.replay, self.app)  # type: ignore[attr-defined]

    def action_focus_next_field(self) -> None:
        if not self.typeahead.hold("tab"):
            self.focus_next()  # type: ignore[attr-defined]

    def on_key(self, event: events.Key) -> None:
        if event.is_printable and event.character and self.typeahead.hold(event.character):
            event.stop()
