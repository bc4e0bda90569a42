"""Human-readable text for the terminal, shared by commands."""

from __future__ import annotations

from ..domain import Evaluation
from ..domain.formatting import people_range


def tier_label(t) -> str:
    return t.label if t is not None else "-"


def describe(ev: Evaluation) -> list[str]:
    """A per-feature summary: tiers, verdicts, harms, findings, sensitivity."""
    a = ev.assessment
    f = a.feature
    lines = [f"{f.id}: {f.name} ({f.stage.value})"]
    if ev.harms:
        lines.append(
            f"priority: {tier_label(ev.residual_priority)} residual, "
            f"{tier_label(ev.priority)} inherent; max rpn {ev.residual_max_rpn} "
            f"(inherent {ev.max_rpn})"
            + (
                f"; up to {people_range(ev.harmed_low, ev.harmed_high)} people harmed"
                if ev.harmed_high is not None
                else ""
            )
        )
    else:
        lines.append("priority: - (no harms recorded)")
    lines.append(f"recommended: {ev.recommended.value} ({ev.recommended_reason})")
    d = a.decision
    if d is None:
        lines.append("chosen: undecided")
    else:
        review = f", review by {ev.review_by}" + (" OVERDUE" if ev.overdue else "")
        lines.append(f"chosen: {d.verdict.value} ({d.status.value} {d.decided_on}{review})")
    if ev.harms:
        lines.append("harms:")
        width = max(len(h.id) for h in ev.harms)
        for h in ev.harms:
            people = (
                f"  people {people_range(h.exposure.harmed_low, h.exposure.harmed_high)}"
                if h.exposure
                else ""
            )
            lines.append(
                f"  {h.id:<{width}}  {h.inherent.tier.label:>8} -> {h.residual.tier.label:<8} "
                f"{h.inherent.rule.id:<3} rpn {h.rpn}->{h.residual_rpn}{people}"
            )
    if ev.findings:
        lines.append(
            f"findings: {ev.errors} error{'s' if ev.errors != 1 else ''}, "
            f"{ev.warnings} warning{'s' if ev.warnings != 1 else ''}"
        )
        for fi in ev.findings:
            lines.append(f"  {fi.level.value:<7} {fi.code} {fi.about}: {fi.message}")
    else:
        lines.append("findings: none")
    if ev.sensitivity:
        lines.append("what would change the verdict:")
        for s in ev.sensitivity:
            lines.append(f"  {s.text}")
    return lines
