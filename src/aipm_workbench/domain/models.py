"""The assessment file's objects (FORMAT.md, version 1) as pydantic models.

Field order follows FORMAT.md so that dumped files read in the documented order.
Unknown keys are rejected everywhere except under the top-level ``extra`` table.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from .vocab import (  # noqa: F401  (re-exported)
    RATINGS,
    DecisionStatus,
    FallbackKind,
    HypothesisStatus,
    MetricKind,
    Source,
    Stage,
    Verdict,
)

FORMAT_VERSION = "aipm-assessment/1"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Every date in a file lies in this range, so that no date computed from one
# (a default review date) can overflow, and a typo such as 9999 is caught.
FIRST_DATE = dt.date(1970, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)


def _check_date(value: Any) -> Any:
    """Accept a date, or an ISO ``YYYY-MM-DD`` string (JSON), from FIRST_DATE to LAST_DATE."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date like 2026-03-01, not a date and time")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
    if not isinstance(value, dt.date):
        raise ValueError("must be a date like 2026-03-01")
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"must be a date from {FIRST_DATE} to {LAST_DATE} (got {value})")
    return value


def _check_text(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


# Native constraints (fast); errors.py words their messages for people.
Slug = Annotated[str, Field(strict=True, pattern=SLUG_RE.pattern)]
Date = Annotated[dt.date, BeforeValidator(_check_date)]
Share = Annotated[float, Field(strict=True, gt=0, le=1)]
Rating = Annotated[int, Field(strict=True, ge=1, le=5)]
Text = Annotated[str, BeforeValidator(_check_text), Field(strict=True)]
OptText = Annotated[str, Field(strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Feature(_Model):
    id: Slug
    name: Text
    owner: OptText | None = None
    stage: Stage = Stage.concept
    description: OptText | None = None
    population: Annotated[int, Field(strict=True, ge=0)] | None = None
    population_unit: OptText = "monthly users"


ShareRange = Annotated[list[Share], Field(min_length=2, max_length=2)]


class Exposure(_Model):
    high_risk_share: ShareRange
    exposed_share: ShareRange
    harmed_share: ShareRange

    @field_validator("high_risk_share", "exposed_share", "harmed_share")
    @classmethod
    def _ordered(cls, value: list[float]) -> list[float]:
        if value[0] > value[1]:
            raise ValueError(f"range is inverted: low {value[0]} is above high {value[1]}")
        return value

    def factors(self) -> list[tuple[str, list[float]]]:
        return [
            ("high_risk_share", self.high_risk_share),
            ("exposed_share", self.exposed_share),
            ("harmed_share", self.harmed_share),
        ]


class Residual(_Model):
    severity: Rating | None = None
    likelihood: Rating | None = None
    reversibility: Rating | None = None
    detectability: Rating | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, r) is None for r in RATINGS)


class Harm(_Model):
    id: Slug
    type: Annotated[str, Field(strict=True)]
    source: Source
    statement: Text
    affected: OptText | None = None
    severity: Rating
    likelihood: Rating
    reversibility: Rating
    detectability: Rating
    rationale: OptText | None = None
    rater_confidence: Literal["low", "medium", "high"] | None = None
    evidence: list[OptText] = Field(default_factory=list)
    precedents: list[Slug] = Field(default_factory=list)  # casebook incident ids
    exposure: Exposure | None = None
    residual: Residual | None = None


class Fallback(_Model):
    id: Slug
    covers: Annotated[list[Slug], Field(min_length=1)]
    kind: FallbackKind
    trigger: Text
    action: Text
    user_message: OptText | None = None
    owner: OptText | None = None
    confidence_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    tested_on: Date | None = None
    requests_per_day: Annotated[float, Field(ge=0)] | None = None
    share_below_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    reviewer_capacity_per_day: Annotated[float, Field(ge=0)] | None = None

    @field_validator(
        "confidence_threshold",
        "requests_per_day",
        "share_below_threshold",
        "reviewer_capacity_per_day",
        mode="before",
    )
    @classmethod
    def _number(cls, value: Any) -> Any:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError("must be a number")
        return value

    def review_load(self) -> float | None:
        """Expected human-review requests per day, when the fields to compute it are given."""
        if self.requests_per_day is None or self.share_below_threshold is None:
            return None
        return self.requests_per_day * self.share_below_threshold


Op = Literal["<", "<=", ">", ">="]


class Limit(_Model):
    """A machine-checkable bound: an observation is healthy while ``observed op value``."""

    op: Op
    value: Annotated[float, Field(allow_inf_nan=False)]

    def holds(self, observed: float) -> bool:
        return compare(observed, self.op, self.value)


class Test(_Model):
    """A hypothesis's test: an observation of ``metric`` meeting ``op value`` falsifies it."""

    metric: Slug
    op: Op
    value: Annotated[float, Field(allow_inf_nan=False)]

    def met_by(self, observed: float) -> bool:
        return compare(observed, self.op, self.value)


def compare(left: float, op: str, right: float) -> bool:
    """``left op right`` for the four comparison operators of FORMAT.md."""
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    raise ValueError(f"unknown comparison {op!r}: use < <= > >=")


class Metric(_Model):
    id: Slug | None = None
    name: Text
    kind: MetricKind
    target: Text
    limit: Limit | None = None
    unit: OptText | None = None
    decided_on: Date


class Hypothesis(_Model):
    id: Slug
    statement: Text
    falsified_if: OptText | None = None
    check_by: Date | None = None
    status: HypothesisStatus = HypothesisStatus.open
    test: Test | None = None


class PremortemItem(_Model):
    failure: Text
    signal: OptText | None = None


class Decision(_Model):
    verdict: Verdict
    status: DecisionStatus = DecisionStatus.proposed
    rationale: OptText | None = None
    decided_by: list[OptText] = Field(default_factory=list)
    decided_on: Date
    review_by: Date | None = None
    content_hash: Annotated[str, Field(strict=True, pattern=r"^sha256:[0-9a-f]{64}$")] | None = None


class Assessment(_Model):
    format: Literal["aipm-assessment/1"] = FORMAT_VERSION
    taxonomy: OptText | None = None
    feature: Feature
    harms: list[Harm] = Field(default_factory=list)
    fallbacks: list[Fallback] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    premortem: list[PremortemItem] = Field(default_factory=list)
    decision: Decision | None = None
    extra: dict[str, Any] | None = None

    def harm(self, harm_id: str) -> Harm | None:
        return next((h for h in self.harms if h.id == harm_id), None)

    def metric(self, metric_id: str) -> Metric | None:
        return next((m for m in self.metrics if m.id == metric_id), None)

    def covering(self, harm_id: str) -> list[Fallback]:
        """The fallbacks that cover a harm, in file order."""
        return [f for f in self.fallbacks if harm_id in f.covers]
