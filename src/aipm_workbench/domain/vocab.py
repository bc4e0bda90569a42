"""The domain's fixed vocabularies as enums: no pydantic, cheap to import.

The storage layer's SQL and the portfolio screen need these names before any
assessment is loaded; keeping them here lets them start without pydantic.
Tier, verdict and stage names are written here and nowhere else: other modules
iterate these enums (``[v.value for v in Verdict]``), and the words people read
come from ``formatting`` (``verdict_label``, ``tier_label``).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from .formatting import tier_label, verdict_label

# The four ratings of a harm (DOMAIN.md section 3), in file order: S, L, R, D.
RATINGS = ("severity", "likelihood", "reversibility", "detectability")


class Stage(StrEnum):
    concept = "concept"
    prototype = "prototype"
    beta = "beta"
    launched = "launched"
    retired = "retired"


class Source(StrEnum):
    intended_use = "intended_use"
    unintended_use = "unintended_use"
    system_error = "system_error"
    misuse = "misuse"


class FallbackKind(StrEnum):
    human_review = "human_review"
    abstain = "abstain"
    degrade = "degrade"
    warn_user = "warn_user"
    block = "block"
    kill_switch = "kill_switch"
    rollback = "rollback"
    monitor = "monitor"


class MetricKind(StrEnum):
    model = "model"
    product = "product"
    guardrail = "guardrail"


class HypothesisStatus(StrEnum):
    open = "open"
    supported = "supported"
    falsified = "falsified"


class Verdict(StrEnum):
    ship = "ship"
    ship_with_guardrails = "ship_with_guardrails"
    hold = "hold"
    kill = "kill"

    @property
    def label(self) -> str:
        """``ship with guardrails``: :func:`formatting.verdict_label`."""
        return verdict_label(self.value)


# The verdict filter's and the summary's word for "no verdict chosen yet".
UNDECIDED = "undecided"
NO_TIER = "none"  # the tier word of a feature without harms


class DecisionStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    rejected = "rejected"
    superseded = "superseded"


class Tier(IntEnum):
    """Priority tiers, ordered so that a larger value is worse."""

    low = 1
    medium = 2
    high = 3
    critical = 4

    @property
    def label(self) -> str:
        """``Critical``: :func:`formatting.tier_label`."""
        return tier_label(self.name)

    @classmethod
    def parse(cls, name: str) -> Tier:
        return cls[name.lower()]


class DecisionState(StrEnum):
    """Where a decision stands (DOMAIN.md section 9), in the order they are judged."""

    undecided = "undecided"
    stale = "stale"
    reopened = "reopened"
    expired = "expired"
    decided = "decided"


class DueKind(StrEnum):
    """Kinds of due work (DOMAIN.md section 9), in the order ``due`` lists them."""

    reopened = "reopened"
    stale = "stale"
    expired = "expired"
    hypothesis_overdue = "hypothesis_overdue"
    fallback_untested = "fallback_untested"
    review_upcoming = "review_upcoming"
