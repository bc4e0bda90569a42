"""A record's tables stay readable at 80 columns in the app's Markdown view:
ratings, tiers and rules are never cut short with an ellipsis."""

from __future__ import annotations

import asyncio
import html
import re

import pytest
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)
from textual.app import App
from textual.widgets import Markdown

from aipm_workbench.domain import evaluate, read_assessment
from aipm_workbench.render import Renderer, record_context

# The samples with the longest harm and fallback ids and the most fallbacks.
SAMPLES = ["radiology-prelabels", "support-bot", "fraud-alerts", "credit-limit-assist"]


def shown_lines(text: str, width: int) -> list[str]:
    """The lines a Markdown widget shows for ``text`` in a terminal ``width`` columns wide."""

    class Viewer(App):
        def compose(self):
            yield Markdown(text)

    async def run() -> str:
        app = Viewer()
        async with app.run_test(size=(width, 200)) as pilot:
            await pilot.pause()
            await pilot.pause()
            return app.export_screenshot()

    svg = asyncio.run(run())
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(m.group(2)), []).append(
            (float(m.group(1)), html.unescape(m.group(3)))
        )
    return ["".join(t for _, t in sorted(parts)) for _, parts in sorted(rows.items())]


def tables_of(record: str) -> str:
    """The record's Harms and Fallbacks sections, up to their prose details."""
    harms = record[record.index("## Harms") : record.index("Rules that fired")]
    fallbacks = record[record.index("## Fallbacks") : record.index("### Human-review load")]
    metrics = record[record.index("## Metrics") : record.index("## Premortem")]
    return harms + "\n" + fallbacks + "\n" + metrics


@pytest.mark.parametrize("name", SAMPLES)
def test_record_tables_are_never_cut_short_at_80_columns(sample_projects, name):
    ev = evaluate(read_assessment(sample_projects / f"{name}.toml"), TODAY)
    record = Renderer().decision_record(record_context(ev))
    lines = shown_lines(tables_of(record), 80)
    cells = [line for line in lines if "│" in line]
    assert cells, "the tables were not shown"
    assert not [line for line in cells if "…" in line]
    shown = "".join(cells).replace("\xa0", "").replace(" ", "")
    for h in ev.harms:  # whole, though perhaps wrapped onto two lines of a cell
        assert h.id in shown
        for ratings in (h.ratings, h.residual_ratings):
            assert "/".join(map(str, ratings)) in shown
    for fb in ev.assessment.fallbacks:
        assert fb.id in shown
