"""Keys pressed while the fields they are meant for are still being mounted.

Going to another step builds and shows its pane, and adding a harm, fallback,
metric, hypothesis or premortem item mounts a new box of fields; both take a
noticeable moment on a large assessment. A person who presses ctrl+n and then
Enter on "Add fallback", or Enter on "Add metric" and types the name at once,
must not lose those keys, nor have them land on a widget of the step just left.
The wizard holds every key pressed meanwhile (text, Tab, Enter, Space, arrows)
and replays them, in order, once the new field has focus: text is typed into
the focused field and Tab moves on at once; any other key is pressed as the
terminal would press it, and the keys after it wait until it has been handled
(the screen has refreshed), since it may open a list or move the focus.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input, TextArea


def _is_text(key: str, character: str | None) -> bool:
    return key != "tab" and character is not None and character.isprintable()


class Typeahead:
    def __init__(self) -> None:
        self.keys: list[tuple[str, str | None]] | None = None  # None: nothing is awaited
        self._replayed: set[int] = set()  # key events pressed again (not to hold twice)

    @property
    def active(self) -> bool:
        return self.keys is not None

    def start(self) -> None:
        """Fields are being mounted: hold what is pressed meanwhile (keys already held
        stay held)."""
        if self.keys is None:
            self.keys = []

    def hold(self, key: str, character: str | None = None) -> bool:
        """Keep a key for later; False when nothing is awaited."""
        if self.keys is None:
            return False
        if character is None and len(key) == 1:
            character = key
        self.keys.append((key, "\t" if key == "tab" else character))
        return True

    def is_replayed(self, event: events.Key) -> bool:
        return id(event) in self._replayed

    def replay(self, app: Any) -> None:
        """Press the held keys again, in order, on what has focus now; keys pressed
        meanwhile are held on and follow them."""
        keys, text = self.keys or [], ""
        self.keys = []  # still held while the replay runs
        for i, (key, character) in enumerate(keys):
            if _is_text(key, character):
                text += character or ""
                continue
            if text:
                _insert(app.focused, text)
                text = ""
            if key == "tab":
                app.screen.focus_next()
                continue
            event = events.Key(key, character).set_sender(app)  # as the terminal's driver
            self._replayed.add(id(event))
            app.post_message(event)
            self.keys = keys[i + 1 :] + self.keys
            app.call_after_refresh(self.replay, app)
            return
        if text:
            _insert(app.focused, text)
        if self.keys:
            app.call_after_refresh(self.replay, app)
        else:
            self.keys = None
            self._replayed.clear()


def _insert(widget: Any, text: str) -> None:
    if isinstance(widget, Input):
        widget.insert_text_at_cursor(text)
    elif isinstance(widget, TextArea):
        widget.insert(text)


HOLD_AT_MOST = 1.5  # seconds


class HoldsTypeahead:
    """Mixin for a screen that mounts fields while the user may be typing: bind Tab
    to ``focus_next_field``; call :meth:`await_fields` before mounting (and move the
    focus off widgets that are going away) and :meth:`fields_ready` once the new
    field has focus."""

    typeahead: Typeahead
    app: Any

    def await_fields(self) -> None:
        self.typeahead.start()
        # never hold keys for long: should the fields never report ready, press them
        self.set_timer(HOLD_AT_MOST, self._typeahead_due)  # type: ignore[attr-defined]

    def _typeahead_due(self) -> None:
        if self.typeahead.active:
            self.typeahead.replay(self.app)

    def fields_ready(self) -> None:
        self.call_after_refresh(self.typeahead.replay, self.app)  # type: ignore[attr-defined]

    def action_focus_next_field(self) -> None:
        if not self.typeahead.hold("tab"):
            self.focus_next()  # type: ignore[attr-defined]

    def on_key(self, event: events.Key) -> None:
        """A key nothing focused took (or nothing has focus) while fields mount."""
        if self.typeahead.is_replayed(event):
            return
        if self.typeahead.hold(event.key, event.character):
            event.stop()
            event.prevent_default()
