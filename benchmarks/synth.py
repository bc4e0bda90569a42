"""Seeded synthetic portfolios for benchmarks (and tests that need volume)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from aipm_workbench.domain import Assessment, builtin_taxonomy, dump_toml, parse_assessment
from aipm_workbench.domain.vocab import FallbackKind, Source, Stage, Verdict

STAGES = [s.value for s in Stage]
SOURCES = [s.value for s in Source]
KINDS = [k.value for k in FallbackKind]
VERDICTS = [v.value for v in Verdict]


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: float | None = None  # the value must be below this
    note: str = ""

    @property
    def ok(self) -> bool | None:
        return None if self.target is None else self.value < self.target

    def line(self) -> str:
        fig = (
            f"{self.value:,.3f} {self.unit}"
            if self.value < 100 and not isinstance(self.value, int)
            else f"{self.value:,.0f} {self.unit}"
        )
        target = (
            f"target < {self.target:,g} {self.unit}" if self.target is not None else "no target"
        )
        mark = {True: "ok", False: "MISSED", None: ""}[self.ok]
        note = f"  ({self.note})" if self.note else ""
        return f"{self.name:<58} {fig:>16}   {target:<22} {mark}{note}"


def assessment_data(i: int, rng: random.Random, harms: int = 5) -> dict:
    types = builtin_taxonomy().ids()
    fid = f"feature-{i:06d}"
    harm_list = []
    for h in range(harms):
        harm = {
            "id": f"harm-{h}",
            "type": rng.choice(types),
            "source": rng.choice(SOURCES),
            "statement": f"If feature {i} fails in way {h}, then users could be harmed.",
            "affected": "users",
            "severity": rng.randint(1, 5),
            "likelihood": rng.randint(1, 5),
            "reversibility": rng.randint(1, 5),
            "detectability": rng.randint(1, 5),
        }
        if rng.random() < 0.5:
            lo = [round(rng.uniform(0.001, 0.05), 4) for _ in range(3)]
            harm["exposure"] = {
                "high_risk_share": [lo[0], min(1.0, lo[0] * 3)],
                "exposed_share": [lo[1], min(1.0, lo[1] * 2)],
                "harmed_share": [lo[2], min(1.0, lo[2] * 2)],
            }
        if rng.random() < 0.6:
            harm["residual"] = {"likelihood": 1, "detectability": rng.randint(1, 3)}
        harm_list.append(harm)
    fallbacks = [
        {
            "id": f"fb-{h}",
            "covers": [f"harm-{h}"],
            "kind": rng.choice(KINDS),
            "trigger": "confidence below threshold",
            "action": "route to a person",
            **({"tested_on": dt.date(2026, 1, 1 + h)} if rng.random() < 0.7 else {}),
        }
        for h in range(harms)
        if rng.random() < 0.7
    ]
    data = {
        "format": "aipm-assessment/1",
        "taxonomy": "builtin/1",
        "feature": {
            "id": fid,
            "name": f"Feature {i}",
            "owner": rng.choice(["Dana Reyes", "Sam Okafor", "Lee Park"]),
            "stage": rng.choice(STAGES),
            "description": "A synthetic feature for benchmarks.",
            "population": rng.randint(1_000, 5_000_000),
        },
        "harms": harm_list,
        "fallbacks": fallbacks,
        "metrics": [
            {
                "name": "Escalation rate",
                "kind": "product",
                "target": "below 2%",
                "decided_on": dt.date(2026, 1, 5),
            }
        ],
        "hypotheses": [
            {
                "id": "saves-time",
                "statement": "Users save time.",
                "falsified_if": "no time saved",
                "check_by": dt.date(2027, 6, 30),
            }
        ],
        "premortem": [{"failure": "Nobody trusted it.", "signal": "override rate"}],
    }
    if rng.random() < 0.8:
        data["decision"] = {
            "verdict": rng.choice(VERDICTS),
            "status": "accepted",
            "rationale": "synthetic",
            "decided_by": ["Dana Reyes"],
            "decided_on": dt.date(2026, 2, 1),
            "review_by": dt.date(2027, 2, 1),
        }
    return data


def assessments(n: int, seed: int = 7, harms: int = 5) -> list[Assessment]:
    rng = random.Random(seed)
    return [parse_assessment(assessment_data(i, rng, harms), f"synthetic-{i}") for i in range(n)]


def write_files(folder: Path, n: int, seed: int = 7, harms: int = 5) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in assessments(n, seed, harms):
        p = folder / f"{a.feature.id}.toml"
        p.write_text(dump_toml(a), encoding="utf-8")
        paths.append(p)
    return paths
