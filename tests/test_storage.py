"""The store on real DuckDB files: revisions, drafts, ranking, counts and the matrix."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from conftest import TODAY  # noqa: E402  (the one fixed "today" of the tests)
from storage_support import DATES, check_consistent, varied_portfolio

from aipm_workbench.domain import (
    Assessment,
    Tier,
    Verdict,
    evaluate,
    iter_assessment_paths,
    read_assessment,
    to_data,
)
from aipm_workbench.storage import DatabaseDamaged, ImportReport, Store

# Some fall on dates the portfolio uses (a metric decided, a check or review due
# that very day): the boundaries of the date-dependent findings.
TODAYS = [dt.date(2025, 1, 1), DATES[8], DATES[12], TODAY, dt.date(2027, 5, 1), dt.date(2028, 1, 1)]


@pytest.fixture(scope="module")
def samples() -> list[tuple[str, Assessment]]:
    folder = Path(__file__).resolve().parent.parent / "sample_projects"
    return [(str(p), read_assessment(p)) for p in iter_assessment_paths([folder])]


@pytest.fixture(scope="module")
def portfolio() -> list[Assessment]:
    return varied_portfolio(400)


@pytest.fixture(scope="module")
def portfolio_db(tmp_path_factory, portfolio) -> Path:
    path = tmp_path_factory.mktemp("portfolio") / "portfolio.duckdb"
    Store(path).import_assessments([(a.feature.id, a) for a in portfolio])
    return path


def changed(a: Assessment, **feature) -> Assessment:
    data = a.model_dump()
    data["feature"].update(feature)
    return Assessment.model_validate(data)


# ------------------------------------------------------------ revisions


def test_nothing_is_created_until_the_first_write(tmp_path):
    path = tmp_path / "sub" / "w.duckdb"
    store = Store(path)
    assert store.rank() == []
    assert store.feature_ids() == []
    assert store.latest("x") is None
    assert store.summary(TODAY)["total"] == 0
    assert not path.exists()
    store.save_draft("x", {"feature": {"id": "x"}}, "feature")
    assert path.exists()


def test_save_appends_revisions_and_skips_identical_ones(tmp_path, samples):
    store = Store(tmp_path / "w.duckdb")
    a = samples[0][1]
    first = store.save(a)
    assert (first.number, first.created, first.changes) == (1, True, ["first revision"])
    again = store.save(a)
    assert (again.number, again.created) == (1, False)
    assert again.content_hash == first.content_hash
    b = changed(a, stage="beta")
    second = store.save(b, note="moved to beta")
    assert (second.number, second.created) == (2, True)
    assert "feature.stage: concept -> beta" in second.changes
    infos = store.revisions(a.feature.id)
    assert [i.number for i in infos] == [1, 2]
    assert infos[1].note == "moved to beta"
    assert store.revision(a.feature.id, 1).assessment == a
    assert store.latest(a.feature.id).assessment == b
    assert store.revision(a.feature.id, 3) is None
    # Saving the first version again is a change like any other: revision 3.
    assert store.save(a).number == 3
    assert store.latest(a.feature.id).assessment == a
    assert check_consistent(store.path)["revisions"] == 3


def test_import_is_all_or_nothing_and_reports_new_and_unchanged(tmp_path, samples):
    store = Store(tmp_path / "w.duckdb")
    report = store.import_assessments(samples)
    assert report == ImportReport(
        created=[(a.feature.id, 1) for _, a in samples], unchanged=[], dry_run=False
    )
    edited = [
        (src, changed(a, owner="New Owner") if i < 3 else a) for i, (src, a) in enumerate(samples)
    ]
    dry = store.import_assessments(edited, dry_run=True)
    assert dry.dry_run and len(dry.created) == 3 and len(dry.unchanged) == len(samples) - 3
    assert {a.feature.id: a for _, a in samples} == {
        fid: store.latest(fid).assessment for fid in store.feature_ids()
    }, "a dry run writes nothing"
    report = store.import_assessments(edited)
    assert sorted(report.created) == sorted((a.feature.id, 2) for _, a in edited[:3])
    assert sorted(report.unchanged) == sorted(a.feature.id for _, a in edited[3:])
    summary = check_consistent(store.path)
    assert summary["features"] == len(samples) and summary["revisions"] == len(samples) + 3


def test_a_failing_import_writes_nothing(tmp_path, samples, monkeypatch):
    from aipm_workbench.storage import store as store_module

    store = Store(tmp_path / "w.duckdb")
    store.import_assessments(samples[:2])
    before = check_consistent(store.path)
    calls = []
    original = store_module._insert_columns

    def failing(con, table, columns):
        calls.append(table)
        if table == "harms":
            raise RuntimeError("disk on fire")
        return original(con, table, columns)

    monkeypatch.setattr(store_module, "_insert_columns", failing)
    with pytest.raises(RuntimeError):
        store.import_assessments([(s, changed(a, stage="retired")) for s, a in samples])
    assert "revisions" in calls, "the failure came after revisions were inserted"
    monkeypatch.setattr(store_module, "_insert_columns", original)
    assert check_consistent(store.path) == before
    assert store.feature_ids() == sorted(a.feature.id for _, a in samples[:2])


def test_the_same_feature_twice_in_one_import_gets_two_revisions(tmp_path, samples):
    store = Store(tmp_path / "w.duckdb")
    a = samples[0][1]
    report = store.import_assessments(
        [("a", a), ("b", changed(a, stage="beta")), ("c", changed(a, stage="beta"))]
    )
    assert report.created == [(a.feature.id, 1), (a.feature.id, 2)]
    assert report.unchanged == [a.feature.id]
    check_consistent(store.path)


def test_decided_revisions_and_saving_discards_the_draft(tmp_path, samples):
    store = Store(tmp_path / "w.duckdb")
    a = next(a for _, a in samples if a.decision is not None)
    undecided = Assessment.model_validate({**a.model_dump(), "decision": None})
    store.save(undecided)
    store.save(a)
    store.save(changed(a, name="Renamed"))
    assert [i.number for i in store.decided_revisions(a.feature.id)] == [2, 3]
    store.save_draft(a.feature.id, to_data(a), "ratings")
    assert store.draft(a.feature.id).step == "ratings"
    store.save(changed(a, name="Renamed"))  # unchanged, still discards the draft
    assert store.draft(a.feature.id) is None


def test_drafts_round_trip_and_replace(tmp_path, samples):
    store = Store(tmp_path / "w.duckdb")
    a = samples[1][1]
    data = to_data(a)
    store.save_draft(a.feature.id, data, "harms")
    store.save_draft("new-feature", {"feature": {"id": "new-feature", "name": "New"}}, "feature")
    store.save_draft(a.feature.id, data, "fallbacks")
    drafts = store.drafts()
    assert [d.feature_id for d in drafts] == sorted([a.feature.id, "new-feature"])
    got = store.draft(a.feature.id)
    assert got.step == "fallbacks"
    assert got.updated_at.tzinfo is not None
    # Dates come back as ISO strings, which the loader reads back into an equal assessment.
    assert Assessment.model_validate(got.data) == a
    store.discard_draft(a.feature.id)
    assert [d.feature_id for d in store.drafts()] == ["new-feature"]


def test_threads_share_one_file(tmp_path, samples):
    store = Store(tmp_path / "w.duckdb")
    errors = []

    def work(i):
        try:
            for _ in range(3):
                store.save(changed(samples[i][1], owner=f"owner {i}"))
                store.rank(limit=5)
                store.save_draft(f"draft-{i}", {"n": i}, "feature")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.drafts()) == 4
    assert check_consistent(store.path)["features"] == 4


# -------------------------------------------------------------- ranking


def test_rank_order_equals_rank_key(portfolio_db, portfolio):
    store = Store(portfolio_db)
    expected = sorted(portfolio, key=lambda a: evaluate(a, TODAY).rank_key())
    rows = store.rank(today=TODAY)
    assert [r.id for r in rows] == [a.feature.id for a in expected]
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert rows[-1].residual_priority is None, "features without harms come last"
    twins = [
        r.id
        for r in rows
        if r.id.startswith("twin-")
        or r.id in ("feature-000000", "feature-000001", "feature-000002")
    ]
    assert twins, "ties on every key but the id are in the portfolio"


@pytest.mark.parametrize("today", TODAYS)
def test_rows_equal_evaluate_for_any_today(portfolio_db, portfolio, today):
    store = Store(portfolio_db)
    by_id = {r.id: r for r in store.rank(today=today)}
    for a in portfolio:
        ev = evaluate(a, today)
        row = by_id[a.feature.id]
        got = (
            row.errors,
            row.warnings,
            row.overdue,
            row.review_by,
            row.inherent_priority,
            row.residual_priority,
            row.max_rpn,
            row.residual_max_rpn,
            row.harmed_low,
            row.harmed_high,
            row.recommended_verdict,
            row.verdict,
            row.worst_harm,
        )
        want = (
            ev.errors,
            ev.warnings,
            ev.overdue,
            ev.review_by,
            ev.priority.name if ev.priority else None,
            ev.residual_priority.name if ev.residual_priority else None,
            ev.max_rpn,
            ev.residual_max_rpn,
            ev.harmed_low,
            ev.harmed_high,
            ev.recommended.value,
            ev.verdict.value if ev.verdict else None,
            ev.worst_harm.id if ev.worst_harm else None,
        )
        assert got == want, a.feature.id


def _python_order(portfolio, by):
    def key(a):
        ev = evaluate(a, TODAY)
        base = ev.rank_key()
        none_last = not ev.harms
        if by == "residual":
            return base
        if by == "inherent":
            return (
                none_last,
                -int(ev.priority or 0),
                -int(ev.residual_priority or 0),
                -(ev.max_rpn or 0),
                -(ev.residual_max_rpn or 0),
                -(ev.harmed_high or 0.0),
                a.feature.id,
            )
        if by == "rpn":
            return (none_last, -(ev.residual_max_rpn or 0), -(ev.max_rpn or 0), base)
        if by == "harmed":
            return (
                ev.harmed_high is None,
                -(ev.harmed_high or 0.0),
                -(ev.harmed_low or 0.0),
                base,
            )
        if by == "review":
            return (ev.review_by is None, ev.review_by or dt.date.min, base)
        raise AssertionError(by)

    return [a.feature.id for a in sorted(portfolio, key=key)]


@pytest.mark.parametrize("by", ["inherent", "rpn", "harmed", "review"])
def test_other_rank_orders(portfolio_db, portfolio, by):
    rows = Store(portfolio_db).rank(by=by, today=TODAY)
    assert [r.id for r in rows] == _python_order(portfolio, by)


def test_filters_keep_portfolio_rank_numbers(portfolio_db, portfolio):
    store = Store(portfolio_db)
    full = {r.id: r.rank for r in store.rank(today=TODAY)}
    beta = store.rank(stage="beta", today=TODAY)
    assert beta and all(r.stage == "beta" for r in beta)
    assert [r.rank for r in beta] == sorted(full[r.id] for r in beta)
    assert all(full[r.id] == r.rank for r in beta)
    assert store.count(stage="beta") == len(beta)
    undecided = store.rank(verdict="undecided", today=TODAY)
    assert undecided and all(r.verdict is None for r in undecided)
    assert len(undecided) == sum(1 for a in portfolio if a.decision is None)
    kill = store.rank(verdict="kill", today=TODAY)
    assert {r.id for r in kill} == {
        a.feature.id for a in portfolio if a.decision and a.decision.verdict == Verdict.kill
    }
    high = store.rank(tier="high", today=TODAY)
    assert high and all(r.residual_priority == "high" for r in high)
    none = store.rank(tier="none", today=TODAY)
    assert {r.id for r in none} == {a.feature.id for a in portfolio if not a.harms}
    found = store.rank(search="FEATURE-00012", today=TODAY)
    assert {r.id for r in found} == {f"feature-{i:06d}" for i in range(120, 130)}
    assert store.count(search="feature-00012") == 10
    owners = store.rank(search="okafor", today=TODAY)
    assert owners and all(r.owner == "Sam Okafor" for r in owners)


def test_paging_and_re_sorting(portfolio_db):
    store = Store(portfolio_db)
    full = store.rank(today=TODAY)
    assert store.rank(limit=25, offset=50, today=TODAY) == full[50:75]
    assert store.rank(descending=True, limit=5, today=TODAY) == full[::-1][:5]
    by_name = store.rank(sort="name", today=TODAY)
    assert [r.name.lower() for r in by_name] == sorted(r.name.lower() for r in full)
    by_warn = store.rank(sort="warnings", descending=True, today=TODAY)
    assert [r.warnings for r in by_warn] == sorted((r.warnings for r in full), reverse=True)
    for a, b in zip(by_warn, by_warn[1:], strict=False):
        if a.warnings == b.warnings:
            assert a.rank < b.rank, "ties keep rank order"
    tiers = [r.residual_priority for r in store.rank(sort="residual_priority", today=TODAY)]
    known = [t for t in tiers if t is not None]
    assert known == sorted(known, key=lambda t: Tier[t]) and tiers[-1] is None
    with pytest.raises(ValueError, match="cannot sort"):
        store.rank(sort="nope")
    with pytest.raises(ValueError, match="unknown ranking"):
        store.rank(by="nope")


def test_summary_and_risk_matrix(portfolio_db, portfolio):
    store = Store(portfolio_db)
    evs = [evaluate(a, TODAY) for a in portfolio]
    s = store.summary(TODAY)
    assert s["total"] == len(portfolio)
    assert s["overdue"] == sum(ev.overdue for ev in evs)
    assert s["with_errors"] == sum(ev.errors > 0 for ev in evs)
    assert s["by_tier"]["none"] == sum(ev.residual_priority is None for ev in evs)
    assert s["by_tier"]["critical"] == sum(ev.residual_priority == Tier.critical for ev in evs)
    assert s["by_verdict"]["undecided"] == sum(ev.verdict is None for ev in evs)
    assert s["by_recommended"]["kill"] == sum(ev.recommended == Verdict.kill for ev in evs)
    matrix = store.risk_matrix()
    assert len(matrix) == 25
    expected: dict = {}
    for ev in evs:
        for h in ev.harms:
            cell = expected.setdefault((h.residual_ratings[2], h.residual_ratings[3]), {})
            cell[h.residual.tier.name] = cell.get(h.residual.tier.name, 0) + 1
    assert {k: v for k, v in matrix.items() if v} == expected
    one = portfolio[0]
    single = store.risk_matrix(one.feature.id)
    assert sum(sum(c.values()) for c in single.values()) == len(one.harms)


def test_a_prefetched_rank_answers_the_same_query_once(tmp_path, samples, monkeypatch):
    db = tmp_path / "w.duckdb"
    Store(db).import_assessments(samples)
    expected = Store(db).rank(limit=5, today=TODAY)

    store = Store(db)
    store.prefetch_rank(limit=5, today=TODAY)
    store._prefetched[1].result(timeout=30)  # the prefetch has run its query
    queries = []
    real = Store._rank
    monkeypatch.setattr(Store, "_rank", lambda self, **a: queries.append(a) or real(self, **a))
    # another query is not answered by the prefetch
    assert [r.id for r in store.rank(limit=3, today=TODAY)] == [r.id for r in expected[:3]]
    assert len(queries) == 1
    # the same query is, once
    assert store.rank(limit=5, today=TODAY) == expected
    assert len(queries) == 1
    assert store.rank(limit=5, today=TODAY) == expected
    assert len(queries) == 2


def test_a_prefetched_rank_is_taken_without_waiting_only_when_answered(tmp_path, samples):
    db = tmp_path / "w.duckdb"
    Store(db).import_assessments(samples)
    expected = Store(db).rank(limit=5, today=TODAY)
    store = Store(db)
    assert store.prefetched_rank(limit=5, today=TODAY) is None  # nothing asked ahead
    store.prefetch_rank(limit=5, today=TODAY)
    store._prefetched[1].result(timeout=30)
    assert store.prefetched_rank(limit=3, today=TODAY) is None  # another query
    assert store.prefetched_rank(limit=5, today=TODAY) == expected
    assert store.prefetched_rank(limit=5, today=TODAY) is None  # taken once


def test_a_failed_prefetch_is_not_taken_early_and_raises_where_asked(tmp_path):
    bad = tmp_path / "not-a-database.duckdb"
    bad.write_bytes(b"this is not a database at all, not even close" * 20)
    store = Store(bad)
    store.prefetch_rank(limit=5)
    with pytest.raises(DatabaseDamaged):
        store._prefetched[1].result(timeout=30)
    assert store.prefetched_rank(limit=5) is None
    with pytest.raises(DatabaseDamaged):
        store.rank(limit=5)


def test_a_failed_prefetch_raises_where_the_query_is_asked(tmp_path):
    bad = tmp_path / "not-a-database.duckdb"
    bad.write_bytes(b"this is not a database at all, not even close" * 20)
    before = bad.read_bytes()
    store = Store(bad)
    store.prefetch_rank(limit=5)
    with pytest.raises(DatabaseDamaged):
        store.rank(limit=5)
    assert bad.read_bytes() == before
