"""SQL shared by the store's queries: rank orders, sort keys and date-dependent counts."""

from __future__ import annotations

from ..domain.vocab import NO_TIER, UNDECIDED, DecisionState, Stage, Tier, Verdict

# Lowercase tier names by the integer stored in *_tier columns.
TIER_NAMES = {int(t): t.name for t in Tier}
TIER_NUMBERS = {t.name: int(t) for t in Tier}
# Tier names, worst first, then the word for none (summary counts).
TIER_NAMES_WORST_FIRST = [t.name for t in sorted(Tier, reverse=True)]
STAGES = [s.value for s in Stage]
VERDICTS = [v.value for v in Verdict]
STATES = [s.value for s in DecisionState]
BY = ("residual", "inherent", "rpn", "harmed", "review")

# Rank orders over revision columns. "residual" is DOMAIN.md section 4
# (``Evaluation.rank_key``): residual tier, inherent tier, residual max rpn,
# people harmed (none counts as 0), id; features without harms last. The others
# lead with their own key and fall back to that order.
_DOMAIN_TAIL = (
    "residual_tier DESC, inherent_tier DESC, residual_max_rpn DESC, "
    "coalesce(harmed_high, 0) DESC, feature_id"
)
RANK_ORDER = {
    "residual": f"harm_count = 0, {_DOMAIN_TAIL}",
    "inherent": (
        "harm_count = 0, inherent_tier DESC, residual_tier DESC, max_rpn DESC, "
        "residual_max_rpn DESC, coalesce(harmed_high, 0) DESC, feature_id"
    ),
    "rpn": f"harm_count = 0, residual_max_rpn DESC, max_rpn DESC, {_DOMAIN_TAIL}",
    "harmed": (
        f"harmed_high IS NULL, harmed_high DESC, harmed_low DESC, harm_count = 0, {_DOMAIN_TAIL}"
    ),
    "review": f"review_by IS NULL, review_by, harm_count = 0, {_DOMAIN_TAIL}",
}


def _position(values: list[str], column: str) -> str:
    items = ", ".join(f"'{v}'" for v in values)
    return f"list_position([{items}], {column})"


# PortfolioRow field -> the SQL it sorts by (tiers, stages and verdicts in their
# natural order, text case-insensitively).
SORT_KEYS = {
    "rank": "rank",
    "id": "id",
    "name": "lower(name)",
    "owner": "lower(owner)",
    "stage": _position(STAGES, "stage"),
    "revision": "revision",
    "inherent_priority": "inherent_tier",
    "residual_priority": "residual_tier",
    "max_rpn": "max_rpn",
    "residual_max_rpn": "residual_max_rpn",
    "harmed_low": "harmed_low",
    "harmed_high": "harmed_high",
    "worst_harm": "worst_harm",
    "worst_harm_type": "worst_harm_type",
    "recommended_verdict": _position(VERDICTS, "recommended_verdict"),
    "verdict": _position(VERDICTS, "verdict"),
    "errors": "errors",
    "warnings": "warnings",
    "review_by": "review_by",
    "overdue": "overdue",
}

# A revision's portfolio columns, in PortfolioRow order after ``rank``, with the
# counts that depend on "today" ($today) added: F02 for an undecided assessment
# whose first metric is dated after today, F08 for a review date set in the file
# and passed, F14 for each open hypothesis past its check date (see rows.py),
# and whether the review is overdue.
DETAILS = """
    feature_id AS id, name, owner, stage, number AS revision,
    inherent_tier, residual_tier, max_rpn, residual_max_rpn,
    harmed_low, harmed_high, worst_harm, worst_harm_type,
    recommended AS recommended_verdict, verdict,
    base_errors
        + CASE WHEN verdict IS NULL AND first_metric_on > $today THEN 1 ELSE 0 END
        AS errors,
    base_warnings
        + CASE WHEN review_by_set AND review_by < $today THEN 1 ELSE 0 END
        + len(list_filter(open_check_by, lambda d: d < $today))
        AS warnings,
    review_by,
    coalesce(review_by < $today, false) AS overdue,
    CASE WHEN standing_revision IS NULL THEN 'undecided'
         WHEN stale THEN 'stale'
         WHEN reopened_on IS NOT NULL THEN 'reopened'
         WHEN $today > standing_review_by THEN 'expired'
         ELSE 'decided' END AS decision_state,
    standing_revision,
    removed
"""

# Every feature's latest revision as portfolio columns, followed by the columns
# RANK_ORDER needs beyond them (so that ``ORDER BY RANK_ORDER[...]`` works on it).
PORTFOLIO = f"SELECT {DETAILS}, feature_id, harm_count FROM latest WHERE NOT removed"

# The features the portfolio ranks: all but those whose workspace file was deleted.
SHOWN = "(SELECT * FROM latest WHERE NOT removed)"


def filters(
    stage: str | None,
    verdict: str | None,
    tier: str | None,
    search: str | None,
    state: str | None = None,
) -> tuple[str, dict]:
    """A WHERE clause (or "") and its parameters for the portfolio filters (over
    ``DETAILS``: ``state`` needs its $today)."""
    where: list[str] = []
    params: dict = {}
    if state is not None:
        if state not in STATES:
            raise ValueError(f"unknown decision state {state!r}: use one of {', '.join(STATES)}")
        where.append("decision_state = $state")
        params["state"] = state
    if stage is not None:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
        where.append("stage = $stage")
        params["stage"] = stage
    if verdict is not None:
        if verdict == UNDECIDED:
            where.append("verdict IS NULL")
        elif verdict in VERDICTS:
            where.append("verdict = $verdict")
            params["verdict"] = verdict
        else:
            raise ValueError(
                f"unknown verdict {verdict!r}: use one of {', '.join(VERDICTS)} or {UNDECIDED}"
            )
    if tier is not None:
        if tier.lower() == NO_TIER:
            where.append("residual_tier IS NULL")
        elif tier.lower() in TIER_NUMBERS:
            where.append("residual_tier = $tier")
            params["tier"] = TIER_NUMBERS[tier.lower()]
        else:
            raise ValueError(
                f"unknown tier {tier!r}: use one of {', '.join(TIER_NUMBERS)} or {NO_TIER}"
            )
    if search:
        where.append(
            "(contains(lower(id), $search) OR contains(lower(name), $search) "
            "OR contains(lower(coalesce(owner, '')), $search))"
        )
        params["search"] = search.lower()
    return (" WHERE " + " AND ".join(where)) if where else "", params
