"""The portfolio report offers both risk matrices, each titled with its axes and ratings."""

from __future__ import annotations

from ui_support import TODAY, sample_store

from aipm_workbench.services import records


def test_the_report_has_both_grids_titled_with_their_axes_and_ratings(tmp_path):
    store = sample_store(tmp_path / "samples.duckdb")
    report = records.portfolio_markdown(store, today=TODAY)
    assert "**Reversibility x detectability (residual ratings)**" in report
    assert "### Severity x likelihood (residual ratings)" in report
    severity = report.split("### Severity x likelihood", 1)[1].split("\n## ", 1)[0]
    counts = store.risk_matrix(axes=("severity", "likelihood"))
    harms = sum(sum(c.values()) for c in counts.values())
    # every harm is counted once in the grid, by its residual tier
    cells = [
        cell.strip()
        for line in severity.splitlines()
        if line.startswith("| **S")
        for cell in line.split("|")[2:-1]
    ]
    counted = sum(
        int(part.split()[1]) for cell in cells if cell != "-" for part in cell.split(" · ")
    )
    assert counted == harms > 0
    top = next(line for line in severity.splitlines() if line.startswith("| **S5**"))
    s5 = [counts[(5, likelihood)] for likelihood in range(1, 6)]
    assert top.count("-") >= sum(1 for c in s5 if not c)
