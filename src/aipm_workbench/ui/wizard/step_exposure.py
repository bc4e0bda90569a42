"""Step (d): exposure. Three factor ranges per harm, and the product and the
people-harmed bounds computed live (DOMAIN.md section 5)."""

from __future__ import annotations

from types import SimpleNamespace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, Select, Static

from ...domain import Exposure, Step, exposure_bounds
from ...domain.evaluation import EXPOSURE_SPREAD_LIMIT
from ...domain.formatting import people, people_range, share
from .base import ItemSelect, NextHarmButton, StepPane, harm_label
from .fields import Field, Scope, text_input
from .live import Live
from .protocol import Command
from .state import get_path, set_path

FACTORS = (
    ("high_risk_share", "High-risk share", "of all: high-risk"),
    ("exposed_share", "Exposed share", "of them: exposed"),
    ("harmed_share", "Harmed share", "of exposed: harmed"),
)


def exposure_cell(factor: str, side: int) -> Field:
    which = "low" if side == 0 else "high"
    return Field(
        f"exposure.{factor}[{side}]",
        None,
        text_input(which, id=f"exposure-{factor}-{which}"),
        kind="share",
        classes="-cell",
    )


class ExposureStep(StepPane):
    step = Step.exposure
    per_harm = True
    title = "4 · Exposure (optional)"
    intro = (
        "A bounding estimate of the people harmed: of everyone reached, the share at high risk; "
        "of those, the share exposed to the failure; of the exposed, the share harmed. Each is a "
        "range, low to high (0 < low <= high <= 1; 5% is 0.05). Leave all empty for no estimate."
    )

    def compose_header(self) -> ComposeResult:
        with Horizontal(classes="item-bar"):
            yield Label("Harm", classes="bar-label")
            yield ItemSelect(
                [], prompt="No harms yet: add one in step 2", compact=True, id="exposure-select"
            )

    def compose_body(self) -> ComposeResult:
        yield Live("Add a harm in step 2 first.", id="exposure-empty", classes="empty")
        with Scope("harms[0]", id="exposure-form"):
            yield Live(id="exposure-population", classes="guidance")
            with Horizontal(classes="exposure-row exposure-head"):
                yield Label("", classes="field-label")
                yield Label("low", classes="exposure-col")
                yield Label("high", classes="exposure-col")
            for factor, label, hint in FACTORS:
                with Horizontal(classes="exposure-row"):
                    yield Label(label, classes="field-label")
                    yield exposure_cell(factor, 0)
                    yield exposure_cell(factor, 1)
                    yield Label(hint, classes="exposure-hint")
            yield Live(id="exposure-problems", classes="problems", markup=False)
            yield Live(id="exposure-result", classes="live")
            with Horizontal(classes="exposure-actions"):
                yield NextHarmButton("Next harm", id="exposure-next", compact=True)
                yield Button("Clear the estimate", id="exposure-clear", compact=True)

    @property
    def harms(self) -> list[dict]:
        return self.data["harms"]

    def load(self) -> None:
        harms = self.harms
        current = self.wizard.current_harm
        self.query_one("#exposure-select", ItemSelect).show_items(
            [harm_label(h, i) for i, h in enumerate(harms)], current
        )
        self.query_one("#exposure-empty").display = not harms
        self.query_one("#exposure-form").display = bool(harms)
        if harms:
            self.query_one("#exposure-form", Scope).base = f"harms[{current}]"
            super().load()
            self.show_next_harm()
        self.refresh_live(self.wizard.snapshot)

    def shown(self) -> None:
        self.open_at_first_to_do()

    def after_change(self, path: str, old: object) -> None:
        """No value left in the ranges: no estimate at all."""
        base = f"harms[{self.wizard.current_harm}].exposure"
        exposure = get_path(self.data, base)
        if isinstance(exposure, dict) and all(
            v is None for rng in exposure.values() if isinstance(rng, list) for v in rng
        ):
            set_path(self.data, base, None)

    def refresh_live(self, snapshot) -> None:
        harms = self.harms
        if not harms:
            return
        index = self.wizard.current_harm
        feature = self.data["feature"]
        population = (
            feature.get("population") if isinstance(feature.get("population"), int) else None
        )
        unit = feature.get("population_unit") or "monthly users"
        pop_text = Text()
        pop_text.append("Population  ", "bold")
        if population is None:
            pop_text.append("not set: set it in step 1 to bound the people harmed")
        else:
            pop_text.append(f"{people(population)} {unit}  (from step 1)")
        self.query_one("#exposure-population", Static).update(pop_text)

        problems = snapshot.problems_at(f"harms[{index}].exposure")
        self.query_one("#exposure-problems", Static).update(
            "\n".join(f"✖ {p.text}" for p in problems)
        )
        self.query_one("#exposure-problems").display = bool(problems)
        out = Text()
        flagged = False
        raw = harms[index].get("exposure")
        if not raw:
            out.append("No estimate for this harm.", "italic")
        else:
            try:
                exposure = Exposure.model_validate(raw)
            except Exception:  # noqa: BLE001 - the problems above say what is wrong
                exposure = None
            if exposure is None:
                out.append("Fill in all six shares to see the bounds.", "italic")
            else:
                bounds = exposure_bounds(SimpleNamespace(exposure=exposure), population)  # type: ignore[arg-type]
                out.append("Product        ", "bold")
                out.append(f"{share(bounds.low_product)} to {share(bounds.high_product)}\n")
                out.append("People harmed  ", "bold")
                if population is None:
                    out.append("needs the population (step 1)\n")
                else:
                    out.append(f"{people_range(bounds.harmed_low, bounds.harmed_high)} people\n")
                spread = bounds.factor_spread  # never divides by an underflowed zero
                out.append("Spread         ", "bold")
                if bounds.needs_evidence:
                    out.append(
                        f"⚠ {spread:,.0f}x between low and high: more than "
                        f"{EXPOSURE_SPREAD_LIMIT}x, gather evidence to narrow the ranges (F06)",
                        "bold",
                    )
                    flagged = True
                else:
                    out.append(f"{spread:,.0f}x (within {EXPOSURE_SPREAD_LIMIT}x)")
        result = self.query_one("#exposure-result", Static)
        result.set_class(flagged, "-flagged")
        result.update(out)

    @on(Select.Changed, "#exposure-select")
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, int):
            self.wizard.current_harm = event.value
            self.load()

    @on(Button.Pressed, "#exposure-clear")
    def _clear(self, event: Button.Pressed) -> None:
        event.stop()
        self.clear_estimate()

    def commands(self) -> list[Command]:
        return [
            (
                "Clear the exposure estimate",
                "Remove the current harm's estimate",
                self.clear_estimate,
            )
        ]

    def clear_estimate(self) -> None:
        if not self.harms:
            return
        set_path(self.data, f"harms[{self.wizard.current_harm}].exposure", None)
        self.wizard.structure_changed()
