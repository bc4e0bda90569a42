"""The domain's fixed vocabularies as enums: no pydantic, cheap to import.

The storage layer's SQL and the portfolio screen need these names before any
assessment is loaded; keeping them here lets them start without pydantic.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
        return self.value.replace("_", " ")


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
        return self.name.capitalize()

    @classmethod
    def parse(cls, name: str) -> Tier:
        return cls[name.lower()]


# The word for "no verdict chosen yet" (a filter and a count), and for "no tier" (a
# feature without harms), beside the verdicts and tiers above.
UNDECIDED = "undecided"
NO_TIER = "none"
