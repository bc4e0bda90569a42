"""Step (a): the feature under assessment."""

from __future__ import annotations

from textual.app import ComposeResult

from ...domain import Stage, Step
from .base import StepPane
from .fields import Field, Scope, choice, text_area, text_input

STAGES = [(s.value, s.value) for s in Stage]


class FeatureStep(StepPane):
    step = Step.feature
    title = "1 · The feature"
    intro = "The AI capability under assessment, and how many people it reaches."

    def compose_body(self) -> ComposeResult:
        yield Scope(
            "feature",
            Field(
                "name",
                "Name",
                text_input("Voice summaries for recorded calls", id="feature-name"),
                required=True,
            ),
            Field(
                "id",
                "Id",
                text_input("derived from the name", id="feature-id"),
                required=True,
                hint="Lowercase letters, digits and '-'; derived from the name until you edit it.",
                id="feature-id-field",
            ),
            Field(
                "owner",
                "Owner",
                text_input("who answers for it", id="feature-owner"),
                hint=(
                    "Suggested from git's user.name; change it if someone else answers for it."
                    if self.wizard.owner_suggested
                    else None
                ),
            ),
            Field(
                "stage",
                "Stage",
                choice(STAGES, blank=False, value=Stage.concept.value, id="feature-stage"),
                kind="choice",
            ),
            Field(
                "description",
                "Description",
                text_area(
                    "What it does, for whom, and what is decided now.", id="feature-description"
                ),
            ),
            Field(
                "population",
                "Population",
                text_input("e.g. 1,400,000", id="feature-population"),
                kind="int",
                hint="People (or uses) it reaches per month; bounds the people harmed.",
            ),
            Field(
                "population_unit",
                "Unit",
                text_input("monthly users", id="feature-unit"),
            ),
        )

    def load(self) -> None:
        super().load()
        id_input = self.query_one("#feature-id")
        id_input.disabled = self.wizard.editing
        hint = self.query_one("#feature-id-field .field-hint")
        hint.update(
            "A saved feature keeps its id; a new id would make a new feature."
            if self.wizard.editing
            else "Lowercase letters, digits and '-'; derived from the name until you edit it."
        )
