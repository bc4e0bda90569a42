"""Property-based tests: the loader only ever raises InvalidInput, whatever it is given;
load -> dump -> load gives back an equal assessment (TOML and JSON)."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aipm_workbench.domain import (
    Assessment,
    InvalidInput,
    builtin_taxonomy,
    dump_json,
    dump_toml,
    evaluate,
    parse_assessment,
    read_assessment,
)
from aipm_workbench.domain.files import decode
from aipm_workbench.domain.models import FIRST_DATE, LAST_DATE

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [
    "format", "taxonomy", "feature", "harms", "fallbacks", "metrics", "hypotheses",
    "premortem", "decision", "extra", "id", "name", "owner", "stage", "description",
    "population", "population_unit", "type", "source", "statement", "affected", "severity",
    "likelihood", "reversibility", "detectability", "rationale", "rater_confidence",
    "evidence", "exposure", "residual", "high_risk_share", "exposed_share", "harmed_share",
    "covers", "kind", "trigger", "action", "user_message", "confidence_threshold",
    "tested_on", "requests_per_day", "share_below_threshold", "reviewer_capacity_per_day",
    "target", "decided_on", "falsified_if", "check_by", "status", "failure", "signal",
    "verdict", "decided_by", "review_by",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-3, 7),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["aipm-assessment/1", "rights.privacy", "block", "ship", "a", "a/..", ""]),
    st.dates(),
    st.datetimes(),
    st.times(),
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=25,
)


def only_invalid_input(call) -> Assessment | None:
    """Run a load; the only error allowed is InvalidInput with readable problems."""
    try:
        return call()
    except InvalidInput as exc:
        assert exc.problems
        assert all(isinstance(p, str) and p and "Traceback" not in p for p in exc.problems)
        return None


# ------------------------------------------------------------ arbitrary input


toml_fragments = st.lists(
    st.sampled_from(
        [
            'format = "aipm-assessment/1"\n',
            "[feature]\n",
            'id = "x"\n',
            'name = "X"\n',
            "[[harms]]\n",
            "severity = 9\n",
            "[harms.exposure]\n",
            "high_risk_share = [0.5, 0.1]\n",
            "[[fallbacks]]\n",
            'covers = ["nope"]\n',
            "tested_on = 2026-02-30\n",
            "[decision]\n",
            'verdict = "maybe"\n',
            "[extra]\n",
            "= broken\n",
            '"\\u0000" = 1\n',
        ]
    ),
    max_size=12,
).map("".join)


@FAST
@given(
    raw=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        toml_fragments.map(str.encode),
    ),
    suffix=st.sampled_from([".toml", ".json"]),
)
def test_arbitrary_bytes_only_raise_invalid_input(raw, suffix):
    only_invalid_input(lambda: parse_assessment(decode(raw, "x" + suffix, suffix), "x" + suffix))


@FAST
@given(data=anything)
def test_arbitrary_structures_only_raise_invalid_input(data):
    only_invalid_input(lambda: parse_assessment(data, "x.toml"))


small = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=6,
)
harm_like = st.dictionaries(st.sampled_from(KEYS), small, max_size=6)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.fixed_dictionaries(
        {
            "format": st.just("aipm-assessment/1") | scalars,
            "feature": st.fixed_dictionaries({"id": scalars, "name": scalars}) | anything,
            "harms": st.lists(harm_like, max_size=2),
            "fallbacks": st.lists(harm_like, max_size=2),
        },
        optional={
            "metrics": st.lists(harm_like, max_size=2),
            "hypotheses": st.lists(harm_like, max_size=2),
            "decision": harm_like,
            "extra": small,
        },
    )
)
def test_structures_shaped_like_assessments_only_raise_invalid_input(data):
    only_invalid_input(lambda: parse_assessment(data, "x.toml"))


SAMPLES = sorted(
    p
    for p in (__import__("pathlib").Path(__file__).parent.parent / "sample_projects").glob("*.toml")
)
SAMPLE_DATA = [tomllib.loads(p.read_text("utf-8")) for p in SAMPLES]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(data: dict, draw) -> None:
    path = draw(st.sampled_from(_paths(data)))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    how = draw(st.sampled_from(["delete", "replace", "out_of_range", "duplicate"]))
    if how == "delete":
        del parent[key]
    elif how == "replace":
        parent[key] = draw(anything)
    elif how == "out_of_range":
        parent[key] = draw(
            st.sampled_from([0, 6, -1, 1.5, 2.0, 10**30, float("inf"), 0.0, "5", True])
        )
    elif isinstance(parent, list):
        parent.append(parent[key])  # a duplicate item: duplicate ids
    else:
        parent[key] = [parent[key], parent[key]]


@FAST
@given(index=st.integers(0, len(SAMPLE_DATA) - 1), data=st.data())
def test_mutated_samples_only_raise_invalid_input_and_still_evaluate(index, data):
    import copy

    mutated = copy.deepcopy(SAMPLE_DATA[index])
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(mutated, data.draw)
    model = only_invalid_input(lambda: parse_assessment(mutated, "x.toml"))
    if model is not None:
        evaluate(model, dt.date(2026, 11, 28))  # a valid model always evaluates


# -------------------------------------------------------------- round trip

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
slugs = st.builds(  # FORMAT.md: a letter or digit, then letters, digits, '-'; at most 64
    str.__add__, st.sampled_from(ALNUM), st.text(alphabet=ALNUM + "-", max_size=63)
)
# text with what troubles TOML writers: line endings, quotes, backslashes, control characters
tricky = st.sampled_from(["\n", "\r\n", "\r", "\\", '"', '"""', "'''", "\t", "\x00", "\u2028", "#"])
free_text = st.lists(tricky | st.text(max_size=6), max_size=5).map("".join)
texts = free_text.filter(str.strip)
ratings = st.integers(1, 5)
shares = st.floats(min_value=0, max_value=1, exclude_min=True)
share_ranges = st.tuples(shares, shares).map(sorted).map(list)
numbers = st.integers(0, 10**9) | st.floats(0, 1e9)
dates = st.dates(min_value=FIRST_DATE, max_value=LAST_DATE)  # the valid range
toml_json_values = st.recursive(
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | free_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(free_text, inner, max_size=3),
    max_leaves=10,
)
harm_parts = st.fixed_dictionaries(
    {
        "type": st.sampled_from(builtin_taxonomy().ids()),
        "source": st.sampled_from(["intended_use", "unintended_use", "system_error", "misuse"]),
        "statement": texts,
        "severity": ratings,
        "likelihood": ratings,
        "reversibility": ratings,
        "detectability": ratings,
    },
    optional={
        "affected": free_text,
        "rationale": free_text,
        "rater_confidence": st.sampled_from(["low", "medium", "high"]),
        "evidence": st.lists(free_text, max_size=2),
        "exposure": st.fixed_dictionaries(
            {
                "high_risk_share": share_ranges,
                "exposed_share": share_ranges,
                "harmed_share": share_ranges,
            }
        ),
        "residual": st.fixed_dictionaries(
            {},
            optional={
                k: ratings for k in ("severity", "likelihood", "reversibility", "detectability")
            },
        ),
    },
)
fallback_parts = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(
            [
                "human_review",
                "abstain",
                "degrade",
                "warn_user",
                "block",
                "kill_switch",
                "rollback",
                "monitor",
            ]
        ),
        "trigger": texts,
        "action": texts,
    },
    optional={
        "user_message": free_text,
        "owner": free_text,
        "confidence_threshold": st.floats(0, 1),
        "tested_on": dates,
        "requests_per_day": numbers,
        "share_below_threshold": st.floats(0, 1),
        "reviewer_capacity_per_day": numbers,
    },
)
features = st.fixed_dictionaries(
    {"id": slugs, "name": texts},
    optional={
        "owner": free_text,
        "stage": st.sampled_from(["concept", "prototype", "beta", "launched", "retired"]),
        "description": free_text,
        "population": st.integers(0, 10**12),
        "population_unit": free_text,
    },
)
metrics = st.fixed_dictionaries(
    {
        "name": texts,
        "kind": st.sampled_from(["model", "product", "guardrail"]),
        "target": texts,
        "decided_on": dates,
    }
)
hypothesis_parts = st.fixed_dictionaries(
    {"statement": texts},
    optional={
        "falsified_if": free_text,
        "check_by": dates,
        "status": st.sampled_from(["open", "supported", "falsified"]),
    },
)
decisions = st.fixed_dictionaries(
    {
        "verdict": st.sampled_from(["ship", "ship_with_guardrails", "hold", "kill"]),
        "decided_on": dates,
    },
    optional={
        "status": st.sampled_from(["proposed", "accepted", "rejected", "superseded"]),
        "rationale": free_text,
        "decided_by": st.lists(free_text, max_size=2),
        "review_by": dates,
    },
)
top_parts = st.fixed_dictionaries(
    {
        "format": st.just("aipm-assessment/1"),
        "feature": features,
        "metrics": st.lists(metrics, max_size=3),
        "premortem": st.lists(
            st.fixed_dictionaries({"failure": texts}, optional={"signal": free_text}), max_size=2
        ),
    },
    optional={
        "taxonomy": st.just("builtin/1"),
        "decision": decisions,
        "extra": st.dictionaries(free_text, toml_json_values, max_size=4),
    },
)


@st.composite
def assessments(draw) -> dict:
    """Valid assessment data: unique ids, and fallbacks that cover harms of the file."""
    data = draw(top_parts)
    harm_ids = draw(st.lists(slugs, unique=True, max_size=3))
    data["harms"] = [{"id": hid, **draw(harm_parts)} for hid in harm_ids]
    if harm_ids:
        covers = st.lists(st.sampled_from(harm_ids), min_size=1, max_size=3)
        data["fallbacks"] = [
            {"id": fid, "covers": draw(covers), **draw(fallback_parts)}
            for fid in draw(st.lists(slugs, unique=True, max_size=3))
        ]
    data["hypotheses"] = [
        {"id": hid, **draw(hypothesis_parts)}
        for hid in draw(st.lists(slugs, unique=True, max_size=2))
    ]
    return data


def _reload(text: str, suffix: str) -> Assessment:
    return parse_assessment(decode(text.encode("utf-8"), "copy" + suffix, suffix), "copy" + suffix)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=assessments())
def test_generated_assessments_survive_toml_and_json_round_trips(data):
    model = parse_assessment(data, "generated.toml")
    assert _reload(dump_toml(model), ".toml") == model
    assert _reload(dump_json(model), ".json") == model


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_samples_survive_toml_and_json_round_trips(path):
    model = read_assessment(path)
    once = _reload(dump_toml(model), ".toml")
    assert once == model
    assert _reload(dump_toml(once), ".toml") == model
    assert _reload(dump_json(model), ".json") == model
    assert dump_toml(once) == dump_toml(model)  # stable output


def test_round_trip_keeps_the_extra_table_as_is():
    data = {
        "format": "aipm-assessment/1",
        "feature": {"id": "f", "name": "F"},
        "extra": {"jira": "X-1", "nested": {"a": [1, 2.5, "x"], "empty": []}, "flag": False},
    }
    model = parse_assessment(data, "x.toml")
    assert _reload(dump_toml(model), ".toml").extra == data["extra"]
    assert _reload(dump_json(model), ".json").extra == data["extra"]


def test_strategy_produces_rich_assessments():
    """Guard against a strategy that only ever yields trivial files."""
    seen: set[str] = set()

    @settings(max_examples=30, deadline=None, database=None)
    @given(assessments())
    def collect(data):
        seen.update(
            k for k in ("harms", "fallbacks", "metrics", "decision", "extra") if data.get(k)
        )
        for h in data["harms"]:
            seen.update(k for k in ("exposure", "residual") if k in h)

    collect()
    assert seen >= {"harms", "fallbacks", "metrics", "decision", "extra", "exposure", "residual"}


def test_round_trip_keeps_windows_line_endings_in_text():
    data = {
        "format": "aipm-assessment/1",
        "feature": {"id": "f", "name": "F", "description": "line one\r\nline two\nline three"},
    }
    model = parse_assessment(data, "x.json")
    assert _reload(dump_toml(model), ".toml") == model
