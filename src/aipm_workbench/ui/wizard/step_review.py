"""Step (g): review the problems and findings (Enter jumps to the step that fixes
one), see what would change the verdict, choose the verdict and save."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain import DecisionStatus, Finding, Step, Tier, Verdict
from ...domain.evaluation import REVIEW_DAYS
from ...domain.living import sign_off_missing
from .base import StepPane, TierBadge
from .deciding import content_changed, stale_note
from .fields import Field, Scope, choice, text_area, text_input
from .live import Live
from .state import STEP_TITLES, Problem, Snapshot

VERDICTS = [(v.label, v.value) for v in Verdict]
# The badge colour of a recommended verdict: the tier that calls for it.
VERDICT_TIERS = {
    Verdict.kill: Tier.critical,
    Verdict.hold: Tier.high,
    Verdict.ship_with_guardrails: Tier.medium,
    Verdict.ship: Tier.low,
}
DECISION_STATUSES = [(s.value, s.value) for s in DecisionStatus]


def finding_path(finding: Finding, data: dict) -> str:
    """Where a finding is fixed: the FORMAT.md path of the field (or list) to edit."""
    kind, _, ident = finding.about.partition(":")

    def index(collection: str) -> int | None:
        for i, item in enumerate(data.get(collection) or []):
            if isinstance(item, dict) and item.get("id") == ident:
                return i
        return None

    code = finding.code
    if kind == "harm":
        i = index("harms")
        if i is None:
            return "harms"
        if code == "F06":
            return f"harms[{i}].exposure.high_risk_share[0]"
        if code in ("F05", "F13"):
            return f"harms[{i}].residual.severity"
        return "fallbacks"
    if kind == "fallback":
        i = index("fallbacks")
        return f"fallbacks[{i}].reviewer_capacity_per_day" if i is not None else "fallbacks"
    if kind == "hypothesis":
        i = index("hypotheses")
        if i is None:
            return "hypotheses"
        return f"hypotheses[{i}].status" if code == "F14" else f"hypotheses[{i}].falsified_if"
    if kind == "decision":
        if code == "F08":
            return "decision.review_by"
        if code == "F16":
            return "decision.decided_by"
        if code == "F19":
            return "decision.decided_on"
        if code == "F12":
            return "fallbacks"
        return "decision.rationale"
    if kind == "feature":
        return "feature.population"
    return kind  # metrics, premortem


class ReviewStep(StepPane):
    step = Step.review
    title = "7 · Review and decide"
    intro = "Fix what blocks saving, weigh the findings, then choose the verdict and save a new revision."

    def compose_body(self) -> ComposeResult:
        yield Live(
            "Problems and findings · Enter jumps to the step that fixes one",
            classes="section-title",
        )
        yield OptionList(id="review-findings")
        yield Live("What would change the verdict", classes="section-title")
        yield Live(id="review-sensitivity", markup=False)
        with Horizontal(id="review-recommended", classes="live"):
            yield Label("Recommended", classes="field-label")
            yield TierBadge("-", id="review-verdict-badge")
            yield Live(id="review-reason", markup=False)
        yield Scope(
            "decision",
            Field(
                "verdict",
                "Verdict",
                choice(VERDICTS, blank=False, value=Verdict.hold.value, id="review-verdict"),
                kind="choice",
                required=True,
            ),
            Live(id="review-override", classes="guidance", markup=False),
            Live(id="review-standing", classes="guidance", markup=False),
            Field(
                "status",
                "Status",
                choice(
                    DECISION_STATUSES,
                    blank=False,
                    value=DecisionStatus.proposed.value,
                    id="review-status",
                ),
                kind="choice",
            ),
            Field("rationale", "Rationale", text_area("Why this verdict?", id="review-rationale")),
            Field(
                "decided_by",
                "Decided by",
                text_input("names, comma-separated", id="review-deciders"),
                kind="list",
            ),
            Field(
                "decided_on",
                "Decided on",
                text_input("YYYY-MM-DD", id="review-decided-on"),
                kind="date",
                required=True,
            ),
            Field(
                "review_by",
                "Review by",
                text_input("YYYY-MM-DD", id="review-review-by"),
                kind="date",
                hint="Defaults by the worst residual tier.",
                id="review-by-field",
            ),
            id="review-form",
        )
        yield Button("Save revision (ctrl+s)", id="review-save", variant="success", compact=True)
        yield Live(id="review-save-note", classes="guidance", markup=False)

    def first_focus(self):
        return self.query_one("#review-findings")

    def shown(self) -> None:
        self.wizard.ensure_decision()
        super().load()

    def load(self) -> None:
        super().load()
        self.refresh_live(self.wizard.snapshot)

    # -------------------------------------------------------------- live

    def refresh_live(self, snapshot: Snapshot) -> None:
        self._fill_findings(snapshot)
        ev = snapshot.evaluation
        sensitivity = self.query_one("#review-sensitivity", Static)
        badge = self.query_one("#review-verdict-badge", TierBadge)
        reason = self.query_one("#review-reason", Static)
        if ev is None:
            sensitivity.update("-")
            badge.show(None, "-")
            reason.update("complete the feature to see the recommendation")
            return
        if ev.sensitivity:
            sensitivity.update("\n".join(f" • {s.text}" for s in ev.sensitivity))
        else:
            sensitivity.update(" No single rating change of one step or more changes the verdict.")
        badge.show(VERDICT_TIERS[ev.recommended].name, ev.recommended.label.upper())
        prefix = "(from the complete items only) " if snapshot.partial else ""
        reason.update(prefix + ev.recommended_reason)
        decision = self.data.get("decision") or {}
        override = self.query_one("#review-override", Static)
        verdict = decision.get("verdict")
        if verdict and verdict != ev.recommended.value:
            override.update(
                f"Overrides the recommended {ev.recommended.value}: a rationale and at least one "
                "decider are required."
            )
        elif verdict:
            override.update("Follows the recommendation.")
        else:
            override.update("")
        standing = self.query_one("#review-standing", Static)
        standing.update(self._standing(snapshot))
        standing.display = bool(self._standing_text)
        hint = self.query_one("#review-by-field .field-hint", Static)
        worst = ev.residual_priority
        days = REVIEW_DAYS[worst] if worst is not None else REVIEW_DAYS[min(REVIEW_DAYS)]
        hint.update(
            f"Defaults to the decision date + {days} days (worst residual tier: "
            f"{worst.label if worst else 'none'}); edit it to choose another date."
        )
        note = self.query_one("#review-save-note", Static)
        if snapshot.assessment is None:
            note.update(f"Saving needs the problems above fixed first ({len(snapshot.problems)}).")
        else:
            note.update(
                f"Saves revision of {snapshot.assessment.feature.id}; findings do not block saving."
            )

    def _standing(self, snapshot: Snapshot) -> str:
        """The decision in words: made on other content (stale once saved so), or
        decided by its owner alone."""
        lines = []
        a, original = snapshot.assessment, self.wizard.original
        if a is not None and original is not None and content_changed(original, a):
            decided = original.decision.decided_on.isoformat()  # type: ignore[union-attr]
            lines.append(
                f"The decision of {decided} was made on other content: saving asks whether it "
                f"is made again now; if not, {stale_note(decided)}."
            )
        ev = snapshot.evaluation
        if (
            a is not None
            and ev is not None
            and sign_off_missing(a, ev.recommended, ev.residual_priority)
        ):
            owner = a.feature.owner or "the owner"
            lines.append(
                f"Decided by its owner alone: name someone other than {owner} under Decided by."
            )
        self._standing_text = "\n".join(lines)
        return self._standing_text

    def _fill_findings(self, snapshot: Snapshot) -> None:
        options: list[Option] = []
        self.targets: list[tuple[Step, str]] = []
        for problem in snapshot.problems:
            options.append(Option(self._problem_text(problem)))
            self.targets.append((problem.step, problem.path))
        ev = snapshot.evaluation
        for finding in ev.findings if ev else []:
            text = Text()
            mark = "✖" if finding.level == "error" else "⚠"
            text.append(f"{mark} {finding.code} {finding.level}: ", "bold")
            text.append(finding.message)
            text.append(f"  → {STEP_TITLES[finding.step]}", "italic")
            options.append(Option(text))
            self.targets.append((finding.step, finding_path(finding, self.data)))
        if not options:
            options.append(Option("No problems and no findings.", disabled=True))
        listing = self.query_one("#review-findings", OptionList)
        highlighted = listing.highlighted
        listing.set_options(options)
        if highlighted is not None and highlighted < len(options):
            listing.highlighted = highlighted
        elif self.targets:
            listing.highlighted = 0

    @staticmethod
    def _problem_text(problem: Problem) -> Text:
        text = Text()
        text.append("✖ ", "bold")
        text.append(f"{problem.where or problem.path}: ", "bold")
        text.append(problem.message)
        text.append(f"  → {STEP_TITLES[problem.step]}", "italic")
        return text

    # --------------------------------------------------------- actions

    @on(OptionList.OptionSelected, "#review-findings")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.targets):
            step, path = self.targets[event.option_index]
            self.wizard.go_to(step, focus_path=path)

    @on(Button.Pressed, "#review-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        self.wizard.action_save()

    def after_change(self, path: str, old: object) -> None:
        ev = self.wizard.snapshot.evaluation
        decision = self.data.get("decision") or {}
        if path == "decision.verdict":
            self.wizard.follows.verdict = (
                ev is not None and decision.get("verdict") == ev.recommended.value
            )
        elif path == "decision.review_by":
            self.wizard.follows.review_by = False
        elif path == "decision.decided_on":
            self.wizard.follows.review_by = (
                self.wizard.follows.review_by or "review_by" not in decision
            )
