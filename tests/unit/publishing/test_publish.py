import datetime as dt
import hashlib
import json
import os

import duckdb
import pytest

from publishing import publish as publish_module
from publishing.contract import ContractChanged
from publishing.publish import (
    NothingPublishedError,
    PublishedTable,
    StaleSourceError,
    current_snapshot,
    publish,
    republish,
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


def test_a_publication_that_fails_after_naming_its_snapshot_leaves_nothing(
    warehouse, tmp_path, monkeypatch
):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    good = publish(warehouse, published, dt.date(2026, 10, 1), TABLES)

    def fail(snapshot, manifest):
        assert snapshot.name == "000002"
        assert snapshot.is_dir()
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "_build_serving_file", fail)
    _replan(warehouse, dt.date(2026, 11, 1), 200)
    with pytest.raises(OSError, match="disk full"):
        publish(warehouse, published, dt.date(2026, 11, 1), TABLES)
    assert current_snapshot(published) == good.snapshot
    assert sorted(p.name for p in (published / "snapshots").iterdir()) == ["000001"]


def test_what_a_killed_publication_left_goes_at_the_next_one(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    publish(warehouse, published, dt.date(2026, 10, 1), TABLES)
    snapshots = published / "snapshots"
    # Killed before its switch: once while staging, once after naming its snapshot.
    (snapshots / ".staging-999999" / "target_plan").mkdir(parents=True)
    (snapshots / "000002" / "target_plan").mkdir(parents=True)
    (snapshots / "000002" / "target_plan" / "2026-11--official.parquet").write_bytes(b"partial")

    _replan(warehouse, dt.date(2026, 11, 1), 200)
    second = publish(warehouse, published, dt.date(2026, 11, 1), TABLES)
    assert sorted(p.name for p in snapshots.iterdir()) == ["000001", "000002"]
    assert second.snapshot.name == "000002"
    _serving_matches_files(second.snapshot)


def test_the_serving_file_holds_views_over_its_snapshots_files(warehouse, tmp_path, monkeypatch):
    published = tmp_path / "published"
    for month in (10, 11):
        _replan(warehouse, dt.date(2026, month, 1), month)
        publication = publish(warehouse, published, dt.date(2026, month, 1), TABLES)
    # A reader in another folder: the views name their files by absolute path.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    reader = duckdb.connect(str(os.path.relpath(published / "salesplan.duckdb")), read_only=True)
    try:
        tables = reader.execute("select table_name from duckdb_tables() order by 1").fetchall()
        views = reader.execute(
            "select view_name, sql from duckdb_views() where not internal order by 1"
        ).fetchall()
        plan = reader.execute(
            "select as_of_month, adjusted_target from target_plan order by 1"
        ).fetchall()
    finally:
        reader.close()
    assert tables == [("_publication",)]
    assert [name for name, _ in views] == ["fct_bookings_monthly", "target_plan"]
    own = str(publication.snapshot / "target_plan" / "2026-11--official.parquet")
    assert own in views[1][1]
    assert plan == [(dt.date(2026, 10, 1), 100), (dt.date(2026, 11, 1), 110)]
    assert not list(publication.snapshot.glob("*.wal"))


def test_the_serving_file_is_in_a_storage_format_duckdb_1_0_and_later_read(warehouse, tmp_path):
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    publication = publish(warehouse, tmp_path / "published", dt.date(2026, 10, 1), TABLES)
    # DuckDB's file header: an 8-byte checksum, b"DUCK", then the storage version number.
    # 64 is what DuckDB 1.0 and 1.1 write; 1.2 to 1.4 read 64 to 67, and 2.0 writes 999.
    header = publication.serving_file.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") == 64


def test_three_old_snapshots_are_kept_each_reading_its_own_versions(warehouse, tmp_path):
    published = tmp_path / "published"
    for month in range(1, 8):
        _replan(warehouse, dt.date(2026, month, 1), month)
        publish(warehouse, published, dt.date(2026, month, 1), TABLES)
    kept = sorted(p for p in (published / "snapshots").iterdir() if p.name.isdigit())
    assert [p.name for p in kept] == ["000004", "000005", "000006", "000007"]
    for snapshot in kept:
        reader = duckdb.connect(str(snapshot / "salesplan.duckdb"), read_only=True)
        try:
            versions = reader.execute(
                "select distinct month(as_of_month) from target_plan order by 1"
            ).fetchall()
        finally:
            reader.close()
        assert versions == [(month,) for month in range(1, int(snapshot.name) + 1)]


def test_a_reader_of_a_serving_file_reads_its_snapshot_until_it_is_pruned(warehouse, tmp_path):
    published = tmp_path / "published"
    _replan(warehouse, dt.date(2026, 1, 1), 1)
    first = publish(warehouse, published, dt.date(2026, 1, 1), TABLES)
    reader = duckdb.connect(str(published / "salesplan.duckdb"), read_only=True)
    query = "select as_of_month, adjusted_target from target_plan"
    try:
        for month in range(2, 2 + publish_module.SNAPSHOTS_KEPT):
            _replan(warehouse, dt.date(2026, month, 1), month)
            publish(warehouse, published, dt.date(2026, month, 1), TABLES)
            assert reader.execute(query).fetchall() == [(dt.date(2026, 1, 1), 10)]
        _replan(warehouse, dt.date(2026, 5, 1), 5)
        publish(warehouse, published, dt.date(2026, 5, 1), TABLES)
        assert not first.snapshot.exists()
        with pytest.raises(duckdb.IOException, match=str(first.snapshot)):
            reader.execute(query).fetchall()
    finally:
        reader.close()


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
    # A replayed month's views read its new files, and no snapshot reads another's.
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


def _read_versions(serving_file):
    reader = duckdb.connect(str(serving_file), read_only=True)
    try:
        return {
            table: reader.execute(
                f"select as_of_month, count(*) from {table} group by 1 order by 1"
            ).fetchall()
            for table in ("fct_bookings_monthly", "target_plan")
        }
    finally:
        reader.close()


def test_republishing_a_moved_home_points_its_views_at_the_new_place(warehouse, tmp_path):
    home = tmp_path / "home"
    _replan(warehouse, dt.date(2026, 10, 1), 100)
    publish(warehouse, home / "published", dt.date(2026, 10, 1), TABLES)
    _replan(warehouse, dt.date(2026, 11, 1), 200)
    publish(warehouse, home / "published", dt.date(2026, 11, 1), TABLES)
    before = _read_versions(home / "published" / "salesplan.duckdb")

    moved = tmp_path / "moved"
    home.rename(moved)
    published = moved / "published"
    with pytest.raises(duckdb.IOException, match="home"):
        _read_versions(published / "salesplan.duckdb")

    again = republish(published)

    assert current_snapshot(published) == again.snapshot == published / "snapshots" / "000003"
    assert _read_versions(published / "salesplan.duckdb") == before
    assert again.as_of_month == "2026-11"
    assert again.row_counts == {"fct_bookings_monthly": 2, "target_plan": 1}
    previous = published / "snapshots" / "000002"
    for file in previous.rglob("*.parquet"):
        linked = again.snapshot / file.relative_to(previous)
        assert os.stat(linked).st_ino == os.stat(file).st_ino
    manifest = json.loads((again.snapshot / "_publication.json").read_text(encoding="utf-8"))
    assert manifest["snapshot"] == "000003"
    assert (
        manifest["tables"]
        == json.loads((previous / "_publication.json").read_text(encoding="utf-8"))["tables"]
    )
    # The next re-plan publishes on top of it as usual.
    _replan(warehouse, dt.date(2026, 12, 1), 300)
    publish(warehouse, published, dt.date(2026, 12, 1), TABLES)
    assert [row[0] for row in _read_versions(published / "salesplan.duckdb")["target_plan"]] == [
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
    ]


def test_republishing_before_any_publication_says_to_re_plan_first(tmp_path):
    with pytest.raises(NothingPublishedError, match="salesplan run"):
        republish(tmp_path / "published")
    assert not (tmp_path / "published").exists()
