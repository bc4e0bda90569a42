"""``aipm-workbench export``: what a user types, sees, and finds in the folder."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from markdown_check import parse

from aipm_workbench.cli import main
from aipm_workbench.domain import Stage, iter_assessment_paths, read_assessment
from aipm_workbench.storage import Store

SAMPLE_IDS = sorted(p.stem for p in iter_assessment_paths(["sample_projects"]))


def run(db, *args):
    runner = CliRunner(env={"AIPM_WORKBENCH_TODAY": "2026-11-28", "AIPM_WORKBENCH_DB": None})
    result = runner.invoke(main, ["--db", str(db), "export", *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def test_export_all_writes_one_record_per_feature(db, tmp_path):
    out = tmp_path / "records"
    result = run(db, "--all", "--out", str(out))
    assert result.exit_code == 0, result.output
    names = [f"{fid}-r1.md" for fid in SAMPLE_IDS]
    assert sorted(files(out)) == names
    assert result.stdout.split() == [str(out / n) for n in names]
    assert f"wrote 10 decision records to {out}" in result.stderr
    for name in names:
        parse((out / name).read_text(encoding="utf-8"))  # tables intact


def test_export_named_features(db, tmp_path):
    out = tmp_path / "o"
    result = run(db, "support-bot", "call-summaries", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(files(out)) == ["call-summaries-r1.md", "support-bot-r1.md"]


def test_an_existing_target_exits_2_and_writes_nothing(db, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "fraud-alerts-r1.md").write_text("keep me")
    result = run(db, "--all", "--out", str(out))
    assert result.exit_code == 2
    assert f"{out / 'fraud-alerts-r1.md'} already exists" in result.stderr
    assert files(out) == {"fraud-alerts-r1.md": b"keep me"}


def test_force_overwrites_existing_files(db, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "fraud-alerts-r1.md").write_text("old")
    result = run(db, "--all", "--out", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert (out / "fraud-alerts-r1.md").read_text().startswith("---\nstatus:")
    assert len(files(out)) == 10


def test_a_sandbox_violation_exits_2_with_file_and_line_and_writes_nothing(db, tmp_path):
    template = tmp_path / "evil.md.j2"
    template.write_text("# {{ record.title }}\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    out = tmp_path / "o"
    result = run(db, "--all", "--out", str(out), "--template", str(template))
    assert result.exit_code == 2
    assert f"{template}:3: not allowed in a user template (sandbox)" in result.stderr
    assert "nothing was written" in result.stderr
    assert not out.exists()


def test_an_undefined_variable_exits_2_naming_the_template_line(db, tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("{{ feature.name|inline }}\n{{ feature.budget }}\n")
    out = tmp_path / "o"
    result = run(db, "support-bot", "--out", str(out), "--template", str(template))
    assert result.exit_code == 2
    assert f"{template}:2: undefined variable" in result.stderr
    assert "budget" in result.stderr
    assert not out.exists()


def test_a_template_syntax_error_exits_2(db, tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("one\n{% for x in harms %}\n")
    result = run(db, "--all", "--out", str(tmp_path / "o"), "--template", str(template))
    assert result.exit_code == 2
    assert f"{template}:2: template syntax error" in result.stderr


def test_a_user_template_renders_each_record(db, tmp_path):
    template = tmp_path / "short.md.j2"
    template.write_text("# {{ record.title }}\n\nVerdict: {{ recommended.label }}\n")
    out = tmp_path / "o"
    result = run(db, "call-summaries", "--out", str(out), "--template", str(template))
    assert result.exit_code == 0, result.output
    assert (
        out / "call-summaries-r1.md"
    ).read_text() == "# ADR call-summaries-r1\n\nVerdict: kill\n"


def test_the_portfolio_in_each_format(db, tmp_path):
    out = tmp_path / "o"
    for fmt in ("md", "csv", "parquet"):
        result = run(db, "--portfolio", "--format", fmt, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == str(out / f"portfolio.{fmt}")
    assert sorted(files(out)) == ["portfolio.csv", "portfolio.md", "portfolio.parquet"]
    report = parse((out / "portfolio.md").read_text(encoding="utf-8"))
    assert len(report.table_after("Ranked features").rows) == 10


def test_assessment_files(db, tmp_path):
    out = tmp_path / "o"
    result = run(db, "--all", "--format", "toml", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(files(out)) == [f"{fid}.toml" for fid in SAMPLE_IDS]
    assert read_assessment(out / "call-summaries.toml").feature.id == "call-summaries"


def test_history_and_revision(db, tmp_path):
    store = Store(db, lock_timeout=5)
    a = store.latest("support-bot").assessment
    store.save(
        a.model_copy(update={"feature": a.feature.model_copy(update={"stage": Stage.launched})})
    )
    out = tmp_path / "o"
    assert run(db, "support-bot", "--history", "--out", str(out)).exit_code == 0
    assert sorted(files(out)) == ["support-bot-r1.md", "support-bot-r2.md"]
    result = run(db, "support-bot", "--revision", "1", "--out", str(tmp_path / "r1"))
    assert result.exit_code == 0 and sorted(files(tmp_path / "r1")) == ["support-bot-r1.md"]
    result = run(db, "support-bot", "--revision", "9", "--out", str(tmp_path / "r9"))
    assert result.exit_code == 2
    assert "feature 'support-bot' has no revision 9 (it has revisions 1-2)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name the features to export"),
        (["x", "--all"], "give feature ids or --all, not both"),
        (["--portfolio", "x"], "--portfolio takes no feature ids"),
        (["--portfolio", "--format", "toml"], "--portfolio writes md, csv or parquet"),
        (["--all", "--format", "csv"], "--format csv is for --portfolio"),
        (["x", "--revision", "1", "--history"], "cannot be combined"),
        (["--all", "--revision", "2"], "--revision needs feature ids"),
        (["x", "--format", "toml", "--history"], "apply to Markdown records"),
        (
            ["--portfolio", "--format", "csv", "--template", "t.j2"],
            "--template applies to Markdown",
        ),
    ],
)
def test_usage_errors_exit_2(db, tmp_path, args, message):
    result = run(db, *args, "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "o").exists()


def test_an_unknown_feature_exits_2(db, tmp_path):
    result = run(db, "support-bot", "no-such-thing", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "no feature with id 'no-such-thing'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_missing_database_exits_3(tmp_path):
    result = run(tmp_path / "none.duckdb", "--all", "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert "no workbench database at" in result.stderr


def test_a_damaged_database_exits_3(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database at all" * 10)
    result = run(bad, "--all", "--out", str(tmp_path / "o"))
    assert result.exit_code == 3
    assert "is not a workbench database" in result.stderr
    assert bad.read_bytes() == b"this is not a database at all" * 10


def test_out_cannot_be_a_file(db, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    result = run(db, "--all", "--out", str(f))
    assert result.exit_code == 2


def test_the_progress_bar_draws_on_stderr_for_many_records(capsys):
    from aipm_workbench.cli.export import _Progress

    with _Progress() as progress:
        progress.enabled = True  # as when stderr is a terminal
        for done in range(1, 31):
            progress(done, 30)
    # click draws the bar itself only on a terminal; elsewhere it prints the label.
    assert "Rendering records" in capsys.readouterr().err


def test_no_progress_bar_for_a_few_records(capsys):
    from aipm_workbench.cli.export import _Progress

    with _Progress() as progress:
        progress.enabled = True
        for done in range(1, 4):
            progress(done, 3)
    assert capsys.readouterr().err == ""


def test_a_database_locked_by_another_program_exits_3_and_writes_nothing(db, tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        runner = CliRunner(
            env={"AIPM_WORKBENCH_TODAY": "2026-11-28", "AIPM_WORKBENCH_LOCK_TIMEOUT": "0.2"}
        )
        out = tmp_path / "o"
        result = runner.invoke(main, ["--db", str(db), "export", "--all", "--out", str(out)])
        assert result.exit_code == 3
        assert "is in use by" in result.stderr
        assert "Traceback" not in result.output
        assert not out.exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
