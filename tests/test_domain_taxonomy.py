"""DOMAIN.md section 2: the built-in taxonomy, and replacing it with an organisation's own."""

from __future__ import annotations

import pytest

from aipm_workbench.domain import InvalidInput, builtin_taxonomy, load_taxonomy, parse_assessment

DOMAIN_IDS = [
    "injury.physical",
    "injury.psychological",
    "services.opportunity",
    "services.economic",
    "rights.dignity",
    "rights.liberty",
    "rights.privacy",
    "rights.discrimination",
    "society.misinformation",
    "society.manipulation",
    "society.toxicity",
    "society.cohesion",
    "society.environment",
    "org.legal",
    "org.reputation",
    "org.trust",
    "security.misuse",
]

# The cause domains of the MIT AI Risk Repository's domain taxonomy (1.1-7.6).
MIT_CODES = {
    *(f"1.{i}" for i in range(1, 4)),
    *(f"2.{i}" for i in range(1, 3)),
    *(f"3.{i}" for i in range(1, 3)),
    *(f"4.{i}" for i in range(1, 4)),
    *(f"5.{i}" for i in range(1, 3)),
    *(f"6.{i}" for i in range(1, 7)),
    *(f"7.{i}" for i in range(1, 7)),
}


def test_builtin_taxonomy_has_exactly_the_17_domain_ids():
    tax = builtin_taxonomy()
    assert sorted(tax.ids()) == sorted(DOMAIN_IDS)
    assert len(tax.ids()) == 17
    assert tax.ref == "builtin/1"


@pytest.mark.parametrize("type_id", DOMAIN_IDS)
def test_each_builtin_type_is_documented(type_id):
    tax = builtin_taxonomy()
    t = tax.get(type_id)
    assert t is not None
    assert t.label.strip() and len(t.description) > 40
    assert 2 <= len(t.questions) <= 3
    assert all(q.strip().endswith("?") for q in t.questions)
    assert len(t.example) > 40
    assert t.mit_cause is None or t.mit_cause in MIT_CODES
    fam = tax.family(t.family)
    assert fam is not None and type_id.startswith(fam.id + ".")
    assert t in tax.types_in(fam.id)


REPLACEMENT = """
id = "acme"
version = 3
name = "Acme harms"

[[families]]
id = "people"
label = "People"

[[types]]
id = "people.upset"
family = "people"
label = "Upset"
description = "Someone is upset."
questions = ["Who could be upset?"]
"""


def _assessment(harm_type: str) -> dict:
    return {
        "format": "aipm-assessment/1",
        "feature": {"id": "f", "name": "F"},
        "harms": [
            {
                "id": "h",
                "type": harm_type,
                "source": "misuse",
                "statement": "s",
                "severity": 1,
                "likelihood": 1,
                "reversibility": 1,
                "detectability": 1,
            }
        ],
    }


def test_a_replacement_taxonomy_loads_and_is_used_to_check_harm_types(tmp_path):
    path = tmp_path / "acme.toml"
    path.write_text(REPLACEMENT, encoding="utf-8")
    tax = load_taxonomy(path)
    assert tax.ref == "acme/3"
    assert tax.ids() == ["people.upset"]
    assert (
        parse_assessment(_assessment("people.upset"), "a.toml", tax).harms[0].type == "people.upset"
    )
    with pytest.raises(InvalidInput) as exc:
        parse_assessment(_assessment("rights.privacy"), "a.toml", tax)
    assert exc.value.problems[0].startswith("harms[0].type: 'rights.privacy'")
    assert "acme/3" in exc.value.problems[0]


def test_unknown_builtin_type_suggests_the_nearest_one():
    with pytest.raises(InvalidInput) as exc:
        parse_assessment(_assessment("rights.privcy"), "a.toml")
    (problem,) = exc.value.problems
    assert problem.startswith("harms[0].type:")
    assert "'rights.privacy'" in problem


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (REPLACEMENT.replace('label = "Upset"\n', ""), "types[0].label"),
        (
            REPLACEMENT.replace('questions = ["Who could be upset?"]', "questions = []"),
            "types[0].questions",
        ),
        (REPLACEMENT.replace("version = 3", 'version = "three"'), "version"),
        (REPLACEMENT.replace('family = "people"', 'family = "animals"'), "types[0].family"),
        (REPLACEMENT + 'colour = "red"\n', "types[0].colour"),
        (REPLACEMENT.replace('id = "people.upset"', 'id = "Upset"'), "types[0].id"),
    ],
)
def test_a_broken_taxonomy_names_the_field(tmp_path, broken, field):
    path = tmp_path / "broken.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        load_taxonomy(path)
    assert exc.value.source == str(path)
    assert any(field in p for p in exc.value.problems), exc.value.problems
    assert all(line.startswith(f"{path}: ") for line in exc.value.lines())


@pytest.mark.parametrize("content", [b"id = ", b"\xff\xfe\x00binary"])
def test_an_unreadable_taxonomy_is_invalid_input(tmp_path, content):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidInput):
        load_taxonomy(path)
    with pytest.raises(InvalidInput):
        load_taxonomy(tmp_path / "missing.toml")
