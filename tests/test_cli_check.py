"""`aipm-workbench check`, `taxonomy` and `schema` as a user runs them: exit codes, the
problems on stderr, the text summary and the JSON shape."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
TIERS = {"critical", "high", "medium", "low"}

VALID = """\
format = "aipm-assessment/1"

[feature]
id = "ok"
name = "A valid feature"
population = 1000

[[harms]]
id = "h"
type = "rights.privacy"
source = "system_error"
statement = "If it leaks, people lose privacy."
severity = 3
likelihood = 3
reversibility = 3
detectability = 3

[[fallbacks]]
id = "f"
covers = ["h"]
kind = "block"
trigger = "t"
action = "a"
tested_on = 2026-01-01

[[metrics]]
name = "m"
kind = "product"
target = "t"
decided_on = 2026-01-01

[[premortem]]
failure = "It failed."
"""

HARM = """
[[harms]]
id = "{id}"
type = "rights.privacy"
source = "system_error"
statement = "s"
severity = {s}
likelihood = 3
reversibility = 3
detectability = 3
"""

HEAD = 'format = "aipm-assessment/1"\n[feature]\nid = "x"\nname = "X"\n'

# name, file name, content, field paths that must be named on stderr (None: a whole-file problem)
BAD = [
    ("binary", "image.toml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", None),
    ("nul byte", "nul.toml", b'format = "aipm-assessment/1"\x00\n', None),
    ("broken toml", "broken.toml", b'format = "aipm-assessment/1"\n[feature\nid = "x"\n', None),
    (
        "wrong types",
        "types.toml",
        (
            b'format = "aipm-assessment/1"\n[feature]\nid = "x"\nname = "X"\npopulation = "many"\n'
            b'[[harms]]\nid = ["h"]\ntype = "rights.privacy"\nsource = "system_error"\n'
            b'statement = "s"\nseverity = "high"\nlikelihood = 3.5\nreversibility = true\n'
            b'detectability = 6\nevidence = "a note"\n'
        ),
        [
            "feature.population",
            "harms[0].id",
            "harms[0].severity",
            "harms[0].likelihood",
            "harms[0].reversibility",
            "harms[0].detectability",
            "harms[0].evidence",
        ],
    ),
    (
        "ids with / or ..",
        "ids.toml",
        (
            'format = "aipm-assessment/1"\n[feature]\nid = "../etc"\nname = "X"\n'
            + HARM.format(id="a/b", s=2)
            + HARM.format(id="..", s=2)
            + HARM.format(id="Upper", s=2)
            + HARM.format(id="x" * 65, s=2)
        ).encode(),
        ["feature.id", "harms[0].id", "harms[1].id", "harms[2].id", "harms[3].id"],
    ),
    (
        "dates that are not dates",
        "dates.toml",
        (
            HEAD
            + '[[metrics]]\nname = "m"\nkind = "product"\ntarget = "t"\ndecided_on = "yesterday"\n'
            '[[hypotheses]]\nid = "b"\nstatement = "s"\ncheck_by = "2026-02-30"\n'
            '[decision]\nverdict = "ship"\ndecided_on = 2026-03-01T10:00:00\nreview_by = 20260301\n'
        ).encode(),
        [
            "metrics[0].decided_on",
            "hypotheses[0].check_by",
            "decision.decided_on",
            "decision.review_by",
        ],
    ),
    (
        "unknown verdict and enums",
        "verdict.toml",
        (
            HEAD + '[decision]\nverdict = "maybe"\nstatus = "done"\ndecided_on = 2026-03-01\n'
        ).encode(),
        ["decision.verdict", "decision.status"],
    ),
    (
        "duplicate ids",
        "dupes.toml",
        (HEAD + HARM.format(id="a", s=2) + HARM.format(id="a", s=3)).encode(),
        ["harms[1].id"],
    ),
    (
        "fallback covers missing harms",
        "covers.toml",
        (
            HEAD
            + HARM.format(id="a", s=2)
            + '[[fallbacks]]\nid = "f"\ncovers = ["a", "ghost"]\nkind = "block"\ntrigger = "t"\naction = "a"\n'
            + '[[fallbacks]]\nid = "g"\ncovers = []\nkind = "teleport"\ntrigger = "t"\naction = "a"\n'
        ).encode(),
        ["fallbacks[0].covers[1]", "fallbacks[1].covers", "fallbacks[1].kind"],
    ),
    (
        "inverted ranges and bad shares",
        "ranges.toml",
        (
            HEAD
            + HARM.format(id="a", s=2)
            + "[harms.exposure]\nhigh_risk_share = [0.5, 0.1]\nexposed_share = [0, 0.2]\n"
            + "harmed_share = [0.1]\n"
        ).encode(),
        [
            "harms[0].exposure.high_risk_share",
            "harms[0].exposure.exposed_share[0]",
            "harms[0].exposure.harmed_share",
        ],
    ),
    (
        "future format",
        "future.toml",
        b'format = "aipm-assessment/2"\n[feature]\nid = "x"\nname = "X"\n',
        ["format"],
    ),
    ("empty file", "empty.toml", b"", ["format", "feature"]),
    (
        "unknown keys and unknown harm type",
        "keys.toml",
        (
            HEAD
            + 'colour = "red"\n'
            + HARM.format(id="a", s=2).replace("rights.privacy", "rights.privcy")
        ).encode(),
        ["feature.colour", "harms[0].type"],
    ),
    (
        "json variant",
        "bad.json",
        json.dumps(
            {
                "format": "aipm-assessment/1",
                "feature": {"id": "Bad ID", "name": "  "},
                "harms": [{"id": "h", "severity": 0}],
            }
        ).encode(),
        ["feature.id", "feature.name", "harms[0].severity", "harms[0].type"],
    ),
    ("broken json", "broken.json", b'{"format": "aipm-assessment/1", "feature": ', None),
    ("json not a table", "list.json", b"[1, 2, 3]", None),
]


@pytest.fixture
def runner(today) -> CliRunner:
    return CliRunner()


def no_traceback(result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@pytest.mark.parametrize(("name", "filename", "content", "fields"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_and_lists_every_problem_naming_the_file(
    runner, tmp_path, name, filename, content, fields
):
    path = tmp_path / filename
    path.write_bytes(content)
    result = runner.invoke(main, ["check", str(path)])
    no_traceback(result)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines
    for line in lines:
        assert line.startswith(f"{path}: "), line
    if fields is None:
        assert len(lines) == 1
        return
    named = [re.match(rf"{re.escape(str(path))}: (\S+): \S", line) for line in lines]
    assert all(named), lines
    paths = [m.group(1) for m in named]
    for field in fields:
        assert field in paths, (field, lines)
    assert "INVALID" in result.stdout


def test_problem_messages_say_what_is_wrong(runner, tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(HEAD + HARM.format(id="a", s=6), encoding="utf-8")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert f"{path}: harms[0].severity: must be 1..5" in result.stderr


def test_a_folder_without_assessment_files(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    result = runner.invoke(main, ["check", str(tmp_path)])
    no_traceback(result)
    assert result.exit_code == 2
    assert str(tmp_path) in result.stderr
    assert "no assessment files" in result.stderr


def test_a_missing_path(runner, tmp_path):
    missing = tmp_path / "nope.toml"
    result = runner.invoke(main, ["check", str(missing)])
    no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{missing}: ")


def test_usage_errors_exit_2(runner, sample_projects):
    assert runner.invoke(main, ["check"]).exit_code == 2
    assert runner.invoke(main, ["check", "--format", "xml", str(sample_projects)]).exit_code == 2


def test_invalid_today_setting_is_a_clear_error(runner, sample_projects, monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", "tomorrow")
    result = runner.invoke(main, ["check", str(sample_projects)])
    no_traceback(result)
    assert result.exit_code == 2
    assert "AIPM_WORKBENCH_TODAY" in result.stderr


def test_valid_and_invalid_files_together(runner, tmp_path):
    (tmp_path / "a-ok.toml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b-bad.toml").write_text(HEAD + HARM.format(id="a", s=9), encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "ignored.toml").write_bytes(b"\x00")
    result = runner.invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "ok: A valid feature" in result.stdout  # the valid one is still summarised
    assert "2 files: 1 valid, 1 invalid" in result.stdout
    assert "ignored.toml" not in result.output


# ------------------------------------------------------------ valid files


def test_check_samples_prints_a_summary_per_feature(runner, sample_projects):
    result = runner.invoke(main, ["check", str(sample_projects)])
    no_traceback(result)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "support-bot: Support chatbot with human handoff (beta)" in out
    assert "recommended: ship with guardrails" in out
    assert not re.search(r"(recommended|chosen): ship_with", out)
    assert re.search(r"binding-promises\s+Medium \(M2\) -> Medium \(M4\)", out)
    assert re.search(r"error +F09 fallback:handoff-below-60: human review", out)
    assert "10 files: 10 valid, 0 invalid" in out
    assert result.stderr == ""


def test_check_reads_the_json_variant(runner, sample_projects, tmp_path):
    from aipm_workbench.domain import dump_json, read_assessment

    path = tmp_path / "support-bot.json"
    path.write_text(dump_json(read_assessment(sample_projects / "support-bot.toml")), "utf-8")
    result = runner.invoke(main, ["check", "--format", "json", str(path)])
    assert result.exit_code == 0, result.stderr
    (item,) = json.loads(result.stdout)
    assert item["valid"] and item["feature_id"] == "support-bot"
    assert item["recommended_verdict"] == "ship_with_guardrails"


def test_strict_exits_1_on_error_findings_and_0_without(runner, sample_projects, tmp_path):
    assert runner.invoke(main, ["check", "--strict", str(sample_projects)]).exit_code == 1
    assert runner.invoke(main, ["check", str(sample_projects)]).exit_code == 0
    # warnings only (F03, F04, F10) do not fail --strict
    warn_only = sample_projects / "code-review-assistant.toml"
    assert runner.invoke(main, ["check", "--strict", str(warn_only)]).exit_code == 0
    clean = tmp_path / "clean.toml"
    clean.write_text(VALID, encoding="utf-8")
    assert runner.invoke(main, ["check", "--strict", str(clean)]).exit_code == 0
    # an error finding (F02: no metric) with --strict
    no_metric = tmp_path / "no-metric.toml"
    no_metric.write_text(VALID.split("[[metrics]]")[0], encoding="utf-8")
    assert runner.invoke(main, ["check", "--strict", str(no_metric)]).exit_code == 1
    assert runner.invoke(main, ["check", str(no_metric)]).exit_code == 0


def test_invalid_input_wins_over_strict(runner, tmp_path, sample_projects):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[")
    result = runner.invoke(main, ["check", "--strict", str(sample_projects), str(bad)])
    assert result.exit_code == 2


# --------------------------------------------------------------- JSON


TOP_KEYS = {
    "file": str,
    "valid": bool,
    "problems": list,
    "feature_id": (str, type(None)),
    "priority": (str, type(None)),
    "residual_priority": (str, type(None)),
    "recommended_verdict": (str, type(None)),
    "verdict": (str, type(None)),
    "harms": list,
    "findings": list,
    "sensitivity": list,
}
HARM_KEYS = {
    "id": str,
    "priority": str,
    "residual_priority": str,
    "rule": str,
    "rpn": int,
    "residual_rpn": int,
    "harmed_low": (int, float, type(None)),
    "harmed_high": (int, float, type(None)),
}
FINDING_KEYS = {"code": str, "level": str, "about": str, "message": str}


def _shape(obj: dict, keys: dict) -> None:
    for key, kind in keys.items():
        assert key in obj, key
        assert isinstance(obj[key], kind), (key, obj[key])


def test_json_output_shape(runner, sample_projects, tmp_path):
    (tmp_path / "a-no-harms.toml").write_text(HEAD, encoding="utf-8")
    (tmp_path / "b-bad.toml").write_text(HEAD + HARM.format(id="a", s=0), encoding="utf-8")
    result = runner.invoke(main, ["check", "--format", "json", str(sample_projects), str(tmp_path)])
    assert result.exit_code == 2
    items = json.loads(result.stdout)  # stdout is pure JSON; problems also go to stderr
    assert isinstance(items, list) and len(items) == 12
    for item in items:
        _shape(item, TOP_KEYS)
        for h in item["harms"]:
            _shape(h, HARM_KEYS)
            assert h["priority"] in TIERS and h["residual_priority"] in TIERS
        for f in item["findings"]:
            _shape(f, FINDING_KEYS)
            assert re.fullmatch(r"F\d\d", f["code"]) and f["level"] in {"error", "warning"}
        if item["harms"]:
            assert item["priority"] in TIERS and item["residual_priority"] in TIERS
    by_id = {i["feature_id"]: i for i in items if i["valid"]}

    none = by_id["x"]
    assert none["priority"] is None and none["residual_priority"] is None
    assert none["harms"] == [] and none["recommended_verdict"] == "hold"  # no metric

    bad = next(i for i in items if not i["valid"])
    assert bad["file"] == str(tmp_path / "b-bad.toml")
    assert bad["problems"] == ["harms[0].severity: must be 1..5 (got 0)"]
    assert bad["feature_id"] is None and bad["recommended_verdict"] is None

    bot = by_id["support-bot"]
    assert bot["file"] == str(sample_projects / "support-bot.toml")
    assert (bot["priority"], bot["residual_priority"]) == ("medium", "medium")
    assert (bot["recommended_verdict"], bot["verdict"]) == ("ship_with_guardrails",) * 2
    refund = bot["harms"][0]
    assert refund["id"] == "wrong-refund-advice"
    assert (refund["priority"], refund["residual_priority"], refund["rule"]) == (
        "medium",
        "low",
        "M2",
    )
    assert (refund["rpn"], refund["residual_rpn"]) == (3 * 4 * 3 * 4, 3 * 2 * 3 * 3)
    # 900,000 x 0.3 x 0.003 x 0.3 and 900,000 x 0.35 x 0.006 x 0.5
    assert refund["harmed_low"] == pytest.approx(243)
    assert refund["harmed_high"] == pytest.approx(945)
    assert bot["harms"][1]["harmed_low"] is None  # no exposure estimate
    f09 = next(f for f in bot["findings"] if f["code"] == "F09")
    assert f09 == {**f09, "level": "error", "about": "fallback:handoff-below-60"}
    for s in bot["sensitivity"]:
        assert {"harm", "rating", "from", "to", "verdict"} <= s.keys()


def test_taxonomy_json_and_text(runner):
    result = runner.invoke(main, ["taxonomy", "--format", "json"])
    assert result.exit_code == 0
    tax = json.loads(result.stdout)
    assert tax["id"] == "builtin" and tax["version"] == 1
    assert len(tax["types"]) == 17
    for t in tax["types"]:
        assert t["label"] and t["description"] and t["example"]
        assert 2 <= len(t["questions"]) <= 3
    text = runner.invoke(main, ["taxonomy"])
    assert text.exit_code == 0
    for t in tax["types"]:
        assert t["id"] in text.stdout


def test_taxonomy_and_check_accept_a_replacement_taxonomy(runner, tmp_path):
    tax = tmp_path / "acme.toml"
    tax.write_text(
        'id = "acme"\nversion = 2\nname = "Acme"\n[[families]]\nid = "people"\nlabel = "People"\n'
        '[[types]]\nid = "people.upset"\nfamily = "people"\nlabel = "Upset"\n'
        'description = "d"\nquestions = ["q?"]\n',
        encoding="utf-8",
    )
    assert "people.upset" in runner.invoke(main, ["taxonomy", "--taxonomy", str(tax)]).stdout
    ok = tmp_path / "a.toml"
    ok.write_text(HEAD + HARM.format(id="a", s=2).replace("rights.privacy", "people.upset"))
    assert runner.invoke(main, ["check", "--taxonomy", str(tax), str(ok)]).exit_code == 0
    assert runner.invoke(main, ["check", str(ok)]).exit_code == 2
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "acme"\nversion = 0\n', encoding="utf-8")
    result = runner.invoke(main, ["taxonomy", "--taxonomy", str(broken)])
    no_traceback(result)
    assert result.exit_code == 2
    assert f"{broken}: version:" in result.stderr
    assert f"{broken}: families:" in result.stderr


# ----------------------------------------------------------- real process


def test_real_process(tmp_path, sample_projects):
    exe = Path(sys.executable).parent / "aipm-workbench"
    env = {**os.environ, "AIPM_WORKBENCH_TODAY": "2026-11-28"}
    ok = subprocess.run(
        [str(exe), "check", "--format", "json", str(sample_projects)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)) == 10
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe\x00\x01garbage")
    broken = subprocess.run(
        [str(exe), "check", "--strict", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert broken.returncode == 2
    assert broken.stderr.startswith(f"{bad}: ")
    assert "Traceback" not in broken.stderr + broken.stdout
