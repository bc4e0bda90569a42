"""A team's workspace in real git repositories: init, sync, merges, conflicts,
branch switches, bad files and a second clone rebuilding the same ranking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from workspace_support import NEEDS_GIT, SAMPLES, git, ranking, run

pytestmark = NEEDS_GIT


def test_init_makes_a_workspace_and_refuses_to_make_it_twice(tmp_path):
    folder = tmp_path / "w"
    result = run(tmp_path, "init", str(folder))
    assert result.exit_code == 0
    assert (folder / "aipm.toml").read_text().startswith('format = "aipm-workspace/1"')
    assert (folder / "assessments" / ".gitkeep").exists()
    assert (folder / "observations" / ".gitkeep").exists()
    assert ".aipm/" in (folder / ".gitignore").read_text().splitlines()
    again = run(tmp_path, "init", str(folder))
    assert again.exit_code == 2
    assert "already a workspace" in again.output


def test_commands_sync_the_files_first_and_a_second_clone_ranks_the_same(team, tmp_path):
    first = ranking(team)
    assert {r[0] for r in first} == {"support-bot", "fraud-alerts", "call-summaries"}
    assert (team / ".aipm" / "workbench.duckdb").exists()
    assert git(team, "status", "--porcelain") == ""  # the index is ignored by git
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(team), str(clone))
    assert ranking(clone) == first
    assert run(team, "sync").output.strip() == "synced: 0 new, 0 changed, 3 unchanged files"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_two_clones_edit_different_features_and_merge(team, tmp_path):
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(team), str(other))
    edit(team / "assessments" / "support-bot.toml", 'stage = "beta"', 'stage = "launched"')
    git(team, "commit", "-q", "-am", "support bot launched")
    edit(other / "assessments" / "fraud-alerts.toml", 'stage = "beta"', 'stage = "launched"')
    git(other, "commit", "-q", "-am", "fraud alerts launched")
    git(other, "pull", "-q", "--no-rebase", str(team), "main")
    launched = run(other, "rank", "--stage", "launched", "--format", "json")
    assert sorted(r["id"] for r in json.loads(launched.stdout)) == ["fraud-alerts", "support-bot"]


def test_both_edit_one_feature_and_the_conflict_is_reported_by_line(team, tmp_path):
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(team), str(other))
    assert "support-bot" in {r[0] for r in ranking(other)}  # its index before the pull
    edit(team / "assessments" / "support-bot.toml", 'stage = "beta"', 'stage = "launched"')
    git(team, "commit", "-q", "-am", "launched")
    edit(other / "assessments" / "support-bot.toml", 'stage = "beta"', 'stage = "retired"')
    git(other, "commit", "-q", "-am", "retired")
    git(other, "pull", "-q", "--no-rebase", str(team), "main", conflicts=True)
    text = (other / "assessments" / "support-bot.toml").read_text()
    line = text.splitlines().index(next(x for x in text.splitlines() if x.startswith("<<<<<<<")))
    synced = run(other, "sync")
    assert synced.exit_code == 2
    assert f"assessments/support-bot.toml:{line + 1}: unresolved merge conflict (<<<<<<<)" in (
        synced.output
    )
    checked = run(other, "check", "assessments/support-bot.toml")
    assert checked.exit_code == 2
    assert "unresolved merge conflict" in checked.output and "TOML" not in checked.output
    # the other commands warn and go on with the last good revision
    rows = run(other, "rank", "--format", "json")
    assert rows.exit_code == 0
    assert "unresolved merge conflict" in rows.stderr
    assert "support-bot" in {r["id"] for r in json.loads(rows.stdout)}


def test_a_branch_switch_re_syncs(team):
    git(team, "checkout", "-q", "-b", "try")
    edit(team / "assessments" / "fraud-alerts.toml", 'stage = "beta"', 'stage = "launched"')
    git(team, "commit", "-q", "-am", "try launch")
    assert "fraud-alerts" in [r[0] for r in ranking(team)]
    stage = json.loads(run(team, "rank", "--stage", "launched", "--format", "json").stdout)
    assert [r["id"] for r in stage] == ["fraud-alerts"]
    git(team, "checkout", "-q", "main")
    back = json.loads(run(team, "rank", "--stage", "launched", "--format", "json").stdout)
    assert back == []


def test_a_bad_file_among_good_ones_and_two_files_with_one_id(team):
    (team / "assessments" / "broken.toml").write_text('format = "aipm-assessment/1"\n')
    shutil.copy(SAMPLES / "meeting-recap.toml", team / "assessments" / "meeting-recap.toml")
    shutil.copy(
        team / "assessments" / "support-bot.toml", team / "assessments" / "support-bot-2.toml"
    )
    synced = run(team, "sync")
    assert synced.exit_code == 2
    assert "assessments/broken.toml: feature: " in synced.stderr
    assert (
        "assessments/support-bot-2.toml and assessments/support-bot.toml: both hold the "
        "feature id 'support-bot'" in synced.stderr
    )
    ids = {r[0] for r in ranking(team)}
    assert "meeting-recap" in ids  # the good file was synced


def test_db_or_env_leave_workspace_mode(team, tmp_path):
    other = tmp_path / "elsewhere.duckdb"
    result = run(team, "--db", str(other), "rank")
    assert result.exit_code == 0
    assert "no features" in result.stderr


def test_observations_travel_with_the_record(team, tmp_path):
    obs = run(team, "observe", "support-bot", "repeat-contact-7d", "0.147", "--on", "2026-11-25")
    assert obs.exit_code == 0, obs.output
    written = (team / "observations" / "support-bot.csv").read_text().splitlines()
    assert written == [
        "feature,metric,value,observed_on,source",
        "support-bot,repeat-contact-7d,0.147,2026-11-25,",
    ]
    git(team, "add", "-A")
    git(team, "commit", "-q", "-m", "an observation")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(team), str(clone))
    states = json.loads(run(clone, "rank", "--format", "json").stdout)
    assert {r["id"]: r["decision_state"] for r in states}["support-bot"] == "reopened"
    again = run(clone, "sync")
    assert again.exit_code == 0 and "problem" not in again.output
    listed = json.loads(run(clone, "observations", "support-bot", "--format", "json").stdout)
    assert [(o["metric"], o["value"]) for o in listed] == [("repeat-contact-7d", 0.147)]


def test_a_bad_observation_file_is_named_by_line(team):
    ranking(team)
    (team / "observations" / "support-bot.csv").write_text(
        "feature,metric,value,observed_on\nsupport-bot,nope,1,2026-11-01\n"
    )
    synced = run(team, "sync")
    assert synced.exit_code == 2
    assert "observations/support-bot.csv:2: support-bot has no metric 'nope'" in synced.stderr


def test_a_deleted_file_hides_its_feature_and_rank_all_shows_it(team):
    before = [r[0] for r in ranking(team)]
    assert "fraud-alerts" in before
    git(team, "rm", "-q", "assessments/fraud-alerts.toml")
    after = json.loads(run(team, "rank", "--format", "json").stdout)
    assert "fraud-alerts" not in [r["id"] for r in after]
    assert [r["rank"] for r in after] == list(range(1, len(after) + 1))  # numbers close up
    everything = run(team, "rank", "--all")
    line = next(x for x in everything.stdout.splitlines() if "fraud-alerts" in x)
    assert "removed" in line.split()
    git(team, "checkout", "-q", "HEAD", "--", "assessments/fraud-alerts.toml")
    assert "fraud-alerts" in [r[0] for r in ranking(team)]
