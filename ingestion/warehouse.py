"""The raw layer of the DuckDB warehouse: tables, batch-wide checks and the atomic write.

``raw.<entity>`` holds the canonical columns typed by ``DUCKDB_TYPES`` plus the lineage
columns; ``raw.quarantine`` the rows non-blocking rules rejected; ``raw.load_log`` one row per
loaded file.

A load stages its rows in a scratch database attached next to the warehouse (written in
autocommit mode, so a batch of any size stays within DuckDB's memory limit; rows held in an
open transaction would not), runs the checks that need the whole batch or the warehouse
(keys across chunks and files, references, re-used files), and only then, in one
transaction, replaces the entity's rows of its extract months. Until that transaction the
warehouse file is not written at all, so a failed load leaves it byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from expectations import ReferenceRule
from ingestion.errors import IngestionError, Problem
from salesplan.entities import ENTITIES, Entity

STAGE_DATABASE = "ingest_stage"
STAGED = f"{STAGE_DATABASE}.staged"
STAGED_QUARANTINE = f"{STAGE_DATABASE}.quarantine"

LINEAGE_DDL = (
    ("_extract_month", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
)
QUARANTINE_DDL = (
    ("entity", "VARCHAR"),
    ("_extract_month", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("column_name", "VARCHAR"),
    ("value", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("record", "JSON"),
)
LOAD_LOG_DDL = (
    ("entity", "VARCHAR"),
    ("_extract_month", "DATE"),
    ("source_file", "VARCHAR"),
    ("profile", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("file_bytes", "BIGINT"),
    ("row_count", "BIGINT"),
    ("loaded_rows", "BIGINT"),
    ("quarantined_rows", "BIGINT"),
)


def raw_columns(table: Entity) -> list[tuple[str, str]]:
    """Return ``(column, DuckDB type)`` of ``raw.<entity>``: canonical, then lineage."""
    return [(c.name, c.warehouse_type) for c in table.columns] + list(LINEAGE_DDL)


def _ddl(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f'"{name}" {kind}' for name, kind in columns)


def ensure_raw_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` schema and every raw table that does not exist yet.

    Every entity's table exists after the first load, so dbt sources and reference checks
    find (possibly empty) tables for entities no profile delivers.

    Raises:
        IngestionError: when an existing raw table's columns differ from the contract.
    """
    connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
    tables = {f"raw.{name}": raw_columns(table) for name, table in ENTITIES.items()}
    tables["raw.quarantine"] = list(QUARANTINE_DDL)
    tables["raw.load_log"] = list(LOAD_LOG_DDL)
    existing = _existing_columns(connection)
    for table, columns in tables.items():
        have = existing.get(table)
        if have is None:
            connection.execute(f"CREATE TABLE {table} ({_ddl(columns)})")
        elif have != [name for name, _ in columns]:
            raise IngestionError(
                f"warehouse table {table} has columns {have}, but the contract has "
                f"{[name for name, _ in columns]}",
                hint="the raw-layer contract changed: delete warehouse.duckdb and reload the "
                "extracts (everything in it is rebuilt from landing/)",
            )


def _existing_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = connection.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'raw' ORDER BY table_name, ordinal_position"
    ).fetchall()
    existing: dict[str, list[str]] = {}
    for table, column in rows:
        existing.setdefault(f"raw.{table}", []).append(column)
    return existing


@contextmanager
def staging(connection: duckdb.DuckDBPyConnection, table: Entity) -> Iterator[Path]:
    """Attach a fresh scratch database for one load's rows and quarantine; remove it after.

    The file sits next to the warehouse (same disk, sized like the batch), or in the temp
    folder for an in-memory warehouse, and is deleted when the block ends, however it ends.
    """
    path = _staging_path(connection)
    _remove(path)
    connection.execute(f"ATTACH '{path}' AS {STAGE_DATABASE}")
    try:
        connection.execute(f"CREATE TABLE {STAGED} ({_ddl(raw_columns(table))})")
        connection.execute(f"CREATE TABLE {STAGED_QUARANTINE} ({_ddl(QUARANTINE_DDL)})")
        yield path
    finally:
        connection.execute(f"DETACH {STAGE_DATABASE}")
        _remove(path)


def _staging_path(connection: duckdb.DuckDBPyConnection) -> Path:
    rows = connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    folder = Path(rows[0][0]).parent if rows and rows[0][0] else Path(tempfile.gettempdir())
    return folder / f".ingest-staging-{os.getpid()}.duckdb"


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _raw_table_exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = connection.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'raw' AND table_name = ?",
        [name],
    ).fetchall()
    return bool(rows[0][0])


def stage_rows(connection: duckdb.DuckDBPyConnection, table: Entity, frame: pd.DataFrame) -> None:
    """Append typed rows (canonical + lineage columns) to the staging table."""
    if frame.empty:
        return
    casts = ", ".join(f'CAST("{name}" AS {kind})' for name, kind in raw_columns(table))
    connection.register("_ingest_chunk", frame)
    try:
        connection.execute(f"INSERT INTO {STAGED} SELECT {casts} FROM _ingest_chunk")
    finally:
        connection.unregister("_ingest_chunk")


def stage_quarantine(connection: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    """Append quarantine records (columns of ``raw.quarantine``) to the staging table."""
    if frame.empty:
        return
    connection.register("_ingest_quarantine_chunk", frame)
    try:
        columns = ", ".join(f'CAST("{n}" AS {k})' for n, k in QUARANTINE_DDL)
        connection.execute(
            f"INSERT INTO {STAGED_QUARANTINE} SELECT {columns} FROM _ingest_quarantine_chunk"
        )
    finally:
        connection.unregister("_ingest_quarantine_chunk")


@dataclass(frozen=True)
class BatchFailure:
    """Rows of the staged batch that fail a batch-wide check."""

    problems: list[Problem]
    total: int


def duplicate_keys(
    connection: duckdb.DuckDBPyConnection, table: Entity, limit: int = 20
) -> BatchFailure:
    """Return staged rows whose key occurs more than once in their extract month."""
    key = ", ".join(f'"{c}"' for c in table.key)
    base = (
        f"SELECT {key}, _source_file, _source_row, "
        f"count(*) OVER (PARTITION BY {key}, _extract_month) AS copies FROM {STAGED}"
    )
    total = connection.execute(f"SELECT count(*) FROM ({base}) WHERE copies > 1").fetchall()
    rows = connection.execute(
        f"SELECT * FROM ({base}) WHERE copies > 1 ORDER BY {key}, _source_file, _source_row "
        f"LIMIT {limit}"
    ).fetchall()
    width = len(table.key)
    problems = [
        Problem(
            file=row[width],
            message=f"key ({', '.join(table.key)}) occurs {row[width + 2]} times in this "
            "extract month",
            row=int(row[width + 1]),
            column=", ".join(table.key),
            value=row[0] if width == 1 else tuple(row[:width]),
        )
        for row in rows
    ]
    return BatchFailure(problems, int(total[0][0]))


@dataclass(frozen=True)
class Orphans:
    """Staged rows whose reference finds no target row."""

    problems: list[Problem]
    total: int
    quarantined: int


def check_reference(
    connection: duckdb.DuckDBPyConnection,
    rule: ReferenceRule,
    months: Sequence[dt.date],
    limit: int = 20,
) -> Orphans:
    """Check ``rule`` for every staged row; quarantine rows whose target was quarantined.

    A value is known when the target table holds it in the same or an earlier extract month
    (for a self-reference, the staged batch replaces the warehouse rows of its months).
    Orphans whose value was itself quarantined (its row broke a warning rule) follow it into
    the quarantine instead of failing the load.
    """
    column, target, target_column = rule.column, rule.target_entity, rule.target_column
    same = target == rule.entity
    month_list = ", ".join(f"DATE '{m.isoformat()}'" for m in months)
    empty = "SELECT NULL::VARCHAR AS value, NULL::DATE AS first_month WHERE false"
    # Known values: the target table (its rows of the batch's months are about to be
    # replaced when it is this entity) and, for a self-reference, the batch itself.
    known_parts = []
    if _raw_table_exists(connection, target):
        known_parts.append(
            f'SELECT "{target_column}" AS value, min(_extract_month) AS first_month '
            f'FROM raw.{target} WHERE "{target_column}" IS NOT NULL'
            + (f" AND _extract_month NOT IN ({month_list})" if same else "")
            + " GROUP BY 1"
        )
    if same:
        known_parts.append(
            f'SELECT "{target_column}", min(_extract_month) FROM {STAGED} '
            f'WHERE "{target_column}" IS NOT NULL GROUP BY 1'
        )
    dropped_parts = []
    if _raw_table_exists(connection, "quarantine"):
        dropped_parts.append(
            f"SELECT json_extract_string(record, '$.{target_column}') AS value, "
            f"min(_extract_month) AS first_month FROM raw.quarantine WHERE entity = '{target}'"
            + (f" AND _extract_month NOT IN ({month_list})" if same else "")
            + " GROUP BY 1"
        )
    if same:
        dropped_parts.append(
            f"SELECT json_extract_string(record, '$.{target_column}'), min(_extract_month) "
            f"FROM {STAGED_QUARANTINE} GROUP BY 1"
        )
    warehouse = " UNION ALL ".join(known_parts) or empty
    quarantined = " UNION ALL ".join(dropped_parts) or empty
    connection.execute(
        f"""
        CREATE OR REPLACE TABLE {STAGE_DATABASE}.orphans AS
        WITH known AS (
            SELECT value, min(first_month) AS first_month FROM ({warehouse}) GROUP BY 1
        ), dropped AS (
            SELECT value, min(first_month) AS first_month FROM ({quarantined}) GROUP BY 1
        )
        SELECT s._source_file, s._source_row, s."{column}" AS value, s._extract_month,
               d.first_month IS NOT NULL AND d.first_month <= s._extract_month AS follows
        FROM {STAGED} s
        LEFT JOIN known k ON s."{column}" = k.value
        LEFT JOIN dropped d ON s."{column}" = d.value
        WHERE s."{column}" IS NOT NULL
          AND (k.first_month IS NULL OR k.first_month > s._extract_month)
        """
    )
    orphans = f"{STAGE_DATABASE}.orphans"
    follows = connection.execute(f"SELECT count(*) FROM {orphans} WHERE follows").fetchall()
    quarantined_count = int(follows[0][0])
    if quarantined_count:
        connection.execute(
            f"""
            INSERT INTO {STAGED_QUARANTINE}
            SELECT '{rule.entity}', s._extract_month, s._source_file, s._source_row,
                   '{column}', s."{column}", '{rule.rule}',
                   'references {target}.{target_column} ' || s."{column}" ||
                   ', which was quarantined', to_json(s)
            FROM {STAGED} s
            SEMI JOIN (SELECT * FROM {orphans} WHERE follows) o
              ON s._source_file = o._source_file AND s._source_row = o._source_row
            """
        )
        connection.execute(
            f"""
            DELETE FROM {STAGED} s USING (SELECT * FROM {orphans} WHERE follows) o
            WHERE s._source_file = o._source_file AND s._source_row = o._source_row
            """
        )
    total = connection.execute(f"SELECT count(*) FROM {orphans} WHERE NOT follows").fetchall()
    rows = connection.execute(
        f"SELECT _source_file, _source_row, value, _extract_month FROM {orphans} "
        f"WHERE NOT follows ORDER BY _source_file, _source_row LIMIT {limit}"
    ).fetchall()
    connection.execute(f"DROP TABLE {orphans}")
    problems = [
        Problem(
            file=file,
            message=f"no {target} row has {target_column} = this value in extract month "
            f"{month:%Y-%m} or earlier",
            row=int(row),
            column=column,
            value=value,
        )
        for file, row, value, month in rows
    ]
    return Orphans(problems, int(total[0][0]), quarantined_count)


def reused_files(
    connection: duckdb.DuckDBPyConnection, entity: str, files: Sequence[tuple[str, str, str]]
) -> list[Problem]:
    """Return files already loaded for a *different* extract month (same entity and sha256).

    Args:
        connection: the warehouse.
        entity: the entity being loaded.
        files: ``(extract month YYYY-MM, source file, sha256)`` of the batch's non-empty files.
    """
    if not files:
        return []
    batch = pd.DataFrame(files, columns=["month", "source_file", "sha256"])
    logged = (
        "SELECT strftime(_extract_month, '%Y-%m') AS month, source_file, sha256 "
        "FROM raw.load_log WHERE entity = $entity UNION ALL "
        if _raw_table_exists(connection, "load_log")
        else ""
    )
    connection.register("_ingest_batch_files", batch)
    try:
        rows = connection.execute(
            f"""
            WITH loaded AS (
                {logged}SELECT month, source_file, sha256 FROM _ingest_batch_files
            )
            SELECT b.month, b.source_file, b.sha256, min(l.month), min(l.source_file)
            FROM _ingest_batch_files b JOIN loaded l ON l.sha256 = b.sha256 AND l.month <> b.month
            GROUP BY 1, 2, 3 ORDER BY 1, 2
            """,
            {"entity": entity} if logged else {},
        ).fetchall()
    finally:
        connection.unregister("_ingest_batch_files")
    return [
        Problem(
            display,
            f"the same file (sha256 {sha[:12]}...) is extract month {other_month} "
            f"({other_file}); this folder is extract month {month}",
        )
        for month, display, sha, other_month, other_file in rows
    ]


def replace_months(
    connection: duckdb.DuckDBPyConnection,
    table: Entity,
    months: Sequence[dt.date],
    load_log: pd.DataFrame,
) -> int:
    """Replace the entity's rows, quarantine and load log of ``months`` with the staged batch.

    Runs inside the caller's transaction. Rows were staged in (extract month, file, row)
    order and DuckDB keeps insertion order, so a reload writes the same table without a sort
    (which would hold the whole batch in memory).

    Returns:
        The number of rows written to ``raw.<entity>``.
    """
    month_list = ", ".join(f"DATE '{m.isoformat()}'" for m in months)
    connection.execute(f"DELETE FROM {table.table} WHERE _extract_month IN ({month_list})")
    connection.execute(f"INSERT INTO {table.table} SELECT * FROM {STAGED}")
    for name in ("raw.quarantine", "raw.load_log"):
        connection.execute(
            f"DELETE FROM {name} WHERE entity = ? AND _extract_month IN ({month_list})",
            [table.name],
        )
    connection.execute(
        f"INSERT INTO raw.quarantine SELECT * FROM {STAGED_QUARANTINE} "
        "ORDER BY _extract_month, _source_file, _source_row, rule, column_name"
    )
    if not load_log.empty:
        connection.register("_ingest_load_log", load_log)
        try:
            columns = ", ".join(f'CAST("{n}" AS {k})' for n, k in LOAD_LOG_DDL)
            connection.execute(
                f"INSERT INTO raw.load_log SELECT {columns} FROM _ingest_load_log "
                "ORDER BY _extract_month, source_file"
            )
        finally:
            connection.unregister("_ingest_load_log")
    written = connection.execute(f"SELECT count(*) FROM {STAGED}").fetchall()
    return int(written[0][0])
