"""Step (c): ratings. The four scales with every anchor on screen, and the tier,
the rule that fired and the rpn, live."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Select, Static

from ...domain import RATINGS, Step, priority, rpn
from ...domain.scales import DIRECTION
from ..widgets.precedents import PrecedentsField, ReferenceRows
from ..widgets.rating import RatingScale
from .base import ItemSelect, NextHarmButton, StepPane, TierBadge, harm_label
from .fields import Field, Scope, choice, text_area, text_input
from .live import Live
from .state import rated_tier

CONFIDENCE = [("low", "low"), ("medium", "medium"), ("high", "high")]


def tier_line(ratings: list[int | None]) -> tuple[str | None, str]:
    """The tier name and ``rule ... · rpn N`` for four ratings, or what is missing."""
    if any(r is None for r in ratings):
        missing = [k for k, r in zip(RATINGS, ratings, strict=True) if r is None]
        return None, f"rate {', '.join(missing)} to see the tier"
    s, l, r, d = ratings  # noqa: E741
    p = priority(s, l, r, d)  # type: ignore[arg-type]
    return p.tier.name, f"rpn {rpn(s, l, r, d)} · rule {p.rule.label}"  # type: ignore[arg-type]


class RatingsStep(StepPane):
    step = Step.ratings
    per_harm = True
    title = "3 · Ratings"
    intro = (
        f"Rate each harm on the four scales, {DIRECTION}: type 1-5 or use the arrow keys, "
        "Tab to the next scale."
    )

    def compose_header(self) -> ComposeResult:
        with Horizontal(classes="item-bar"):
            yield Label("Harm", classes="bar-label")
            yield ItemSelect(
                [], prompt="No harms yet: add one in step 2", compact=True, id="ratings-select"
            )
        with Horizontal(id="ratings-result", classes="live"):
            yield TierBadge("-", id="ratings-tier")
            yield Live("", id="ratings-rule", markup=False)
        # The reference ratings of the linked precedents, beside the PM's own.
        yield ReferenceRows("", id="ratings-reference", markup=False)

    def compose_body(self) -> ComposeResult:
        yield Live("Add a harm in step 2 first.", id="ratings-empty", classes="empty")
        yield Scope(
            "harms[0]",
            Live(id="ratings-statement", classes="guidance", markup=False),
            *[
                Field(key, None, RatingScale(key, id=f"rate-{key}"), kind="rating", required=True)
                for key in RATINGS
            ],
            Field(
                "rationale", "Rationale", text_area("Why these ratings?", id="ratings-rationale")
            ),
            Field(
                "rater_confidence",
                "Confidence",
                choice(CONFIDENCE, prompt="how sure are you?", id="ratings-confidence"),
                kind="choice",
            ),
            Field(
                "evidence",
                "Evidence",
                text_input("sources, comma-separated", id="ratings-evidence"),
                kind="list",
            ),
            PrecedentsField(id="ratings-precedents"),
            NextHarmButton("Next harm", id="ratings-next", compact=True),
            id="ratings-form",
        )

    def load(self) -> None:
        harms = self.data["harms"]
        current = self.wizard.current_harm
        self.query_one("#ratings-select", ItemSelect).show_items(
            [harm_label(h, i) for i, h in enumerate(harms)], current
        )
        self.query_one("#ratings-empty").display = not harms
        self.query_one("#ratings-form").display = bool(harms)
        self.query_one("#ratings-result").display = bool(harms)
        if harms:
            self.query_one("#ratings-form", Scope).base = f"harms[{current}]"
            super().load()
            statement = harms[current].get("statement") or "(no statement yet: write it in step 2)"
            self.query_one("#ratings-statement", Static).update(statement)
            self.show_next_harm()
        self.refresh_live(self.wizard.snapshot)

    def shown(self) -> None:
        self.open_at_first_to_do()

    def first_to_do(self) -> int:
        """The first harm not rated on all four scales (else the first)."""
        for i, harm in enumerate(self.data["harms"]):
            if rated_tier(harm) is None:
                return i
        return 0

    def refresh_live(self, snapshot) -> None:
        harms = self.data["harms"]
        if not harms:
            return
        harm = harms[self.wizard.current_harm]
        ratings = [harm.get(k) if isinstance(harm.get(k), int) else None for k in RATINGS]
        tier, text = tier_line(ratings)
        self.query_one("#ratings-tier", TierBadge).show(tier, None if tier else "no tier yet")
        self.query_one("#ratings-rule", Static).update(text)
        self.query_one("#ratings-reference", ReferenceRows).show(harm)
        self.query_one("#ratings-precedents", PrecedentsField).show_for(harm)

    @on(Select.Changed, "#ratings-select")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, int):
            self.wizard.current_harm = event.value
            self.load()
