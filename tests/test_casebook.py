"""The incident casebook: the shipped data validates, and `aipm-workbench incidents` as a
user runs it (text at 80 columns, the JSON shape, search ranking, --type, unknown ids)."""

from __future__ import annotations

import copy
import datetime
import json
import re
import tomllib
from importlib import resources

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import InvalidInput, builtin_taxonomy
from aipm_workbench.domain.casebook import (
    SCALE_NAMES,
    Casebook,
    builtin_casebook,
    parse_casebook,
    query_words,
)
from aipm_workbench.domain.vocab import FallbackKind, Source, Stage

JSON_FIELDS = {
    "id": str,
    "title": str,
    "year": int,
    "organisation": str,
    "system": str,
    "account": str,
    "harm_types": list,
    "primary_harm": str,
    "source": str,
    "missing_fallbacks": list,
    "stage": str,
    "before_launch": str,
    "severity": int,
    "likelihood": int,
    "reversibility": int,
    "detectability": int,
    "reasons": dict,
    "sources": list,
}

# A source names an AI Incident Database number, a court case, a regulator's decision or
# a named report, and always a year.
YEAR_IN_SOURCE = re.compile(r"\((?:[^()]*\b)?(19[5-9]\d|20\d\d)\)\s*$")


def raw_data() -> dict:
    text = resources.files("aipm_workbench.domain").joinpath("data/incidents.toml").read_text()
    return tomllib.loads(text)


def run(*args: str):
    return CliRunner().invoke(main, ["incidents", *args])


# --- the shipped casebook -------------------------------------------------------------


def test_casebook_loads_with_at_least_40_cases_and_unique_ids():
    casebook = builtin_casebook()
    ids = casebook.ids()
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids)


def test_every_case_is_complete_and_consistent():
    taxonomy_ids = set(builtin_taxonomy().ids())
    this_year = datetime.date.today().year
    for case in builtin_casebook():
        where = case.id
        assert 1980 <= case.year <= this_year, where
        assert set(case.harm_types) <= taxonomy_ids, where
        assert case.primary_harm in case.harm_types, where
        for name in SCALE_NAMES:
            assert 1 <= getattr(case, name) <= 5, (where, name)
            reason = getattr(case.reasons, name)
            assert reason.strip() and "\n" not in reason, (where, name)
            assert len(reason) <= 100, (where, name, "a reason is one line")
        assert case.sources, where
        for source in case.sources:
            assert YEAR_IN_SOURCE.search(source), (where, source)
        assert len(case.account.split()) >= 30, (where, "account too thin")
        assert len(case.before_launch.split()) >= 15, where
        assert case.stage in {Stage.prototype, Stage.beta, Stage.launched, Stage.retired}


def test_the_casebook_covers_the_field():
    cases = list(builtin_casebook())
    covered = {t for c in cases for t in c.harm_types}
    assert len(covered) >= 12
    assert {k for c in cases for k in c.missing_fallbacks} == set(FallbackKind)
    assert {c.source for c in cases} == set(Source)
    years = sorted(c.year for c in cases)
    assert years[0] < 1990 and sum(y < 2000 for y in years) >= 2, "decades-old cases"
    assert sum(y >= 2023 for y in years) >= 8, "generative-AI era cases"


def test_cases_the_field_expects_are_present():
    ids = set(builtin_casebook().ids())
    for expected in (
        "therac-25-overdoses",
        "st-georges-admissions",
        "dutch-childcare-benefits",
        "robodebt",
        "michigan-midas",
        "amazon-recruiting-tool",
        "compas-recidivism",
        "robert-williams-arrest",
        "uber-tempe-fatality",
        "microsoft-tay",
        "air-canada-chatbot",
        "mata-v-avianca",
        "knight-capital-2012",
    ):
        assert expected in ids


def test_aiid_numbers_are_cited_in_one_form():
    for case in builtin_casebook():
        for source in case.sources:
            if "Incident Database" in source:
                assert re.fullmatch(r"AI Incident Database incident \d+ \(\d{4}\)", source)


# --- validation names the problem by path ---------------------------------------------


def test_unknown_type_and_wrong_primary_are_named_by_path():
    data = raw_data()
    broken = copy.deepcopy(data)
    broken["incidents"][2]["harm_types"][1] = "rights.nonsense"
    with pytest.raises(InvalidInput) as exc:
        parse_casebook(broken, "cases.toml")
    assert any(p.startswith("incidents[2].harm_types[1]:") for p in exc.value.problems)

    broken = copy.deepcopy(data)
    broken["incidents"][0]["primary_harm"] = "society.environment"
    with pytest.raises(InvalidInput) as exc:
        parse_casebook(broken, "cases.toml")
    assert any("primary_harm" in p for p in exc.value.problems)


def test_duplicate_ids_bad_ratings_and_missing_sources_are_rejected():
    data = raw_data()
    broken = copy.deepcopy(data)
    broken["incidents"][1]["id"] = broken["incidents"][0]["id"]
    with pytest.raises(InvalidInput) as exc:
        parse_casebook(broken, "cases.toml")
    assert any("duplicate incident id" in p for p in exc.value.problems)

    broken = copy.deepcopy(data)
    broken["incidents"][0]["severity"] = 6
    broken["incidents"][0]["sources"] = []
    del broken["incidents"][0]["reasons"]["likelihood"]
    with pytest.raises(InvalidInput) as exc:
        parse_casebook(broken, "cases.toml")
    text = "\n".join(exc.value.problems)
    assert "incidents[0].severity" in text
    assert "incidents[0].sources" in text
    assert "incidents[0].reasons.likelihood" in text


# --- search ---------------------------------------------------------------------------


def _case(id_, title, organisation="Org", account="Nothing of note happened here.", types=None):
    types = types or ["org.trust"]
    return {
        "id": id_,
        "title": title,
        "year": 2020,
        "organisation": organisation,
        "system": "A system",
        "stage": "launched",
        "source": "system_error",
        "harm_types": types,
        "primary_harm": types[0],
        "missing_fallbacks": ["monitor"],
        "severity": 3,
        "likelihood": 3,
        "reversibility": 3,
        "detectability": 3,
        "reasons": {n: "Because." for n in SCALE_NAMES},
        "sources": ["A named report (2020)"],
        "account": account,
        "before_launch": "A feature.",
    }


def hand_made() -> Casebook:
    return parse_casebook(
        {
            "incidents": [
                _case("mention", "A loan model", account="A chatbot was mentioned once."),
                _case("both", "Chatbot leaks privacy data", types=["rights.privacy"]),
                _case("title-only", "A chatbot misbehaves"),
                _case("type-only", "Records exposed", types=["rights.privacy"]),
                _case("org-only", "Something else", organisation="Chatbot Corp"),
                _case("unrelated", "Trading glitch"),
            ]
        },
        "hand-made",
    )


def test_search_ranks_by_words_matched_then_where_they_matched():
    hits = hand_made().search("Chatbot PRIVACY")
    order = [h.incident.id for h in hits]
    # Both words first; then a title match (8) beats a type match (5), an organisation
    # match (4) and a mention in the account (1); unrelated cases are left out.
    assert order == ["both", "title-only", "type-only", "org-only", "mention"]
    assert hits[0].matched == 2


def test_search_matches_word_starts_case_insensitively_and_ignores_stop_words():
    casebook = hand_made()
    assert [h.incident.id for h in casebook.search("chat")][:1] == ["both"]
    assert casebook.search("bot") == []  # inside a word, not at its start
    assert query_words("The chatbot and the PRIVACY of it") == ["chatbot", "privacy"]
    assert casebook.search("the of and") == []


def test_search_of_the_shipped_casebook_finds_the_expected_cases():
    hits = [h.incident.id for h in builtin_casebook().search("facial recognition arrest")]
    assert hits[0] == "robert-williams-arrest"
    assert "rite-aid-face-recognition" in hits


# --- the command ----------------------------------------------------------------------


def test_list_as_text_fits_80_columns_and_ends_with_a_count():
    result = run()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    n = len(builtin_casebook())
    assert lines[-1].startswith(f"{n} of {n} incidents.")
    assert "therac-25-overdoses (1985)  Therac-25 radiation therapy overdoses" in lines
    assert "  types: injury.physical*, org.trust" in lines


def test_one_case_in_full_as_text():
    result = run("microsoft-tay")
    assert result.exit_code == 0, result.output
    out = result.output
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out.startswith("Microsoft's Tay chatbot learns hate speech in a day (2016)\n")
    assert "Harm types: society.toxicity (primary), rights.dignity, org.reputation" in out
    assert "Fallbacks missing or failed: block, monitor" in out
    assert "\nWhat happened\n" in out and "\nBefore launch, as pitched\n" in out
    assert "  Severity       3 (substantial: material loss, distress)" in out
    assert "Reference tier: Medium" in out
    assert "  - AI Incident Database incident 6 (2016)" in out


def test_json_list_has_every_field_with_its_type():
    result = run("--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert isinstance(data, list) and len(data) == len(builtin_casebook())
    for obj in data:
        assert list(obj) == list(JSON_FIELDS)
        for field, kind in JSON_FIELDS.items():
            assert type(obj[field]) is kind, (obj["id"], field)
        assert set(obj["reasons"]) == set(SCALE_NAMES)
        assert all(isinstance(v, str) and v for v in obj["reasons"].values())
        assert all(isinstance(s, str) for s in obj["sources"] + obj["harm_types"])
        assert obj["source"] in {s.value for s in Source}
        assert set(obj["missing_fallbacks"]) <= {k.value for k in FallbackKind}
        assert "\n" not in obj["account"]


def test_json_of_one_case_is_one_object():
    result = run("uber-tempe-fatality", "--format", "json")
    assert result.exit_code == 0
    obj = json.loads(result.output)
    assert obj["id"] == "uber-tempe-fatality"
    assert obj["year"] == 2018 and obj["primary_harm"] == "injury.physical"
    assert obj["severity"] == 5
    assert "AI Incident Database incident 4 (2018)" in obj["sources"]


def test_type_filter_lists_only_cases_of_that_type_primary_first():
    result = run("--type", "rights.privacy", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data and all("rights.privacy" in obj["harm_types"] for obj in data)
    primaries = [obj["primary_harm"] == "rights.privacy" for obj in data]
    assert primaries == sorted(primaries, reverse=True)
    expected = {c.id for c in builtin_casebook() if "rights.privacy" in c.harm_types}
    assert {obj["id"] for obj in data} == expected


def test_search_and_type_combine_and_rank():
    result = run("--search", "chatbot", "--type", "society.misinformation", "--format", "json")
    assert result.exit_code == 0
    ids = [obj["id"] for obj in json.loads(result.output)]
    assert ids and "air-canada-chatbot" in ids and "nyc-mycity-chatbot" in ids
    assert "microsoft-tay" not in ids  # a chatbot, but not misinformation
    text = run("--search", "zzyzx quux")
    assert text.exit_code == 0 and text.output.strip() == "No incidents match."


def test_unknown_id_exits_2_with_the_closest_ids():
    result = run("tay")
    assert result.exit_code == 2
    assert "unknown incident id 'tay'" in result.output
    assert "closest: microsoft-tay" in result.output

    result = run("uber-tempe", "--format", "json")
    assert result.exit_code == 2
    assert "uber-tempe-fatality" in result.output


def test_bad_usage_exits_2_with_a_message():
    result = run("--type", "privacy")
    assert result.exit_code == 2
    assert "unknown harm type 'privacy'; closest: rights.privacy" in result.output
    assert run("microsoft-tay", "--type", "rights.privacy").exit_code == 2
    assert run("--search", "the").exit_code == 2


def test_text_output_is_made_safe():
    hostile = _case("evil", "Title \x1b]0;pwned\x07 with \u202e override")
    casebook = parse_casebook({"incidents": [hostile]}, "hostile")
    from aipm_workbench.cli.incidents import describe, summary

    text = "\n".join(summary(casebook.get("evil")) + describe(casebook.get("evil")))
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\x1b" in text and "<U+202E>" in text
