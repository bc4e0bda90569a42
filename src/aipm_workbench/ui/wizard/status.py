"""The wizard's title and status line as text: plain functions of the data."""

from __future__ import annotations

from ...domain import Step
from ...domain.formatting import plural, tier_label
from .state import STEP_ORDER, STEP_TITLES, Snapshot, rated_tier


def title_text(data: dict, *, resuming: bool, editing: bool) -> str:
    """``Editing Meeting recap (meeting-recap)``: what is edited (cut when long)."""
    feature = data["feature"]
    name = feature.get("name") or "(unnamed)"
    fid = feature.get("id") or "no id yet"
    what = "Draft of" if resuming else "Editing" if editing else "New assessment:"
    return f"{what} {name} ({fid})"


def counter_text(step: Step) -> str:
    """``· step 5 of 7: Fallbacks``: always shown in full beside the title."""
    return f"· step {STEP_ORDER.index(step) + 1} of {len(STEP_ORDER)}: {STEP_TITLES[step]}"


def status_text(snapshot: Snapshot) -> str:
    """The live summary: what to fix (first: the line is cut at its end when
    narrow), the tiers, the recommendation and the findings."""
    ev = snapshot.evaluation
    parts = []
    if snapshot.problems:
        parts.append(f"{len(snapshot.problems)} to fix (ctrl+f)")
    if ev is not None:
        if ev.priority is not None and ev.residual_priority is not None:
            parts.append(f"{ev.priority.label} inherent, {ev.residual_priority.label} residual")
        else:
            parts.append(rated_so_far(snapshot.data))
        parts.append(f"recommends {ev.recommended.label}")
        parts.append(f"{plural(ev.errors, 'error')}, {plural(ev.warnings, 'warning')}")
    return " · ".join(parts)


def rated_so_far(data: dict) -> str:
    """The worst tier of rated harms that are not complete yet (never "no rated
    harm yet" beside a rated one)."""
    tiers = [t for t in (rated_tier(h) for h in data.get("harms") or []) if t is not None]
    if not tiers:
        return "no rated harm yet"
    return f"{tier_label(max(tiers))} inherent so far (harms incomplete)"
