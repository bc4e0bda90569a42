"""Command palette providers built from a list of (name, help, callback)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ListedCommands(Provider):
    """A provider whose commands come from ``_commands()``; subclasses list them."""

    @abstractmethod
    def _commands(self) -> list[tuple[str, str, Any]]:
        """The commands on offer now: (name, help text, callback)."""

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
