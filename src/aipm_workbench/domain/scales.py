"""The four rating scales (DOMAIN.md section 3): 1 to 5, higher is always worse."""

from __future__ import annotations

from dataclasses import dataclass

from .models import RATINGS

DIRECTION = "1 to 5, higher is always worse"


@dataclass(frozen=True)
class Scale:
    key: str  # the field name: severity, likelihood, reversibility, detectability
    letter: str  # S, L, R, D
    label: str
    question: str
    anchors: tuple[str, str, str, str, str]

    def anchor(self, value: int) -> str:
        return self.anchors[value - 1]

    @property
    def direction(self) -> str:
        return f"{self.label}: {DIRECTION}"


SCALES: dict[str, Scale] = {
    "severity": Scale(
        "severity",
        "S",
        "Severity",
        "How bad is it for the person harmed?",
        (
            "negligible: annoyance, nothing lasting",
            "minor: recoverable inconvenience",
            "substantial: material loss, distress",
            "severe: denied service, sensitive data exposed, injury",
            "catastrophic: death, lasting injury, lost liberty, mass harm",
        ),
    ),
    "likelihood": Scale(
        "likelihood",
        "L",
        "Likelihood",
        "How often does it happen, per exposed use?",
        (
            "below 1 in 100,000",
            "1 in 100,000 to 1 in 10,000",
            "1 in 10,000 to 1 in 1,000",
            "1 in 1,000 to 1 in 100",
            "1 in 100 or more",
        ),
    ),
    "reversibility": Scale(
        "reversibility",
        "R",
        "Reversibility",
        "Can the mistake be undone?",
        (
            "user undoes or ignores it at once",
            "operator reverses it within a day",
            "reversible with effort: weeks, appeal, refund",
            "partly reversible: records or reputation stay damaged",
            "irreversible",
        ),
    ),
    "detectability": Scale(
        "detectability",
        "D",
        "Detectability",
        "Who would notice it, and when?",
        (
            "a guardrail blocks it before any output",
            "monitoring catches it within hours",
            "operator sampling catches it within weeks",
            "surfaces only when the affected person complains",
            "nobody can notice it with today's instrumentation",
        ),
    ),
}

assert tuple(SCALES) == RATINGS

LETTERS = {s.letter: s.key for s in SCALES.values()}
