"""Values the wizard derives from others until the user edits them: the feature
id from its name, the verdict from the recommendation, ``review_by`` from the
decision date and the worst residual tier; and fallbacks' coverage that follows
a harm's id. Plain data in, plain data out: tested without a terminal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ...domain import Assessment, DecisionStatus, Evaluation, Verdict, default_review_by
from .state import slugify


@dataclass
class Follows:
    """Whether the verdict and ``review_by`` still follow their defaults."""

    verdict: bool = True
    review_by: bool = True


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except (TypeError, ValueError):
        return None


def follow_saved(follows: Follows, data: dict, saved: Assessment) -> None:
    """The saved revision ``data`` edits had its decision made: the verdict and the
    review date that are still that decision's no longer follow the recommendation."""
    before = saved.decision
    decision = data.get("decision")
    if before is not None and isinstance(decision, dict):
        if decision.get("verdict") == before.verdict.value:
            follows.verdict = False
        if decision.get("decided_on") == before.decided_on.isoformat():
            follows.review_by = False


def infer_follows(data: dict, ev: Evaluation | None) -> Follows:
    """What a stored decision follows (a resumed draft or an edited revision)."""
    decision = data.get("decision")
    if not isinstance(decision, dict) or ev is None:
        return Follows()
    verdict = decision.get("verdict") == ev.recommended.value
    decided = _date(decision.get("decided_on"))
    if decided is None:
        return Follows(verdict, False)
    default = default_review_by(decided, ev.residual_priority).isoformat()
    return Follows(verdict, decision.get("review_by") in (None, default))


def apply_defaults(data: dict, ev: Evaluation | None, follows: Follows) -> bool:
    """Set the verdict and ``review_by`` that still follow; True when data changed."""
    decision = data.get("decision")
    if not isinstance(decision, dict) or ev is None:
        return False
    changed = False
    if follows.verdict and decision.get("verdict") != ev.recommended.value:
        decision["verdict"] = ev.recommended.value
        changed = True
    decided = _date(decision.get("decided_on")) if follows.review_by else None
    if decided is not None:
        default = default_review_by(decided, ev.residual_priority).isoformat()
        if decision.get("review_by") != default:
            decision["review_by"] = default
            changed = True
    return changed


def new_decision(ev: Evaluation | None, today: dt.date) -> dict:
    """The decision table a review starts with: the recommendation, proposed today."""
    return {
        "verdict": (ev.recommended if ev else Verdict.hold).value,
        "status": DecisionStatus.proposed.value,
        "decided_on": today.isoformat(),
    }


def id_from_name(feature: dict, old_name: Any, new_name: Any) -> tuple[bool, str | None]:
    """(whether the id follows the name, the new id) after the name changed."""
    current = feature.get("id")
    if current in (None, "") or current == slugify(old_name or ""):
        return True, slugify(new_name or "") or None
    return False, current


def rename_harm(data: dict, old: Any, new: Any) -> None:
    """Keep fallbacks' coverage when a harm's id changes (or, ``new`` None, it is removed)."""
    if not old or any(h.get("id") == old for h in data["harms"]):
        return  # no old id, or another harm still has it
    for fallback in data["fallbacks"]:
        covers = fallback.get("covers")
        if isinstance(covers, list) and old in covers:
            fallback["covers"] = (
                [new if c == old else c for c in covers] if new else [c for c in covers if c != old]
            )


def follow_change(
    data: dict, path: str, old: Any, value: Any, *, editing: bool, cleared: dict[str, Any]
) -> bool:
    """Carry a change to the values that follow it; True when the feature id was
    derived anew from the name. Typing a new harm id passes through an empty one:
    ``cleared`` keeps the id the fallbacks know until a new one is typed."""
    if path == "feature.name" and not editing:
        follows, new_id = id_from_name(data["feature"], old, value)
        if follows:
            if new_id is None:
                data["feature"].pop("id", None)
            else:
                data["feature"]["id"] = new_id
        return follows
    if path.startswith("harms[") and path.endswith("].id"):
        if not value:
            cleared.setdefault(path, old)
        else:
            rename_harm(data, cleared.pop(path, None) or old, value)
    return False
