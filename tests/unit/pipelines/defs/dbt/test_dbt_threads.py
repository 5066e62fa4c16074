import duckdb
import pytest

from pipelines.defs.dbt.assets import (
    CONCURRENT_THREADS,
    SERIAL_BUILD_FROM_RAW_ROWS,
    THREADS_ENV_VAR,
    dbt_threads,
    raw_rows,
)

SERIAL_FROM = 1_000  # rows: a small stand-in for SERIAL_BUILD_FROM_RAW_ROWS


@pytest.fixture(autouse=True)
def _no_configured_threads(monkeypatch):
    monkeypatch.delenv(THREADS_ENV_VAR, raising=False)


def _warehouse(path, raw_rows=0, other_rows=0):
    """A warehouse with ``raw_rows`` rows over two raw tables and ``other_rows`` elsewhere."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA raw")
        connection.execute("CREATE SCHEMA plan")
        half = raw_rows // 2
        connection.execute(f"CREATE TABLE raw.leads AS SELECT range AS id FROM range({half})")
        connection.execute(
            f"CREATE TABLE raw.activities AS SELECT range AS id FROM range({raw_rows - half})"
        )
        connection.execute(
            f"CREATE TABLE plan.target_plan AS SELECT range FROM range({other_rows})"
        )
    return path


def test_the_raw_rows_are_counted_over_every_raw_table_and_nothing_else(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", raw_rows=1_001, other_rows=5_000)

    assert raw_rows(warehouse) == 1_001


def test_small_raw_data_builds_models_concurrently(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", raw_rows=SERIAL_FROM - 1)

    assert dbt_threads(warehouse, serial_from_rows=SERIAL_FROM) == CONCURRENT_THREADS


def test_plan_versions_do_not_make_a_warehouse_build_serially(tmp_path):
    # What dbt reads decides, not the file's size: old plan versions make a file big.
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", raw_rows=10, other_rows=SERIAL_FROM * 5)

    assert dbt_threads(warehouse, serial_from_rows=SERIAL_FROM) == CONCURRENT_THREADS


def test_a_warehouse_not_created_yet_builds_models_concurrently(tmp_path):
    assert dbt_threads(tmp_path / "warehouse.duckdb") == CONCURRENT_THREADS


def test_a_warehouse_without_a_raw_layer_builds_models_concurrently(tmp_path):
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()

    assert dbt_threads(tmp_path / "warehouse.duckdb") == CONCURRENT_THREADS


def test_big_raw_data_builds_one_model_at_a_time(tmp_path):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", raw_rows=SERIAL_FROM)

    assert dbt_threads(warehouse, serial_from_rows=SERIAL_FROM) == 1


def test_the_default_threshold_lies_between_the_large_and_the_xlarge_demo():
    # Measured: large (15 M raw rows) builds fine on four threads, xlarge (150 M) spills 36 GB.
    assert 15_000_000 < SERIAL_BUILD_FROM_RAW_ROWS < 150_000_000


def test_the_environment_overrides_the_size_rule(tmp_path, monkeypatch):
    warehouse = _warehouse(tmp_path / "warehouse.duckdb", raw_rows=SERIAL_FROM)
    monkeypatch.setenv(THREADS_ENV_VAR, "3")

    assert dbt_threads(warehouse, serial_from_rows=SERIAL_FROM) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_a_bad_thread_count_names_the_variable_and_the_value(tmp_path, monkeypatch, value):
    monkeypatch.setenv(THREADS_ENV_VAR, value)

    with pytest.raises(ValueError, match=f"{THREADS_ENV_VAR}.*{value!r}"):
        dbt_threads(tmp_path / "warehouse.duckdb")
