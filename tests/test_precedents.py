"""Precedents: a harm's cited casebook incidents, from the file format through
import, export and `check`, and the taxonomy's case counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import read_assessment
from aipm_workbench.domain.casebook import builtin_casebook

ROOT = Path(__file__).resolve().parent.parent

FILE = """\
format = "aipm-assessment/1"

[feature]
id = "chat-memory"
name = "Chat memory"
population = 1000

[[harms]]
id = "privacy"
type = "rights.privacy"
source = "system_error"
statement = "If memory shows one user's chats to another, then users lose privacy."
severity = 4
likelihood = 2
reversibility = 4
detectability = 3
precedents = {precedents}

[[harms]]
id = "slurs"
type = "society.toxicity"
source = "misuse"
statement = "If users teach it slurs, then people are insulted."
severity = 3
likelihood = 3
reversibility = 2
detectability = 2
"""


def write(tmp_path: Path, precedents: list[str], name: str = "chat-memory.toml") -> Path:
    path = tmp_path / name
    path.write_text(FILE.format(precedents=json.dumps(precedents)), encoding="utf-8")
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_a_known_precedent_is_read(tmp_path):
    a = read_assessment(write(tmp_path, ["chatgpt-italy-garante", "clearview-ai-fines"]))
    assert a.harms[0].precedents == ["chatgpt-italy-garante", "clearview-ai-fines"]
    assert a.harms[1].precedents == []


@pytest.mark.parametrize("command", ["check", "import"])
def test_an_unknown_precedent_exits_2_naming_its_path_and_the_closest_ids(
    runner, tmp_path, command
):
    path = write(tmp_path, ["clearview-ai-fines", "chatgpt-italy"])
    args = [command, str(path)]
    if command == "import":
        args += ["--db", str(tmp_path / "w.duckdb")]
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "harms[0].precedents[1]" in result.stderr
    assert "'chatgpt-italy'" in result.stderr
    assert "chatgpt-italy-garante" in result.stderr  # the closest id
    assert "harms[0].precedents[0]" not in result.stderr
    assert "Traceback" not in result.output


def test_a_precedent_that_is_not_a_slug_is_named(runner, tmp_path):
    path = write(tmp_path, ["Not An Id"])
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert "harms[0].precedents[0]" in result.stderr


def test_a_case_cited_twice_by_one_harm_is_named(runner, tmp_path):
    path = write(tmp_path, ["lee-luda-chatbot", "clearview-ai-fines", "lee-luda-chatbot"])
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert "harms[0].precedents[2]: 'lee-luda-chatbot' is cited twice" in result.stderr
    assert "precedents[0]" in result.stderr.split("cited twice")[1]


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_precedents_round_trip_through_import_and_export(runner, tmp_path, fmt):
    cited = ["lee-luda-chatbot", "chatgpt-italy-garante"]
    db = str(tmp_path / "w.duckdb")
    assert runner.invoke(main, ["import", "--db", db, str(write(tmp_path, cited))]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["export", "chat-memory", "--db", db, "--out", str(out), "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    exported = out / f"chat-memory.{fmt}"
    again = read_assessment(exported)
    assert again.harms[0].precedents == cited  # in the order cited
    assert again.harms[1].precedents == []
    # imported back, it is the same assessment: no new revision
    result = runner.invoke(main, ["import", "--db", db, str(exported)])
    assert result.exit_code == 0, result.output
    history = runner.invoke(main, ["history", "chat-memory", "--db", db])
    assert history.exit_code == 0
    assert "r2" not in history.stdout


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_a_file_without_precedents_exports_without_the_key(runner, tmp_path, fmt):
    """No `precedents = []` appears: exported files of assessments that cite no case
    are byte for byte what they were before the field existed."""
    db = str(tmp_path / "w.duckdb")
    samples = ROOT / "sample_projects"
    assert runner.invoke(main, ["import", "--db", db, str(samples)]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(
        main, ["export", "--all", "--db", db, "--out", str(out), "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    files = sorted(out.glob(f"*.{fmt}"))
    assert files
    for path in files:
        assert "precedents" not in path.read_text(encoding="utf-8"), path.name
    # exporting what was exported gives the same bytes
    db2 = str(tmp_path / "w2.duckdb")
    assert runner.invoke(main, ["import", "--db", db2, str(out)]).exit_code == 0
    out2 = tmp_path / "out2"
    result = runner.invoke(
        main, ["export", "--all", "--db", db2, "--out", str(out2), "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    for path in files:
        assert (out2 / path.name).read_bytes() == path.read_bytes(), path.name


def test_taxonomy_counts_the_cases_of_each_type(runner):
    counts = builtin_casebook().counts_by_type()
    result = runner.invoke(main, ["taxonomy", "--format", "json"])
    assert result.exit_code == 0
    types = {t["id"]: t for t in json.loads(result.stdout)["types"]}
    assert types["rights.privacy"]["cases"] == counts["rights.privacy"] == 5
    for type_id, t in types.items():
        assert t["cases"] == len(builtin_casebook().of_type(type_id))
    assert sum(1 for t in types.values() if t["cases"]) >= 12
    text = runner.invoke(main, ["taxonomy"]).stdout
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("rights.privacy:"))
    assert "(5 cases in the casebook)" in line


def test_a_replacement_taxonomy_counts_no_cases_for_its_own_types(runner, tmp_path):
    tax = tmp_path / "acme.toml"
    tax.write_text(
        'id = "acme"\nversion = 2\nname = "Acme"\n[[families]]\nid = "people"\nlabel = "People"\n'
        '[[types]]\nid = "people.upset"\nfamily = "people"\nlabel = "Upset"\n'
        'description = "d"\nquestions = ["q?"]\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["taxonomy", "--taxonomy", str(tax), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["types"][0]["cases"] == 0


def test_records_cite_a_harms_precedents(tmp_path):
    from aipm_workbench.domain import parse_assessment
    from aipm_workbench.domain.casebook import builtin_casebook
    from aipm_workbench.services import records
    from aipm_workbench.storage import Store

    case = builtin_casebook().get("microsoft-tay")
    data = {
        "format": "aipm-assessment/1",
        "feature": {"id": "chat", "name": "Chat"},
        "harms": [
            {
                "id": "learns-hate",
                "type": "society.toxicity",
                "source": "misuse",
                "statement": "If users teach it slurs, then people could read hateful posts.",
                "severity": 3,
                "likelihood": 3,
                "reversibility": 3,
                "detectability": 3,
                "precedents": ["microsoft-tay"],
            }
        ],
    }
    store = Store(tmp_path / "w.duckdb")
    store.save(parse_assessment(data, "chat.toml"))
    (path,) = records.export_records(store, ["chat"], tmp_path / "out")
    text = path.read_text(encoding="utf-8")
    assert "Precedents (from the incident casebook" in text
    assert f"**{case.title}** ({case.year}, `microsoft-tay`" in text
    assert case.sources[0].split(",")[0] in text
