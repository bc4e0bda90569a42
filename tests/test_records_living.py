"""Records, `show` and `history` of decisions that live (DOMAIN.md 8 and 9): the
decision state, stale revisions, supersession by a re-made decision only, and what
the observations said since the decision."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from aipm_workbench.cli import main
from aipm_workbench.domain import Decision, parse_assessment
from aipm_workbench.domain.living import Observation, content_hash
from aipm_workbench.services import records
from aipm_workbench.storage import Store

TODAY = dt.date(2026, 11, 28)
ENV = {"AIPM_WORKBENCH_TODAY": TODAY.isoformat(), "AIPM_WORKBENCH_DB": None}

FEATURE = {
    "format": "aipm-assessment/1",
    "feature": {"id": "bot", "name": "Support bot", "owner": "Dana", "population": 10_000},
    "harms": [
        {
            "id": "wrong-refund",
            "type": "services.economic",
            "source": "system_error",
            "statement": "If the bot promises a refund, then a customer could lose money.",
            "severity": 3,
            "likelihood": 3,
            "reversibility": 3,
            "detectability": 3,
            "exposure": {
                "high_risk_share": [0.1, 0.2],
                "exposed_share": [0.1, 0.2],
                "harmed_share": [0.1, 0.2],
            },
        }
    ],
    "fallbacks": [
        {
            "id": "handoff",
            "covers": ["wrong-refund"],
            "kind": "human_review",
            "trigger": "low confidence",
            "action": "an agent answers",
        }
    ],
    "metrics": [
        {
            "id": "escalation-rate",
            "name": "Escalation rate",
            "kind": "guardrail",
            "target": "below 2%",
            "limit": {"op": "<", "value": 0.02},
            "decided_on": dt.date(2026, 1, 10),
        },
        {
            "id": "latency",
            "name": "Latency",
            "kind": "model",
            "target": "fast",
            "limit": {"op": "<=", "value": 800},
            "unit": "ms",
            "decided_on": dt.date(2026, 1, 10),
        },
        {
            "id": "csat",
            "name": "Satisfaction",
            "kind": "product",
            "target": "above 4",
            "decided_on": dt.date(2026, 1, 10),
        },
    ],
    "hypotheses": [
        {
            "id": "deflects",
            "statement": "The bot deflects tickets.",
            "falsified_if": "satisfaction under 3",
            "check_by": dt.date(2026, 6, 1),
            "test": {"metric": "csat", "op": "<", "value": 3},
        }
    ],
    "premortem": [{"failure": "Refunds promised in error."}],
}


def assessment(feature_id: str = "bot"):
    data = copy.deepcopy(FEATURE)
    data["feature"]["id"] = feature_id
    return parse_assessment(data, f"{feature_id}.toml")


def decided(a, verdict: str, on: dt.date, *, hashed: bool = True, rationale: str = "Guarded."):
    d = Decision(
        verdict=verdict,
        decided_by=["Dana", "Sam"],
        rationale=rationale,
        decided_on=on,
        review_by=dt.date(2027, 6, 1),
        status="accepted",
    )
    out = a.model_copy(update={"decision": d})
    if hashed:
        out = out.model_copy(
            update={"decision": d.model_copy(update={"content_hash": content_hash(out)})}
        )
    return out


def edited(a, severity: int):
    """The same assessment with its harm's severity changed (a material edit)."""
    return a.model_copy(update={"harms": [a.harms[0].model_copy(update={"severity": severity})]})


def front_matter(text: str) -> dict[str, str]:
    head = text.split("---\n")[1]
    return dict(line.split(": ", 1) for line in head.splitlines())


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "w.duckdb")


def stale_feature(store: Store, *, hashed: bool = True):
    """r1 undecided, r2 decided, r3 edits the content under that decision."""
    a = assessment()
    store.save(a)
    r2 = decided(a, "ship_with_guardrails", dt.date(2026, 2, 1), hashed=hashed)
    store.save(r2)
    store.save(edited(r2, 4))


def record(store: Store, revision: int | None = None) -> str:
    return records.record_markdown(store, "bot", revision=revision, today=TODAY)


# ------------------------------------------------------------------ front matter


def test_front_matter_gives_the_decision_state_as_of_the_export_day(store):
    a = assessment()
    store.save(a)
    undecided = record(store)
    assert front_matter(undecided)["decision-state"] == '"undecided"'
    assert "## Since the decision" not in undecided
    store.save(decided(a, "ship_with_guardrails", dt.date(2026, 2, 1)))
    text = record(store)
    assert front_matter(text)["decision-state"] == '"decided"'
    assert "Decision state on 2026-11-28: **decided**." in text
    assert "**decided**: decided 2026-02-01, review by 2027-06-01." in section(
        text, "Since the decision"
    )
    later = records.record_markdown(store, "bot", today=dt.date(2027, 7, 1))
    assert front_matter(later)["decision-state"] == '"expired"'


# ------------------------------------------------------------ stale and standing


@pytest.mark.parametrize("hashed", [True, False], ids=["content-hash", "by-history"])
def test_a_stale_revision_is_proposed_and_lists_the_changes_since_the_standing_decision(
    store, hashed
):
    stale_feature(store, hashed=hashed)
    text = record(store)  # the latest decided revision: r3
    fm = front_matter(text)
    assert fm["revision"] == "3"
    assert fm["status"] == '"proposed"'
    assert fm["decision-state"] == '"stale"'
    assert fm["supersedes"] == "null"
    assert "the decision of bot-r2 still stands" in text
    notes = section(text, "About this record")
    assert "- **Standing decision:** bot-r2" in notes
    assert "  - harm wrong-refund: severity 3 -> 4" in notes

    standing = record(store, revision=2)
    fm = front_matter(standing)
    assert fm["status"] == '"accepted"'
    assert fm["superseded-by"] == "null"
    assert "**Superseded.**" not in standing
    assert "- **Superseded by:** not superseded" in standing
    assert "Revision 3 (bot-r3) changed what this decision was made on" in standing


def test_a_re_made_decision_supersedes_the_standing_one_and_both_say_so(store):
    stale_feature(store)
    r3 = store.latest("bot").assessment
    store.save(decided(r3, "hold", dt.date(2026, 7, 1)))
    new = record(store)
    fm = front_matter(new)
    assert (fm["revision"], fm["status"], fm["supersedes"]) == ("4", '"accepted"', '"bot-r2"')
    assert "- **Supersedes:** bot-r2" in new
    old = record(store, revision=2)
    fm = front_matter(old)
    assert (fm["status"], fm["superseded-by"]) == ('"superseded"', '"bot-r4"')
    assert "A later decision, bot-r4 (revision 4), replaces this one" in old


def test_a_rationale_typo_fix_does_not_supersede(store):
    a = assessment()
    r1 = decided(a, "ship_with_guardrails", dt.date(2026, 2, 1), hashed=False)
    store.save(r1)
    store.save(decided(a, "ship_with_guardrails", dt.date(2026, 2, 1), hashed=False,
                       rationale="Guarded, with care."))  # fmt: skip
    first = front_matter(record(store, revision=1))
    assert (first["status"], first["superseded-by"]) == ('"accepted"', "null")
    second = record(store, revision=2)
    assert front_matter(second)["supersedes"] == "null"
    assert "- **Standing decision:** bot-r1; this revision carries it unchanged" in second
    out = run(store.path, "history", "bot").output.splitlines()
    assert "    carries the decision of r1 unchanged; STANDING" not in out
    assert "    made the decision; STANDING" in out
    assert "    carries the decision of r1 unchanged" in out


# ------------------------------------------------------------ since the decision


def test_since_the_decision_without_observations(store):
    store.save(decided(assessment(), "ship_with_guardrails", dt.date(2026, 2, 1)))
    since = section(record(store), "Since the decision")
    assert "No observations yet" in since
    assert "Decision state on 2026-11-28: **decided**" in since


def test_since_the_decision_shows_a_breach_a_falsification_and_outgrown_reach(store):
    store.save(decided(assessment(), "ship_with_guardrails", dt.date(2026, 2, 1)))
    store.record_observations(
        [
            Observation("bot", "escalation-rate", 0.01, dt.date(2026, 3, 1), "dash"),
            Observation("bot", "escalation-rate", 0.031, dt.date(2026, 5, 3), "dash"),
            Observation("bot", "latency", 640, dt.date(2026, 5, 3)),
            Observation("bot", "csat", 2.5, dt.date(2026, 6, 2)),
            Observation("bot", "population", 25_000, dt.date(2026, 6, 3)),
        ]
    )
    text = record(store)
    assert front_matter(text)["decision-state"] == '"reopened"'
    since = section(text, "Since the decision")
    assert (
        "- `escalation-rate` (guardrail): 0\\.031 on 2026-05-03, limit \\< 0.02: not healthy"
        in (since)
    )
    assert "- `latency` (model): 640 ms on 2026-05-03, limit \\<= 800 ms: healthy" in since
    assert "- guardrail escalation-rate breached 2026-05-03: 0.031, limit \\< 0.02" in since
    assert "- hypothesis deflects falsified 2026-06-02: csat 2.5 (falsified when \\< 3)" in since
    assert "Reach: 25,000 observed on 2026-06-03, above the 10,000 declared (2.5x): outgrown" in (
        since
    )
    assert "**reopened**: guardrail escalation-rate breached 2026-05-03" in since
    # the record is scored as the world now stands, the decision by its own content
    assert "error F17" in text and "warning F18" in text
    assert front_matter(text)["recommended-verdict"] == '"kill"'
    assert "| `deflects` | 2026-06-01 | falsified (by observation) |" in text
    assert "The bounds use the reach observed since the decision, 25,000 monthly users" in text
    assert "Override" not in section(text, "Verdict")
    assert "it recommended **ship with guardrails**" in text


def test_older_records_are_scored_on_their_own_content(store):
    a = assessment()
    store.save(decided(a, "ship_with_guardrails", dt.date(2026, 2, 1)))
    store.save(decided(a, "hold", dt.date(2026, 4, 1)))
    store.record_observations([Observation("bot", "escalation-rate", 0.05, dt.date(2026, 5, 3))])
    old = record(store, revision=1)
    assert "## Since the decision" not in old and "F17" not in old
    assert "F17" in record(store)


def test_an_export_reads_each_features_observations_in_its_batch(store, tmp_path):
    for fid in ("alpha", "beta", "gamma"):
        store.save(decided(assessment(fid), "ship_with_guardrails", dt.date(2026, 2, 1)))
    store.record_observations([Observation("beta", "escalation-rate", 0.5, dt.date(2026, 3, 1))])
    paths = records.export_records(store, None, tmp_path / "out", today=TODAY)
    texts = {p.name: p.read_text() for p in paths}
    assert front_matter(texts["beta-r1.md"])["decision-state"] == '"reopened"'
    assert "breached 2026-03-01: 0.5" in texts["beta-r1.md"]
    for name in ("alpha-r1.md", "gamma-r1.md"):
        assert front_matter(texts[name])["decision-state"] == '"decided"'
        assert "No observations yet" in texts[name]


# ------------------------------------------------------------------ show, history


def run(db: Path, *args: str):
    return CliRunner(env=ENV).invoke(main, ["--db", str(db), *args], catch_exceptions=False)


def test_show_gives_the_decision_state_the_standing_revision_and_observed_findings(store):
    stale_feature(store)
    store.record_observations([Observation("bot", "escalation-rate", 0.031, dt.date(2026, 5, 3))])
    out = run(store.path, "show", "bot").output.splitlines()
    assert "decision state: stale (revision 3 changed what revision 2 decided)" in out
    standing = "standing decision: revision 2, ship with guardrails on 2026-02-01"
    assert any(line.startswith(standing) for line in out)
    assert any(line.strip().startswith("error   F17 metric:escalation-rate") for line in out)
    older = run(store.path, "show", "bot", "--revision", "2").output
    assert "F17" not in older and "decision state: stale" in older


def test_history_marks_made_stale_and_standing_revisions(store):
    stale_feature(store)
    r3 = store.latest("bot").assessment
    store.save(decided(r3, "hold", dt.date(2026, 7, 1)))
    out = run(store.path, "history", "bot").output.splitlines()
    after = {line.split()[0]: out[i + 1].strip() for i, line in enumerate(out) if line[:1] == "r"}
    assert after["r2"] == "made the decision"
    assert after["r3"] == (
        "stale: its decision does not match its content (the decision of r2 stood)"
    )
    assert after["r4"] == "re-made the decision; STANDING"


def test_history_marks_a_withdrawn_decision(store):
    a = assessment()
    store.save(decided(a, "ship_with_guardrails", dt.date(2026, 2, 1)))
    store.save(edited(a, 2))  # saved without its [decision]
    out = run(store.path, "history", "bot").output.splitlines()
    assert out[out.index(next(x for x in out if x.startswith("r2 "))) + 1] == (
        "    withdrew the decision"
    )
    assert front_matter(record(store, revision=2))["decision-state"] == '"undecided"'
