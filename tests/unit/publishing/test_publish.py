import datetime as dt
import hashlib
import os

import duckdb
import pytest

from publishing import publish as publish_module
from publishing.contract import ContractChanged
from publishing.publish import (
    InsufficientSpace,
    PublishedTable,
    StaleSourceError,
    current_snapshot,
    publish,
)

TABLES = (
    PublishedTable("fct_bookings_monthly", "marts.fct_bookings_monthly", current_only=True),
    PublishedTable("target_plan", "plan.target_plan", by_scenario=True),
)


@pytest.fixture
def warehouse(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("create schema marts; create schema plan")
    connection.execute(
        "create table plan.target_plan (as_of_month date, scenario varchar, node varchar, "
        "period varchar, adjusted_target decimal(18, 2))"
    )
    yield connection
    connection.close()


def _replan(connection, as_of, bookings, scenario="official"):
    """Stand in for one re-plan: rebuild the current-month marts, add a plan version."""
    connection.execute(
        "create or replace table marts.fct_bookings_monthly as select cast(? as date) as "
        "as_of_month, * from (values (date '2026-09-01', 'EAST', ?), "
        "(date '2026-10-01', 'EAST', ?)) t(month, region, bookings_amount)",
        [as_of, bookings, bookings + 1],
    )
    connection.execute(
        "delete from plan.target_plan where as_of_month = ? and scenario = ?", [as_of, scenario]
    )
    connection.execute(
        "insert into plan.target_plan values (?, ?, 'company', '2026-12', ?)",
        [as_of, scenario, bookings * 10],
    )


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_publication_switches_readers_to_a_complete_new_snapshot(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    first = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    _replan(warehouse, dt.date(2026, 11, 1), 200)
    second = publish(warehouse, published, dt.date(2026, 11, 1), TABLES)

    assert current_snapshot(published) == second.snapshot != first.snapshot
    reader = duckdb.connect(str(published / "salesplan.duckdb"), read_only=True)
    versions = reader.execute(
        "select as_of_month, sum(bookings_amount) from fct_bookings_monthly group by 1 order by 1"
    ).fetchall()
    assert versions == [(dt.date(2026, 10, 1), 201), (dt.date(2026, 11, 1), 401)]
    info = dict(reader.execute("select table_name, total_rows from _publication").fetchall())
    assert info == {"fct_bookings_monthly": 4, "target_plan": 2}
    reader.close()


def test_other_months_are_hard_linked_not_copied(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    first = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    _replan(warehouse, dt.date(2026, 11, 1), 200)
    second = publish(warehouse, published, dt.date(2026, 11, 1), TABLES)
    old = first.snapshot / "fct_bookings_monthly" / "2026-10.parquet"
    linked = second.snapshot / "fct_bookings_monthly" / "2026-10.parquet"
    assert os.stat(old).st_ino == os.stat(linked).st_ino


def test_replaying_a_month_reproduces_its_files_byte_for_byte(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    first = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    before = {p.relative_to(first.snapshot): _sha(p) for p in first.snapshot.rglob("*.parquet")}
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    again = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    after = {p.relative_to(again.snapshot): _sha(p) for p in again.snapshot.rglob("*.parquet")}
    assert again.snapshot != first.snapshot
    assert before == after


def test_a_scenario_is_published_beside_the_official_plan_without_changing_it(warehouse, tmp_path):
    published = tmp_path / "published"
    as_of = dt.date(2026, 11, 1)
    _replan(warehouse, as_of, 200)
    official = publish(warehouse, published, as_of, TABLES)
    official_file = official.snapshot / "target_plan" / "2026-11--official.parquet"
    _replan(warehouse, as_of, 300, scenario="aggressive")
    both = publish(warehouse, published, as_of, TABLES)
    assert sorted(p.name for p in (both.snapshot / "target_plan").iterdir()) == [
        "2026-11--aggressive.parquet",
        "2026-11--official.parquet",
    ]
    assert _sha(both.snapshot / "target_plan" / "2026-11--official.parquet") == _sha(official_file)


def test_a_failed_publication_leaves_the_previous_snapshot_current(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    good = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    broken = (*TABLES, PublishedTable("missing", "plan.does_not_exist"))
    _replan(warehouse, dt.date(2026, 11, 1), 200)
    with pytest.raises(duckdb.CatalogException):
        publish(warehouse, published, dt.date(2026, 11, 1), broken)
    assert current_snapshot(published) == good.snapshot
    # What the failed one staged is gone at once, not at the next publication.
    assert not list((published / "snapshots").glob(".staging-*"))
    publish(warehouse, published, dt.date(2026, 11, 1), TABLES)


def test_a_publication_the_disk_cannot_hold_is_refused_before_copying(
    warehouse, tmp_path, monkeypatch
):
    published = tmp_path / "published"
    for month in (10, 11):
        _replan(warehouse, dt.date(2026, month, 1), month)
        good = publish(warehouse, published, dt.date(2026, month, 1), TABLES)
    serving = (good.snapshot / "salesplan.duckdb").stat().st_size
    # Two versions in the current serving file: the copy plus two average versions.
    needed = serving + 2 * serving // 2
    _replan(warehouse, dt.date(2026, 12, 1), 12)

    monkeypatch.setattr(publish_module, "_free_bytes", lambda folder: needed - 1)
    with pytest.raises(InsufficientSpace) as refused:
        publish(warehouse, published, dt.date(2026, 12, 1), TABLES)
    message = str(refused.value)
    assert "publishing as-of 2026-12 needs about" in message
    assert str(good.snapshot / "salesplan.duckdb") in message
    assert f"{(needed - 1) / 1e9:.2f} GB is free" in message
    assert current_snapshot(published) == good.snapshot
    assert not list((published / "snapshots").glob(".staging-*"))

    monkeypatch.setattr(publish_module, "_free_bytes", lambda folder: needed)
    assert publish(warehouse, published, dt.date(2026, 12, 1), TABLES).as_of_month == "2026-12"


def test_three_old_snapshots_are_kept_and_one_old_serving_file(warehouse, tmp_path):
    published = tmp_path / "published"
    for month in range(1, 8):
        _replan(warehouse, dt.date(2026, month, 1), month)
        publish(warehouse, published, dt.date(2026, month, 1), TABLES)
    kept = sorted(p for p in (published / "snapshots").iterdir() if p.name.isdigit())
    assert [p.name for p in kept] == ["000004", "000005", "000006", "000007"]
    assert [(p / "salesplan.duckdb").exists() for p in kept] == [False, False, True, True]
    # The older ones still hold every Parquet file they were published with.
    assert len(list((kept[0] / "target_plan").glob("*.parquet"))) == 4


def test_the_next_serving_file_is_built_beside_the_current_one_only(
    warehouse, tmp_path, monkeypatch
):
    published = tmp_path / "published"
    for month in (1, 2, 3):
        _replan(warehouse, dt.date(2026, month, 1), month)
        publish(warehouse, published, dt.date(2026, month, 1), TABLES)
    snapshots = published / "snapshots"
    seen = {}

    def serving_files():
        return sorted(p.parent.name for p in snapshots.glob("*/*.duckdb"))

    def free_bytes(folder):  # called right before the current serving file is copied
        seen["copy"] = serving_files()
        return 10**15

    def check_schema(table, columns):  # called while this month's files are exported
        seen.setdefault("export", serving_files())

    monkeypatch.setattr(publish_module, "_free_bytes", free_bytes)
    _replan(warehouse, dt.date(2026, 4, 1), 4)
    publish(warehouse, published, dt.date(2026, 4, 1), TABLES, check_schema=check_schema)
    # Snapshot 000002 (replaced by 000003) lost its serving file before the export, not after
    # the switch; 000003, just replaced, keeps its own.
    assert seen == {"export": ["000003"], "copy": ["000003"]}
    assert serving_files() == ["000003", "000004"]


def test_a_reader_of_a_serving_file_finishes_after_it_is_pruned(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 1, 1), 1)
    first = publish(warehouse, published, dt.date(2026, 1, 1), TABLES)
    reader = duckdb.connect(str(published / "salesplan.duckdb"), read_only=True)
    for month in (2, 3):
        _replan(warehouse, dt.date(2026, month, 1), month)
        publish(warehouse, published, dt.date(2026, month, 1), TABLES)
    assert not (first.snapshot / "salesplan.duckdb").exists()
    try:
        rows = reader.execute("select as_of_month, adjusted_target from target_plan").fetchall()
    finally:
        reader.close()
    assert rows == [(dt.date(2026, 1, 1), 10)]


def test_a_table_without_rows_this_month_is_still_published_with_its_columns(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    warehouse.execute("delete from plan.target_plan")
    publication = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    assert publication.row_counts["target_plan"] == 0
    reader = duckdb.connect(str(published / "salesplan.duckdb"), read_only=True)
    columns = [row[0] for row in reader.execute("describe target_plan").fetchall()]
    reader.close()
    assert columns == ["as_of_month", "scenario", "node", "period", "adjusted_target"]


def test_marts_built_for_another_month_are_not_published_under_this_one(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    with pytest.raises(StaleSourceError, match=r"holds as-of 2026-10, not 2026-11"):
        publish(warehouse, published, dt.date(2026, 11, 1), TABLES)
    assert current_snapshot(published) is None


def test_a_schema_check_failure_stops_the_publication_before_the_switch(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    good = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    seen = {}

    def refuse_target_plan(table, columns):
        seen[table] = columns
        if table == "target_plan":
            raise ContractChanged("target_plan changed")

    _replan(warehouse, dt.date(2026, 11, 1), 200)
    with pytest.raises(ContractChanged):
        publish(warehouse, published, dt.date(2026, 11, 1), TABLES, check_schema=refuse_target_plan)
    assert current_snapshot(published) == good.snapshot
    assert seen["fct_bookings_monthly"][0] == ("as_of_month", "DATE")


def _serving_matches_files(snapshot):
    reader = duckdb.connect(str(snapshot / "salesplan.duckdb"), read_only=True)
    try:
        for table in ("fct_bookings_monthly", "target_plan"):
            files = [str(path) for path in sorted((snapshot / table).glob("*.parquet"))]
            served = reader.execute(f"select * from {table} order by all").fetchall()
            in_files = reader.execute("select * from read_parquet(?) order by all", [files])
            assert served == in_files.fetchall(), table
    finally:
        reader.close()


def test_the_serving_file_holds_exactly_the_snapshots_files_after_a_replay(warehouse, tmp_path):
    # Regression guard for the incremental serving file: each publication copies the previous
    # serving file and replaces only its own month's rows.
    published = tmp_path / "published"
    for month, bookings in ((10, 100), (11, 200), (10, 150), (12, 300)):
        _replan(warehouse, dt.date(2026, month, 1), bookings)
        publication = publish(warehouse, published, dt.date(2026, month, 1), TABLES)
        _serving_matches_files(publication.snapshot)
    reader = duckdb.connect(str(publication.serving_file), read_only=True)
    totals = reader.execute(
        "select as_of_month, sum(adjusted_target) from target_plan group by 1 order by 1"
    ).fetchall()
    reader.close()
    assert [(month.month, int(total)) for month, total in totals] == [
        (10, 1500),
        (11, 2000),
        (12, 3000),
    ]


def test_a_table_new_to_the_contract_is_built_from_all_its_files(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    publish(warehouse, published, dt.date(2026, 10, 1), TABLES[:1])
    _replan(warehouse, dt.date(2026, 11, 1), 200)
    second = publish(warehouse, published, dt.date(2026, 11, 1), TABLES)
    _serving_matches_files(second.snapshot)
