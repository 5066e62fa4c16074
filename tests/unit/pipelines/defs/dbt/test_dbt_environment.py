from pipelines.defs.dbt.assets import (
    AS_OF_ENV_VAR,
    FILE_LOG_LEVEL_ENV_VAR,
    WAREHOUSE_ENV_VAR,
    dbt_environment,
)


def test_a_monthly_build_gets_its_warehouse_month_and_cautious_selection(monkeypatch):
    monkeypatch.delenv(FILE_LOG_LEVEL_ENV_VAR, raising=False)

    environment = dbt_environment("/homes/acme/warehouse.duckdb", "2026-11-01")

    assert environment == {
        WAREHOUSE_ENV_VAR: "/homes/acme/warehouse.duckdb",
        AS_OF_ENV_VAR: "2026-11-01",
        FILE_LOG_LEVEL_ENV_VAR: "info",
        "DBT_INDIRECT_SELECTION": "cautious",
    }


def test_a_file_log_level_set_in_the_environment_is_kept(monkeypatch):
    monkeypatch.setenv(FILE_LOG_LEVEL_ENV_VAR, "debug")

    environment = dbt_environment("/homes/acme/warehouse.duckdb", "2026-11-01")

    assert environment[FILE_LOG_LEVEL_ENV_VAR] == "debug"
