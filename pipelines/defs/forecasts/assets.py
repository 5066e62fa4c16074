"""The monthly forecast version: ``forecast_monthly``, ``forecast_paths`` and ``forecast_accuracy``.

One multi-asset per as-of partition reads the bookings and collections marts (data up to
``M - 1``), forecasts both streams with ``forecasts.forecast`` (rolling backtest, ensemble,
calibrated paths, bottom-up reconciliation), writes the three tables of the version in one
transaction and checks what it wrote. A series that cannot be forecast is flagged and falls
back to seasonal naive; it never fails the run.
"""

# No `from __future__ import annotations`: Dagster reads the context, config and resource
# parameter annotations at definition time.
import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import nullcontext

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

import forecasts
from forecasts.config import ENGINES
from forecasts.spark import DEFAULT_MASTER, SPARK_MASTER_ENV
from pipelines.defs.forecasts import checks
from pipelines.defs.forecasts.tables import SCHEMA, TABLES, published_frames
from pipelines.defs.forecasts.warehouse import (
    SOURCES,
    MissingMartError,
    read_history,
    write_version,
)
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.partitions import AS_OF_MONTHS, month_of
from salesplan.months import parse_month

# The deployment picks the engine without run config (the CLI passes none): the same variable
# works for `salesplan run` and for the Dagster UI.
ENGINE_ENV = "SALESPLAN_FORECAST_ENGINE"
UPSTREAM = [dg.AssetKey("fct_bookings_monthly"), dg.AssetKey("fct_collections_monthly")]
DESCRIPTIONS = {
    "forecast_monthly": "forecasts.forecast_monthly: one row per as-of month x metric x node "
    "(company, region, region x product line, segment) x forecast month: median forecast, "
    "80%/95% intervals, model and flags.",
    "forecast_paths": "forecasts.forecast_paths: one row per as-of month x metric x node x "
    "forecast month x sample path; parents' paths are sums of their segments'.",
    "forecast_accuracy": "forecasts.forecast_accuracy: one row per as-of month x metric x node "
    "x horizon (NULL: all) x measure: backtest MAPE, WAPE, MASE, bias and interval coverage "
    "of the engine next to seasonal naive.",
}


class ForecastRunConfig(dg.Config):
    """Settings of a forecast run (the defaults are the product's)."""

    bottom_keys: list[str] = Field(
        default_factory=lambda: ["region", "product_line", "channel"],
        description="Bottom grain, top-down; parents are its prefixes (the planning tree).",
    )
    n_jobs: int = Field(default=2, description="Worker processes (the machine has 2 cores).")
    # Starting the workers costs 5 s on a quiet 2-core machine and up to 25 s when it is busy
    # (each imports statsforecast), about what 150-300 series take in one process; the demo
    # has 2 x 96 series, so workers only pay off for finer grains (rep x product line x region)
    # or when the process keeps them from run to run (a backfill: forecasts.keep_worker_pool).
    parallel_from_series: int = Field(
        default=300,
        description="Use worker processes only from this many series per run, unless the "
        "process keeps its workers between runs (a backfill).",
    )
    stored_paths: int = Field(
        default=200, description="Sample paths kept per node and month in forecast_paths."
    )
    seed: int = Field(default=0, description="Seed of the sample paths.")
    engine: str | None = Field(
        default=None,
        description="Where the series are fitted: `local` (this process or n_jobs workers) or "
        f"`spark` (forecasts.spark, master from ${SPARK_MASTER_ENV}). Default: "
        f"${ENGINE_ENV}, else `local`.",
    )
    spring_festival: bool = Field(
        default=True, description="Spring Festival slowdown as a Prophet regressor."
    )


@dg.multi_asset(
    name="forecast_version",
    specs=[
        dg.AssetSpec(
            table,
            deps=UPSTREAM,
            description=DESCRIPTIONS[table],
            group_name="forecasts",
            kinds={"duckdb", "python"},
            metadata={"dagster/table_name": f"{SCHEMA}.{table}"},
        )
        for table in TABLES
    ],
    check_specs=checks.check_specs(),
    partitions_def=AS_OF_MONTHS,
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def forecast_version(
    context: dg.AssetExecutionContext, config: ForecastRunConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Forecast bookings and collections from the as-of month on and write the version."""
    as_of_month = month_of(context.partition_key)
    as_of = parse_month(as_of_month)
    engine = forecast_engine(config.engine, os.environ)
    settings = forecasts.ForecastConfig(
        seed=config.seed, spring_festival=config.spring_festival, engine=engine
    )
    with warehouse.connect(read_only=True) as connection:
        try:
            histories = {
                metric: read_history(connection, metric, as_of, config.bottom_keys)
                for metric in SOURCES
            }
        except MissingMartError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
    results: dict[str, forecasts.ForecastResult] = {}
    n_series = sum(_series_count(history, config) for history in histories.values())
    parallel = (
        engine == "local"
        and config.n_jobs > 1
        and (n_series >= config.parallel_from_series or forecasts.pool_is_kept(config.n_jobs))
    )
    if engine == "spark":
        context.log.info(f"fitting on Spark ({os.environ.get(SPARK_MASTER_ENV, DEFAULT_MASTER)})")
    pool_context = forecasts.worker_pool(config.n_jobs) if parallel else nullcontext()
    with pool_context as pool:
        for metric, history in histories.items():
            if history.empty:
                context.log.warning(f"{metric}: no history before {as_of_month}, not forecast")
                continue
            context.log.info(f"{metric}: forecasting {_series_count(history, config)} series")
            results[metric] = forecasts.forecast(
                history, as_of_month, hierarchy=config.bottom_keys, config=settings, executor=pool
            )
    frames = published_frames(results, as_of, config.stored_paths)
    with warehouse.connect() as connection:
        counts = write_version(connection, as_of, frames)
        check_results = list(_checks(connection, as_of, config.bottom_keys))
    for table in TABLES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(table),
            metadata={
                "dagster/row_count": dg.MetadataValue.int(counts[table]),
                "as_of_month": as_of_month,
                **_metadata(table, results),
            },
        )
    yield from check_results


def forecast_engine(configured: str | None, environ: Mapping[str, str]) -> str:
    """Return the forecast engine of a run: the run config's, else the environment's, else local.

    Raises:
        dg.Failure: for an engine other than ``local`` or ``spark``.
    """
    engine = (configured or environ.get(ENGINE_ENV) or "local").strip().lower()
    if engine not in ENGINES:
        raise dg.Failure(
            description=f"forecast engine must be one of {ENGINES} (run config `engine` or "
            f"${ENGINE_ENV}), got {engine!r}",
            allow_retries=False,
        )
    return engine


def _series_count(history: pd.DataFrame, config: ForecastRunConfig) -> int:
    return int(history.groupby(config.bottom_keys).ngroups) if len(history) else 0


def _metadata(table: str, results: dict[str, forecasts.ForecastResult]) -> dict[str, object]:
    if table == "forecast_monthly":
        return {
            "series": dg.MetadataValue.json(
                {metric: int(_bottom(r)["unique_id"].nunique()) for metric, r in results.items()}
            ),
            "fallbacks": dg.MetadataValue.json(
                {metric: _flag_counts(r) for metric, r in results.items()}
            ),
            "failures": dg.MetadataValue.json(
                {metric: _failures(r) for metric, r in results.items()}
            ),
            "models": dg.MetadataValue.json(
                {metric: _model_counts(r) for metric, r in results.items()}
            ),
            "calibration": dg.MetadataValue.json(
                {
                    metric: {
                        "sigma": round(r.calibration.sigma, 3),
                        "alpha": round(r.calibration.alpha, 3),
                        "rho": round(r.calibration.rho, 3),
                        "backtest_errors": r.calibration.n_errors,
                    }
                    for metric, r in results.items()
                    if r.calibration is not None
                }
            ),
        }
    if table == "forecast_accuracy":
        return {
            "accuracy": dg.MetadataValue.json(
                {metric: _accuracy_summary(r) for metric, r in results.items()}
            )
        }
    return {}


def _bottom(result: forecasts.ForecastResult) -> pd.DataFrame:
    frame = result.forecasts
    return frame[frame["level"] == frame["level"].iloc[-1]]


def _flag_counts(result: forecasts.ForecastResult) -> dict[str, int]:
    series = _bottom(result).drop_duplicates("unique_id")
    flags = series["flags"].str.split(",").explode()
    return {str(k): int(v) for k, v in flags[flags != ""].value_counts().sort_index().items()}


def _failures(result: forecasts.ForecastResult) -> dict[str, object]:
    failed = result.failures
    return {
        "model_fits_failed": len(failed),
        "series_affected": int(failed["unique_id"].nunique()) if len(failed) else 0,
        "first": failed.head(5).astype(str).to_dict("records"),
    }


def _model_counts(result: forecasts.ForecastResult) -> dict[str, int]:
    models = _bottom(result).drop_duplicates("unique_id")["model"].str.split("(").str[0]
    return {str(k): int(v) for k, v in models.value_counts().sort_index().items()}


def _accuracy_summary(result: forecasts.ForecastResult) -> dict[str, object]:
    accuracy = result.accuracy
    pooled = accuracy[accuracy["horizon"].isna()]
    company = pooled[pooled["level"] == "company"].set_index("measure")
    segments = pooled[pooled["level"] == pooled["level"].iloc[-1]] if len(pooled) else pooled
    median = segments.groupby("measure")[["value", "baseline_value"]].median()

    def pairs(frame: pd.DataFrame) -> dict[str, dict[str, float | None]]:
        return {
            measure: {
                "engine": _number(frame.loc[measure, "value"]),
                "seasonal_naive": _number(frame.loc[measure, "baseline_value"]),
            }
            for measure in frame.index
        }

    return {"company": pairs(company), "segment_median": pairs(median)}


def _number(value: object) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)  # type: ignore[arg-type]


def _checks(
    connection: duckdb.DuckDBPyConnection, as_of: dt.date, keys: list[str]
) -> Iterator[dg.AssetCheckResult]:
    """Check the version as written: the checks read the warehouse's rows, not the frames."""
    version = {"as_of": as_of}
    monthly = f"SELECT * FROM {SCHEMA}.forecast_monthly WHERE as_of_month = $as_of"
    yield checks.coherent(
        connection, monthly, version, keys, "yhat", ["metric", "month"], "forecast_monthly"
    )
    yield checks.valid_intervals(connection.execute(monthly, version).fetchdf())
    # A path row names its node by unique_id; the node's level and keys are the forecast's.
    paths = f"""
        SELECT p.metric, p.month, p.path, p.y, n.level, {", ".join(f"n.{key}" for key in keys)}
        FROM {SCHEMA}.forecast_paths AS p
        LEFT JOIN (
            SELECT DISTINCT metric, unique_id, level, {", ".join(keys)} FROM ({monthly})
        ) AS n USING (metric, unique_id)
        WHERE p.as_of_month = $as_of
    """
    yield checks.coherent(
        connection, paths, version, keys, "y", ["metric", "month", "path"], "forecast_paths"
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Register the forecast version."""
    return dg.Definitions(assets=[forecast_version])
