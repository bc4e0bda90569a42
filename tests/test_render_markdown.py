"""The Markdown filters: any user text prints as literal text in valid CommonMark."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_check import MD, inline_text, parse

from aipm_workbench.render.markdown import cell, clean, inline, oneline, text
from aipm_workbench.render.markdown import yaml as yaml_value

HOSTILE = [
    "a | b",
    "`code` and ``more``",
    "# not a heading",
    "## also not",
    "{{ 7*7 }} {% if x %}y{% endif %}",
    "<script>alert(1)</script> <b>bold</b> <!-- comment -->",
    "*em* **strong** _u_ ~~strike~~",
    "[link](http://example.com) ![img](x.png) <http://example.com>",
    "&amp; &copy; &#169; &#x41;",
    "back\\slash \\| \\",
    "- item",
    "+ item",
    "* item",
    "1. one",
    "1) one",
    "> quote",
    "    indented code",
    "```python\nfence\n```",
    "~~~\nfence\n~~~",
    "line\n===",
    "line\n---",
    "***",
    "___",
    "| col | col |\n|---|---|\n| a | b |",
    "[ref]: http://example.com",
    "emoji 😀👩‍👩‍👧 and مرحبا بالعالم and עברית",
    "override \u202eevil\u202c and open \u2067isolate",
    "tab\there\r\nwindows\rmac\u2028sep",
    "trailing backslash \\",
    "x" * 5000,
]


def _one_table(value: str) -> list[str]:
    parsed = parse(f"| a | b |\n|---|---|\n| {cell(value)} | end |\n")
    assert len(parsed.tables) == 1
    (row,) = parsed.tables[0].rows
    return row


def _expected(value: str) -> str:
    """What a reader should see: the cleaned text, line by line, blank lines dropped."""
    lines = [line.strip() for line in clean(value).split("\n")]
    return "\n".join(line for line in lines if line)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_table_cell_keeps_its_row_intact_and_prints_the_text(value):
    row = _one_table(value)
    assert row == [_expected(value) or "-", "end"]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_blocks_print_literally_without_markup(value):
    source = f"Before.\n\n{text(value)}\n\nAfter.\n"
    tokens = MD.parse(source)
    kinds = [t.type for t in tokens if t.level == 0 and t.nesting >= 0]
    assert set(kinds) <= {"paragraph_open", "inline"}, kinds
    paragraphs = [inline_text(t) for t in tokens if t.type == "inline"]
    assert paragraphs[0] == "Before." and paragraphs[-1] == "After."
    shown = "\n".join(paragraphs[1:-1])
    expected_paragraphs = [
        "\n".join(line.strip() for line in chunk.split("\n") if line.strip())
        for chunk in _paragraphs(clean(value))
    ]
    assert shown == "\n".join(p for p in expected_paragraphs if p)


def _paragraphs(s: str) -> list[str]:
    out, current = [], []
    for line in s.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out


@pytest.mark.parametrize("value", HOSTILE)
def test_inline_text_in_a_list_item_and_a_heading_stays_text(value):
    source = f"- {inline(value) or '-'}\n\n## {oneline(value) or '-'}\n"
    tokens = MD.parse(source)
    types = [t.type for t in tokens]
    assert types.count("bullet_list_open") == 1 and types.count("heading_open") == 1
    assert "fence" not in types and "code_block" not in types and "html_block" not in types
    heading = inline_text(tokens[types.index("heading_open") + 1])
    assert heading == " ".join(clean(value).split())


def test_jinja_looking_text_is_printed_not_evaluated():
    row = _one_table("{{ 7*7 }}")
    assert row[0] == "{{ 7*7 }}"
    assert "49" not in parse(f"| a |\n|---|\n| {cell('{{ 7*7 }}')} |\n").html


def test_bidirectional_overrides_and_isolates_are_shown_not_obeyed():
    assert clean("abc \u202eevil") == "abc <U+202E>evil"
    assert clean("\u2067x\u2069") == "<U+2067>x<U+2069>"
    assert "\u202e" not in inline("abc \u202eevil") and "U+202E" in inline("abc \u202eevil")


def test_control_characters_and_newline_flavours_are_normalised():
    assert clean("a\x00b\x1bc\r\nd\re\u2028f") == "a\\x00b\\x1bc\nd\ne\nf"


def test_an_empty_cell_prints_a_dash():
    assert cell(None) == "-"
    assert cell("   \n  ") == "-"
    assert cell(None, "not recorded") == "not recorded"


@pytest.mark.parametrize(
    "value",
    [
        'say "hi"',
        "colon: value",
        "- list",
        "# comment",
        "---",
        "...",
        "yes",
        "null",
        "{a: b}",
        "[1, 2]",
        "multi\nline",
        "tab\there",
        "back\\slash",
        "emoji 😀",
        "\u202eevil",
        "\x00\x07\x85\u2028\ufeff",
        "'single'",
        "&anchor *alias !tag %directive @at `tick`",
    ],
)
def test_yaml_values_read_back_exactly(value):
    assert yaml.safe_load(f"key: {yaml_value(value)}\n") == {"key": value}


def test_yaml_lists_dates_numbers_and_null():
    names = ["Dana Reyes", 'O\'Brien: "x"']
    doc = (
        f"a: {yaml_value(names)}\nb: {yaml_value(dt.date(2026, 3, 1))}\n"
        f"c: {yaml_value(3)}\nd: {yaml_value(None)}\ne: {yaml_value([])}\n"
    )
    assert yaml.safe_load(doc) == {
        "a": ["Dana Reyes", 'O\'Brien: "x"'],
        "b": dt.date(2026, 3, 1),
        "c": 3,
        "d": None,
        "e": [],
    }


# Any text at all: the table keeps two cells and the reader sees the text.
_ANY_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    max_size=80,
)
_MARKUP_HEAVY = st.text(alphabet=list("|`*_#<>[]()!&;\\~-+=.:1 \nabc{}%\u202e"), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_ANY_TEXT, _MARKUP_HEAVY))
def test_any_text_in_a_cell_reads_back(value):
    assert _one_table(value) == [_expected(value) or "-", "end"]


@settings(max_examples=200, deadline=None)
@given(st.one_of(_ANY_TEXT, _MARKUP_HEAVY))
def test_any_text_as_yaml_reads_back(value):
    loaded = yaml.safe_load(f"key: {yaml_value(value)}\n")
    assert loaded == {"key": value}


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(_ANY_TEXT, _MARKUP_HEAVY, st.from_regex(r"[A-Za-z0-9 ,.'()-]{0,40}", fullmatch=True))
)
def test_the_fast_path_for_plain_text_agrees_with_the_full_escape(value):
    from aipm_workbench.render.markdown import _escape_line

    lines = [_escape_line(line) for line in clean(value).split("\n")]
    assert inline(value) == "<br>".join(line for line in lines if line)
    assert oneline(value) == _escape_line(" ".join(clean(value).split()))
