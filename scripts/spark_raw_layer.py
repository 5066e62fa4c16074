"""Put the warehouse's raw layer on Spark: export ``raw.*`` to Parquet, register Spark tables.

The dbt project reads its sources from ``raw.<entity>`` (docs/architecture.md, "Raw layer").
On DuckDB the ingestion assets write them; on Spark they must be tables of the Spark catalog's
``raw`` schema with the same columns. This script gets them there from an ingested home:

1. export: every ``raw.<entity>`` table of ``$SALESPLAN_HOME/warehouse.duckdb`` (all extract
   months, every version) to ``<out>/<entity>/part-0.parquet``, with DuckDB (exact types:
   dates, timestamps, DECIMAL(18, 2), ...);
2. register: ``raw.<entity>`` as an external Parquet table at ``<location>/<entity>`` in a Spark
   session: by default the local session of the dbt target ``spark`` (same metastore and
   warehouse folder under ``SALESPLAN_SPARK_DIR``, default ``$SALESPLAN_HOME/spark``).

Usage::

    uv run --frozen python scripts/spark_raw_layer.py --home DIR            # export + register
    uv run --frozen python scripts/spark_raw_layer.py --home DIR --no-register
    uv run --frozen python scripts/spark_raw_layer.py --print-ddl --location s3a://bucket/raw

For a cluster or Databricks: export, copy the folder to storage the cluster reads (S3, ADLS,
DBFS), and run the printed DDL there (``--print-ddl --location <that URL>``), or point
``SALESPLAN_SPARK_MASTER`` at the cluster and register from here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from salesplan.entities import ENTITIES
from salesplan.home import SalesplanHome, resolve_home

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RAW_SCHEMA = "raw"
SPARK_DIR_ENV = "SALESPLAN_SPARK_DIR"
SPARK_MASTER_ENV = "SALESPLAN_SPARK_MASTER"


def raw_tables(entities: Iterable[str] | None = None) -> list[str]:
    """Return the entity names whose ``raw.<entity>`` tables make up the raw layer."""
    names = sorted(ENTITIES) if entities is None else list(entities)
    unknown = [name for name in names if name not in ENTITIES]
    if unknown:
        raise ValueError(f"unknown entities {unknown}; known: {sorted(ENTITIES)}")
    return names


def export_raw(warehouse: Path, out: Path, entities: Iterable[str] | None = None) -> dict[str, int]:
    """Write every ``raw.<entity>`` table of ``warehouse`` to ``out/<entity>/part-0.parquet``.

    A previous export of an entity is replaced. Returns the rows written per entity.

    Raises:
        FileNotFoundError: if the warehouse does not exist.
        LookupError: if a raw table is missing (the home was never ingested).
    """
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: ingest the extracts first")
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        present = {
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [RAW_SCHEMA],
            ).fetchall()
        }
        for entity in raw_tables(entities):
            if entity not in present:
                raise LookupError(
                    f"{warehouse}: table {RAW_SCHEMA}.{entity} is missing; ingest the extracts "
                    "first (salesplan ingest)"
                )
            folder = out / entity
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            target = (folder / "part-0.parquet").as_posix().replace("'", "''")
            connection.execute(
                f"copy (select * from {RAW_SCHEMA}.{entity}) to '{target}' (format parquet)"
            )
            (count,) = connection.execute(f"select count(*) from {RAW_SCHEMA}.{entity}").fetchone()
            counts[entity] = int(count)
    return counts


def register_statements(location: str, entities: Iterable[str] | None = None) -> list[str]:
    """Return the Spark SQL that (re)registers ``raw.<entity>`` over ``location/<entity>``.

    The tables are external: dropping one leaves its files. ``location`` is a folder URL the
    cluster can read (a local path in local mode).
    """
    statements = [f"create schema if not exists {RAW_SCHEMA}"]
    for entity in raw_tables(entities):
        path = f"{location.rstrip('/')}/{entity}".replace("'", "\\'")
        statements += [
            f"drop table if exists {RAW_SCHEMA}.{entity}",
            f"create table {RAW_SCHEMA}.{entity} using parquet location '{path}'",
        ]
    return statements


def register_raw(spark: SparkSession, location: str, entities: Iterable[str] | None = None) -> None:
    """Register the raw tables in ``spark``'s catalog (``register_statements``)."""
    for statement in register_statements(location, entities):
        spark.sql(statement)


def spark_dir(home: SalesplanHome) -> Path:
    """The folder of the local Spark catalog: ``$SALESPLAN_SPARK_DIR``, else ``<home>/spark``.

    The dbt target ``spark`` (dbt_project/profiles.yml) resolves the same folder.
    """
    configured = os.environ.get(SPARK_DIR_ENV)
    return Path(configured).resolve() if configured else home.root / "spark"


def local_session(folder: Path) -> SparkSession:
    """Start the Spark session of the dbt target ``spark`` on the catalog in ``folder``.

    Hive support with an embedded Derby metastore (``folder/metastore_db``) and managed tables
    under ``folder/warehouse``: the catalog outlives the process, so dbt runs later see the
    tables registered here. Only one process may hold the embedded metastore at a time.
    """
    from pyspark.sql import SparkSession

    folder.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.appName("salesplan-raw-layer")
        .master(os.environ.get(SPARK_MASTER_ENV, "local[2]"))
        .config("spark.sql.warehouse.dir", str(folder / "warehouse"))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
        # The rest as in the profile: small shuffles, UTC, no UI, and (for forecasts.spark,
        # which reuses an active session) Arrow transfers and this interpreter for workers.
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.structuredLogging.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.pyspark.python", sys.executable)
        .enableHiveSupport()
    )
    return builder.getOrCreate()


def main(argv: list[str] | None = None) -> int:
    """Export and/or register the raw layer as the command line asks; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="the home folder (default $SALESPLAN_HOME)")
    parser.add_argument(
        "--out", type=Path, help="export folder (default <spark dir>/raw, see SALESPLAN_SPARK_DIR)"
    )
    parser.add_argument(
        "--location", help="where Spark reads the files (default: the export folder)"
    )
    parser.add_argument("--entity", action="append", help="only these entities (repeatable)")
    parser.add_argument("--no-export", action="store_true", help="register only")
    parser.add_argument("--no-register", action="store_true", help="export only")
    parser.add_argument(
        "--print-ddl", action="store_true", help="print the registration SQL and stop"
    )
    args = parser.parse_args(argv)

    home = resolve_home(args.home)
    out = (args.out or spark_dir(home) / "raw").resolve()
    location = args.location or out.as_uri()
    if args.print_ddl:
        print(";\n".join(register_statements(location, args.entity)) + ";")
        return 0
    if not args.no_export:
        counts = export_raw(home.warehouse, out, args.entity)
        for entity, count in counts.items():
            print(f"exported raw.{entity:<24} {count:>12,} rows -> {out / entity}")
    if not args.no_register:
        spark = local_session(spark_dir(home))
        register_raw(spark, location, args.entity)
        print(f"registered {len(raw_tables(args.entity))} raw tables at {location}")
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
