"""The ``forecasts`` tables: columns, types, and conversion from ``forecasts.ForecastResult``.

Every table holds every as-of version (``as_of_month``) of both forecast streams
(``metric``: ``bookings``, ``collections``). Money is ``DECIMAL(18, 2)``: bottom values are
rounded to the cent and parents summed from them, so a parent equals the sum of its children
exactly. ``fitted_at`` is the first instant of the as-of month, never the wall clock, so a
replayed month writes identical rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecasts import ForecastResult

SCHEMA = "forecasts"
SEGMENT_KEYS = ("region", "product_line", "channel")

COLUMNS: Mapping[str, Mapping[str, str]] = {
    "forecast_monthly": {
        "as_of_month": "DATE NOT NULL",
        "metric": "VARCHAR NOT NULL",
        "level": "VARCHAR NOT NULL",
        "region": "VARCHAR",
        "product_line": "VARCHAR",
        "channel": "VARCHAR",
        "unique_id": "VARCHAR NOT NULL",
        "month": "DATE NOT NULL",
        "horizon": "INTEGER NOT NULL",
        "yhat": "DECIMAL(18, 2) NOT NULL",
        "yhat_lower_80": "DECIMAL(18, 2) NOT NULL",
        "yhat_upper_80": "DECIMAL(18, 2) NOT NULL",
        "yhat_lower_95": "DECIMAL(18, 2) NOT NULL",
        "yhat_upper_95": "DECIMAL(18, 2) NOT NULL",
        "model": "VARCHAR NOT NULL",
        "flags": "VARCHAR NOT NULL",
        "fitted_at": "TIMESTAMP NOT NULL",
    },
    "forecast_paths": {
        "as_of_month": "DATE NOT NULL",
        "metric": "VARCHAR NOT NULL",
        "unique_id": "VARCHAR NOT NULL",
        "month": "DATE NOT NULL",
        "path": "SMALLINT NOT NULL",
        "y": "DECIMAL(18, 2) NOT NULL",
    },
    "forecast_accuracy": {
        "as_of_month": "DATE NOT NULL",
        "metric": "VARCHAR NOT NULL",
        "level": "VARCHAR NOT NULL",
        "region": "VARCHAR",
        "product_line": "VARCHAR",
        "channel": "VARCHAR",
        "unique_id": "VARCHAR NOT NULL",
        "horizon": "INTEGER",
        "measure": "VARCHAR NOT NULL",
        "value": "DOUBLE",
        "baseline_value": "DOUBLE",
        "sample_size": "INTEGER NOT NULL",
    },
}
TABLES = tuple(COLUMNS)


def create_statements() -> list[str]:
    """Return the DDL that creates the schema and every table if missing."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"]
    for table, columns in COLUMNS.items():
        body = ",\n  ".join(f"{name} {kind}" for name, kind in columns.items())
        statements.append(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table} (\n  {body}\n)")
    return statements


def published_frames(
    results: Mapping[str, ForecastResult], as_of: dt.date, stored_paths: int
) -> dict[str, pd.DataFrame]:
    """Return the rows of one version of every table, in the tables' column order.

    Args:
        results: Forecast result per metric.
        as_of: The as-of month (first day).
        stored_paths: How many sample paths per series and month to keep.

    Returns:
        Frames keyed by table name, typed for insertion: DATE columns hold midnight timestamps.
    """
    frames: dict[str, list[pd.DataFrame]] = {table: [] for table in TABLES}
    for metric, result in results.items():
        fitted_at = result.fitted_at or dt.datetime.combine(as_of, dt.time())
        forecasts = _with_keys(result.forecasts).rename(columns={"ds": "month"})
        frames["forecast_monthly"].append(
            forecasts.assign(as_of_month=as_of, metric=metric, fitted_at=fitted_at)
        )
        # Only the stored paths become rows: the full long frame can be far larger.
        paths = result.paths.frame(max_paths=stored_paths).rename(columns={"ds": "month"})
        frames["forecast_paths"].append(
            paths.assign(as_of_month=as_of, metric=metric, unique_id=paths["unique_id"].astype(str))
        )
        frames["forecast_accuracy"].append(
            _with_keys(result.accuracy).assign(as_of_month=as_of, metric=metric)
        )
    out = {}
    for table, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        out[table] = _typed(frame.reindex(columns=list(COLUMNS[table])), table)
    return out


def _with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the segment key columns a grain without them lacks (NULL: not part of the node)."""
    for key in SEGMENT_KEYS:
        if key not in frame:
            frame = frame.assign(**{key: None})
    return frame


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    for name, kind in COLUMNS[table].items():
        if kind.startswith("DATE"):
            # Midnight timestamps, which DuckDB casts to the DATE column as it inserts them:
            # Python date objects took ~0.7 s more to make and insert for the default demo's
            # 0.7 M path rows of a version.
            frame[name] = pd.to_datetime(frame[name])
        elif kind.startswith("DECIMAL"):
            frame[name] = np.round(frame[name].astype(np.float64), 2)
        elif kind.startswith(("INTEGER", "SMALLINT")):
            frame[name] = frame[name].astype("Int64" if "NOT NULL" not in kind else np.int64)
        elif kind.startswith("VARCHAR"):
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return frame


def segment_sql(keys: Sequence[str]) -> str:
    """Return the select list of the key columns, NULL keys made explicit."""
    return ", ".join(f"coalesce(CAST({key} AS VARCHAR), '(missing)') AS {key}" for key in keys)
