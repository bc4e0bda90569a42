"""Values at the edges of what the format allows: tiny exposure shares and far-off dates.

Shares need only be above zero (0 < share <= 1): a share of 1e-200 or 5e-324 is valid
and bounds fewer than one person, without an error anywhere. Every date in a file lies
from 1970-01-01 to 2999-12-31; outside that it is a problem naming the field, and no
date computed from a valid one (a default review date) overflows.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import InvalidInput, Tier, default_review_by, dump_toml, evaluate
from aipm_workbench.domain.files import parse_assessment
from aipm_workbench.domain.formatting import people_words

TINY = [1e-200, 5e-324]
FIRST, LAST = dt.date(1970, 1, 1), dt.date(2999, 12, 31)


def exposed_harm(build, ranges: list[list[float]]) -> dict:
    keys = ("high_risk_share", "exposed_share", "harmed_share")
    return build.harm("h", 3, 3, 3, 3, exposure=dict(zip(keys, ranges, strict=True)))


# ------------------------------------------------------------------ shares


@pytest.mark.parametrize("tiny", TINY)
def test_tiny_shares_are_valid_and_bound_fewer_than_one_person(build, tiny):
    harm = exposed_harm(build, [[tiny, tiny], [tiny, 0.5], [tiny, 1.0]])
    ev = build.evaluate(harms=[harm], feature={"population": 10_000_000})
    exposure = ev.harms[0].exposure
    assert exposure is not None
    assert 0 <= ev.harmed_low <= ev.harmed_high < 1
    assert people_words(ev.harmed_high) == "fewer than 1 person"
    # the low bound is far below the high one: the estimate needs evidence (F06)
    assert exposure.needs_evidence
    (f06,) = [f for f in ev.findings if f.code == "F06"]
    assert "spans more than 10^" in f06.message
    assert "inf" not in f06.message
    json.dumps(ev.as_dict(), allow_nan=False)


@pytest.mark.parametrize("tiny", TINY)
def test_equal_tiny_shares_span_nothing(build, tiny):
    """Every product underflows to zero, yet low equals high: no spread, no F06."""
    ev = build.evaluate(harms=[exposed_harm(build, [[tiny, tiny]] * 3)])
    exposure = ev.harms[0].exposure
    assert exposure.factor_spread == 1
    assert not exposure.needs_evidence
    assert "F06" not in {f.code for f in ev.findings}


def test_ordinary_spreads_are_unchanged(build):
    harm = exposed_harm(build, [[0.001, 0.01], [0.05, 0.2], [0.1, 0.3]])
    exposure = build.evaluate(harms=[harm]).harms[0].exposure
    assert exposure.factor_spread == exposure.high_product / exposure.low_product
    assert exposure.needs_evidence  # 120x


@pytest.fixture
def runner(today) -> CliRunner:
    return CliRunner()


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_check_show_and_export_take_tiny_shares(build, runner, tmp_path):
    harm = exposed_harm(build, [[5e-324, 1e-200], [1e-200, 0.5], [5e-324, 1.0]])
    a = build(harms=[harm], feature={"id": "tiny", "population": 1_000_000})
    path = tmp_path / "tiny.toml"
    path.write_text(dump_toml(a), encoding="utf-8")
    db = str(tmp_path / "x.duckdb")

    check = runner.invoke(main, ["check", "--format", "json", str(path)])
    no_traceback(check)
    assert check.exit_code == 0, check.output
    (item,) = json.loads(check.stdout)
    assert item["valid"] and item["harmed_high"] < 1

    for args in (
        ["import", str(path)],
        ["show", "tiny"],
        ["export", "tiny", "--out", str(tmp_path / "records")],
    ):
        result = runner.invoke(main, ["--db", db, *args])
        no_traceback(result)
        assert result.exit_code == 0, (args, result.output)
    (record,) = (tmp_path / "records").glob("*.md")
    assert "fewer than 1 person" in record.read_text(encoding="utf-8")


# ------------------------------------------------------------------- dates

# Every date the format has, as (path in the data, where to put it).
DATE_FIELDS = [
    "decision.decided_on",
    "decision.review_by",
    "metrics[0].decided_on",
    "hypotheses[0].check_by",
    "fallbacks[0].tested_on",
]


def with_date(build, field: str, value) -> dict:
    """Valid assessment data with one date field set to ``value``."""
    data = build.data(
        harms=[build.harm("h", 3, 3, 3, 3)],
        fallbacks=[build.fallback("f", ["h"])],
        hypotheses=[{"id": "bet", "statement": "s", "falsified_if": "f", "check_by": FIRST}],
        decision={"verdict": "ship", "decided_on": FIRST, "decided_by": ["Dana"]},
    )
    table, key = field.split(".")
    if table.endswith("[0]"):
        data[table[:-3]][0][key] = value
    else:
        data[table][key] = value
    return data


@pytest.mark.parametrize("field", DATE_FIELDS)
@pytest.mark.parametrize(
    "value",
    [dt.date(9999, 12, 31), dt.date(3000, 1, 1), dt.date(1969, 12, 31), dt.date(1, 1, 1)],
    ids=str,
)
def test_dates_outside_1970_to_2999_are_invalid_naming_the_field(build, field, value):
    for given in (value, value.isoformat()):  # TOML dates and JSON strings alike
        with pytest.raises(InvalidInput) as err:
            parse_assessment(with_date(build, field, given), "x.toml")
        assert (
            f"{field}: must be a date from 1970-01-01 to 2999-12-31 (got {value})"
            in err.value.problems
        ), err.value.problems


@pytest.mark.parametrize("field", DATE_FIELDS)
@pytest.mark.parametrize("value", [FIRST, LAST], ids=str)
def test_the_first_and_last_dates_are_valid(build, field, value, today):
    a = parse_assessment(with_date(build, field, value), "x.toml")
    evaluate(a, today)


@pytest.mark.parametrize("tier", [None, *Tier], ids=lambda t: t.name if t else "no-harms")
def test_a_default_review_date_never_passes_the_last_date(tier):
    assert default_review_by(LAST, tier) == LAST
    assert default_review_by(LAST - dt.timedelta(days=29), tier) == LAST
    assert default_review_by(dt.date(2026, 1, 1), tier) > dt.date(2026, 1, 1)


def test_a_decision_on_the_last_date_reviews_on_it(build, today):
    data = with_date(build, "decision.decided_on", LAST)
    ev = evaluate(parse_assessment(data, "x.toml"), today)
    assert ev.review_by == LAST and ev.review_by_defaulted
    assert any(f.code == "F08" and str(LAST) in f.message for f in ev.findings)


def test_check_refuses_a_far_off_date_with_exit_2_naming_the_field(runner, tmp_path, build):
    data = with_date(build, "decision.decided_on", FIRST)
    a = parse_assessment(data, "x.toml")
    text = dump_toml(a).replace("decided_on = 1970-01-01\n", "decided_on = 9999-12-31\n", 1)
    assert "9999-12-31" in text
    path = tmp_path / "far.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["check", str(path)])
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert f"{path}: decision.decided_on: must be a date from 1970-01-01 to 2999-12-31" in (
        result.stderr
    )
