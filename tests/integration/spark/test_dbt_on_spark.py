"""The dbt project builds on Spark (dbt-spark, session method) and its marts equal DuckDB's.

The raw layer of the ingested small demo goes to Spark the way a user moves it
(``scripts/spark_raw_layer.py``: DuckDB ``raw.*`` -> Parquet -> external tables ``raw.*``);
then ``dbt build --target spark`` runs in this process on the test session's Spark, models,
contracts, data tests and unit tests included. Every mart must hold the rows DuckDB built from
the same raw layer: keys and money exactly, derived ratios and quantiles to 1e-9.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from spark_helpers import dbt_vars, raw_layer_script

from pipelines.defs.dbt.project import DBT_PROJECT_DIR
from salesplan.home import SalesplanHome

pytestmark = pytest.mark.spark

MARTS = (
    "fct_funnel_monthly",
    "fct_funnel_rates",
    "fct_bookings_monthly",
    "fct_bookings_reconciliation",
    "fct_collections_monthly",
    "fct_collection_delays",
    "fct_receivables_monthly",
    "dim_rep",
    "dim_product",
    "dim_region",
    "dim_partner",
    "dim_calendar",
)
# Ratios, medians and quantiles are doubles computed by two engines; everything else (keys,
# counts, dates, money in DECIMAL(18, 2)) must match exactly.
RELATIVE_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def spark_build(spark: Any, small_demo: SalesplanHome, tmp_path_factory) -> dict[str, Any]:
    """The small demo's raw layer on Spark and ``dbt build --target spark`` run on it."""
    from dbt.cli.main import dbtRunner

    script = raw_layer_script()
    exported = tmp_path_factory.mktemp("raw_parquet")
    counts = script.export_raw(small_demo.warehouse, exported)
    script.register_raw(spark, exported.as_uri())
    target = tmp_path_factory.mktemp("dbt_target_spark")
    result = dbtRunner().invoke(
        [
            "build",
            "--target",
            "spark",
            "--vars",
            json.dumps(dbt_vars(small_demo)),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            "--no-partial-parse",
        ]
    )
    return {"result": result, "target": target, "counts": counts}


def run_results(target: Path) -> dict[str, str]:
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    return {r["unique_id"]: r["status"] for r in results["results"]}


def test_the_raw_layer_reaches_spark_row_for_row(spark, small_demo, spark_build) -> None:
    with duckdb.connect(str(small_demo.warehouse), read_only=True) as connection:
        for entity, count in spark_build["counts"].items():
            (in_duckdb,) = connection.execute(f"select count(*) from raw.{entity}").fetchone()
            assert count == in_duckdb
            assert spark.table(f"raw.{entity}").count() == count, entity


def test_dbt_builds_every_model_test_and_unit_test_on_spark(spark_build) -> None:
    statuses = run_results(spark_build["target"])

    failed = {node: state for node, state in statuses.items() if state not in ("success", "pass")}
    assert spark_build["result"].success, failed
    assert not failed
    kinds = {node.split(".")[0] for node in statuses}
    assert kinds == {"model", "test", "unit_test"}
    assert sum(node.startswith("model.") for node in statuses) >= 30


@pytest.mark.parametrize("mart", MARTS)
def test_a_mart_on_spark_holds_the_rows_duckdb_built(spark, small_demo, spark_build, mart) -> None:
    with duckdb.connect(str(small_demo.warehouse), read_only=True) as connection:
        expected = connection.sql(f"select * from marts.{mart}").to_arrow_table().to_pandas()
    actual = spark.table(f"marts.{mart}").toPandas()

    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected) > 0
    assert_same_rows(normalized(actual), normalized(expected))


def normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as Timestamps, decimals as exact strings, doubles as floats; rows in a fixed order."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        sample = values.dropna()
        first = sample.iloc[0] if len(sample) else None
        if isinstance(first, decimal.Decimal):
            out[column] = values.map(lambda v: None if v is None or pd.isna(v) else f"{v:.6f}")
        elif isinstance(first, dt.date) or pd.api.types.is_datetime64_any_dtype(values):
            out[column] = pd.to_datetime(values)
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.astype(float)
        elif pd.api.types.is_bool_dtype(values) or isinstance(first, bool | np.bool_):
            out[column] = values.astype("boolean")
        elif pd.api.types.is_integer_dtype(values) or isinstance(first, int | np.integer):
            out[column] = values.astype("Int64")
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    exact = [c for c in out.columns if not pd.api.types.is_float_dtype(out[c])]
    keys = out[exact].astype(str)
    order = keys.apply(lambda row: "\x1f".join(row), axis=1).sort_values(kind="stable").index
    return out.loc[order].reset_index(drop=True)


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    for column in expected.columns:
        if pd.api.types.is_float_dtype(expected[column]):
            np.testing.assert_allclose(
                actual[column].to_numpy(dtype=float),
                expected[column].to_numpy(dtype=float),
                rtol=RELATIVE_TOLERANCE,
                atol=0,
                equal_nan=True,
                err_msg=column,
            )
        else:
            pd.testing.assert_series_equal(
                actual[column], expected[column], check_dtype=False, obj=column
            )
