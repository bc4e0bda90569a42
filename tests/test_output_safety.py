"""Hostile text through every output: nothing reaches a terminal raw, no table gains a row,
no spreadsheet cell is a formula, JSON keeps the exact text with escapes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_check import parse

from aipm_workbench.cli import main
from aipm_workbench.domain import dump_toml, parse_assessment
from aipm_workbench.domain.formatting import people_value, safe_text

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_projects"
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)

ENV = {
    "AIPM_WORKBENCH_TODAY": TODAY.isoformat(),
    "AIPM_WORKBENCH_DB": None,
    "AIPM_WORKBENCH_LOCK_TIMEOUT": None,
}

TITLE = "\x1b]0;pwned title\x07"
CLEAR = "\x1b[2J"
LINK = "\x1b]8;;http://evil.example\x1b\\click me\x1b]8;;\x1b\\"
RLO = "\u202eevil"
FAKE_ROW = "\n| 99 | fake-row | x | x | x |"
HTML = " <b>bold</b>"
EVIL = TITLE + CLEAR + LINK + " " + RLO + FAKE_ROW + HTML
# What must never appear raw in text, Markdown or CSV output.
RAW = ("\x1b", "\x07", "\u202e")


def run(*args: str):
    return CliRunner(env=ENV).invoke(main, list(args), catch_exceptions=False)


def hostile(statement: str = "If " + EVIL) -> dict:
    return {
        "format": "aipm-assessment/1",
        "feature": {
            "id": "evil",
            "name": "Evil " + EVIL,
            "owner": '=HYPERLINK("http://evil.example","x")',
            "population": 1000,
        },
        "harms": [
            {
                "id": "h1",
                "type": "rights.privacy",
                "source": "system_error",
                "statement": statement,
                "affected": "+cmd|' /C calc'!A0",
                "severity": 5,
                "likelihood": 3,
                "reversibility": 5,
                "detectability": 4,
                "exposure": {
                    "high_risk_share": [0.001, 0.01],
                    "exposed_share": [0.1, 0.2],
                    "harmed_share": [0.01, 0.1],
                },
            }
        ],
        "fallbacks": [
            {
                "id": "f1",
                "covers": ["h1"],
                "kind": "block",
                "trigger": "@SUM(1+1) " + EVIL,
                "action": "Stop",
                "tested_on": dt.date(2026, 1, 15),
            }
        ],
        "metrics": [
            {
                "name": "m " + EVIL,
                "kind": "product",
                "target": "t",
                "decided_on": dt.date(2026, 1, 1),
            }
        ],
        "premortem": [{"failure": "It failed " + EVIL}],
        "decision": {
            "verdict": "ship_with_guardrails",
            "status": "accepted",
            "decided_on": dt.date(2026, 2, 1),
            "review_by": dt.date(2027, 2, 1),
            "decided_by": ["Ann " + EVIL],
            "rationale": "Because " + EVIL,
        },
    }


def write(folder: Path, data: dict, name: str = "evil.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(dump_toml(parse_assessment(data, name)), encoding="utf-8")
    return path


@pytest.fixture
def evil_db(tmp_path) -> Path:
    db = tmp_path / "w.duckdb"
    first = write(tmp_path / "in1", hostile())
    assert run("--db", str(db), "import", str(first), str(SAMPLES)).exit_code == 0
    second = write(tmp_path / "in2", hostile("Now " + EVIL + " changed"))
    assert run("--db", str(db), "import", str(second)).exit_code == 0
    return db


def assert_safe(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"raw {ch!r} in output"


def assert_no_raw_html(text: str) -> None:
    assert not re.search(r"(?<!\\)<b>", text), "raw HTML"


def assert_no_fake_row(text: str) -> None:
    assert not re.search(r"^\|? ?99 ?\|", text, re.MULTILINE), "a name added a table row"


# ---------------------------------------------------------------- check


def test_check_text_shows_escapes_visibly_and_keeps_one_line_per_value(tmp_path):
    folder = tmp_path / ("dir" + TITLE + RLO)
    path = write(folder, hostile())
    result = run("check", str(folder))
    assert result.exit_code == 0, result.output
    assert_safe(result.stdout)
    assert_no_fake_row(result.stdout)
    assert "\\x1b]0;pwned title\\x07" in result.stdout
    assert "<U+202E>evil" in result.stdout
    assert safe_text(str(path)) in result.stdout  # the path from the file system, made safe
    name_line = next(line for line in result.stdout.splitlines() if "evil: Evil" in line)
    assert "\\n| 99 | fake-row" in name_line


def test_check_json_keeps_the_exact_text_with_escapes(tmp_path):
    path = write(tmp_path, hostile())
    result = run("check", "--format", "json", str(path))
    assert result.exit_code == 0
    assert_safe(result.stdout)
    assert "\\u001b" in result.stdout and "\\u202e" in result.stdout
    assert json.loads(result.stdout)[0]["name"] == "Evil " + EVIL


def test_an_invalid_file_in_a_hostile_folder_is_named_safely(tmp_path):
    folder = tmp_path / ("bad" + CLEAR)
    folder.mkdir()
    (folder / "x.toml").write_text("format = 1\n", encoding="utf-8")
    result = run("check", str(folder))
    assert result.exit_code == 2
    assert_safe(result.stdout + result.stderr)
    assert "bad\\x1b[2J" in result.stderr


# ----------------------------------------------------------------- rank


def test_rank_table_is_safe_and_has_one_line_per_feature(evil_db):
    result = run("--db", str(evil_db), "rank")
    assert result.exit_code == 0
    assert_safe(result.stdout)
    assert_no_fake_row(result.stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 11 + 1  # header, 11 features, summary
    assert "Evil \\x1b]0;pwned" in result.stdout


def test_rank_markdown_keeps_its_rows_and_escapes_html(evil_db):
    result = run("--db", str(evil_db), "rank", "--format", "md")
    assert result.exit_code == 0
    assert_safe(result.stdout)
    assert_no_raw_html(result.stdout)
    assert "\\<b>" in result.stdout
    tables = parse(result.stdout).tables
    assert len(tables) == 1 and len(tables[0].rows) == 11
    evil = next(row for row in tables[0].rows if row[1] == "evil")
    assert "<U+202E>evil" in evil[2] and "| 99 | fake-row" in evil[2]


def test_rank_csv_cells_are_safe_and_never_formulas(evil_db):
    result = run("--db", str(evil_db), "rank", "--format", "csv")
    assert result.exit_code == 0
    assert_safe(result.stdout)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 11
    evil = next(r for r in rows if r["id"] == "evil")
    assert evil["name"] == safe_text("Evil " + EVIL, newlines=True)  # a quoted cell keeps \n
    assert "\n| 99 | fake-row" in evil["name"]
    for row in rows:
        for key in ("harmed_low", "harmed_high"):
            if row[key]:
                value = float(row[key])  # numbers stay numbers
                assert value == people_value(value) and "e" not in row[key]


def test_rank_json_keeps_the_exact_name_escaped(evil_db):
    result = run("--db", str(evil_db), "rank", "--format", "json")
    assert_safe(result.stdout)
    assert "\\u202e" in result.stdout and "\\u001b" in result.stdout
    rows = json.loads(result.stdout)
    assert next(r for r in rows if r["id"] == "evil")["name"] == "Evil " + EVIL


def test_csv_formula_cells_are_neutralised():
    from aipm_workbench.render.cells import csv_cell

    for formula in ("=HYPERLINK(1)", "+cmd|x", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(formula).startswith("'"), formula
    assert csv_cell("a=b") == "a=b"
    assert csv_cell(-3) == -3 and csv_cell(1.5) == 1.5 and csv_cell(None) == ""
    assert csv_cell(True) == "true"


def test_portfolio_csv_export_is_safe_and_matches_the_rank_csv_rule(evil_db, tmp_path):
    from aipm_workbench.render.cells import csv_cell

    out = tmp_path / "out"
    result = run(
        "--db", str(evil_db), "export", "--portfolio", "--format", "csv", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    text = (out / "portfolio.csv").read_text(encoding="utf-8")
    assert_safe(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    evil = next(r for r in rows if r["id"] == "evil")
    assert evil["name"] == csv_cell("Evil " + EVIL)
    assert evil["owner"] == csv_cell('=HYPERLINK("http://evil.example","x")')
    assert evil["owner"].startswith("'=")
    for row in rows:
        for key in ("harmed_low", "harmed_high"):
            if row[key]:
                value = float(row[key])
                assert value == people_value(value), (row["id"], row[key])


def test_portfolio_parquet_counts_are_one_integer_width(evil_db, tmp_path):
    import duckdb

    out = tmp_path / "out"
    args = ("--db", str(evil_db), "export", "--portfolio", "--format", "parquet", "--out", str(out))
    assert run(*args).exit_code == 0
    con = duckdb.connect()
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE '{out}/portfolio.parquet')"
        ).fetchall()
    )
    assert types["errors"] == types["warnings"]
    highs = [
        r[0] for r in con.execute(f"SELECT harmed_high FROM '{out}/portfolio.parquet'").fetchall()
    ]
    assert all(h is None or h == people_value(h) for h in highs)


# ------------------------------------------------------ show, history, diff


def test_show_text_is_safe(evil_db):
    result = run("--db", str(evil_db), "show", "evil")
    assert result.exit_code == 0
    assert_safe(result.stdout)
    assert_no_fake_row(result.stdout)
    assert "chosen: ship with guardrails" in result.stdout


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_show_json_and_toml_escape_instead_of_printing_raw(evil_db, fmt):
    result = run("--db", str(evil_db), "show", "evil", "--format", fmt)
    assert result.exit_code == 0
    assert_safe(result.stdout)
    assert "\\u202e" in result.stdout.lower()


def test_history_and_diff_are_safe(evil_db):
    history = run("--db", str(evil_db), "history", "evil")
    diff = run("--db", str(evil_db), "diff", "evil")
    assert history.exit_code == diff.exit_code == 0
    for out in (history.stdout, diff.stdout):
        assert_safe(out)
        assert_no_fake_row(out)
    assert "verdict ship with guardrails" in history.stdout


def test_unknown_feature_messages_are_safe(evil_db):
    result = run("--db", str(evil_db), "show", "nope" + TITLE)
    assert result.exit_code == 2
    assert_safe(result.stderr)


# -------------------------------------------------------------- records


def test_records_and_the_portfolio_report_show_escapes_visibly(evil_db, tmp_path):
    out = tmp_path / "records"
    assert run("--db", str(evil_db), "export", "evil", "--out", str(out)).exit_code == 0
    report = tmp_path / "report"
    assert run("--db", str(evil_db), "export", "--portfolio", "--out", str(report)).exit_code == 0
    for path in (out / "evil-r2.md", report / "portfolio.md"):
        text = path.read_text(encoding="utf-8")
        assert_safe(text)
        assert "\u202c" not in text  # no pop-formatting mark either: shown, not balanced
        assert_no_raw_html(text.split("\n---\n", 1)[-1])  # after the YAML front matter
        assert_no_fake_row(text)
        assert "U+202E" in text
        assert "ship\\_with\\_guardrails" not in text


# ------------------------------------------------------------------ rank edge cases


def test_rank_with_filters_that_hide_every_row_says_so(evil_db):
    for args in (("--stage", "launched"), ("--stage", "concept", "--verdict", "hold")):
        result = run("--db", str(evil_db), "rank", *args)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        assert "no feature at stage" in result.stderr
        assert "11 features in all" in result.stderr
    for fmt, empty in (("json", "[]\n"), ("csv", None), ("md", None)):
        result = run("--db", str(evil_db), "rank", "--stage", "launched", "--format", fmt)
        assert result.exit_code == 0
        if empty:
            assert result.stdout == empty


def test_rank_limit_beyond_any_portfolio_is_a_usage_error(evil_db):
    result = run("--db", str(evil_db), "rank", "--limit", "99999999999999999999")
    assert result.exit_code == 2
    assert "--limit" in result.output


# ------------------------------------------------------ hostile templates


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{% include 'part.md' %}", "outside the template folder"),
        ("{{ 'x' * 10**10 }}", "not allowed in a user template"),
        ("{% for i in range(20000) %}{{ 'x' * 1000 }}{% endfor %}", "over 10 MB"),
    ],
)
def test_export_with_a_hostile_template_exits_2_naming_the_line_and_writes_nothing(
    evil_db, tmp_path, body, says
):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "part.md").symlink_to("/etc/hostname" if Path("/etc/hostname").exists() else "/")
    template = folder / "record.md.j2"
    template.write_text("# {{ today }}\n" + body + "\n", encoding="utf-8")
    out = tmp_path / "out"
    for args in (("--all",), ("--portfolio",)):
        result = run(
            "--db", str(evil_db), "export", *args, "--template", str(template), "--out", str(out)
        )
        assert result.exit_code == 2, result.output
        assert f"{template}:2:" in result.stderr and says in result.stderr
        assert not out.exists() or not any(out.iterdir())


def test_export_messages_name_hostile_paths_safely(evil_db, tmp_path):
    out = tmp_path / ("out" + TITLE + RLO)
    result = run("--db", str(evil_db), "export", "evil", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert_safe(result.stdout + result.stderr)
    assert "out\\x1b]0;pwned title\\x07<U+202E>evil" in result.stdout
    again = run("--db", str(evil_db), "export", "evil", "--out", str(out))
    assert again.exit_code == 2
    assert_safe(again.stderr)
