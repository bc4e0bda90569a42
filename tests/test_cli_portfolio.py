"""The portfolio commands as a user runs them: import, rank, show, history, diff, demo."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from storage_support import check_consistent

from aipm_workbench.cli import main
from aipm_workbench.domain import (
    Assessment,
    dump_toml,
    evaluate,
    iter_assessment_paths,
    read_assessment,
)
from aipm_workbench.storage import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_projects"
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)

ENV = {
    "AIPM_WORKBENCH_TODAY": TODAY.isoformat(),
    "AIPM_WORKBENCH_DB": None,
    "AIPM_WORKBENCH_LOCK_TIMEOUT": None,
}
SCRIPT = str(Path(sys.executable).with_name("aipm-workbench"))
JSON_FIELDS = [
    "rank", "id", "name", "stage", "revision", "inherent_priority", "residual_priority",
    "max_rpn", "residual_max_rpn", "harmed_low", "harmed_high", "recommended_verdict",
    "verdict", "errors", "warnings", "review_by", "overdue", "decision_state",
    "standing_revision",
]  # fmt: skip


def run(*args: str, env: dict | None = None):
    return CliRunner(env={**ENV, **(env or {})}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "w.duckdb"


@pytest.fixture
def loaded(db) -> Path:
    result = run("--db", str(db), "import", str(SAMPLES))
    assert result.exit_code == 0, result.output
    return db


def samples() -> list[Assessment]:
    return [read_assessment(p) for p in iter_assessment_paths([SAMPLES])]


def write(folder: Path, a: Assessment, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{a.feature.id}.toml")
    path.write_text(dump_toml(a), encoding="utf-8")
    return path


def edited(a: Assessment, edit) -> Assessment:
    data = a.model_dump()
    edit(data)
    return Assessment.model_validate(data)


# ----------------------------------------------------------------- import


def test_import_then_import_again(db):
    first = run("--db", str(db), "import", str(SAMPLES))
    assert first.exit_code == 0
    assert first.stdout == "10 imported: 10 new revisions, 0 unchanged\n"
    again = run("--db", str(db), "import", str(SAMPLES))
    assert again.stdout == "10 imported: 0 new revisions, 10 unchanged\n"
    assert check_consistent(db)["revisions"] == 10


def test_an_invalid_file_stops_the_whole_import(db, tmp_path):
    folder = tmp_path / "in"
    for a in samples()[:3]:
        write(folder, a)
    (folder / "broken.toml").write_text(
        'format = "aipm-assessment/1"\n[feature]\nid = "Bad Id"\n\n[[harms]]\nid = "h"\n'
        'type = "rights.privcy"\nsource = "misuse"\nstatement = "s"\nseverity = 9\n'
        "likelihood = 1\nreversibility = 1\ndetectability = 1\n",
        encoding="utf-8",
    )
    (folder / "not-toml.json").write_text("{nope", encoding="utf-8")
    result = run("--db", str(db), "import", str(folder))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    broken = str(folder / "broken.toml")
    assert f"{broken}: feature.id: must be a slug" in result.stderr
    assert f"{broken}: feature.name: required, but missing" in lines
    assert any(line.startswith(f"{broken}: harms[0].severity: must be 1..5") for line in lines)
    assert any(
        line.startswith(f"{broken}: harms[0].type: 'rights.privcy' is not a harm type")
        for line in lines
    )
    assert any(line.startswith(f"{folder / 'not-toml.json'}: not valid JSON") for line in lines)
    assert lines[-1] == "aipm-workbench: 2 of 5 files are invalid: nothing was imported"
    assert not db.exists()


def test_an_invalid_import_leaves_an_existing_database_as_it_was(loaded, tmp_path):
    before = check_consistent(loaded)
    folder = tmp_path / "in"
    write(folder, edited(samples()[0], lambda d: d["feature"].update(stage="beta")))
    (folder / "zz.toml").write_text('format = "aipm-assessment/1"\n', encoding="utf-8")
    result = run("--db", str(loaded), "import", str(folder))
    assert result.exit_code == 2
    assert f"{folder / 'zz.toml'}: feature: required, but missing" in result.stderr
    assert check_consistent(loaded) == before


def test_two_files_for_one_feature_are_refused(db, tmp_path):
    a = samples()[0]
    write(tmp_path / "in", a, "one.toml")
    write(tmp_path / "in", a, "two.toml")
    result = run("--db", str(db), "import", str(tmp_path / "in"))
    assert result.exit_code == 2
    assert "two.toml: feature.id: 'call-summaries' is also the id in" in result.stderr
    assert not db.exists()


def test_dry_run_writes_nothing(loaded, tmp_path):
    a = samples()[0]
    path = write(tmp_path / "in", edited(a, lambda d: d["feature"].update(owner="Someone")))
    result = run(
        "--db", str(loaded), "import", "--dry-run", str(path), str(SAMPLES / "fraud-alerts.toml")
    )
    assert result.exit_code == 0
    assert result.stdout == (
        "2 checked (dry run, nothing written): 1 would be new revision, 1 unchanged\n"
    )
    assert check_consistent(loaded)["revisions"] == 10


def test_no_files_and_missing_files(db, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("--db", str(db), "import", str(empty))
    assert result.exit_code == 2
    assert "no assessment files" in result.stderr
    result = run("--db", str(db), "import", str(tmp_path / "gone.toml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'gone.toml'}: no such file" in result.stderr


def test_a_large_import_shows_progress_on_a_terminal(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(210):
        (folder / f"f{i:03d}.toml").write_text(
            f'format = "aipm-assessment/1"\n[feature]\nid = "f-{i:03d}"\nname = "Feature {i}"\n'
        )
    db = tmp_path / "many.duckdb"
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "AIPM_WORKBENCH_DB"}
    proc = subprocess.run(
        [SCRIPT, "--db", str(db), "import", str(folder)],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env=env,
        timeout=120,
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert proc.returncode == 0
    assert proc.stdout == b"210 imported: 210 new revisions, 0 unchanged\n"
    assert b"Reading" in shown and b"210/210" in shown
    piped = run("--db", str(tmp_path / "piped.duckdb"), "import", str(folder))
    assert "Reading" not in piped.stderr, "no progress bar when stderr is not a terminal"


# ------------------------------------------------------------------- rank


def test_rank_json_is_in_domain_order_with_the_documented_fields(loaded):
    result = run("--db", str(loaded), "rank", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert all(list(r) == JSON_FIELDS for r in rows)
    evs = sorted((evaluate(a, TODAY) for a in samples()), key=lambda e: e.rank_key())
    assert [r["id"] for r in rows] == [e.assessment.feature.id for e in evs]
    for r, ev in zip(rows, evs, strict=True):
        assert r["errors"] == ev.errors and r["warnings"] == ev.warnings
        assert r["overdue"] == ev.overdue
        assert r["review_by"] == (ev.review_by.isoformat() if ev.review_by else None)
        assert r["residual_priority"] == (
            ev.residual_priority.name if ev.residual_priority else None
        )


def test_rank_table_shows_tiers_verdicts_people_findings_and_overdue(loaded):
    result = run("--db", str(loaded), "rank")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "#", "ID", "NAME", "STAGE", "RESIDUAL", "INHERENT", "RPN", "PEOPLE", "HARMED",
        "RECOMMENDED", "VERDICT", "DECISION", "ERR", "WARN", "REVIEW", "BY",
    ]  # fmt: skip
    first = lines[1]
    assert first.split()[:2] == ["1", "call-summaries"]
    assert "Critical" in first and "kill" in first and "11.2-490" in first
    eu = next(line for line in lines if "eu-genai-demo" in line)
    assert eu.endswith("2026-09-07 OVERDUE")
    undecided = next(line for line in lines if "code-review-assistant" in line)
    assert "undecided" in undecided
    assert lines[-1] == (
        "10 features, ranked by residual priority; 1 overdue review (as of 2026-11-28)"
    )
    column = lines[0].index("STAGE")
    for line in lines[1:-1]:  # aligned: every stage starts under its header
        assert line[column:].split()[0] in ("concept", "prototype", "beta", "launched")
        assert line[column - 2 : column] == "  "


def test_rank_filters_limit_and_other_formats(loaded):
    beta = json.loads(
        run("--db", str(loaded), "rank", "--stage", "beta", "--format", "json").stdout
    )
    assert beta and all(r["stage"] == "beta" for r in beta)
    full = json.loads(run("--db", str(loaded), "rank", "--format", "json").stdout)
    assert [r["rank"] for r in beta] == [r["rank"] for r in full if r["stage"] == "beta"]
    undecided = json.loads(
        run("--db", str(loaded), "rank", "--verdict", "undecided", "--format", "json").stdout
    )
    assert [r["id"] for r in undecided] == ["code-review-assistant"]
    top = run("--db", str(loaded), "rank", "--limit", "3")
    assert len(top.stdout.splitlines()) == 5
    assert top.stdout.splitlines()[-1].startswith("3 of 10 features, ranked by residual priority")
    by_people = json.loads(
        run("--db", str(loaded), "rank", "--by", "harmed", "--format", "json").stdout
    )
    highs = [r["harmed_high"] for r in by_people]
    assert highs == sorted(highs, reverse=True)
    csv_out = run("--db", str(loaded), "rank", "--format", "csv", "--limit", "2").stdout
    assert csv_out.splitlines()[0] == ",".join(JSON_FIELDS)
    assert csv_out.splitlines()[1].startswith("1,call-summaries,Voice summaries")
    assert csv_out.splitlines()[1].endswith(",2027-03-18,false,decided,1")
    reopened = run("--db", str(loaded), "rank", "--state", "expired", "--format", "json")
    assert [r["id"] for r in json.loads(reopened.stdout)] == ["eu-genai-demo"]
    none = run("--db", str(loaded), "rank", "--state", "stale")
    assert none.exit_code == 0
    assert "no feature whose decision is stale: 10 features in all" in none.stderr
    md = run("--db", str(loaded), "rank", "--format", "md", "--limit", "1").stdout.splitlines()
    assert md[0].startswith("| # | ID | NAME |") and md[1].startswith("|---:|---|")
    assert md[2].startswith("| 1 | call-summaries | Voice summaries for recorded calls |")
    bad = run("--db", str(loaded), "rank", "--by", "fun")
    assert bad.exit_code == 2


def test_rank_of_an_empty_database(db):
    result = run("--db", str(db), "rank")
    assert result.exit_code == 0 and result.stdout == ""
    assert "no features in" in result.stderr and "aipm-workbench import" in result.stderr
    assert run("--db", str(db), "rank", "--format", "json").stdout == "[]\n"
    assert not db.exists()


def test_the_database_comes_from_the_environment_without_db(loaded, tmp_path):
    result = run("rank", "--format", "json", env={"AIPM_WORKBENCH_DB": str(loaded)})
    assert len(json.loads(result.stdout)) == 10
    other = tmp_path / "other.duckdb"
    result = run("--db", str(other), "rank", env={"AIPM_WORKBENCH_DB": str(loaded)})
    assert "no features in" in result.stderr, "--db wins over the environment"


# ------------------------------------------------------- show, history, diff


@pytest.fixture
def two_revisions(loaded, tmp_path) -> Path:
    calls = read_assessment(SAMPLES / "call-summaries.toml")

    def edit(d):
        d["harms"][0]["severity"] = 4
        d["decision"]["verdict"] = "hold"
        d["fallbacks"].pop(0)

    write(tmp_path / "v2", edited(calls, edit))
    result = run("--db", str(loaded), "import", str(tmp_path / "v2"))
    assert result.stdout == "1 imported: 1 new revision, 0 unchanged\n"
    return loaded


def test_show_text_json_and_toml(two_revisions):
    db = str(two_revisions)
    text = run("--db", db, "show", "call-summaries").stdout.splitlines()
    assert text[0].startswith("revision 2 of 2, saved ")
    assert text[1] == "call-summaries: Voice summaries for recorded calls (concept)"
    assert "chosen: hold (accepted 2026-03-18, review by 2027-03-18)" in text
    old = run("--db", db, "show", "call-summaries", "--revision", "1").stdout
    assert old.startswith("revision 1 of 2") and "chosen: kill" in old
    as_json = run("--db", db, "show", "call-summaries", "--revision", "1", "--format", "json")
    assert Assessment.model_validate(json.loads(as_json.stdout)) == read_assessment(
        SAMPLES / "call-summaries.toml"
    )
    as_toml = run("--db", db, "show", "fraud-alerts", "--format", "toml").stdout
    assert as_toml == dump_toml(read_assessment(SAMPLES / "fraud-alerts.toml"))


def test_unknown_features_and_revisions(two_revisions):
    db = str(two_revisions)
    result = run("--db", db, "show", "call-summary")
    assert result.exit_code == 2
    assert (
        "no feature 'call-summary'" in result.stderr
        and "did you mean call-summaries" in result.stderr
    )
    for args in (["history", "fraud"], ["diff", "fraud-alert"]):
        result = run("--db", db, *args)
        assert result.exit_code == 2 and "fraud-alerts" in result.stderr
    result = run("--db", db, "show", "call-summaries", "--revision", "7")
    assert result.exit_code == 2 and "has no revision 7 (it has revisions 1-2)" in result.stderr
    result = run("--db", db, "diff", "call-summaries", "1", "3")
    assert result.exit_code == 2 and "no revision 3" in result.stderr
    result = run("--db", db, "diff", "fraud-alerts")
    assert result.exit_code == 2 and "only one revision" in result.stderr


def test_history_and_diff(two_revisions):
    db = str(two_revisions)
    history = run("--db", db, "history", "call-summaries").stdout.splitlines()
    assert history[0] == "call-summaries: 2 revisions"
    assert history[1].startswith("r1  ") and history[1].endswith(
        "verdict kill, decided 2026-03-18 (recommended kill)"
    )
    assert history[2] == "    made the decision"
    assert history[3] == "    first revision"
    r2 = history.index(next(line for line in history if line.startswith("r2  ")))
    assert history[r2].endswith("verdict hold, decided 2026-03-18 (recommended hold)")
    assert history[r2 + 1] == "    re-made the decision; STANDING"
    assert "    harm privileged-calls: severity 5 -> 4" in history
    assert "    decision.verdict: kill -> hold" in history
    diff = run("--db", db, "diff", "call-summaries").stdout.splitlines()
    assert diff[0] == "call-summaries: revision 1 -> revision 2"
    assert "  harm privileged-calls: severity 5 -> 4" in diff
    assert "  fallback removed: discoverability-banner" in diff
    assert "  recommended verdict: kill -> hold" in diff
    back = run("--db", db, "diff", "call-summaries", "2", "1").stdout.splitlines()
    assert "  harm privileged-calls: severity 4 -> 5" in back
    same = run("--db", db, "diff", "call-summaries", "2").stdout.splitlines()
    assert same == ["call-summaries: revision 2 -> revision 2", "  no differences"]


# -------------------------------------------------------- the round trip


def test_import_export_import_gives_the_same_portfolio(loaded, tmp_path):
    store = Store(loaded)
    folder = tmp_path / "shared"
    folder.mkdir()
    for fid in store.feature_ids():
        (folder / f"{fid}.toml").write_text(
            dump_toml(store.latest(fid).assessment), encoding="utf-8"
        )
    copy = tmp_path / "copy.duckdb"
    assert run("--db", str(copy), "import", str(folder)).exit_code == 0
    other = Store(copy)
    assert other.feature_ids() == store.feature_ids()
    originals = {a.feature.id: a for a in samples()}
    for fid in store.feature_ids():
        assert other.latest(fid).assessment == store.latest(fid).assessment == originals[fid]
        assert other.latest(fid).info.content_hash == store.latest(fid).info.content_hash
    for fmt in ("json", "table", "csv"):
        assert (
            run("--db", str(copy), "rank", "--format", fmt).stdout
            == run("--db", str(loaded), "rank", "--format", fmt).stdout
        )
    again = run("--db", str(copy), "import", str(folder))
    assert again.stdout == "10 imported: 0 new revisions, 10 unchanged\n"


# ------------------------------------------------------ database problems


def test_a_file_that_is_not_a_database_exits_3_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    before = path.read_bytes()
    for args in (["rank"], ["import", str(SAMPLES)], ["show", "x"], ["history", "x"], ["demo"]):
        result = run("--db", str(path), *args)
        assert result.exit_code == 3, args
        assert result.stderr.startswith(f"aipm-workbench: {path} is not a workbench database")
        assert "Traceback" not in result.output
    assert path.read_bytes() == before
    assert not Path(str(path) + ".wal").exists()


def test_a_damaged_database_exits_3_untouched(loaded):
    data = bytearray(loaded.read_bytes())
    data[4096 : 4096 + 64] = b"\xff" * 64
    loaded.write_bytes(bytes(data))
    for args in (["rank"], ["import", str(SAMPLES)], ["diff", "call-summaries"]):
        result = run("--db", str(loaded), *args)
        assert result.exit_code == 3
        assert "is damaged and cannot be read" in result.stderr
        assert "untouched" in result.stderr
    assert loaded.read_bytes() == bytes(data)


HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
"""


def test_a_database_held_by_another_process_exits_3_naming_it(loaded):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(loaded)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        env = {
            **os.environ,
            "AIPM_WORKBENCH_LOCK_TIMEOUT": "0.3",
            "AIPM_WORKBENCH_TODAY": "2026-11-28",
        }
        result = subprocess.run(
            [SCRIPT, "--db", str(loaded), "rank"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 3
        assert result.stdout == ""
        assert f"(PID {holder.pid})" in result.stderr
        assert "is in use by python" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    result = subprocess.run(
        [SCRIPT, "--db", str(loaded), "rank", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0 and len(json.loads(result.stdout)) == 10


def test_a_bad_lock_timeout_is_a_usage_error(loaded):
    result = run("--db", str(loaded), "rank", env={"AIPM_WORKBENCH_LOCK_TIMEOUT": "-2"})
    assert result.exit_code == 2
    assert "AIPM_WORKBENCH_LOCK_TIMEOUT='-2' is not a number of seconds" in result.stderr


# ------------------------------------------------------------------- demo


def test_demo_loads_the_samples_and_prints_the_portfolio(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = run("demo", "--db", str(db))
    assert result.exit_code == 0
    assert f"demo: loaded 10 sample assessments and 5 observations into {db}" in result.stderr
    assert result.stdout.splitlines()[1].split()[:2] == ["1", "call-summaries"]
    assert result.stdout.splitlines()[-1].startswith("10 features, ranked by residual priority")
    Store(db).save(edited(samples()[0], lambda d: d["feature"].update(stage="beta")))
    again = run("--db", str(db), "demo")
    assert again.exit_code == 0
    assert Store(db).latest("call-summaries").info.number == 1, "replaced on every run"


def test_demo_loads_the_sample_observations_so_two_decisions_are_reopened(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = run("demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    store = Store(db)
    observed = store.observations("credit-limit-assist")
    assert [(o.metric, o.value, o.observed_on.isoformat()) for o in observed] == [
        ("approval-ratio", 0.86, "2026-10-31"),
        ("approval-ratio", 0.74, "2026-11-25"),
    ]
    assert len(store.observations("support-bot")) == 3
    reopened = [r.id for r in store.rank(state="reopened", today=TODAY)]
    assert sorted(reopened) == ["credit-limit-assist", "support-bot"]
    # the portfolio printed says so too
    line = next(x for x in result.stdout.splitlines() if "credit-limit-assist" in x)
    assert "reopened" in line
    # a second run replaces the database: the observations are not doubled
    assert run("demo", "--db", str(db)).exit_code == 0
    assert len(Store(db).observations("credit-limit-assist")) == 2


def test_demo_never_replaces_a_real_database(loaded):
    before = check_consistent(loaded)
    result = run("demo", "--db", str(loaded))
    assert result.exit_code == 2
    assert "demo did not create" in result.stderr
    assert check_consistent(loaded) == before


def test_demo_defaults_to_its_own_file(tmp_path, monkeypatch, loaded):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = run("demo", env={"AIPM_WORKBENCH_DB": str(loaded)})
    assert result.exit_code == 0, result.output
    demo_db = Path(result.stderr.split(" into ")[1].strip())
    assert demo_db.name == "demo.duckdb" and demo_db != loaded
    assert len(Store(demo_db).feature_ids()) == 10


def test_demo_opens_the_app_on_a_terminal(tmp_path, monkeypatch):
    """With `open` registered and a terminal, demo hands the demo database to it."""
    import click

    from aipm_workbench.cli import portfolio
    from aipm_workbench.cli.main import Context

    opened = []

    @click.command("open")
    @click.pass_context
    def fake_open(ctx):
        opened.append(ctx.find_object(Context).db_path)

    monkeypatch.setitem(main.commands, "open", fake_open)
    monkeypatch.setattr(portfolio, "_interactive", lambda: True)
    db = tmp_path / "demo.duckdb"
    result = run("demo", "--db", str(db))
    assert result.exit_code == 0
    assert opened == [db]
    assert result.stdout == "", "the app, not the table"
    monkeypatch.setattr(portfolio, "_interactive", lambda: False)
    result = run("demo", "--db", str(db))
    assert opened == [db] and "call-summaries" in result.stdout
