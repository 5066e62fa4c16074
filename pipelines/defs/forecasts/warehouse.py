"""Reading the forecast history from the marts and writing forecast versions.

Inputs (docs/architecture.md, "Columns the Python stages rely on"):

* ``marts.fct_bookings_monthly.bookings_amount``, summed over deal type, partner and rep;
* ``marts.fct_collections_monthly.collected_amount``, summed over deal type and partner;

to the bottom grain (default region x product line x channel), months before the as-of month.
A version is every row of one ``as_of_month``; writing it deletes those rows from the three
tables and inserts the new ones in one transaction, so readers see the old version or the
new one, and every other month's version stays untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb
import pandas as pd

from pipelines.defs.forecasts.tables import COLUMNS, SCHEMA, create_statements, segment_sql

# Forecast stream -> (mart, amount column). Asset deps name the same marts by key.
SOURCES: Mapping[str, tuple[str, str]] = {
    "bookings": ("marts.fct_bookings_monthly", "bookings_amount"),
    "collections": ("marts.fct_collections_monthly", "collected_amount"),
}
# Key columns a bottom grain may use (both marts have the first five; rep_id is bookings only).
ALLOWED_KEYS = ("region", "product_line", "channel", "deal_type", "partner_id", "rep_id")


class MissingMartError(RuntimeError):
    """A mart the forecast reads is not in the warehouse yet."""


def read_history(
    connection: duckdb.DuckDBPyConnection, metric: str, as_of: dt.date, keys: Sequence[str]
) -> pd.DataFrame:
    """Return the monthly history of one stream: the keys, ``ds`` and ``y``, before ``as_of``.

    Raises:
        MissingMartError: if the mart does not exist.
        ValueError: for an unknown metric or key.
    """
    if metric not in SOURCES:
        raise ValueError(f"Unknown metric {metric!r}; known: {sorted(SOURCES)}")
    unknown = [key for key in keys if key not in ALLOWED_KEYS]
    if unknown:
        raise ValueError(f"Unknown bottom keys {unknown}; allowed: {ALLOWED_KEYS}")
    table, amount = SOURCES[metric]
    schema, name = table.split(".")
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchone()
    if not found or not found[0]:
        raise MissingMartError(f"{table} is missing: build the dbt marts for {as_of:%Y-%m} first")
    select_keys = segment_sql(keys)
    return connection.execute(
        f"""
        SELECT {select_keys}, month AS ds, CAST(sum({amount}) AS DOUBLE) AS y
        FROM {table}
        WHERE month < ?
        GROUP BY ALL
        ORDER BY ALL
        """,
        [as_of],
    ).fetchdf()


def write_version(
    connection: duckdb.DuckDBPyConnection, as_of: dt.date, frames: Mapping[str, pd.DataFrame]
) -> dict[str, int]:
    """Replace the ``as_of`` rows of every forecast table in one transaction.

    Returns:
        Rows written per table.
    """
    for statement in create_statements():
        connection.execute(statement)
    counts = {}
    connection.execute("BEGIN TRANSACTION")
    try:
        for table, frame in frames.items():
            connection.execute(f"DELETE FROM {SCHEMA}.{table} WHERE as_of_month = ?", [as_of])
            connection.register("version_rows", frame)
            columns = ", ".join(COLUMNS[table])
            connection.execute(
                f"INSERT INTO {SCHEMA}.{table} ({columns}) SELECT {columns} FROM version_rows"
            )
            connection.unregister("version_rows")
            counts[table] = len(frame)
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise
    return counts
