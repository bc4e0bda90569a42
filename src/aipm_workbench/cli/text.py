"""Human-readable text for the terminal, shared by commands.

Everything a command prints goes through :func:`say`, so text from files and
the file system (names, statements, notes, paths) can never act on the
terminal: control characters and bidi overrides are shown as ``\\x1b`` and
``<U+202E>``, and a newline inside a value is shown as ``\\n`` instead of
starting a line of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..domain.formatting import (
    people_words,
    plural,
    safe_text,
    tier_label,
    verdict_label,
)
from ..render.words import sensitivity_text as _sensitivity

if TYPE_CHECKING:
    from ..domain import Evaluation


def say(text: object = "", *, err: bool = False) -> None:
    """Print one line, made safe: nothing in it can act on the terminal."""
    click.echo(safe_text(text), err=err)


def say_lines(lines, *, err: bool = False, indent: str = "") -> None:
    for line in lines:
        say(indent + line, err=err)


def harmed_text(low: float | None, high: float | None) -> str:
    """``11.2-490 people harmed``; ``fewer than 1 person harmed``."""
    return f"{people_words(low, high)} harmed"


def sensitivity_text(s) -> str:
    """A :class:`~aipm_workbench.domain.SensitivityChange` in words."""
    return _sensitivity(s.harm_id, s.rating, s.residual, s.old, s.new, s.verdict)


def _priority_line(ev: Evaluation) -> str:
    if not ev.harms:
        return "priority: - (no harms recorded)"
    line = (
        f"priority: {tier_label(ev.residual_priority)} residual, "
        f"{tier_label(ev.priority)} inherent; max rpn {ev.residual_max_rpn} "
        f"(inherent {ev.max_rpn})"
    )
    if ev.harmed_high is not None:
        line += f"; {harmed_text(ev.harmed_low, ev.harmed_high)}"
    return line


def _harm_lines(ev: Evaluation) -> list[str]:
    """One line per harm: the inherent tier and its rule, then the residual tier and its rule."""
    width = max(len(h.id) for h in ev.harms)
    inherent = [f"{h.inherent.tier.label} ({h.inherent.rule.id})" for h in ev.harms]
    left = max(len(t) for t in inherent)
    lines = ["harms:"]
    for h, before in zip(ev.harms, inherent, strict=True):
        after = f"{h.residual.tier.label} ({h.residual.rule.id})"
        people = ""
        if h.exposure:
            people = f"  {harmed_text(h.exposure.harmed_low, h.exposure.harmed_high)}"
        lines.append(
            f"  {h.id:<{width}}  {before:>{left}} -> {after:<13} "
            f"rpn {h.rpn}->{h.residual_rpn}{people}"
        )
    return lines


def describe(ev: Evaluation) -> list[str]:
    """A per-feature summary: tiers, verdicts, harms, findings, sensitivity; every line safe."""
    a = ev.assessment
    f = a.feature
    lines = [f"{f.id}: {f.name} ({f.stage.value})", _priority_line(ev)]
    lines.append(f"recommended: {verdict_label(ev.recommended)} ({ev.recommended_reason})")
    d = a.decision
    if d is None:
        lines.append(f"chosen: {verdict_label(None)}")
    else:
        review = f", review by {ev.review_by}" + (" OVERDUE" if ev.overdue else "")
        lines.append(
            f"chosen: {verdict_label(d.verdict)} ({d.status.value} {d.decided_on}{review})"
        )
    if ev.harms:
        lines += _harm_lines(ev)
    if ev.findings:
        lines.append(f"findings: {plural(ev.errors, 'error')}, {plural(ev.warnings, 'warning')}")
        for fi in ev.findings:
            lines.append(f"  {fi.level.value:<7} {fi.code} {fi.about}: {fi.message}")
    else:
        lines.append("findings: none")
    if ev.sensitivity:
        lines.append("what would change the verdict:")
        for s in ev.sensitivity:
            lines.append(f"  {sensitivity_text(s)}")
    return [safe_text(line) for line in lines]


def living_lines(live, ev: Evaluation) -> list[str]:
    """Where the decision stands (a ``LiveDecision``, or None), and what observations
    changed: the recommendation they give against the one the decision was made on."""
    lines = []
    if live is not None:
        state = live.state.value
        reason = live.reason.removeprefix(f"{state}: ")
        lines.append(f"decision state: {state}" + (f" ({reason})" if reason else ""))
        if live.standing_revision is not None:
            d = live.standing.assessment.decision
            lines.append(
                f"standing decision: revision {live.standing_revision}, "
                f"{verdict_label(d.verdict)} on {d.decided_on}, review by {live.review_by}"
            )
        for s in live.signals:
            lines.append(f"  {s.message}")
    if ev.observations:
        lines.append(f"observations: {plural(len(ev.observations), 'standing value')}")
        if ev.decided_against != ev.recommended:
            lines.append(
                f"  observations change the recommendation: "
                f"{verdict_label(ev.decided_against)} -> {verdict_label(ev.recommended)}"
            )
    return [safe_text(line) for line in lines]


def revision_mark_text(mark, standing: int | None, earlier: bool = False) -> str:
    """What one revision did to the decision (``services.records.RevisionMark``);
    ``standing`` is the revision whose decision stands now, ``earlier`` says an
    earlier revision had a decision."""
    parts = []
    if mark.remade:
        parts.append("re-made the decision" if earlier else "made the decision")
    if mark.stale:
        on = f" (the decision of r{mark.standing} stood)" if mark.standing else ""
        parts.append(f"stale: its decision does not match its content{on}")
    elif mark.decided and not mark.remade:
        if mark.standing == mark.number:  # the same decision on the same content
            parts.append("repeats the decision unchanged")
        else:
            parts.append(f"carries the decision of r{mark.standing} unchanged")
    if mark.withdrawn:
        parts.append("withdrew the decision")
    if standing is not None and mark.number == standing:
        parts.append("STANDING")
    return "; ".join(parts)
