"""What a wizard step may ask of the wizard: a narrow interface, so that the
steps never import the screen (no import circle) and can be read on their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from ...domain import Assessment, Step
from .derived import Follows
from .state import Snapshot

# A palette command a step offers: its name, help text and what it runs (once
# the wizard shows the step).
Command = tuple[str, str, Callable[[], Any]]


class Wizard(Protocol):
    """The in-progress assessment and the few calls a step makes."""

    data: dict
    snapshot: Snapshot
    today: dt.date
    editing: bool
    current_harm: int
    current_fallback: int
    follows: Follows
    owner_suggested: bool  # the owner was filled in from git's user.name (a workspace)

    @property
    def original(self) -> Assessment | None:
        """The saved revision the form edits (None for a new feature)."""

    def get(self, path: str) -> Any: ...

    def structure_changed(self, then: Callable[[], Any] | None = None) -> None:
        """Items were added or removed: reload the step and revalidate."""

    def rename_harm(self, old: Any, new: Any) -> None:
        """Keep fallbacks' coverage when a harm's id changes or it is removed."""

    def go_to(
        self, step: Step | str, focus_path: str | None = None, then: Callable[[], Any] | None = None
    ) -> None: ...

    def ensure_decision(self) -> None: ...

    def action_save(self) -> None: ...
