"""Decision records from the built-in template: structure, content, hostile user text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)
from markdown_check import assert_no_markup_from_text, inline_text, parse

from aipm_workbench.domain import evaluate, iter_assessment_paths, parse_assessment, read_assessment
from aipm_workbench.render import Renderer, record_context
from aipm_workbench.render.markdown import clean

SECTIONS = [
    "Context",
    "Harms",
    "People harmed",
    "Fallbacks",
    "Metrics",
    "Hypotheses",
    "Premortem",
    "Verdict",
    "What would change the verdict",
    "Findings",
    "Next review",
    "About this record",
]
FRONT_MATTER_KEYS = [
    "status",
    "date",
    "decision-makers",
    "verdict",
    "recommended-verdict",
    "feature",
    "revision",
    "supersedes",
    "superseded-by",
    "decision-state",
]


@dataclass(frozen=True)
class Info:
    """A stored revision's info, as the store gives it."""

    number: int
    saved_at: dt.datetime = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    changes: list[str] = field(default_factory=lambda: ["first revision"])
    verdict: str | None = None
    decided_on: dt.date | None = None


def render(assessment, number=1, decided=(), latest=None, renderer=None) -> str:
    ev = evaluate(assessment, TODAY)
    ctx = record_context(ev, Info(number), list(decided), latest_revision=latest or number)
    return (renderer or Renderer()).decision_record(ctx)


# The widest a record's table cell may be: ratings, tiers, ids and dates, never prose,
# so a table stays readable in the app's record view at 80 columns.
CELL_WIDTH = 50


def assert_tables_fit(parsed) -> None:
    for table in parsed.tables:
        for row in table.rows:
            for cell in row:
                for line in cell.split("\n"):
                    assert len(line) <= CELL_WIDTH, f"a long cell in a table: {cell!r}"


def all_text(parsed) -> str:
    return "\n".join(inline_text(t) for t in parsed.tokens if t.type == "inline")


# ------------------------------------------------------------ sample projects


@pytest.mark.parametrize(
    "path", list(iter_assessment_paths(["sample_projects"])), ids=lambda p: p.stem
)
def test_every_sample_record_is_valid_markdown_with_intact_tables(path):
    a = read_assessment(path)
    parsed = parse(render(a))
    fm = parsed.front_matter
    assert list(fm) == FRONT_MATTER_KEYS
    assert fm["feature"] == a.feature.id and fm["revision"] == 1
    assert fm["status"] == (a.decision.status.value if a.decision else "proposed")
    assert fm["verdict"] == (a.decision.verdict.value if a.decision else None)
    assert fm["recommended-verdict"] == evaluate(a, TODAY).recommended.value
    assert parsed.headings[0] == (1, f"ADR {a.feature.id}-r1: {a.feature.name}")
    level2 = [h for lvl, h in parsed.headings if lvl == 2]
    expected = [s for s in SECTIONS if s != "People harmed" or a.harms]
    assert level2 == expected
    harms = parsed.table_after("Harms")
    assert [r[0] for r in harms.rows] == [h.id for h in a.harms]
    assert harms.header == ["Harm", "Before fallbacks", "After fallbacks"]
    assert_tables_fit(parsed)
    assert_no_markup_from_text(parsed)


def test_call_summaries_record_reads_as_a_decision(sample_projects):
    a = read_assessment(sample_projects / "call-summaries.toml")
    parsed = parse(render(a, number=3, decided=[Info(1), Info(3)]))
    text = all_text(parsed)
    summary = inline_text(
        parsed.tokens[[t.type for t in parsed.tokens].index("paragraph_open") + 1]
    )
    assert summary.startswith(
        "Decision: kill. On 2026-03-18, Dana Reyes and Miriam Castellanos decided to kill "
        "Voice summaries for recorded calls (concept stage, reaching 1,400,000 monthly users "
        "who record calls)."
    )
    assert "The workbench recommends kill: harm privileged-calls is still Critical" in summary
    harms = parsed.table_after("Harms")
    assert harms.rows[0] == [
        "privileged-calls",
        "5/3/5/4, Critical (C1), RPN 300",
        "5/2/5/4, Critical (C1), RPN 200",
    ]
    assert "low: 1,400,000 x 0.002 x 0.3 x 0.01 = 8.4 people" in text
    assert "high: 1,400,000 x 0.01 x 0.6 x 0.05 = 420 people" in text
    assert parsed.front_matter["supersedes"] == "call-summaries-r1"
    assert parsed.front_matter["superseded-by"] is None
    assert parsed.front_matter["decision-makers"] == ["Dana Reyes", "Miriam Castellanos"]
    metrics = parsed.table_after("Metrics")
    assert {r[3] for r in metrics.rows} == {"yes, 26 days before"}
    assert (
        "lower severity of harm privileged-calls from 5 to 4 and the verdict becomes hold" in text
    )
    assert "Review by 2027-03-18, set by the decision." in text


# ------------------------------------------------------------ record content


def _base(**over) -> dict:
    data = {
        "format": "aipm-assessment/1",
        "feature": {"id": "feat", "name": "A feature", "population": 1_000_000},
        "harms": [
            {
                "id": "leak",
                "type": "rights.privacy",
                "source": "system_error",
                "statement": "If it leaks, people are exposed.",
                "severity": 4,
                "likelihood": 3,
                "reversibility": 4,
                "detectability": 4,
                "exposure": {
                    "high_risk_share": [0.001, 0.002],
                    "exposed_share": [0.05, 0.1],
                    "harmed_share": [0.1, 0.2],
                },
                "residual": {"likelihood": 1, "detectability": 2},
            }
        ],
        "fallbacks": [
            {
                "id": "review-queue",
                "covers": ["leak"],
                "kind": "human_review",
                "trigger": "Low confidence",
                "action": "A person checks it",
                "tested_on": dt.date(2026, 1, 5),
                "requests_per_day": 10_000,
                "share_below_threshold": 0.05,
                "reviewer_capacity_per_day": 400,
            }
        ],
        "metrics": [
            {
                "name": "Leak rate",
                "kind": "guardrail",
                "target": "0",
                "decided_on": dt.date(2026, 2, 20),
            }
        ],
        "premortem": [{"failure": "It leaked.", "signal": "Complaints"}],
    }
    data.update(over)
    return data


def test_exposure_arithmetic_is_written_out():
    parsed = parse(render(parse_assessment(_base(), "t.toml")))
    text = all_text(parsed)
    assert "low: 1,000,000 x 0.001 x 0.05 x 0.1 = 5 people" in text
    assert "high: 1,000,000 x 0.002 x 0.1 x 0.2 = 40 people" in text
    assert "In total: 5-40 people a month, the sum over every harm." in text


def test_review_load_against_capacity_is_shown():
    text = all_text(parse(render(parse_assessment(_base(), "t.toml"))))
    assert (
        "review-queue: 10,000 requests a day x 5% below the threshold = 500 reviews a day, "
        "over a capacity of 400 by 100 (over capacity)"
    ) in text


def test_an_undecided_feature_is_a_proposed_record():
    parsed = parse(render(parse_assessment(_base(), "t.toml")))
    fm = parsed.front_matter
    assert fm["status"] == "proposed" and fm["verdict"] is None and fm["decision-makers"] == []
    text = all_text(parsed)
    assert "Proposed, not yet decided." in text
    assert "Chosen: not decided yet" in text
    assert "Not set: a review date is set when the decision is recorded." in text


def test_an_override_without_rationale_says_so():
    decision = {"verdict": "ship", "status": "accepted", "decided_on": dt.date(2026, 3, 1)}
    parsed = parse(render(parse_assessment(_base(decision=decision), "t.toml")))
    text = all_text(parsed)
    assert "This overrides the workbench's recommendation to hold" in text
    assert "no rationale was recorded for the override" in text
    assert (
        "None recorded: an override needs a rationale and at least one decider (finding F07)."
        in text
    )
    assert [h for lvl, h in parsed.headings if lvl == 3 and "rationale" in h.lower()] == [
        "Override rationale"
    ]


def test_an_override_with_rationale_prints_it():
    decision = {
        "verdict": "ship",
        "status": "accepted",
        "rationale": "Legal signed off.\n\nThe queue gets two more reviewers.",
        "decided_by": ["Ana"],
        "decided_on": dt.date(2026, 3, 1),
    }
    parsed = parse(render(parse_assessment(_base(decision=decision), "t.toml")))
    text = all_text(parsed)
    assert "Legal signed off.\nThe queue gets two more reviewers." in text
    assert "Chosen: ship (accepted on 2026-03-01 by Ana)" in text
    assert "Override: the chosen verdict differs from the recommendation." in text


def test_a_defaulted_and_overdue_review_date_is_explained():
    decision = {
        "verdict": "hold",
        "status": "accepted",
        "rationale": "Wait.",
        "decided_by": ["Ana"],
        "decided_on": dt.date(2026, 3, 1),
    }
    text = all_text(parse(render(parse_assessment(_base(decision=decision), "t.toml"))))
    # The worst residual tier is High (S=4 and R=4 after fallbacks): decision date + 30 days.
    assert (
        "Review by 2026-03-31, a default: the decision date + 30 days because the worst "
        "residual tier is High (no review date was set)."
    ) in text
    assert (
        "Overdue by 242 days on 2026-11-28: revisit the decision and save a new revision." in text
    )
    assert "The review was due on 2026-03-31 and is overdue by 242 days." in text


def test_metrics_decided_after_the_decision_are_marked():
    decision = {"verdict": "hold", "decided_on": dt.date(2026, 2, 17)}
    parsed = parse(render(parse_assessment(_base(decision=decision), "t.toml")))
    assert parsed.table_after("Metrics").rows[0][2:] == ["2026-02-20", "no, 3 days after"]


def test_empty_sections_say_none_recorded():
    data = _base(harms=[], fallbacks=[], metrics=[], premortem=[])
    parsed = parse(render(parse_assessment(data, "t.toml")))
    text = all_text(parsed)
    for line in (
        "None recorded. A feature without harms cannot be judged",
        "None recorded: the product has no designed response when a harm happens.",
        "None recorded: no metric says what good looks like.",
        "None recorded: nobody has written down how this could fail.",
        "No fallback routes work to human reviewers.",
    ):
        assert line in text
    assert "People harmed" not in [h for _, h in parsed.headings]


def test_hypotheses_show_falsification_check_date_and_status():
    hyps = [
        {
            "id": "saves-time",
            "statement": "Saves time.",
            "falsified_if": "Under 3 minutes saved",
            "check_by": dt.date(2026, 6, 30),
        },
        {"id": "liked", "statement": "People like it.", "status": "supported"},
    ]
    parsed = parse(render(parse_assessment(_base(hypotheses=hyps), "t.toml")))
    rows = parsed.table_after("Hypotheses").rows
    assert rows[0] == ["saves-time", "2026-06-30", "open (check overdue)"]
    assert rows[1] == ["liked", "not set", "supported"]
    text = all_text(parsed)
    assert "saves-time: Saves time.\nFalsified if: Under 3 minutes saved" in text
    assert "liked: People like it.\nFalsified if: not stated" in text


def test_supersedes_and_superseded_by_both_say_so():
    decision = {
        "verdict": "hold",
        "rationale": "x",
        "decided_by": ["A"],
        "decided_on": dt.date(2026, 3, 1),
    }
    a = parse_assessment(_base(decision=decision), "t.toml")
    older = parse(render(a, number=2, decided=[Info(2), Info(5)], latest=6))
    newer = parse(render(a, number=5, decided=[Info(2), Info(5)], latest=6))
    assert older.front_matter["status"] == "superseded"
    assert older.front_matter["superseded-by"] == "feat-r5"
    assert older.front_matter["supersedes"] is None
    assert "Superseded. A later decision, feat-r5 (revision 5), replaces this one." in all_text(
        older
    )
    assert newer.front_matter["supersedes"] == "feat-r2"
    assert newer.front_matter["superseded-by"] is None
    assert newer.front_matter["status"] == "accepted" or newer.front_matter["status"] == "proposed"
    assert "Revision 6 of this feature has been saved but not decided" in all_text(newer)


# ------------------------------------------------------------- hostile text

HOSTILE = (
    "Pipe | tick ` ``x`` #tag\n# heading\n{{ 7*7 }} {% if true %}yes{% endif %} "
    "<b>x</b> <script>alert(1)</script> *em* _u_ [l](http://e.com) ![i](x.png) &copy;\n\n"
    "- item\n1. one\n> quote\n    code\n```\nfence\n---\n| a | b |\n|---|---|\n"
    "😀👩‍👩‍👧 مرحبا بالعالم עברית \u202eevil \\ " + "long " * 400
)


def hostile_data() -> dict:
    def h(name: str) -> str:
        return f"{name}: {HOSTILE}"

    return {
        "format": "aipm-assessment/1",
        "taxonomy": "builtin/1",
        "feature": {
            "id": "hostile",
            "name": h("name"),
            "owner": h("owner"),
            "description": h("description"),
            "population": 1_000_000,
            "population_unit": h("unit"),
        },
        "harms": [
            {
                "id": f"harm-{i}",
                "type": "rights.privacy",
                "source": "misuse",
                "statement": h(f"statement{i}"),
                "affected": h(f"affected{i}"),
                "severity": 4,
                "likelihood": 3,
                "reversibility": 4,
                "detectability": 4,
                "rationale": h(f"rationale{i}"),
                "evidence": [h(f"evidence{i}"), h(f"more-evidence{i}")],
                "exposure": {
                    "high_risk_share": [0.001, 0.002],
                    "exposed_share": [0.05, 0.1],
                    "harmed_share": [0.1, 0.2],
                },
                "residual": {"likelihood": 1},
            }
            for i in (1, 2)
        ],
        "fallbacks": [
            {
                "id": "fb",
                "covers": ["harm-1", "harm-2"],
                "kind": "human_review",
                "trigger": h("trigger"),
                "action": h("action"),
                "user_message": h("message"),
                "owner": h("fb-owner"),
                "tested_on": dt.date(2026, 1, 5),
                "requests_per_day": 1000,
                "share_below_threshold": 0.5,
                "reviewer_capacity_per_day": 400,
            }
        ],
        "metrics": [
            {
                "name": h("metric"),
                "kind": "product",
                "target": h("target"),
                "decided_on": dt.date(2026, 2, 20),
            }
        ],
        "hypotheses": [
            {
                "id": "bet",
                "statement": h("hypothesis"),
                "falsified_if": h("falsified"),
                "check_by": dt.date(2027, 1, 1),
            }
        ],
        "premortem": [{"failure": h("failure"), "signal": h("signal")}],
        "decision": {
            "verdict": "ship",
            "status": "accepted",
            "rationale": h("rationale"),
            "decided_by": [h("maker1"), 'O\'Brien: "Q"'],
            "decided_on": dt.date(2026, 3, 1),
            "review_by": dt.date(2026, 6, 1),
        },
    }


def _shown(value: str) -> str:
    lines = [line.strip() for line in clean(value).split("\n")]
    return "\n".join(line for line in lines if line)


def test_hostile_text_in_every_field_keeps_the_record_valid():
    data = hostile_data()
    a = parse_assessment(data, "hostile.toml")
    out = render(a)
    parsed = parse(out)  # checks every table row's cell count against its header
    assert_no_markup_from_text(parsed)

    # The front matter reads back exactly.
    fm = parsed.front_matter
    assert fm["decision-makers"] == data["decision"]["decided_by"]
    assert fm["feature"] == "hostile" and fm["verdict"] == "ship"

    # Only the template's own headings.
    assert [h for lvl, h in parsed.headings if lvl == 2] == SECTIONS
    assert [h for lvl, h in parsed.headings if lvl == 4] == [
        "harm-1: Loss of privacy",
        "harm-2: Loss of privacy",
    ]

    # Tables have the rows they should.
    assert len(parsed.table_after("Harms").rows) == 2
    assert len(parsed.table_after("Fallbacks").rows) == 1
    assert len(parsed.table_after("Metrics").rows) == 1
    assert len(parsed.table_after("Hypotheses").rows) == 1

    # Every field's text is shown literally.
    text = all_text(parsed)
    fields = [
        data["feature"]["owner"],
        data["feature"]["description"],
        data["feature"]["name"],
        *(data["harms"][i][k] for i in (0, 1) for k in ("statement", "affected", "rationale")),
        *(e for harm in data["harms"] for e in harm["evidence"]),
        *(data["fallbacks"][0][k] for k in ("trigger", "action", "user_message", "owner")),
        data["metrics"][0]["name"],
        data["metrics"][0]["target"],
        data["hypotheses"][0]["statement"],
        data["hypotheses"][0]["falsified_if"],
        data["premortem"][0]["failure"],
        data["premortem"][0]["signal"],
        data["decision"]["rationale"],
    ]
    for value in fields:
        assert _shown(value) in text, value[:20]

    # Text that looks like Jinja is printed, never evaluated.
    assert text.count("{{ 7*7 }}") >= len(fields)
    assert "{% if true %}yes{% endif %}" in text
    assert not re.search(r"\b49\b", parsed.html)
    assert "<script>" not in parsed.html and "<b>" not in parsed.html
