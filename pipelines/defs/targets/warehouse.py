"""Reading the planner's inputs from the warehouse and writing plan versions back.

Inputs (docs/architecture.md, "Columns the Python stages rely on"):

* ``marts.fct_bookings_monthly``, ``marts.fct_collections_monthly``: actuals;
* ``marts.dim_rep``, ``marts.dim_partner``, ``marts.dim_region`` (``market_potential``);
* ``marts.fct_funnel_rates``;
* ``forecasts.forecast_monthly`` and ``forecasts.forecast_paths`` of the as-of month, bottom
  (region x product line x channel) rows only; a ``metric`` column names the forecast stream
  (``bookings`` when absent); missing tables mean "no forecast";
* ``raw.annual_targets`` and ``raw.adjustments``: per key, the latest version extracted before
  the as-of month (the staging rule), with ``_source_file``/``_source_row`` for messages.

A plan version is every row of ``(as_of_month, scenario)`` in the ``plan`` tables; writing one
deletes those rows and inserts the new ones in a single transaction, so a reader sees the old
version or the new one, never a mix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from pipelines.defs.targets.tables import (
    FUNNEL_RATES_SNAPSHOT,
    PLAN_TABLES,
    SCHEMA,
    create_tables,
    from_published,
    insert,
    to_published,
)
from planning import OFFICIAL, PlanInputs, PlanningInputError, PlanResult, PreviousVersion
from planning.config import SEGMENT_DIMENSIONS
from salesplan.months import add_months, format_month

SEGMENT_KEYS = list(SEGMENT_DIMENSIONS)
# The part of the previous target_plan the planner reads (PreviousVersion): its
# year and month rows. Weeks and quarters are ~80% of a version's rows (53 ISO weeks against 13
# year and month periods) and the other columns another ~60% of its cells: reading everything
# took 3.8 GB at the large demo (3.4M rows), this ~0.3 GB.
PREVIOUS_PLAN_GRAINS = ("year", "month")
# The part of the previous funnel_requirements the planner reads: the opportunities each node
# needed per target month (the plan-change waterfall of required opportunities). Reading all
# 30 columns of the xlarge demo's 8.7M rows kept 5.6 GB more for the whole re-plan.
PREVIOUS_FUNNEL_COLUMNS = ("as_of_month", "metric", "node", "month", "required_opportunities")
# Where write_version puts a version's rows before swapping them into the plan tables.
STAGING_SCHEMA = "plan_staging"
# The version's target_plan rows are stored in this order. The planner makes them period by
# period (all nodes of one week, then the next), so a DuckDB row group held nearly every node
# and its dictionaries of node, rep and partner names filled segment after segment. At the
# xlarge demo (97,000 nodes) one version took 1,630 MB stored as made and 864 MB in this order,
# which the sort cost 23 s more to write (large: 153 MB and 99 MB a version, +2 s; default: no
# difference). The key is unique within a version, so the order is total.
CLUSTERED_BY = {"target_plan": ("scenario", "metric", "node", "grain", "period")}
# write_version inserts the parts of a table together once they hold this many rows (and at the
# end). An INSERT costs DuckDB ~10 ms whatever its size, and a version of the default demo comes
# in ~220 parts: one INSERT each took 2.7-4.8 s, batches 1.1-1.6 s. The bound keeps memory
# flat for the big demos, whose parts are that large on their own.
INSERT_BATCH_ROWS = 250_000
PREVIOUS_PLAN_COLUMNS = (
    "as_of_month",
    "metric",
    "unit",
    "fiscal_year",
    "node",
    "level",
    "is_leaf",
    "grain",
    "period",
    "original_target",
    "period_target",
    "adjusted_target",
)


def table_exists(connection: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Return whether ``schema.table`` exists."""
    schema, table = qualified.split(".")
    found = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def columns_of(connection: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    """Return the column names of ``schema.table``."""
    schema, table = qualified.split(".")
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows]


def _month_filter(column: str, month: dt.date) -> str:
    """SQL that matches ``column`` (a DATE or a ``YYYY-MM`` text) to ``month``."""
    return f"substr(CAST({column} AS VARCHAR), 1, 7) = '{format_month(month)}'"


def read_plan_inputs(connection: duckdb.DuckDBPyConnection, as_of: dt.date) -> PlanInputs:
    """Read every input of the as-of month's re-plan.

    Raises:
        PlanningInputError: when a required mart or the annual targets are missing.
    """
    for required in ("marts.fct_bookings_monthly", "marts.dim_rep", "marts.dim_partner"):
        if not table_exists(connection, required):
            raise PlanningInputError(
                f"{required} is missing from the warehouse; build the marts (dbt) for "
                f"{format_month(as_of)} first"
            )
    if not table_exists(connection, "raw.annual_targets"):
        raise PlanningInputError(
            "raw.annual_targets is missing: load the planning inputs (annual targets) first"
        )
    first_day = as_of.isoformat()
    # ORDER BY ALL: the same rows in the same order on every run (replays are byte-identical).
    bookings = connection.execute(
        f"SELECT * FROM marts.fct_bookings_monthly WHERE month < DATE '{first_day}' ORDER BY ALL"
    ).fetchdf()
    collections = (
        connection.execute(
            f"SELECT * FROM marts.fct_collections_monthly WHERE month < DATE '{first_day}' "
            "ORDER BY ALL"
        ).fetchdf()
        if table_exists(connection, "marts.fct_collections_monthly")
        else None
    )
    reps = connection.execute("SELECT * FROM marts.dim_rep ORDER BY rep_id").fetchdf()
    partners = connection.execute("SELECT * FROM marts.dim_partner ORDER BY partner_id").fetchdf()
    potentials = None
    if table_exists(connection, "marts.dim_region"):
        potentials = connection.execute(
            "SELECT 'region' AS dimension, region AS value, market_potential AS potential "
            "FROM marts.dim_region ORDER BY region"
        ).fetchdf()
    funnel_rates = (
        connection.execute("SELECT * FROM marts.fct_funnel_rates ORDER BY ALL").fetchdf()
        if table_exists(connection, "marts.fct_funnel_rates")
        else None
    )
    forecasts, paths = read_forecasts(connection, as_of)
    return PlanInputs(
        annual_targets=read_latest_versions(
            connection, "annual_targets", ("fiscal_year", "metric", "scope"), as_of
        ),
        bookings=bookings,
        reps=reps,
        partners=partners,
        collections=collections,
        forecasts=forecasts,
        forecast_paths=paths,
        funnel_rates=funnel_rates,
        adjustments=read_adjustments(connection, as_of),
        potentials=potentials,
    )


def read_latest_versions(
    connection: duckdb.DuckDBPyConnection, entity: str, key: tuple[str, ...], as_of: dt.date
) -> pd.DataFrame:
    """Rows of ``raw.<entity>``: per key, the latest version extracted before ``as_of``."""
    keys = ", ".join(key)
    return connection.execute(
        f"""
        SELECT * EXCLUDE (_version) FROM (
            SELECT *, row_number() OVER (
                PARTITION BY {keys} ORDER BY _extract_month DESC, _source_file DESC,
                _source_row DESC
            ) AS _version
            FROM raw.{entity}
            WHERE _extract_month < DATE '{as_of.isoformat()}'
        )
        WHERE _version = 1
        ORDER BY {keys}
        """
    ).fetchdf()


def read_adjustments(connection: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame | None:
    """The adjustments in effect for the as-of month, or ``None`` when none were ever loaded."""
    if not table_exists(connection, "raw.adjustments"):
        return None
    return read_latest_versions(connection, "adjustments", ("metric", "node", "period"), as_of)


def read_forecasts(
    connection: duckdb.DuckDBPyConnection, as_of: dt.date, *, with_paths: bool = True
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The as-of month's bottom-level forecast and sample paths, as the planner reads them.

    ``with_paths=False`` skips the sample paths (~0.5M rows at the default size), which only
    the current version's attainment probabilities need.
    """
    if not table_exists(connection, "forecasts.forecast_monthly"):
        return None, None
    columns = columns_of(connection, "forecasts.forecast_monthly")
    month = "ds" if "ds" in columns else "month"
    metric = "metric" if "metric" in columns else "'bookings'"
    forecasts = connection.execute(
        f"""
        SELECT {metric} AS metric, region, product_line, channel,
               CAST(date_trunc('month', {month}) AS DATE) AS month, yhat
        FROM forecasts.forecast_monthly
        WHERE {_month_filter("as_of_month", as_of)}
          AND region IS NOT NULL AND product_line IS NOT NULL AND channel IS NOT NULL
        ORDER BY 1, 2, 3, 4, 5
        """
    ).fetchdf()
    paths = None
    if with_paths and table_exists(connection, "forecasts.forecast_paths"):
        path_columns = columns_of(connection, "forecasts.forecast_paths")
        path_month = "ds" if "ds" in path_columns else "month"
        path_metric = "metric" if "metric" in path_columns else "'bookings'"
        raw = connection.execute(
            f"""
            SELECT {path_metric} AS metric, unique_id,
                   CAST(date_trunc('month', {path_month}) AS DATE) AS month, path, y
            FROM forecasts.forecast_paths
            WHERE {_month_filter("as_of_month", as_of)}
              AND {path_month} >= DATE '{as_of.isoformat()}'
              AND {path_month} < DATE '{add_months(as_of, 12).isoformat()}'
              AND length(unique_id) - length(replace(unique_id, '/', '')) = 2
            ORDER BY metric, unique_id, month, path
            """
        ).fetchdf()
        if not raw.empty:
            # unique_id is the node path of a bottom series, e.g. region=EAST/product_line=AI/
            # channel=direct (any order of the three dimensions).
            ids = pd.Series(raw["unique_id"].unique())
            pairs = ids.str.split("/").map(lambda parts: dict(p.split("=", 1) for p in parts))
            keys = pd.DataFrame(
                {key: pairs.map(lambda found, key=key: found.get(key)) for key in SEGMENT_KEYS}
            ).assign(unique_id=ids)
            paths = raw.merge(keys, on="unique_id", how="inner").drop(columns="unique_id")
            paths = paths.dropna(subset=SEGMENT_KEYS)
    return (forecasts if not forecasts.empty else None), paths


def read_previous_version(
    connection: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    fiscal_year: int,
    minor_units: int,
    scenario: str = OFFICIAL,
) -> PreviousVersion | None:
    """The latest earlier version of the same fiscal year, with the inputs it was made with."""
    if not table_exists(connection, f"{SCHEMA}.target_plan"):
        return None
    found = connection.execute(
        f"SELECT max(as_of_month) FROM {SCHEMA}.target_plan "
        f"WHERE scenario = ? AND fiscal_year = ? AND as_of_month < DATE '{as_of.isoformat()}'",
        [scenario, fiscal_year],
    ).fetchone()
    if not found or found[0] is None:
        return None
    previous = found[0]
    target_plan = read_version(
        connection,
        "target_plan",
        previous,
        scenario,
        minor_units,
        columns=PREVIOUS_PLAN_COLUMNS,
        grains=PREVIOUS_PLAN_GRAINS,
    )
    funnel = read_version(
        connection,
        "funnel_requirements",
        previous,
        scenario,
        minor_units,
        columns=PREVIOUS_FUNNEL_COLUMNS,
    )
    forecasts, _ = read_forecasts(connection, previous, with_paths=False)
    rates = None
    if table_exists(connection, f"{SCHEMA}.{FUNNEL_RATES_SNAPSHOT}"):
        rates = connection.execute(
            f"SELECT * EXCLUDE (as_of_month) FROM {SCHEMA}.{FUNNEL_RATES_SNAPSHOT} "
            f"WHERE as_of_month = DATE '{previous.isoformat()}'"
        ).fetchdf()
    return PreviousVersion(
        as_of_month=format_month(previous),
        target_plan=target_plan,
        funnel_requirements=funnel,
        forecasts=forecasts,
        adjustments=read_adjustments(connection, previous),
        funnel_rates=rates if rates is not None and not rates.empty else None,
    )


def read_version(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    as_of: dt.date,
    scenario: str,
    minor_units: int,
    *,
    columns: Sequence[str] | None = None,
    grains: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One version of a plan table, converted back to the planner's frame.

    Args:
        connection: the warehouse.
        table: a table of :data:`PLAN_TABLES`.
        as_of: the version's as-of month (first day).
        scenario: the version's scenario.
        minor_units: minor units of a unit of money.
        columns: only these columns (all when ``None``).
        grains: only rows of these grains (all when ``None``; tables with a ``grain`` column).
    """
    selected = "*" if columns is None else ", ".join(f'"{column}"' for column in columns)
    where = f"as_of_month = DATE '{as_of.isoformat()}' AND scenario = ?"
    parameters: list[object] = [scenario]
    if grains is not None:
        where += f" AND grain IN ({', '.join('?' for _ in grains)})"
        parameters += list(grains)
    frame = connection.execute(
        f"SELECT {selected} FROM {SCHEMA}.{table} WHERE {where}", parameters
    ).fetchdf()
    return from_published(_shared_texts(frame), table, minor_units)


def _shared_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each text column's repeated values as references to one string each.

    DuckDB returns a new string object per cell (~60 bytes; a plan version repeats a few
    thousand distinct nodes and periods over millions of rows): 0.45 GB for the previous
    version's year and month rows at the large demo, ~0.1 GB as shared references.
    """
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object or values.isna().any():
            continue
        codes, uniques = pd.factorize(values)
        frame[column] = np.asarray(uniques, dtype=object)[codes]
    return frame


def write_version(
    connection: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    results: Mapping[str, PlanResult | Iterable[PlanResult]],
    funnel_rates: pd.DataFrame | None,
) -> dict[str, int]:
    """Replace the ``(as_of_month, scenario)`` rows of every plan table in one transaction.

    Args:
        connection: the warehouse.
        as_of: the as-of month (first day).
        results: per scenario, its :class:`PlanResult`, or its parts in order (e.g. the
            generator :func:`planning.plan_streams`): each part is written as it comes and can
            then be dropped, so only one stream's frames need to be in memory.
        funnel_rates: the funnel rates the version used (kept for the next month's waterfall).

    Returns:
        Rows written per table.

    Raises:
        Exception: whatever producing a part raised (e.g. ``PlanningInputError``), after
            dropping the staged rows: nothing of the version is written then, not even the
            tables.
    """
    counts = dict.fromkeys(PLAN_TABLES, 0)
    month = as_of.isoformat()
    # The parts go to staging tables first, each committed as it comes: rows appended inside
    # one open transaction stay in memory until it commits (3 GB beyond DuckDB's own memory
    # limit for the 40M rows of the xlarge demo). Only the swap below is one transaction.
    _drop_staging(connection)  # left by a killed run
    try:
        create_tables(connection, STAGING_SCHEMA)
        staged = _Batches(connection, STAGING_SCHEMA, INSERT_BATCH_ROWS)
        for parts in results.values():
            for part in [parts] if isinstance(parts, PlanResult) else parts:
                for table, frame in part.tables().items():
                    counts[table] += staged.add(table, to_published(table, frame))
        staged.flush()
        connection.execute("BEGIN TRANSACTION")
        try:
            create_tables(connection)
            for table in PLAN_TABLES:
                for scenario in results:
                    connection.execute(
                        f"DELETE FROM {SCHEMA}.{table} "
                        f"WHERE as_of_month = DATE '{month}' AND scenario = ?",
                        [scenario],
                    )
                order = CLUSTERED_BY.get(table)
                connection.execute(
                    f"INSERT INTO {SCHEMA}.{table} BY NAME SELECT * FROM {STAGING_SCHEMA}.{table}"
                    + (f" ORDER BY {', '.join(order)}" if order else "")
                )
            if funnel_rates is not None:
                _write_funnel_rates(connection, funnel_rates, month)
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
    finally:
        _drop_staging(connection)
    return counts


class _Batches:
    """Published frames per table, inserted together once they reach ``min_rows`` rows."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, schema: str, min_rows: int) -> None:
        self._connection = connection
        self._schema = schema
        self._min_rows = min_rows
        self._frames: dict[str, list[pd.DataFrame]] = {}
        self._rows: dict[str, int] = {}

    def add(self, table: str, frame: pd.DataFrame) -> int:
        """Queue ``frame`` for ``table``; return its row count."""
        if frame.empty:
            return 0
        self._frames.setdefault(table, []).append(frame)
        self._rows[table] = self._rows.get(table, 0) + len(frame)
        if self._rows[table] >= self._min_rows:
            self._flush_table(table)
        return len(frame)

    def flush(self) -> None:
        """Insert everything still queued."""
        for table in list(self._frames):
            self._flush_table(table)

    def _flush_table(self, table: str) -> None:
        frames = self._frames.pop(table, [])
        self._rows.pop(table, None)
        if frames:
            batch = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            insert(self._connection, table, batch, self._schema)


def _write_funnel_rates(
    connection: duckdb.DuckDBPyConnection, funnel_rates: pd.DataFrame, month: str
) -> None:
    snapshot = funnel_rates.assign(as_of_month=pd.Timestamp(month).date())
    connection.register("funnel_rates_rows", snapshot)
    try:
        if table_exists(connection, f"{SCHEMA}.{FUNNEL_RATES_SNAPSHOT}"):
            connection.execute(
                f"DELETE FROM {SCHEMA}.{FUNNEL_RATES_SNAPSHOT} WHERE as_of_month = DATE '{month}'"
            )
            connection.execute(
                f"INSERT INTO {SCHEMA}.{FUNNEL_RATES_SNAPSHOT} BY NAME "
                "SELECT * FROM funnel_rates_rows"
            )
        else:
            connection.execute(
                f"CREATE TABLE {SCHEMA}.{FUNNEL_RATES_SNAPSHOT} AS SELECT * FROM funnel_rates_rows"
            )
    finally:
        connection.unregister("funnel_rates_rows")


def _drop_staging(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE")
