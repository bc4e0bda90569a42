"""The file is the source of truth: in a workspace, saving (the app, ``decide``) writes
the feature's file with only the changed values moved, comments and layout kept;
``import`` copies files into assessments/; the app suggests git's user.name as a
new feature's owner."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from textual.widgets import Input
from ui_support import SIZE, TODAY, field_at, pilot_test, screen_text, settle, wait_until
from workspace_support import NEEDS_GIT, SAMPLES, git, run

from aipm_workbench.cli.app import make_app
from aipm_workbench.domain import read_assessment
from aipm_workbench.domain.files import to_data, toml_data
from aipm_workbench.services import workspace as ws
from aipm_workbench.services.tomledit import updated
from aipm_workbench.storage import Store
from aipm_workbench.ui.screens.wizard import WizardScreen

pytestmark = NEEDS_GIT

COMMENT = "# Rated with the support leads on 2026-10-20; ask Kofi before changing.\n"


def data_of(assessment) -> dict:
    return toml_data(assessment)


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def index(team: Path) -> Store:
    return Store(team / ".aipm" / "workbench.duckdb")


# ------------------------------------------------------------- the TOML edit


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_an_unchanged_assessment_rewrites_nothing(path):
    text = path.read_text(encoding="utf-8")
    assert updated(text, data_of(read_assessment(path))) == text


def test_a_changed_value_moves_only_its_line_and_comments_stay():
    text = (SAMPLES / "call-summaries.toml").read_text(encoding="utf-8")
    text = text.replace("[[harms]]\n", COMMENT + "[[harms]]\n", 1)
    a = read_assessment(SAMPLES / "call-summaries.toml")
    a.harms[0].likelihood = 4
    a.feature.owner = "Sam Okafor"
    after = updated(text, data_of(a))
    assert sorted(changed_lines(text, after)) == sorted(
        ['-owner = "Dana Reyes"', '+owner = "Sam Okafor"', "-likelihood = 3", "+likelihood = 4"]
    )
    assert COMMENT in after
    assert 'description = """Generate a written summary' in after  # the multi-line text as written


def test_numbers_keep_their_digit_groups_when_the_model_holds_floats():
    text = (SAMPLES / "credit-limit-assist.toml").read_text(encoding="utf-8")
    assert "reviewer_capacity_per_day = 2_400" in text
    a = read_assessment(SAMPLES / "credit-limit-assist.toml")
    assert updated(text, data_of(a)) == text


def test_items_are_matched_by_id_when_one_is_removed_and_one_is_added():
    text = (SAMPLES / "call-summaries.toml").read_text(encoding="utf-8")
    second = '[[harms]]\nid = "summary-store-subpoenas"\n'
    text = text.replace(second, second + COMMENT)
    a = read_assessment(SAMPLES / "call-summaries.toml")
    kept = a.harms[1]
    added = kept.model_copy(update={"id": "retention-drift"})
    a.harms = [kept, added]
    a.fallbacks[0].covers = ["summary-store-subpoenas"]
    after = updated(text, data_of(a))
    assert second + COMMENT in after  # the kept harm and its comment, as written
    assert 'id = "privileged-calls"' not in after.split("[[fallbacks]]")[0]
    assert after.count("[[harms]]") == 2
    assert '\n\n[[harms]]\nid = "retention-drift"' in after
    assert "\n\n\n" not in after


# ------------------------------------------------------- decide and the index


def test_decide_writes_the_file_keeping_its_comments_and_the_next_sync_finds_it_unchanged(team):
    path = team / "assessments" / "support-bot.toml"
    path.write_text(COMMENT + path.read_text(encoding="utf-8"), encoding="utf-8")
    git(team, "commit", "-qam", "a comment")
    before = path.read_text(encoding="utf-8")
    result = run(
        team, "decide", "support-bot", "--verdict", "hold", "--by", "Ana Lima",
        "--by", "Kofi Asante", "--rationale", "Wait for the handoff study",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "written to assessments/support-bot.toml" in result.output
    after = path.read_text(encoding="utf-8")
    assert after.startswith(COMMENT)
    diff = git(team, "diff", "--numstat").split()
    assert diff[2] == "assessments/support-bot.toml" and int(diff[0]) <= 7, diff
    assert after.split("[decision]")[0] == before.split("[decision]")[0]  # only the decision
    store = index(team)
    revisions = len(store.history("support-bot"))
    assert "0 new, 0 changed" in run(team, "sync").output
    assert len(index(team).history("support-bot")) == revisions
    written = read_assessment(path)
    assert written.decision.verdict.value == "hold"
    assert to_data(written) == to_data(store.latest("support-bot").assessment)


def test_a_file_changed_on_disk_since_the_sync_is_not_overwritten(team):
    assert run(team, "sync").exit_code == 0
    path = team / "assessments" / "fraud-alerts.toml"
    theirs = path.read_text(encoding="utf-8").replace('stage = "beta"', 'stage = "launched"')
    path.write_text(theirs, encoding="utf-8")
    store = index(team)
    mine = store.latest("fraud-alerts").assessment
    mine.feature.owner = "Someone Else"
    with pytest.raises(ws.FileChanged, match="assessments/fraud-alerts.toml changed on disk"):
        ws.save(team, store, mine)
    assert path.read_text(encoding="utf-8") == theirs
    assert store.latest("fraud-alerts").assessment.feature.owner != "Someone Else"


def test_a_new_feature_gets_its_own_file_and_a_deleted_one_comes_back(team):
    assert run(team, "sync").exit_code == 0
    store = index(team)
    fresh = read_assessment(SAMPLES / "meeting-recap.toml")
    rel, info = ws.save(team, store, fresh)
    assert rel == "assessments/meeting-recap.toml" and info.created
    assert run(team, "check", "--strict", rel).exit_code in (0, 1)
    assert "0 new, 0 changed" in run(team, "sync").output

    (team / "assessments" / "fraud-alerts.toml").unlink()
    assert "fraud-alerts" not in run(team, "rank").output
    again = store.latest("fraud-alerts").assessment
    rel, _ = ws.save(team, store, again)
    assert rel == "assessments/fraud-alerts.toml"
    assert "fraud-alerts" in run(team, "rank").output


# ------------------------------------------------------------------ import


def test_import_in_a_workspace_copies_the_files_and_syncs(team, tmp_path):
    outside = tmp_path / "incoming"
    outside.mkdir()
    shutil.copy(SAMPLES / "meeting-recap.toml", outside / "recap.toml")
    text = COMMENT + (outside / "recap.toml").read_text(encoding="utf-8")
    (outside / "recap.toml").write_text(text, encoding="utf-8")
    dry = run(team, "import", "--dry-run", str(outside))
    assert dry.exit_code == 0 and "would be copied" in dry.output
    assert not (team / "assessments" / "recap.toml").exists()
    result = run(team, "import", str(outside))
    assert result.exit_code == 0, result.output
    assert "1 file copied: assessments/recap.toml" in result.output
    assert (team / "assessments" / "recap.toml").read_text(encoding="utf-8") == text
    assert "meeting-recap" in run(team, "rank").output


def test_import_refuses_an_id_another_file_holds_and_copies_nothing(team, tmp_path):
    outside = tmp_path / "incoming"
    outside.mkdir()
    shutil.copy(SAMPLES / "support-bot.toml", outside / "bot-v2.toml")
    shutil.copy(SAMPLES / "meeting-recap.toml", outside / "meeting-recap.toml")
    result = run(team, "import", str(outside))
    assert result.exit_code == 2
    assert "'support-bot' is already held by assessments/support-bot.toml" in result.output
    assert not (team / "assessments" / "meeting-recap.toml").exists()
    own = run(team, "import", "assessments")
    assert own.exit_code == 0 and "nothing to copy" in own.output


# ------------------------------------------------------------------ the app


@pilot_test
async def test_the_apps_save_writes_the_file_and_it_re_imports_unchanged(team, monkeypatch):
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())
    assert run(team, "sync").exit_code == 0
    path = team / "assessments" / "support-bot.toml"
    before = path.read_text(encoding="utf-8")
    db = team / ".aipm" / "workbench.duckdb"
    app = make_app(db, today=TODAY, workspace=team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        original = app.store.latest("support-bot").assessment
        screen = WizardScreen.edit(original, TODAY)
        app.push_screen(screen)
        await settle(pilot)
        field_at(screen, "feature.owner").focus_control()
        await pilot.press("ctrl+u", *"Ana Lima")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, WizardScreen))
        assert any("Wrote assessments/support-bot.toml" in n.message for n in app._notifications)
    after = path.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [f'-owner = "{original.feature.owner}"',
                                            '+owner = "Ana Lima"']  # fmt: skip
    store = Store(db)
    assert to_data(read_assessment(path)) == to_data(store.latest("support-bot").assessment)
    revisions = len(store.history("support-bot"))
    assert "0 new, 0 changed" in run(team, "sync").output
    assert len(Store(db).history("support-bot")) == revisions


@pilot_test
async def test_a_new_feature_suggests_gits_user_name_as_owner_never_as_decider(team):
    git(team, "config", "user.name", "Priya Natarajan")
    app = make_app(team / ".aipm" / "workbench.duckdb", today=TODAY, workspace=team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WizardScreen))
        await settle(pilot)
        screen = app.screen
        assert screen.data["feature"]["owner"] == "Priya Natarajan"
        owner = screen.query_one("#feature-owner", Input)
        assert owner.value == "Priya Natarajan"
        assert "Suggested from git's user.name" in screen_text(app)
        screen.ensure_decision()
        assert not screen.data["decision"].get("decided_by")


@pilot_test
async def test_outside_a_workspace_no_owner_is_suggested(tmp_path):
    app = make_app(tmp_path / "w.duckdb", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WizardScreen))
        await settle(pilot)
        assert not app.screen.data["feature"].get("owner")


@pilot_test
async def test_r_reads_the_workspaces_files_again(team):
    assert run(team, "sync").exit_code == 0
    app = make_app(team / ".aipm" / "workbench.duckdb", today=TODAY, workspace=team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Meeting" not in screen_text(app)
        shutil.copy(SAMPLES / "meeting-recap.toml", team / "assessments" / "meeting-recap.toml")
        await pilot.press("r")
        await wait_until(pilot, lambda: "Automatic meeting recaps" in screen_text(app))
        assert any("1 new" in n.message for n in app._notifications)


@pilot_test
async def test_an_observation_recorded_in_the_app_travels_in_the_csv(team):
    from aipm_workbench.ui.screens.detail import FeatureDetailScreen

    assert run(team, "sync").exit_code == 0
    app = make_app(team / ".aipm" / "workbench.duckdb", today=TODAY, workspace=team)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(FeatureDetailScreen("support-bot"))
        await settle(pilot)
        await pilot.press("o", *"0.5", "enter")  # the first observable metric, today
        await wait_until(pilot, lambda: any("Recorded" in n.message for n in app._notifications))
    text = (team / "observations" / "support-bot.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("feature,metric,value,observed_on")
    [row] = text.splitlines()[1:]
    assert row.startswith("support-bot,") and f",0.5,{TODAY.isoformat()}" in row
    assert "0 new, 0 changed" in run(team, "sync").output


# ------------------------------------------------------------------ demo


def test_demo_team_makes_a_workspace_of_the_samples_that_saves_write(tmp_path):
    folder = tmp_path / "team"
    result = run(tmp_path, "demo", "--team", str(folder))
    assert result.exit_code == 0, result.output
    assert "call-summaries" in result.stdout  # ranked, since no terminal
    files = sorted(p.name for p in (folder / "assessments").glob("*.toml"))
    assert files == sorted(p.name for p in SAMPLES.glob("*.toml"))
    assert "A  assessments/support-bot.toml" in git(folder, "status", "--short")
    due = run(folder, "due")
    assert "support-bot: reopened" in due.output  # the sample observations came along
    decided = run(
        folder, "decide", "support-bot", "--verdict", "hold", "--by", "Ana Lima",
        "--rationale", "The handoff test failed",
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    assert "assessments/support-bot.toml" in git(folder, "diff", "--name-only")
    again = run(tmp_path, "demo", "--team", str(folder))
    assert again.exit_code == 2 and "is not empty" in again.output


def test_a_bad_file_is_never_overwritten_by_a_save(team):
    assert run(team, "sync").exit_code == 0
    path = team / "assessments" / "fraud-alerts.toml"
    bad = path.read_text(encoding="utf-8").replace("[feature]", "<<<<<<< HEAD\n[feature]", 1)
    path.write_text(bad, encoding="utf-8")
    result = run(
        team, "decide", "fraud-alerts", "--verdict", "hold", "--by", "Ana Lima",
        "--rationale", "Waiting",
    )  # fmt: skip
    assert result.exit_code == 2
    assert (
        "aipm-workbench: assessments/fraud-alerts.toml:4: unresolved merge conflict"
        in result.output
    )
    assert "fix the file first" in result.output
    assert "nothing was decided" in result.output
    assert path.read_text(encoding="utf-8") == bad


def test_a_json_file_is_left_as_written_when_a_save_changes_nothing_in_it(team):
    from aipm_workbench.domain.files import dump_json

    assessment = read_assessment(SAMPLES / "meeting-recap.toml")
    path = team / "assessments" / "meeting-recap.json"
    written = dump_json(assessment).replace("\n  ", "\n    ")  # another indentation
    path.write_text(written, encoding="utf-8")
    assert run(team, "sync").exit_code == 0
    store = index(team)
    rel, _ = ws.save(team, store, store.latest("meeting-recap").assessment)
    assert rel is None  # nothing written
    assert path.read_text(encoding="utf-8") == written
    changed = store.latest("meeting-recap").assessment
    changed.feature.owner = "Sam Okafor"
    rel, _ = ws.save(team, store, changed)
    assert rel == "assessments/meeting-recap.json"
    assert read_assessment(path).feature.owner == "Sam Okafor"
