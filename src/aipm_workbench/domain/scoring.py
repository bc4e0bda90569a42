"""Priority of a harm, rpn, exposure bounds and residual ratings (DOMAIN.md 4-6).

The priority rules live in ``data/priority_rules.toml``; this module only
interprets them. All 625 rating combinations are looked up once, so scoring a
harm is a table access.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import product

from .models import RATINGS, Assessment, Fallback, FallbackKind, Harm
from .scales import LETTERS
from .vocab import Tier

Ratings = tuple[int, int, int, int]  # (S, L, R, D)

# DOMAIN.md section 5: an estimate whose high bound exceeds its low one more than
# this many times needs evidence (finding F06).
EXPOSURE_SPREAD_LIMIT = 100


@dataclass(frozen=True)
class Rule:
    id: str
    tier: Tier
    text: str
    when: tuple[tuple[int, int, int], ...]  # (index into S,L,R,D, min, max)
    unless: tuple[tuple[int, int, int], ...]

    def matches(self, r: Ratings) -> bool:
        if not all(lo <= r[i] <= hi for i, lo, hi in self.when):
            return False
        return not (self.unless and all(lo <= r[i] <= hi for i, lo, hi in self.unless))

    @property
    def label(self) -> str:
        return f"{self.id}: {self.text}"


@dataclass(frozen=True)
class Priority:
    tier: Tier
    rule: Rule


def _conditions(table: dict, where: str) -> tuple[tuple[int, int, int], ...]:
    out = []
    for letter, (lo, hi) in table.items():
        key = LETTERS[letter]
        out.append((RATINGS.index(key), int(lo), int(hi)))
    return tuple(out)


@cache
def rules() -> tuple[Rule, ...]:
    data = tomllib.loads(
        resources.files(__package__).joinpath("data/priority_rules.toml").read_text("utf-8")
    )
    out = []
    for raw in data["rules"]:
        out.append(
            Rule(
                id=raw["id"],
                tier=Tier.parse(raw["tier"]),
                text=raw["text"],
                when=_conditions(raw.get("when", {}), raw["id"]),
                unless=_conditions(raw.get("unless", {}), raw["id"]),
            )
        )
    if out[-1].when:
        raise ValueError("the last priority rule must apply to every rating (an empty `when`)")
    return tuple(out)


@cache
def _table() -> dict[Ratings, Priority]:
    table = {}
    for combo in product(range(1, 6), repeat=4):
        rule = next(r for r in rules() if r.matches(combo))
        table[combo] = Priority(rule.tier, rule)
    return table


def priority(s: int, l: int, r: int, d: int) -> Priority:  # noqa: E741
    """The tier of a harm with these ratings, and the rule that gave it."""
    return _table()[(s, l, r, d)]


def rpn(s: int, l: int, r: int, d: int) -> int:  # noqa: E741
    """S x L x R x D (1-625); breaks ties within a tier only."""
    return s * l * r * d


def ratings_of(harm: Harm) -> Ratings:
    return (harm.severity, harm.likelihood, harm.reversibility, harm.detectability)


@dataclass(frozen=True)
class ExposureBounds:
    population: int
    low_product: float
    high_product: float
    harmed_low: float
    harmed_high: float
    # high_product / low_product, also when tiny shares (1e-200, 5e-324) make the
    # low product underflow to zero; None means "compute it from the products"
    ratio: float | None = None

    @property
    def spread(self) -> float | None:
        """high / low: how many times the upper bound exceeds the lower."""
        return self.harmed_high / self.harmed_low if self.harmed_low else None

    @property
    def factor_spread(self) -> float:
        """high_product / low_product (may be ``inf``); never divides by zero."""
        if self.ratio is not None:
            return self.ratio
        return self.high_product / self.low_product

    @property
    def needs_evidence(self) -> bool:
        return self.factor_spread > EXPOSURE_SPREAD_LIMIT


def exposure_bounds(harm: Harm, population: int | None) -> ExposureBounds | None:
    """People harmed, low and high: population x product of the factor lows (highs).

    Shares are above zero but may be tiny: the products may underflow to zero
    (fewer than one person), and the spread is then taken factor by factor.
    """
    if harm.exposure is None:
        return None
    low = high = ratio = 1.0
    for _, (lo, hi) in harm.exposure.factors():
        low *= lo
        high *= hi
        ratio *= hi / lo
    if low >= sys.float_info.min:  # a normal float: the plain quotient, as always
        ratio = high / low
    pop = population or 0
    return ExposureBounds(pop, low, high, pop * low, pop * high, ratio)


@dataclass(frozen=True)
class ResidualResult:
    ratings: Ratings
    covered: bool
    # True when the warn_user rule held residual S and R at the inherent values
    warn_only_irreversible: bool
    # True when the file claims residual ratings that the rules ignore
    claims_ignored: bool
    # True when the file claims lower S or R that the warn_user rule refused
    warn_claims_refused: bool


def residual_ratings(
    assessment: Assessment, harm: Harm, *, covering: list[Fallback] | None = None
) -> ResidualResult:
    """Ratings after the fallbacks that cover the harm (DOMAIN.md section 6).

    ``covering`` is ``assessment.covering(harm.id)`` when the caller has it already.
    """
    inherent = ratings_of(harm)
    if covering is None:
        covering = assessment.covering(harm.id)
    claimed = harm.residual
    has_claims = claimed is not None and not claimed.is_empty()
    if not covering:
        return ResidualResult(inherent, False, False, has_claims, False)
    values = list(inherent)
    if claimed is not None:
        for i, key in enumerate(RATINGS):
            v = getattr(claimed, key)
            if v is not None:
                values[i] = v
    warn_only = harm.reversibility == 5 and all(f.kind == FallbackKind.warn_user for f in covering)
    refused = False
    if warn_only:
        for i in (0, 2):  # severity, reversibility
            if values[i] < inherent[i]:
                refused = True
            values[i] = inherent[i]
    return ResidualResult(tuple(values), True, warn_only, False, refused)
