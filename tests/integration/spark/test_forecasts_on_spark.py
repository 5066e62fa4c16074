"""The forecast version computed on Spark equals the local engine's, row for row and bit for bit.

The forecast asset runs twice on the small demo's marts (2 metrics x 46 segments), once with
the local engine and once with ``SALESPLAN_FORECAST_ENGINE=spark`` (the setting a deployment
uses), on the test session's Spark. The engine seeds its randomness per series and the
executors run the same per-series code on the same rows, so the three forecast tables must be
identical, not merely close.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.defs.forecasts.assets import ENGINE_ENV, forecast_version
from pipelines.defs.resources import WarehouseResource
from pipelines.partitions import partition_key_for
from salesplan.home import SalesplanHome

pytestmark = pytest.mark.spark

TABLES = ("forecast_monthly", "forecast_paths", "forecast_accuracy")
AS_OF_MONTH = "2026-11"


def materialize(home: SalesplanHome) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [forecast_version],
        partition_key=partition_key_for(AS_OF_MONTH),
        resources={"warehouse": WarehouseResource(root=str(home.root))},
        # One process for the local engine: worker processes would give the same rows.
        run_config={"ops": {"forecast_version": {"config": {"n_jobs": 1}}}},
    )


def read_version(home: SalesplanHome) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return {
            table: connection.execute(f"select * from forecasts.{table} order by all").fetchdf()
            for table in TABLES
        }


@pytest.fixture(scope="module")
def versions(
    spark: Any, small_demo: SalesplanHome, monkeypatch_module: pytest.MonkeyPatch
) -> dict[str, dict[str, pd.DataFrame]]:
    """The version of AS_OF_MONTH written by the local engine, then by the Spark engine."""
    monkeypatch_module.delenv(ENGINE_ENV, raising=False)
    local = materialize(small_demo)
    assert local.success
    written = {"local": read_version(small_demo)}
    monkeypatch_module.setenv(ENGINE_ENV, "spark")
    jobs_before = len(spark.sparkContext.statusTracker().getJobIdsForGroup())
    on_spark = materialize(small_demo)
    assert on_spark.success
    written["spark"] = read_version(small_demo)
    # The second run did fit on Spark: one job per metric at least.
    assert len(spark.sparkContext.statusTracker().getJobIdsForGroup()) >= jobs_before + 2
    return written


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("table", TABLES)
def test_the_spark_engine_writes_the_local_engines_forecast_version(versions, table) -> None:
    local, on_spark = versions["local"][table], versions["spark"][table]

    assert len(local) > 0
    pd.testing.assert_frame_equal(on_spark, local, check_exact=True)


def test_the_version_covers_both_metrics_and_every_segment(versions, small_demo) -> None:
    monthly = versions["spark"]["forecast_monthly"]
    with duckdb.connect(str(small_demo.warehouse), read_only=True) as connection:
        (segments_sold,) = connection.execute(
            "select count(distinct (region, product_line, channel)) "
            "from marts.fct_bookings_monthly where month < ?",
            [pd.Timestamp(f"{AS_OF_MONTH}-01").date()],
        ).fetchone()

    assert set(monthly["metric"]) == {"bookings", "collections"}
    bookings = monthly[(monthly["level"] == "segment") & (monthly["metric"] == "bookings")]
    assert bookings["unique_id"].nunique() == segments_sold
