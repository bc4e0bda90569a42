"""Shared fixtures: the sample projects, a fixed "today", and a builder of small assessments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from aipm_workbench.domain import Assessment, Evaluation, evaluate, parse_assessment

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def sample_projects() -> Path:
    return ROOT / "sample_projects"


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    """Fix the workbench's "today" (AIPM_WORKBENCH_TODAY) at 2026-11-28."""
    monkeypatch.setenv("AIPM_WORKBENCH_TODAY", TODAY.isoformat())
    return TODAY


class Build:
    """Builds small valid assessments through the real loader.

    With no arguments the result is clean: no harms, one product metric decided
    long before today, one premortem item, no decision, and no findings.
    """

    today = TODAY

    @staticmethod
    def harm(hid: str, s: int, l: int, r: int, d: int, **more: Any) -> dict:  # noqa: E741
        return {
            "id": hid,
            "type": "rights.privacy",
            "source": "system_error",
            "statement": f"If {hid} happens, then someone could be hurt.",
            "severity": s,
            "likelihood": l,
            "reversibility": r,
            "detectability": d,
            **more,
        }

    @staticmethod
    def fallback(fid: str, covers: list[str], kind: str = "block", **more: Any) -> dict:
        """A fallback, tested on 2026-01-15 unless ``tested_on=None``."""
        data = {
            "id": fid,
            "covers": covers,
            "kind": kind,
            "trigger": "Something goes wrong",
            "action": "The product does something safe",
            "tested_on": dt.date(2026, 1, 15),
            **more,
        }
        return {k: v for k, v in data.items() if v is not None}

    @staticmethod
    def metric(kind: str = "product", decided_on: dt.date = dt.date(2026, 1, 10)) -> dict:
        return {
            "name": f"A {kind} metric",
            "kind": kind,
            "target": "a target",
            "decided_on": decided_on,
        }

    def data(
        self,
        *,
        harms: list[dict] = (),
        fallbacks: list[dict] = (),
        metrics: list[dict] | None = None,
        hypotheses: list[dict] = (),
        premortem: list[dict] | None = None,
        decision: dict | None = None,
        feature: dict | None = None,
        **top: Any,
    ) -> dict:
        data: dict[str, Any] = {
            "format": "aipm-assessment/1",
            "feature": {"id": "feat", "name": "A feature", **(feature or {})},
            "harms": list(harms),
            "fallbacks": list(fallbacks),
            "metrics": [self.metric()] if metrics is None else list(metrics),
            "hypotheses": list(hypotheses),
            "premortem": [{"failure": "It failed."}] if premortem is None else list(premortem),
            **top,
        }
        if decision is not None:
            data["decision"] = decision
        return data

    def __call__(self, **parts: Any) -> Assessment:
        return parse_assessment(self.data(**parts), "test.toml")

    def evaluate(self, **parts: Any) -> Evaluation:
        return evaluate(self(**parts), self.today)


@pytest.fixture(scope="session")
def build() -> Build:
    return Build()


@pytest.fixture(scope="module")
def sample_template(tmp_path_factory):
    """A workbench database holding the sample portfolio, built once per module."""
    from ui_support import sample_store

    path = tmp_path_factory.mktemp("ui-template") / "samples.duckdb"
    sample_store(path)
    return path


@pytest.fixture
def db(sample_template, tmp_path):
    """A copy of the sample portfolio's database for one test to change."""
    from ui_support import copy_db

    return copy_db(sample_template, tmp_path / "workbench.duckdb")


@pytest.fixture
def team(tmp_path):
    """A team's workspace: a git repository with three sample assessments, committed."""
    from workspace_support import make_team

    return make_team(tmp_path)
