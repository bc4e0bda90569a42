"""The portfolio report from the built-in template: counts, matrix, overdue, errors, ranking."""

from __future__ import annotations

import datetime as dt

from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)
from markdown_check import assert_no_markup_from_text, inline_text, parse

from aipm_workbench.render import Renderer, portfolio_context
from aipm_workbench.storage import PortfolioRow

HOSTILE = "Evil | name `x` # <b>b</b> {{ 7*7 }}\n- not a list"


def row(rank, fid, **over) -> PortfolioRow:
    values = {
        "rank": rank,
        "id": fid,
        "name": f"Feature {fid}",
        "owner": "Dana",
        "stage": "beta",
        "revision": 1,
        "inherent_priority": "high",
        "residual_priority": "medium",
        "max_rpn": 200,
        "residual_max_rpn": 100,
        "harmed_low": 1.0,
        "harmed_high": 1500.0,
        "worst_harm": "leak",
        "worst_harm_type": "rights.privacy",
        "recommended_verdict": "ship_with_guardrails",
        "verdict": "ship_with_guardrails",
        "errors": 0,
        "warnings": 0,
        "review_by": dt.date(2027, 1, 1),
        "overdue": False,
    }
    values.update(over)
    return PortfolioRow(**values)


ROWS = [
    row(1, "alpha", residual_priority="critical", inherent_priority="critical", verdict="kill",
        recommended_verdict="kill", errors=2, warnings=1, name=HOSTILE, owner=HOSTILE),
    row(2, "beta", residual_priority="high", verdict="ship", recommended_verdict="hold",
        review_by=dt.date(2026, 11, 1), overdue=True),
    row(3, "gamma"),
    row(4, "delta", residual_priority="low", inherent_priority="low", verdict=None,
        recommended_verdict="ship", review_by=None, harmed_low=None, harmed_high=None),
    row(5, "empty", residual_priority=None, inherent_priority=None, max_rpn=None,
        residual_max_rpn=None, worst_harm=None, worst_harm_type=None, harmed_low=None,
        harmed_high=None, verdict=None, recommended_verdict="hold", errors=1, review_by=None),
]  # fmt: skip
MATRIX = {(r, d): {} for r in range(1, 6) for d in range(1, 6)}
MATRIX[(5, 4)] = {"critical": 2, "high": 1}
MATRIX[(3, 2)] = {"medium": 4}
MATRIX[(1, 1)] = {"low": 3}


def report():
    return parse(Renderer().portfolio(portfolio_context(ROWS, MATRIX, TODAY)))


def test_the_report_is_valid_markdown_with_intact_tables():
    parsed = report()
    assert_no_markup_from_text(parsed)
    assert [h for lvl, h in parsed.headings if lvl == 2] == [
        "By tier and verdict",
        "Risk matrix",
        "Overdue reviews",
        "Features with error findings",
        "Ranked features",
    ]
    ranked = parsed.table_after("Ranked features")
    assert [r[0] for r in ranked.rows] == ["1", "2", "3", "4", "5"]
    assert ranked.rows[0][1].startswith("alpha Evil | name `x` # <b>b</b> {{ 7*7 }}\n- not a list")
    assert ranked.rows[1][12] == "2026-11-01 overdue"
    assert ranked.rows[3][10] == "undecided" and ranked.rows[3][7] == "-"
    assert ranked.rows[4][4] == "-" and ranked.rows[4][8] == "-"
    assert ranked.rows[0][11] == "2 E, 1 W" and ranked.rows[2][11] == "none"


def test_counts_by_tier_and_verdict():
    t = report().table_after("By tier and verdict")
    assert t.header == [
        "Residual tier",
        "Features",
        "Ship",
        "Ship with guardrails",
        "Hold",
        "Kill",
        "Undecided",
    ]
    assert t.rows == [
        ["Critical", "1", "0", "0", "0", "1", "0"],
        ["High", "1", "1", "0", "0", "0", "0"],
        ["Medium", "1", "0", "1", "0", "0", "0"],
        ["Low", "1", "0", "0", "0", "0", "1"],
        ["No harms", "1", "0", "0", "0", "0", "1"],
        ["All", "5", "1", "1", "0", "1", "2"],
    ]
    parsed = report()
    tables = parsed.tables
    rec = tables[1]
    assert rec.rows == [
        ["ship", "1", "1"],
        ["ship with guardrails", "1", "1"],
        ["hold", "2", "0"],
        ["kill", "1", "1"],
        ["undecided", "-", "2"],
    ]
    text = "\n".join(inline_text(t) for t in parsed.tokens if t.type == "inline")
    assert "1 decision overrides the recommendation: beta (hold → ship)." in text


def test_the_risk_matrix_counts_harms_by_tier():
    t = report().table_after("Risk matrix")
    assert t.header == ["Reversibility \\ Detectability", "D1", "D2", "D3", "D4", "D5"]
    assert [r[0].split(" ")[0] for r in t.rows] == ["R5", "R4", "R3", "R2", "R1"]
    assert t.rows[0][4] == "C 2 · H 1"
    assert t.rows[2][2] == "M 4"
    assert t.rows[4][1] == "L 3"
    assert t.rows[1][1:] == ["-"] * 5
    text = "\n".join(inline_text(x) for x in report().tokens if x.type == "inline")
    assert "In all 10 harms: 2 Critical, 1 High, 4 Medium, 3 Low." in text


def test_overdue_reviews_and_error_findings_are_listed():
    parsed = report()
    overdue = parsed.table_after("Overdue reviews")
    assert overdue.rows == [["beta Feature beta", "Dana", "ship", "2026-11-01", "27 days"]]
    errors = parsed.table_after("Features with error findings")
    assert [r[0][:5] for r in errors.rows] == ["alpha", "empty"]
    assert [r[3] for r in errors.rows] == ["2", "1"]


def test_an_empty_portfolio_says_so():
    parsed = parse(
        Renderer().portfolio(
            portfolio_context([], MATRIX | {(5, 4): {}, (3, 2): {}, (1, 1): {}}, TODAY)
        )
    )
    text = "\n".join(inline_text(t) for t in parsed.tokens if t.type == "inline")
    assert "As of 2026-11-28: 0 features." in text
    assert "No features yet" in text
    assert "None: every decided feature is within its review date." in text
