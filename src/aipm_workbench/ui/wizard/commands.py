"""The wizard's command palette: what the screen offers and what its steps
offer (each pane lists its own commands, ``StepPane.commands``)."""

from __future__ import annotations

from ..commands import ListedCommands
from .protocol import Command


class WizardCommands(ListedCommands):
    """Every action of the wizard, in the command palette."""

    def _commands(self) -> list[Command]:
        commands = getattr(self.screen, "commands", None)
        return commands() if callable(commands) else []
