"""What the store returns besides domain objects: small frozen dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..domain import Assessment


@dataclass(frozen=True)
class RevisionInfo:
    feature_id: str
    number: int
    saved_at: dt.datetime  # timezone-aware, UTC
    content_hash: str  # sha256 of the revision's canonical JSON
    verdict: str | None  # the chosen verdict, None when undecided
    recommended: str
    decided_on: dt.date | None
    changes: list[str] = field(default_factory=list)  # against the previous revision
    created: bool = True
    note: str | None = None


@dataclass(frozen=True)
class StoredRevision:
    info: RevisionInfo
    assessment: Assessment


@dataclass(frozen=True)
class PortfolioRow:
    rank: int
    id: str
    name: str
    owner: str | None
    stage: str
    revision: int
    inherent_priority: str | None  # lowercase tier names; None without harms
    residual_priority: str | None
    max_rpn: int | None
    residual_max_rpn: int | None
    harmed_low: float | None
    harmed_high: float | None
    worst_harm: str | None
    worst_harm_type: str | None
    recommended_verdict: str
    verdict: str | None
    errors: int
    warnings: int
    review_by: dt.date | None
    overdue: bool
    decision_state: str = "undecided"  # DOMAIN.md 9: undecided, stale, reopened, expired, decided
    standing_revision: int | None = None  # the revision whose decision stands
    removed: bool = False  # its workspace file was deleted (shown by ``rank(all=True)``)


@dataclass(frozen=True)
class Draft:
    feature_id: str
    data: dict
    step: str
    updated_at: dt.datetime  # timezone-aware, UTC


@dataclass(frozen=True)
class ImportReport:
    created: list[tuple[str, int]]  # (feature id, new revision number)
    unchanged: list[str]
    dry_run: bool
