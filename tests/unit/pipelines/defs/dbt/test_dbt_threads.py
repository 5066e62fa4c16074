import pytest

from pipelines.defs.dbt.assets import (
    CONCURRENT_THREADS,
    SERIAL_BUILD_FROM_BYTES,
    THREADS_ENV_VAR,
    dbt_threads,
)


@pytest.fixture(autouse=True)
def _no_configured_threads(monkeypatch):
    monkeypatch.delenv(THREADS_ENV_VAR, raising=False)


def _sparse_file(path, size):
    with path.open("wb") as file:
        file.truncate(size)  # sparse: no disk is used
    return path


def test_a_small_warehouse_builds_models_concurrently(tmp_path):
    warehouse = _sparse_file(tmp_path / "warehouse.duckdb", SERIAL_BUILD_FROM_BYTES - 1)

    assert dbt_threads(warehouse) == CONCURRENT_THREADS


def test_a_warehouse_not_created_yet_builds_models_concurrently(tmp_path):
    assert dbt_threads(tmp_path / "warehouse.duckdb") == CONCURRENT_THREADS


def test_a_big_warehouse_builds_one_model_at_a_time(tmp_path):
    warehouse = _sparse_file(tmp_path / "warehouse.duckdb", SERIAL_BUILD_FROM_BYTES)

    assert dbt_threads(warehouse) == 1


def test_the_environment_overrides_the_size_rule(tmp_path, monkeypatch):
    warehouse = _sparse_file(tmp_path / "warehouse.duckdb", SERIAL_BUILD_FROM_BYTES)
    monkeypatch.setenv(THREADS_ENV_VAR, "3")

    assert dbt_threads(warehouse) == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_a_bad_thread_count_names_the_variable_and_the_value(tmp_path, monkeypatch, value):
    monkeypatch.setenv(THREADS_ENV_VAR, value)

    with pytest.raises(ValueError, match=f"{THREADS_ENV_VAR}.*{value!r}"):
        dbt_threads(tmp_path / "warehouse.duckdb")
