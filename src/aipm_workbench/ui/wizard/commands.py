"""The wizard's keys, and its command palette: what the screen offers and what
its steps offer (each pane lists its own commands, ``StepPane.commands``)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from ..commands import ListedCommands
from .protocol import Command

WIZARD_BINDINGS: list[BindingType] = [
    Binding("ctrl+s", "save", "Save", id="wizard.save"),
    Binding("ctrl+n,alt+right", "next_step", "Next step", id="wizard.next"),
    Binding("ctrl+b,alt+left", "previous_step", "Prev step", id="wizard.previous"),
    # The status bar names this key beside the count ("3 to fix (ctrl+f)").
    Binding("ctrl+f", "next_problem", "Fix next", id="wizard.fix", show=False, priority=True),
    Binding(
        "escape",
        "leave",
        "Leave",
        id="wizard.leave",
        tooltip="Back to the portfolio; the draft keeps every change",
    ),
    # Checked before the key reaches the focused field, so that what is typed
    # right after Tab lands in the next field (typeahead, pasted keystrokes).
    Binding("tab", "focus_next_field", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", show=False, priority=True),
]


class WizardCommands(ListedCommands):
    """Every action of the wizard, in the command palette."""

    def _commands(self) -> list[Command]:
        commands = getattr(self.screen, "commands", None)
        return commands() if callable(commands) else []
