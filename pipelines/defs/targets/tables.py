"""The ``plan`` tables: their columns and types, and conversion to and from the planner's frames.

The planner (``planning.build_plan``) returns amounts as integers in minor units with a
``minor_units`` column; the warehouse stores them as ``DECIMAL(18, 2)`` in units of the
reporting currency (or counts), with ``as_of_month`` and dates as ``DATE``. Converting back
(for the previous version) multiplies by the stream's minor units again, which is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from planning.alerts import ALERT_COLUMNS
from planning.plan import (
    CHANGE_COLUMNS,
    FUNNEL_COLUMNS,
    PARTNER_COLUMNS,
    REP_COLUMNS,
    TARGET_PLAN_COLUMNS,
)

SCHEMA = "plan"
# Rows of fct_funnel_rates used by a version: the change waterfall of the next month needs them
# (the marts only keep the latest build).
FUNNEL_RATES_SNAPSHOT = "funnel_rates_snapshot"
PLAN_TABLES: Mapping[str, Sequence[str]] = {
    "target_plan": TARGET_PLAN_COLUMNS,
    "funnel_requirements": FUNNEL_COLUMNS,
    "rep_targets": REP_COLUMNS,
    "partner_targets": PARTNER_COLUMNS,
    "plan_changes": CHANGE_COLUMNS,
    "attainment_alerts": ALERT_COLUMNS,
}
MONEY = {
    "target_plan": (
        "original_target",
        "period_target",
        "actual_to_date",
        "adjusted_target",
        "floor",
        "stretch",
        "forecast",
        "gap",
    ),
    "funnel_requirements": ("target",),
    "rep_targets": (
        "original_target",
        "period_target",
        "actual_to_date",
        "adjusted_target",
        "floor",
        "stretch",
        "forecast",
    ),
    "partner_targets": (
        "original_target",
        "period_target",
        "actual_to_date",
        "adjusted_target",
        "floor",
        "stretch",
        "forecast",
        "projected_rebate",
        "expected_rebate",
    ),
    "plan_changes": (
        "previous",
        "actuals_vs_plan",
        "forecast_revision",
        "rate_changes",
        "manual_adjustments",
        "current",
        "total_change",
    ),
    "attainment_alerts": ("target", "expected_to_date", "actual_to_date"),
}
DATES = {
    "as_of_month",
    "previous_as_of_month",
    "period_start",
    "month",
    "start_month",
    "lead_start_month",
    "hire_date",
    "end_date",
}
INTEGERS = {"fiscal_year", "tenure_month"}
BOOLEANS = {"is_leaf", "at_risk"}
DOUBLES = {
    "p_attain",
    "pace",
    "expected_pace",
    "attainment",
    "employed_share",
    "projected_attainment",
    "rebate_tier_from",
}


def column_type(table: str, column: str) -> str:
    """Return the warehouse type of a published column."""
    if column in MONEY[table]:
        return "DECIMAL(18, 2)"
    if column in DATES:
        return "DATE"
    if column in INTEGERS:
        return "INTEGER"
    if column in BOOLEANS:
        return "BOOLEAN"
    if column in DOUBLES or column.startswith("required_"):
        return "DOUBLE"
    return "VARCHAR"


def published_columns(table: str) -> list[str]:
    """The columns of a published table (the planner's, without ``minor_units``)."""
    return [column for column in PLAN_TABLES[table] if column != "minor_units"]


def create_tables(connection: duckdb.DuckDBPyConnection, schema: str = SCHEMA) -> None:
    """Create ``schema`` (default ``plan``) and its tables when they do not exist yet."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table in PLAN_TABLES:
        columns = ", ".join(
            f'"{column}" {column_type(table, column)}' for column in published_columns(table)
        )
        connection.execute(f"CREATE TABLE IF NOT EXISTS {schema}.{table} ({columns})")


def to_published(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Convert a planner frame to the published types (money in units, dates as timestamps)."""
    minor = frame["minor_units"].to_numpy(dtype=np.float64) if len(frame) else np.array([])
    # The columns are gathered first and framed once: adding them one by one to a frame took
    # 2/3 of the time (a version of the default demo is ~220 frames of up to 26 columns).
    columns: dict[str, object] = {}
    for column in published_columns(table):
        values = frame[column]
        if column in MONEY[table]:
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            # integer minor units / minor units, rounded to cents: exact below 2**53
            columns[column] = np.round(numbers / minor, 2)
        elif column in DATES:
            columns[column] = _as_dates(values)
        else:
            columns[column] = values
    return pd.DataFrame(columns, index=frame.index)


def _as_dates(values: pd.Series) -> pd.Series:
    """Midnight timestamps (NaT where missing) for dates, timestamps or ISO texts.

    :func:`insert` casts them to DATE. DuckDB reads a ``datetime64`` column as a vector, and
    ``datetime.date`` objects one by one: converting and inserting a version of the default
    demo (about a million date cells) took 2.5 s of CPU with objects, 2.2 s with timestamps. A
    version has only a few hundred distinct dates (months, weeks), so each distinct value is
    converted once.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = pd.Series([_as_date_text(value) for value in uniques], dtype=object)
    stamps = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce").to_numpy()
    # Code -1 (a missing value) takes the NaT appended at the end.
    lookup = np.append(stamps, np.array(["NaT"], dtype=stamps.dtype))
    return pd.Series(lookup[codes], index=values.index)


def _as_date_text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value if len(value) == 10 else f"{value[:7]}-01"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def insert(
    connection: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, schema: str = SCHEMA
) -> int:
    """Insert a published frame into ``<schema>.<table>``, casting to the table's types."""
    if frame.empty:
        return 0
    columns = published_columns(table)
    casts = ", ".join(
        f'CAST("{column}" AS {column_type(table, column)}) AS "{column}"' for column in columns
    )
    names = ", ".join(f'"{column}"' for column in columns)
    connection.register("plan_rows", frame[columns])
    try:
        connection.execute(f"INSERT INTO {schema}.{table} ({names}) SELECT {casts} FROM plan_rows")
    finally:
        connection.unregister("plan_rows")
    return len(frame)


def from_published(frame: pd.DataFrame, table: str, minor_units: int) -> pd.DataFrame:
    """Convert published rows back to the planner's frame (integers in minor units).

    ``frame`` may hold a subset of the table's columns; the money columns it has are converted.
    """
    result = frame.copy()
    unit = result["unit"] if "unit" in result.columns else pd.Series("money", index=result.index)
    minor = np.where(unit == "money", minor_units, 1)
    if table == "plan_changes":
        minor = np.where(result["measure"] == "target", minor, 100)
    result["minor_units"] = minor
    for column in (column for column in MONEY[table] if column in result.columns):
        values = pd.to_numeric(result[column], errors="coerce").to_numpy(dtype=np.float64)
        scaled = np.round(values * minor)
        if np.isnan(scaled).any():
            result[column] = scaled
        else:
            result[column] = scaled.astype(np.int64)
    # One version holds one as-of month (or a few): format each distinct date once.
    months = pd.to_datetime(result["as_of_month"])
    result["as_of_month"] = months.map({value: f"{value:%Y-%m}" for value in months.unique()})
    if "month" in result.columns and table == "funnel_requirements":
        result["month"] = pd.to_datetime(result["month"]).dt.date
    return result
