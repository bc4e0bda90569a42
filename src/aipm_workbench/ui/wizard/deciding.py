"""Deciding binds to content (DOMAIN.md 9): what the wizard does with the decision
when it saves. Plain data in, plain data out: tested without a terminal.

A decision made (or re-made) while the wizard was open records the hash of the
content being saved. A decision that was already there and was not re-made
(same verdict, date and deciders as the saved revision's) is saved as it was;
when the material content changed under it, the wizard first asks whether it
is made again now (:func:`binding` says ``ask``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from ...domain import Assessment, Tier, default_review_by, evaluate
from ...domain.living import content_hash, remakes


class Binding(StrEnum):
    bind = "bind"  # made in this session: record the hash of the content saved
    keep = "keep"  # made before, on this same content: saved as it was
    ask = "ask"  # made before, on other content: re-decide now, or keep it (stale)


def binding(original: Assessment | None, assessment: Assessment) -> Binding | None:
    """What saving ``assessment`` does with its decision, given the saved revision it
    edits (None for a new feature); None when it has no decision."""
    decision = assessment.decision
    if decision is None:
        return None
    before = original.decision if original is not None else None
    if before is None or remakes(before, decision):
        return Binding.bind
    if content_hash(original) == content_hash(assessment):  # type: ignore[arg-type]
        return Binding.keep
    return Binding.ask


def to_save(original: Assessment | None, assessment: Assessment) -> Assessment | None:
    """What saving ``assessment`` stores without asking: its decision bound to the
    content when made in this session, the assessment as it is when the decision is
    kept or absent; None when the wizard must ask first (:attr:`Binding.ask`)."""
    how = binding(original, assessment)
    if how == Binding.bind:
        return bound(assessment)
    if how == Binding.ask:
        return None
    return assessment


def content_changed(original: Assessment | None, assessment: Assessment | None) -> bool:
    """Whether the material content differs from the saved revision's (while that one
    had a decision that is still the one in the form)."""
    if original is None or assessment is None:
        return False
    return binding(original, assessment) == Binding.ask


def bound(assessment: Assessment) -> Assessment:
    """The assessment with its decision bound to its content."""
    decision = assessment.decision
    if decision is None:
        return assessment
    return assessment.model_copy(
        update={"decision": decision.model_copy(update={"content_hash": content_hash(assessment)})}
    )


def redecided(
    assessment: Assessment,
    deciders: list[str],
    rationale: str | None,
    today: dt.date,
    review_by: dt.date | None,
) -> Assessment:
    """The decision made again today by ``deciders``, bound to the content saved;
    ``review_by`` is the new review date (None: the default for the new date)."""
    decision = assessment.decision
    assert decision is not None
    again = decision.model_copy(
        update={
            "decided_by": deciders,
            "rationale": rationale or None,
            "decided_on": today,
            "review_by": review_by,
        }
    )
    return bound(assessment.model_copy(update={"decision": again}))


def review_by_again(
    original: Assessment | None, today: dt.date, residual: Tier | None
) -> dt.date | None:
    """The review date of a decision made again today: the default for today (given
    the worst ``residual`` tier now) when the old one was the default, the date given
    when it was not, None when the old decision had none (or there was none)."""
    before = original.decision if original is not None else None
    if original is None or before is None or before.review_by is None:
        return None
    old_default = default_review_by(before.decided_on, evaluate(original, today).residual_priority)
    if before.review_by != old_default:
        return before.review_by
    return default_review_by(today, residual)


def stale_note(decided_on: dt.date | str) -> str:
    """What keeping the old decision means, in words."""
    return f"the decision of {decided_on} will show as stale until it is made again"
