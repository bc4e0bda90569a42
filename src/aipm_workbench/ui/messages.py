"""App-wide messages: past-tense dataclasses, posted up from workers and screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class AssessmentSaved(Message):
    """A revision was saved (or an identical one already existed: ``created`` False)."""

    feature_id: str
    revision: int
    created: bool = True


@dataclass
class DraftSaved(Message):
    feature_id: str
    step: str


@dataclass
class PortfolioChanged(Message):
    """Something changed the database: the portfolio should reload."""
