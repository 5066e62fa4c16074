"""The forecast version asset on a real temp DuckDB warehouse, materialized with Dagster.

The warehouse holds ``marts.fct_bookings_monthly`` and ``marts.fct_collections_monthly`` with
the documented columns (docs/architecture.md), built from a seeded synthetic history
2021-01..2024-12: regions EAST and NORTH x product lines CLOUD and ERP x channels direct and
partner x deal types new and renewal, seasonal with growth, plus the awkward segments a real
mart has: a product line launched in 2024-06 (AI), one that stopped selling in 2023-06
(LEGACY), a month of net credit notes, and a segment with only two months of sales.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.defs.forecasts.assets import forecast_version
from pipelines.defs.resources import WarehouseResource
from pipelines.partitions import partition_key_for
from salesplan.home import resolve_home

MONTHS = pd.date_range("2021-01-01", "2024-12-01", freq="MS")
TABLES = ("forecast_monthly", "forecast_paths", "forecast_accuracy")


def synthetic_marts() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    rows = []
    season = 1 + 0.3 * np.cos(2 * np.pi * (MONTHS.month.to_numpy() - 12) / 12)
    segments = [
        (region, line, channel)
        for region in ("EAST", "NORTH")
        for line in ("CLOUD", "ERP")
        for channel in ("direct", "partner")
    ]
    segments += [("NORTH", "AI", "direct"), ("EAST", "LEGACY", "direct"), ("EAST", "AI", "partner")]
    for number, (region, line, channel) in enumerate(segments):
        level = 400_000.0 / (1 + number % 4)
        trend = np.exp(0.1 * np.arange(len(MONTHS)) / 12)
        for deal_type, share in (("new", 0.6), ("renewal", 0.4)):
            amount = level * share * trend * season * rng.lognormal(0, 0.15, len(MONTHS))
            for month, value in zip(MONTHS, amount, strict=True):
                if line == "AI" and region == "NORTH" and month < pd.Timestamp("2024-06-01"):
                    continue  # launched mid-history
                if line == "LEGACY" and month > pd.Timestamp("2023-06-01"):
                    continue  # discontinued
                if (
                    line == "AI"
                    and region == "EAST"
                    and not (pd.Timestamp("2024-09-01") <= month <= pd.Timestamp("2024-10-01"))
                ):
                    continue  # two months of sales only
                if region == "EAST" and line == "ERP" and month == pd.Timestamp("2023-03-01"):
                    value = -25_000.0  # credit notes larger than sales
                rows.append((month, region, line, channel, deal_type, round(value, 2)))
    frame = pd.DataFrame(
        rows, columns=["month", "region", "product_line", "channel", "deal_type", "amount"]
    )
    bookings = frame.assign(
        partner_id=np.where(frame["channel"] == "partner", "P0001", None),
        rep_id="R0001",
        bookings_amount=frame["amount"],
        order_count=3,
        new_customers=1,
    ).drop(columns="amount")
    collections = frame.assign(
        partner_id=np.where(frame["channel"] == "partner", "P0001", None),
        collected_amount=(frame["amount"] * 0.9).round(2),
        invoiced_amount=frame["amount"],
        payment_count=2,
    ).drop(columns="amount")
    return bookings, collections


def seed_warehouse(path: Path) -> None:
    bookings, collections = synthetic_marts()
    connection = duckdb.connect(str(path))
    connection.execute("CREATE SCHEMA marts")
    for name, frame, money in (
        ("fct_bookings_monthly", bookings, "bookings_amount"),
        ("fct_collections_monthly", collections, "collected_amount"),
    ):
        connection.register("frame", frame)
        connection.execute(
            f"CREATE TABLE marts.{name} AS SELECT * REPLACE "
            f"(CAST(month AS DATE) AS month, CAST({money} AS DECIMAL(18, 2)) AS {money}) "
            "FROM frame"
        )
        connection.unregister("frame")
    connection.close()


@pytest.fixture(scope="module")
def november(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dg.ExecuteInJobResult]:
    """A home whose warehouse holds the marts and the 2024-11 forecast version."""
    layout = resolve_home(tmp_path_factory.mktemp("forecast") / "home").ensure()
    seed_warehouse(layout.warehouse)
    return layout.root, materialize(layout.root, "2024-11")


def materialize(home: Path, month: str, n_jobs: int = 1) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [forecast_version],
        partition_key=partition_key_for(month),
        resources={"warehouse": WarehouseResource(root=str(home))},
        run_config={
            "ops": {
                "forecast_version": {
                    "config": {"n_jobs": n_jobs, "stored_paths": 50, "parallel_from_series": 1}
                }
            }
        },
    )


def read(home: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(resolve_home(home).warehouse), read_only=True) as connection:
        return connection.execute(f"SELECT * FROM forecasts.{table} ORDER BY ALL").fetchdf()


def test_the_version_is_written_checked_and_described(november) -> None:
    home, result = november

    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {c.check_name for c in checks} == {"coherent", "valid_intervals"}
    assert all(c.passed for c in checks)
    monthly = read(home, "forecast_monthly")
    assert set(monthly["metric"]) == {"bookings", "collections"}
    assert monthly["as_of_month"].astype(str).unique().tolist() == ["2024-11-01"]
    assert monthly["month"].min() == pd.Timestamp("2024-11-01")
    assert monthly.groupby(["metric", "unique_id"]).size().eq(12).all()
    assert monthly["fitted_at"].unique().tolist() == [pd.Timestamp("2024-11-01")]
    company = monthly[(monthly["level"] == "company") & (monthly["metric"] == "bookings")]
    assert company[["region", "product_line", "channel"]].isna().all().all()
    segments = monthly[(monthly["level"] == "segment") & (monthly["metric"] == "bookings")]
    assert segments["unique_id"].nunique() == 11
    flags = segments.drop_duplicates("unique_id").set_index("unique_id")["flags"]
    assert "discontinued" in flags["region=EAST/product_line=LEGACY/channel=direct"]
    assert "short_history" in flags["region=NORTH/product_line=AI/channel=direct"]
    assert "too_short" in flags["region=EAST/product_line=AI/channel=partner"]
    assert "negative_values" in flags["region=EAST/product_line=ERP/channel=direct"]

    paths = read(home, "forecast_paths")
    assert paths["path"].max() == 49
    assert len(paths) == monthly.shape[0] * 50
    accuracy = read(home, "forecast_accuracy")
    assert set(accuracy["measure"]) == {
        "mape",
        "wape",
        "mase",
        "bias",
        "coverage_80",
        "coverage_95",
    }
    assert accuracy["horizon"].dropna().astype(int).between(1, 12).all()
    assert accuracy["baseline_value"].notna().any()

    metadata = result.asset_materializations_for_node("forecast_version")
    monthly_meta = next(m for m in metadata if m.asset_key == dg.AssetKey("forecast_monthly"))
    assert monthly_meta.metadata["series"].data == {"bookings": 11, "collections": 11}
    assert monthly_meta.metadata["fallbacks"].data["bookings"]["discontinued"] == 1
    assert monthly_meta.metadata["failures"].data["bookings"]["model_fits_failed"] == 0
    accuracy_meta = next(m for m in metadata if m.asset_key == dg.AssetKey("forecast_accuracy"))
    company_wape = accuracy_meta.metadata["accuracy"].data["bookings"]["company"]["wape"]
    assert company_wape["engine"] is not None
    assert company_wape["seasonal_naive"] is not None


def test_replaying_a_month_rewrites_identical_rows_and_keeps_other_versions(
    november, tmp_path: Path
) -> None:
    original, _ = november
    home = tmp_path / "home"
    shutil.copytree(original, home)
    first = {table: read(home, table) for table in TABLES}

    assert materialize(home, "2024-12").success
    assert materialize(home, "2024-11").success

    for table in TABLES:
        replayed = read(home, table)
        november = replayed[replayed["as_of_month"].astype(str) == "2024-11-01"]
        pd.testing.assert_frame_equal(november.reset_index(drop=True), first[table])
        assert set(replayed["as_of_month"].astype(str)) == {"2024-11-01", "2024-12-01"}


@pytest.mark.slow
def test_worker_processes_give_the_same_version_as_one_process(november, tmp_path: Path) -> None:
    original, _ = november
    home = tmp_path / "home"
    shutil.copytree(original, home)

    assert materialize(home, "2024-11", n_jobs=2).success

    for table in TABLES:
        pd.testing.assert_frame_equal(read(home, table), read(original, table))


def test_a_missing_mart_fails_the_run_with_a_clear_message(tmp_path: Path) -> None:
    layout = resolve_home(tmp_path / "empty").ensure()
    duckdb.connect(str(layout.warehouse)).close()

    result = dg.materialize(
        [forecast_version],
        partition_key=partition_key_for("2024-11"),
        resources={"warehouse": WarehouseResource(root=str(layout.root))},
        run_config={"ops": {"forecast_version": {"config": {"n_jobs": 1}}}},
        raise_on_error=False,
    )

    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "marts.fct_bookings_monthly is missing" in failure.message
