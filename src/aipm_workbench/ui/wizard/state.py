"""The wizard's in-progress assessment as plain data, and what it means right now.

The wizard edits one dict shaped like an assessment file (FORMAT.md), with
dates as ISO strings so that it can be stored as a draft as it is. Values a
user typed that are not numbers or dates stay as typed, so that validation
(``domain.parse_assessment``) reports them with their FORMAT.md path. Nothing
here imports textual: the state is tested and reasoned about without a terminal.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ...domain import (
    FORMAT_VERSION,
    RATINGS,
    Assessment,
    Evaluation,
    InvalidInput,
    Stage,
    Step,
    builtin_taxonomy,
    dump_json,
    evaluate,
    parse_assessment,
)
from ...domain.models import (
    SLUG_RE,
    Decision,
    Fallback,
    Feature,
    Harm,
    Hypothesis,
    Metric,
    PremortemItem,
)

# The wizard's steps, in order, with the titles the step list shows.
STEPS: tuple[tuple[Step, str], ...] = (
    (Step.feature, "Feature"),
    (Step.harms, "Harms"),
    (Step.ratings, "Ratings"),
    (Step.exposure, "Exposure"),
    (Step.fallbacks, "Fallbacks"),
    (Step.learning, "Metrics & learning"),
    (Step.review, "Review & decide"),
)
STEP_ORDER = [s for s, _ in STEPS]
STEP_TITLES = dict(STEPS)

RATING_KEYS = RATINGS  # severity, likelihood, reversibility, detectability
HARM_RATING_KEYS = (*RATING_KEYS, "rationale", "rater_confidence", "evidence")
SOURCE = "draft"  # what validation problems are reported against


class StepState(StrEnum):
    not_started = "not started"
    in_progress = "in progress"
    done = "done"
    errors = "has errors"


@dataclass(frozen=True)
class Problem:
    """One validation problem of the data, at its FORMAT.md path.

    ``where`` names the value the way the screen does (``Harm 3 'language-gap':
    high-risk share, low bound``); ``path`` is kept to jump to the field.
    """

    path: str
    message: str
    step: Step
    missing: bool  # a required value is not given yet (as opposed to a wrong value)
    where: str = ""

    @property
    def text(self) -> str:
        return f"{self.where or self.path}: {self.message}"


# How the screens name the items and values that a FORMAT.md path points at.
ITEM_NAMES = {
    "harms": "Harm",
    "fallbacks": "Fallback",
    "metrics": "Metric",
    "hypotheses": "Hypothesis",
    "premortem": "Premortem item",
}
TABLE_NAMES = {"feature": "Feature", "decision": "Decision", "taxonomy": "Taxonomy"}
VALUE_NAMES = {
    "id": "id",
    "population_unit": "population unit",
    "high_risk_share": "high-risk share",
    "exposed_share": "exposed share",
    "harmed_share": "harmed share",
    "rater_confidence": "confidence",
    "user_message": "user message",
    "confidence_threshold": "confidence threshold",
    "tested_on": "tested on",
    "requests_per_day": "requests per day",
    "share_below_threshold": "share below threshold",
    "reviewer_capacity_per_day": "reviewer capacity per day",
    "falsified_if": "falsified if",
    "check_by": "check by",
    "early_signal": "early signal",
    "decided_on": "decided on",
    "decided_by": "decided by",
    "review_by": "review by",
    "covers": "covers harms",
    "op": "comparison",
}
BOUNDS = ("low bound", "high bound")


def _item_name(collection: str, index: int, data: dict) -> str:
    """``Harm 3 'language-gap'``: 1-based, with the item's id (or name) when it has one."""
    item = get_path(data, f"{collection}[{index}]")
    ident = None
    if isinstance(item, dict):
        for key in ("id", "name", "failure"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                ident = value.strip()
                break
    if ident and len(ident) > 30:
        ident = ident[:29] + "…"
    head = f"{ITEM_NAMES.get(collection, collection)} {index + 1}"
    return f"{head} {ident!r}" if ident else head


def describe_path(path: str, data: dict) -> str:
    """A FORMAT.md path as the screen names it: ``harms[2].exposure.high_risk_share[0]``
    -> ``Harm 3 'language-gap': high-risk share, low bound``."""
    parts = split_path(path)
    if not parts:
        return path
    head, rest = parts[0], parts[1:]
    if isinstance(head, str) and head in ITEM_NAMES and rest and isinstance(rest[0], int):
        owner, rest = _item_name(head, rest[0], data), rest[1:]
    else:
        owner = TABLE_NAMES.get(str(head), str(head))
    words: list[str] = []
    for i, part in enumerate(rest):
        if isinstance(part, int):
            previous = rest[i - 1] if i else None
            if previous in ("high_risk_share", "exposed_share", "harmed_share") and part < 2:
                words.append(BOUNDS[part])
            else:
                words.append(f"item {part + 1}")
        elif part == "residual":
            words.append("residual")
        elif part != "exposure":
            words.append(VALUE_NAMES.get(part, part.replace("_", " ")))
    if words and words[0] == "residual" and len(words) > 1:
        words = [f"residual {words[1]}", *words[2:]]
    return f"{owner}: {', '.join(words)}" if words else owner


def plain_message(message: str) -> str:
    """A validation message as an instruction to the person at the keyboard."""
    message = message.replace(", written without quotes", "")
    if message == "required, but missing":
        return "required"
    if message.startswith("must be a number"):
        return "enter a number" + message[len("must be a number") :]
    if message.startswith("must be a whole number"):
        return "enter a whole number" + message[len("must be a whole number") :]
    message = message.replace('; add id = "..."', ": give it an id")
    return message.replace("in this file", "in this assessment")


# ------------------------------------------------------------------ paths

_PART = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``harms[0].exposure.high_risk_share[1]`` -> ``["harms", 0, "exposure", ...]``."""
    out: list[str | int] = []
    for name, index in _PART.findall(path):
        out.append(name if name else int(index))
    return out


def step_of(path: str) -> Step:
    """The wizard step where the value at ``path`` is edited."""
    parts = split_path(path)
    if not parts:
        return Step.review
    head = parts[0]
    if head == "feature":
        return Step.feature
    if head == "harms":
        key = parts[2] if len(parts) > 2 else None
        if key in HARM_RATING_KEYS:
            return Step.ratings
        if key == "exposure":
            return Step.exposure
        if key == "residual":
            return Step.fallbacks
        return Step.harms
    if head == "fallbacks":
        return Step.fallbacks
    if head in ("metrics", "hypotheses", "premortem"):
        return Step.learning
    return Step.review


def get_path(data: Any, path: str, default: Any = None) -> Any:
    node = data
    for part in split_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def set_path(data: dict, path: str, value: Any) -> None:
    """Set a value, creating tables on the way; ``None`` removes the key."""
    parts = split_path(path)
    node: Any = data
    for part, nxt in zip(parts, parts[1:], strict=False):
        if isinstance(part, int):
            while len(node) <= part:
                node.append(None)
            if not isinstance(node[part], dict | list):
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
            continue
        if not isinstance(node.get(part), dict | list):
            node[part] = [] if isinstance(nxt, int) else {}
        node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    elif value is None:
        node.pop(last, None)
    else:
        node[last] = value


# ----------------------------------------------------------------- parsing

_NUMBER_CHARS = re.compile(r"[,_\s]")


def parse_number(text: str, *, integer: bool = False, percent: bool = False) -> Any:
    """What a user typed as a number: the number, or the text itself when it is not one.

    ``1,400,000`` and ``1_400_000`` are numbers; with ``percent`` ``5%`` is 0.05.
    Text that is not a number is kept so that validation reports it.
    """
    raw = text.strip()
    if not raw:
        return None
    cleaned = _NUMBER_CHARS.sub("", raw)
    scale = 1.0
    if percent and cleaned.endswith("%"):
        cleaned, scale = cleaned[:-1], 0.01
    try:
        if integer and scale == 1.0:
            return int(cleaned)
        value = float(cleaned) * scale
    except ValueError:
        try:
            value = float(cleaned) * scale
        except ValueError:
            return raw
    if integer and value.is_integer():
        return int(value)
    return value


def format_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def parse_list(text: str, sep: str = ",") -> list[str] | None:
    items = [t.strip() for t in text.split(sep)]
    items = [t for t in items if t]
    return items or None


def slugify(text: str, limit: int = 64) -> str:
    """A FORMAT.md slug from free text: ``Voice summaries (v2)`` -> ``voice-summaries-v2``."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def is_slug(text: Any) -> bool:
    return isinstance(text, str) and bool(SLUG_RE.fullmatch(text))


def unique_slug(base: str, taken: set[str]) -> str:
    base = base or "item"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def rated_tier(harm: dict) -> Any:
    """The inherent tier (``domain.Tier``) of a harm's four ratings, or None while
    any is missing or out of range."""
    from ...domain import priority

    ratings = [harm.get(k) for k in RATING_KEYS]
    if all(isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= 5 for r in ratings):
        return priority(*ratings).tier
    return None


def from_assessment(assessment: Assessment) -> dict:
    """An assessment as the wizard's plain data (dates as ISO strings)."""
    return json.loads(dump_json(assessment))


def new_data() -> dict:
    return {
        "format": FORMAT_VERSION,
        "taxonomy": builtin_taxonomy().ref,
        "feature": {"stage": Stage.concept.value},
        "harms": [],
        "fallbacks": [],
        "metrics": [],
        "hypotheses": [],
        "premortem": [],
    }


def normalise(data: dict) -> dict:
    """Stored or partial data, with the tables and lists the wizard edits present."""
    out = copy.deepcopy(data) if isinstance(data, dict) else {}
    out.setdefault("format", FORMAT_VERSION)
    if not isinstance(out.get("feature"), dict):
        out["feature"] = {}
    for key in ("harms", "fallbacks", "metrics", "hypotheses", "premortem"):
        if not isinstance(out.get(key), list):
            out[key] = []
        out[key] = [item for item in out[key] if isinstance(item, dict)]
    return out


def clean(data: dict) -> dict:
    """Data ready to validate: empty optional tables dropped."""
    out = copy.deepcopy(data)
    for harm in out.get("harms", []):
        if isinstance(harm, dict) and harm.get("residual") == {}:
            harm.pop("residual")
    for key, table in (("metrics", "limit"), ("hypotheses", "test")):
        for item in out.get(key, []):
            if isinstance(item, dict) and item.get(table) == {}:
                item.pop(table)
    return out


# -------------------------------------------------------------- snapshots


@dataclass
class Snapshot:
    """The data, validated and evaluated.

    ``assessment`` is set only when the data is a valid assessment (it can be
    saved). ``evaluation`` is of that assessment, or, when the data is not
    valid yet, of the parts that are (``partial``): incomplete harms, fallbacks
    and other items are left out until they are complete, so tiers and findings
    stay live while a user types.
    """

    data: dict
    today: dt.date
    problems: list[Problem]
    assessment: Assessment | None
    evaluation: Evaluation | None
    partial: bool
    left_out: list[str] = field(default_factory=list)

    def problems_at(self, path: str) -> list[Problem]:
        """Problems of the value at ``path`` or inside it."""
        return [
            p
            for p in self.problems
            if p.path == path or p.path.startswith(path + ".") or p.path.startswith(path + "[")
        ]

    def problems_in(self, step: Step) -> list[Problem]:
        return [p for p in self.problems if p.step == step]


def _problem(text: str, data: dict) -> Problem:
    path, _, message = text.partition(": ")
    missing = message == "required, but missing"
    return Problem(path, plain_message(message), step_of(path), missing, describe_path(path, data))


def check(data: dict, today: dt.date, extra_problems: list[str] | tuple[str, ...] = ()) -> Snapshot:
    """Validate and evaluate the wizard's data (cheap: a few milliseconds)."""
    cleaned = clean(data)
    problems: list[str] = list(extra_problems)
    assessment = None
    try:
        assessment = parse_assessment(cleaned, SOURCE)
    except InvalidInput as exc:
        problems = exc.problems + problems
    if assessment is not None:
        ev = evaluate(assessment, today)
        if not problems:
            return Snapshot(data, today, [], assessment, ev, False)
        return Snapshot(data, today, [_problem(p, data) for p in problems], None, ev, False)
    salvaged, left_out = salvage(cleaned)
    ev = evaluate(salvaged, today) if salvaged is not None else None
    return Snapshot(data, today, [_problem(p, data) for p in problems], None, ev, True, left_out)


def _valid(model: type, value: Any) -> bool:
    try:
        model.model_validate(value)
    except Exception:  # noqa: BLE001 - any failure means "not usable yet"
        return False
    return True


def salvage(data: dict) -> tuple[Assessment | None, list[str]]:
    """The valid parts of partial data, as an assessment to evaluate live."""
    taxonomy = builtin_taxonomy()
    left_out: list[str] = []
    feature = data.get("feature") if isinstance(data.get("feature"), dict) else {}
    fdata: dict[str, Any] = {"id": "draft", "name": "draft"}
    for key, value in feature.items():
        trial = {**fdata, key: value}
        if _valid(Feature, trial):
            fdata = trial
    harms, harm_ids = [], set()
    for i, h in enumerate(data.get("harms") or []):
        if not isinstance(h, dict):
            continue
        candidate = dict(h)
        if not _valid(Harm, candidate):
            candidate.pop("exposure", None)
            candidate.pop("residual", None)
        ok = (
            _valid(Harm, candidate)
            and taxonomy.get(candidate.get("type", "")) is not None
            and candidate["id"] not in harm_ids
        )
        if ok:
            harms.append(candidate)
            harm_ids.add(candidate["id"])
        else:
            left_out.append(f"harms[{i}]")
    fallbacks, fallback_ids = [], set()
    for i, f in enumerate(data.get("fallbacks") or []):
        if not isinstance(f, dict):
            continue
        candidate = dict(f)
        covers = candidate.get("covers")
        if isinstance(covers, list):
            candidate["covers"] = [c for c in covers if c in harm_ids]
        if _valid(Fallback, candidate) and candidate["id"] not in fallback_ids:
            fallbacks.append(candidate)
            fallback_ids.add(candidate["id"])
        else:
            left_out.append(f"fallbacks[{i}]")
    out: dict[str, Any] = {"feature": fdata, "harms": harms, "fallbacks": fallbacks}
    for key, model in (("metrics", Metric), ("premortem", PremortemItem)):
        out[key] = []
        for i, item in enumerate(data.get(key) or []):
            if _valid(model, item):
                out[key].append(item)
            else:
                left_out.append(f"{key}[{i}]")
    out["hypotheses"], hyp_ids = [], set()
    for i, item in enumerate(data.get("hypotheses") or []):
        if _valid(Hypothesis, item) and item["id"] not in hyp_ids:
            out["hypotheses"].append(item)
            hyp_ids.add(item["id"])
        else:
            left_out.append(f"hypotheses[{i}]")
    if isinstance(data.get("decision"), dict) and _valid(Decision, data["decision"]):
        out["decision"] = data["decision"]
    try:
        return Assessment.model_validate(out), left_out
    except Exception:  # noqa: BLE001 - pragma: no cover - every part was validated
        return None, left_out


# ------------------------------------------------------------ step states

_STEP_KEYS: dict[Step, tuple[str, ...]] = {
    Step.feature: ("id", "name", "owner", "description", "population"),
    Step.harms: ("type", "statement", "source", "affected"),
    Step.ratings: RATING_KEYS,
    Step.exposure: ("exposure",),
}


def has_data(data: dict, step: Step) -> bool:
    """Whether the user has entered anything that the step edits."""
    if step == Step.feature:
        feature = data.get("feature") or {}
        return any(feature.get(k) not in (None, "") for k in _STEP_KEYS[step])
    harms = data.get("harms") or []
    if step in (Step.harms, Step.ratings, Step.exposure):
        return any(h.get(k) not in (None, "") for h in harms for k in _STEP_KEYS[step])
    if step == Step.fallbacks:
        return bool(data.get("fallbacks")) or any(h.get("residual") for h in harms)
    if step == Step.learning:
        return any(data.get(k) for k in ("metrics", "hypotheses", "premortem"))
    return isinstance(data.get("decision"), dict)


def step_states(snapshot: Snapshot, visited: set[Step]) -> dict[Step, StepState]:
    """Each step's state, from the problems, the required fields and the findings."""
    findings = snapshot.evaluation.findings if snapshot.evaluation else []
    out: dict[Step, StepState] = {}
    for step in STEP_ORDER:
        problems = snapshot.problems_in(step)
        wrong = [p for p in problems if not p.missing]
        missing = [p for p in problems if p.missing]
        errors = [f for f in findings if f.step == step and f.level == "error"]
        no_harms = not snapshot.data.get("harms")
        started = has_data(snapshot.data, step) or step in visited
        if step in (Step.ratings, Step.exposure) and no_harms:
            started = False  # nothing to rate or estimate yet
        if not started:
            out[step] = StepState.not_started
        elif wrong or errors:
            out[step] = StepState.errors
        elif (
            missing
            or (step == Step.harms and no_harms)
            # the review is done when the decision is made and the assessment can be saved
            or (step == Step.review and ("decision" not in snapshot.data or snapshot.problems))
        ):
            out[step] = StepState.in_progress
        else:
            out[step] = StepState.done
    return out
