"""The shared words, numbers and safe text every output uses."""

from __future__ import annotations

import pytest

from aipm_workbench.domain.formatting import (
    is_safe,
    people,
    people_range,
    people_value,
    people_words,
    percent,
    plural,
    safe_text,
    share,
    tier_label,
    verdict_label,
)
from aipm_workbench.domain.vocab import Tier, Verdict


@pytest.mark.parametrize(
    ("n", "value", "text"),
    [
        (12.899999999999999, 12.9, "12.9"),
        (1234567, 1230000.0, "1,230,000"),
        (5, 5.0, "5"),
        (0.3, 0.3, "0.3"),
        (0.12345, 0.123, "0.123"),
        (0.0012345, 0.001, "0.001"),
        (5e-06, 0.0, "<0.001"),
        (1e-200, 0.0, "<0.001"),
        (999.5, 1000.0, "1,000"),
        (0, 0.0, "0"),
    ],
)
def test_people_figures_have_three_significant_digits_and_three_decimals(n, value, text):
    assert people_value(n) == value
    assert people(n) == text
    assert "e" not in people(n)


def test_people_in_words():
    assert people_words(0.3) == "fewer than 1 person"
    assert people_words(1) == "1 person"
    assert people_words(12.89) == "12.9 people"
    assert people_range(12.899999, 80.0) == "12.9-80"
    assert people(None) == "-"


def test_shares_and_percentages_never_use_scientific_notation():
    assert share(5e-06) == "0.000005"
    assert share(0.05) == "0.05"
    assert percent(5 / 6) == "83.3%"
    assert percent(0.05) == "5%"


def test_labels_are_written_one_way():
    assert verdict_label(Verdict.ship_with_guardrails) == "ship with guardrails"
    assert verdict_label("ship_with_guardrails") == "ship with guardrails"
    assert verdict_label(None) == "undecided"
    assert tier_label(Tier.critical) == "Critical"
    assert tier_label("high") == "High"
    assert tier_label(None) == "-"
    assert plural(1, "feature") == "1 feature"
    assert plural(3, "feature") == "3 features"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x1b[2J", "\\x1b[2J"),
        ("a\u202eb", "a<U+202E>b"),
        ("a\u2066b\u2069", "a<U+2066>b<U+2069>"),
        ("tab\there", "tab\\there"),
        ("line\nbreak", "line\\nbreak"),
        ("\x9b31m", "\\x9b31m"),
        ("plain — text é", "plain — text é"),
    ],
)
def test_safe_text_shows_controls_and_bidi_marks_visibly(raw, shown):
    assert safe_text(raw) == shown
    assert is_safe(safe_text(raw))


def test_safe_text_can_keep_newlines():
    assert safe_text("a\nb\x1b", newlines=True) == "a\nb\\x1b"
    assert safe_text(None) == ""


def test_measured_numbers_never_use_scientific_notation():
    from aipm_workbench.domain.formatting import number

    assert number(1040000.0) == "1,040,000"
    assert number(0.147) == "0.147"
    assert number(0.000005) == "0.000005"
    assert number(1234.5678) == "1,234.57"
    assert number(-0.02) == "-0.02"
