"""services.records: records, portfolio and assessment exports from a real database file."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat

import pytest
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)
from markdown_check import assert_no_markup_from_text, inline_text, parse

from aipm_workbench.domain import Decision, iter_assessment_paths, read_assessment
from aipm_workbench.render import TemplateProblem
from aipm_workbench.services import records
from aipm_workbench.storage import Store

SAMPLE_IDS = sorted(p.stem for p in iter_assessment_paths(["sample_projects"]))


@pytest.fixture
def store(db) -> Store:
    """A copy of the sample database for one test (``db``: see conftest)."""
    return Store(db, lock_timeout=5)


def listing(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def text_of(path) -> str:
    parsed = parse(path.read_text(encoding="utf-8"))
    return "\n".join(inline_text(t) for t in parsed.tokens if t.type == "inline")


# ------------------------------------------------------------------ records


def test_every_exported_sample_record_parses_with_intact_tables(store, tmp_path):
    out = tmp_path / "records"
    paths = records.export_records(store, None, out, today=TODAY)
    assert sorted(p.name for p in paths) == [f"{fid}-r1.md" for fid in SAMPLE_IDS]
    assert sorted(os.listdir(out)) == [f"{fid}-r1.md" for fid in SAMPLE_IDS]  # no temp files
    for p in paths:
        parsed = parse(p.read_text(encoding="utf-8"))
        assert parsed.front_matter["feature"] == p.name.removesuffix("-r1.md")
        assert parsed.tables, p.name
        assert_no_markup_from_text(parsed)
        assert p.read_text(encoding="utf-8") == records.record_markdown(
            store, parsed.front_matter["feature"], today=TODAY
        )


def test_files_are_written_with_the_usual_permissions(store, tmp_path):
    (path,) = records.export_records(store, ["call-summaries"], tmp_path / "out", today=TODAY)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_an_existing_target_stops_the_export_before_anything_is_written(store, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "support-bot-r1.md").write_text("mine", encoding="utf-8")
    before = listing(out)
    with pytest.raises(records.ExportError) as err:
        records.export_records(store, None, out, today=TODAY)
    assert str(out / "support-bot-r1.md") in str(err.value)
    assert "--force" in str(err.value)
    assert listing(out) == before


def test_force_overwrites(store, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "support-bot-r1.md").write_text("mine", encoding="utf-8")
    records.export_records(store, ["support-bot"], out, force=True, today=TODAY)
    assert (out / "support-bot-r1.md").read_text(encoding="utf-8").startswith("---\nstatus:")


def _decide_again(store, feature_id: str, verdict: str, on: dt.date, **more):
    a = store.latest(feature_id).assessment
    decision = Decision(
        verdict=verdict,
        status="accepted",
        rationale="Looked again.",
        decided_by=["Dana Reyes"],
        decided_on=on,
        **more,
    )
    return store.save(a.model_copy(update={"decision": decision}))


def test_a_newer_decided_revision_supersedes_the_older_record_and_both_say_so(store, tmp_path):
    info = _decide_again(store, "call-summaries", "hold", dt.date(2026, 10, 1))
    assert info.number == 2
    out = tmp_path / "out"
    paths = records.export_records(store, ["call-summaries"], out, history=True, today=TODAY)
    assert [p.name for p in paths] == ["call-summaries-r1.md", "call-summaries-r2.md"]
    old, new = (parse(p.read_text(encoding="utf-8")) for p in paths)
    assert old.front_matter["status"] == "superseded"
    assert old.front_matter["superseded-by"] == "call-summaries-r2"
    assert old.front_matter["supersedes"] is None
    assert new.front_matter["supersedes"] == "call-summaries-r1"
    assert new.front_matter["superseded-by"] is None
    assert new.front_matter["status"] == "accepted"
    assert "Superseded. A later decision, call-summaries-r2 (revision 2)" in text_of(paths[0])
    assert "Supersedes: call-summaries-r1" in text_of(paths[1])

    # Without --history: only the latest decision.
    latest = records.export_records(store, ["call-summaries"], tmp_path / "latest", today=TODAY)
    assert [p.name for p in latest] == ["call-summaries-r2.md"]


def test_a_never_decided_feature_exports_its_latest_revision_as_proposed(store, tmp_path):
    (path,) = records.export_records(store, ["code-review-assistant"], tmp_path / "o", today=TODAY)
    fm = parse(path.read_text(encoding="utf-8")).front_matter
    assert fm["status"] == "proposed" and fm["verdict"] is None and fm["revision"] == 1


def test_an_undecided_newer_revision_keeps_the_last_decision_as_the_record(store, tmp_path):
    a = store.latest("support-bot").assessment
    store.save(a.model_copy(update={"decision": None}))
    (path,) = records.export_records(store, ["support-bot"], tmp_path / "o", today=TODAY)
    assert path.name == "support-bot-r1.md"
    assert "Revision 2 of this feature has been saved but not decided" in text_of(path)
    (r2,) = records.export_records(store, ["support-bot"], tmp_path / "o2", revision=2, today=TODAY)
    assert parse(r2.read_text(encoding="utf-8")).front_matter["status"] == "proposed"


def test_a_missing_revision_or_feature_is_an_export_error(store, tmp_path):
    with pytest.raises(records.ExportError, match="has no revision 7 \\(it has revisions 1-1\\)"):
        records.export_records(store, ["support-bot"], tmp_path / "o", revision=7, today=TODAY)
    with pytest.raises(records.ExportError, match="no feature with id 'nope'"):
        records.export_records(store, ["nope"], tmp_path / "o", today=TODAY)
    assert not (tmp_path / "o").exists()


def test_a_template_problem_writes_nothing(store, tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text(
        "{{ feature.id }}\n{% if feature.id == 'support-bot' %}{{ oops }}{% endif %}\n"
    )
    out = tmp_path / "out"
    with pytest.raises(TemplateProblem) as err:
        records.export_records(store, None, out, template=template, today=TODAY)
    assert err.value.line == 2
    assert not out.exists()


def test_a_user_template_renders_every_record(store, tmp_path):
    template = tmp_path / "t.md.j2"
    template.write_text("{{ record.title }} {{ record.status }}\n", encoding="utf-8")
    paths = records.export_records(store, None, tmp_path / "out", template=template, today=TODAY)
    contents = sorted(p.read_text(encoding="utf-8") for p in paths)
    assert "ADR code-review-assistant-r1 proposed\n" in contents
    assert "ADR call-summaries-r1 accepted\n" in contents


def test_progress_is_reported_for_every_record(store, tmp_path):
    seen = []
    records.export_records(
        store, None, tmp_path / "o", today=TODAY, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(i, len(SAMPLE_IDS)) for i in range(1, len(SAMPLE_IDS) + 1)]


def test_file_names_are_safe_slugs():
    assert records.safe_name("../../etc/passwd", ".md") == "etc-passwd.md"
    assert records.safe_name("Call Summaries/R3", ".md") == "call-summaries-r3.md"
    assert records.safe_name("...", ".md") == "untitled.md"


def test_out_must_be_a_folder(store, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(records.ExportError, match="is a file, not a folder"):
        records.export_records(store, None, f, today=TODAY)


# ---------------------------------------------------------------- portfolio


def test_the_portfolio_report_lists_every_feature_in_rank_order(store, tmp_path):
    path = records.export_portfolio(store, tmp_path / "o", "md", today=TODAY)
    assert path.name == "portfolio.md"
    parsed = parse(path.read_text(encoding="utf-8"))
    assert_no_markup_from_text(parsed)
    ranked = parsed.table_after("Ranked features")
    expected = [r.id for r in store.rank(today=TODAY)]
    assert [r[1].split(" ")[0] for r in ranked.rows] == expected
    overdue = parsed.table_after("Overdue reviews")
    assert [r[0].split(" ")[0] for r in overdue.rows] == [
        r.id for r in store.rank(today=TODAY) if r.overdue
    ]


def test_the_ranked_table_as_csv_matches_the_store(store, tmp_path):
    path = records.export_portfolio(store, tmp_path / "o", "csv", today=TODAY)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ranked = store.rank(today=TODAY)
    assert [r["id"] for r in rows] == [r.id for r in ranked]
    # every PortfolioRow field; `removed` is always false among the features a portfolio shows
    assert list(rows[0]) == [f for f in ranked[0].__dataclass_fields__ if f != "removed"]
    for got, want in zip(rows, ranked, strict=True):
        assert int(got["rank"]) == want.rank
        assert (got["residual_priority"] or None) == want.residual_priority
        assert (got["verdict"] or None) == want.verdict
        assert int(got["errors"]) == want.errors
        assert got["overdue"] == str(want.overdue).lower()


def test_the_ranked_table_as_parquet_reads_back(store, tmp_path):
    import duckdb

    path = records.export_portfolio(store, tmp_path / "o", "parquet", today=TODAY)
    rows = duckdb.sql(f"SELECT id, rank, overdue FROM '{path}' ORDER BY rank").fetchall()
    assert rows == [(r.id, r.rank, r.overdue) for r in store.rank(today=TODAY)]
    assert sorted(os.listdir(tmp_path / "o")) == ["portfolio.parquet"]


def test_an_existing_portfolio_file_is_kept_unless_force(store, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "portfolio.csv").write_text("mine")
    with pytest.raises(records.ExportError, match="portfolio.csv already exists"):
        records.export_portfolio(store, out, "csv", today=TODAY)
    assert (out / "portfolio.csv").read_text() == "mine"
    records.export_portfolio(store, out, "csv", force=True, today=TODAY)
    assert (out / "portfolio.csv").read_text().startswith("rank,id,name")


# -------------------------------------------------------------- assessments


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_assessment_files_import_into_an_empty_database_as_the_same_portfolio(store, tmp_path, fmt):
    out = tmp_path / fmt
    paths = records.export_assessments(store, None, out, fmt)
    assert [p.name for p in paths] == [f"{fid}.{fmt}" for fid in SAMPLE_IDS]
    again = Store(tmp_path / "again.duckdb", lock_timeout=5)
    again.import_assessments([(str(p), read_assessment(p)) for p in paths])
    assert again.rank(today=TODAY) == store.rank(today=TODAY)
    # Exporting again gives the same bytes: a folder diffs cleanly.
    second = records.export_assessments(again, None, tmp_path / "second", fmt)
    assert [p.read_bytes() for p in second] == [p.read_bytes() for p in paths]


def test_assessment_files_are_the_latest_revision(store, tmp_path):
    _decide_again(store, "call-summaries", "hold", dt.date(2026, 10, 1))
    (path,) = records.export_assessments(store, ["call-summaries"], tmp_path / "o", "toml")
    assert read_assessment(path).decision.verdict.value == "hold"
