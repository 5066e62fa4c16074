"""A raw layer built by hand: the ``raw.<entity>`` tables of the contract, filled row by row.

The DDL follows docs/architecture.md ("Raw layer"): the canonical columns of
``salesplan.entities`` typed by ``DUCKDB_TYPES``, then ``_extract_month``, ``_source_file`` and
``_source_row``. Optional columns a row leaves out get the entity's documented default, as the
ingestion loader gives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from salesplan.entities import ENTITIES
from salesplan.months import parse_month

LINEAGE_COLUMNS = (
    ("_extract_month", "DATE"),
    ("_source_file", "VARCHAR"),
    ("_source_row", "BIGINT"),
)


def create_raw_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw`` and an empty table for every canonical entity."""
    connection.execute("create schema if not exists raw")
    for entity in ENTITIES.values():
        columns = [f"{column.name} {column.warehouse_type}" for column in entity.columns]
        columns += [f"{name} {dtype}" for name, dtype in LINEAGE_COLUMNS]
        connection.execute(f"create table if not exists {entity.table} ({', '.join(columns)})")


def insert_rows(
    connection: duckdb.DuckDBPyConnection,
    entity_name: str,
    extract_month: str,
    rows: Iterable[Mapping[str, Any]],
) -> None:
    """Append ``rows`` to ``raw.<entity_name>`` as the extract of ``extract_month`` (YYYY-MM).

    Raises:
        KeyError: if a row names a column the entity does not have, or lacks a required one.
    """
    entity = ENTITIES[entity_name]
    month = parse_month(extract_month)
    names = [*entity.column_names, *(name for name, _ in LINEAGE_COLUMNS)]
    records = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(entity.column_names)
        if unknown:
            raise KeyError(f"{entity_name} row {number}: unknown columns {sorted(unknown)}")
        values = []
        for column in entity.columns:
            if column.name in row:
                values.append(row[column.name])
            elif column.required:
                raise KeyError(f"{entity_name} row {number}: missing column {column.name}")
            else:
                values.append(column.default)
        values += [month, f"{extract_month}/{entity_name}.csv", number]
        records.append(values)
    if not records:
        return
    placeholders = ", ".join("?" for _ in names)
    connection.executemany(
        f"insert into {entity.table} ({', '.join(names)}) values ({placeholders})", records
    )


def ts(text: str) -> dt.datetime:
    """Return the timestamp written ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM``."""
    return dt.datetime.fromisoformat(text)


def day(text: str) -> dt.date:
    """Return the date written ``YYYY-MM-DD``."""
    return dt.date.fromisoformat(text)
