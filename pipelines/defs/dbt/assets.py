"""Every dbt model as an asset of the as-of partition; dbt tests as asset checks.

One ``dbt build`` per partition rebuilds staging, intermediate and marts for that as-of month
(the marts hold one version: the latest build). It writes the warehouse, so it runs in the
``warehouse`` pool like every other writer.

dbt's artifacts and log go to the home's ``dbt/`` folder, where the next build replaces them
(dagster-dbt's default is a new folder of about 11 MB per build inside the code checkout's
``dbt_project/target``, which nothing ever removed). Keeping one folder also lets dbt re-use
its parse of the project from one build to the next: the as-of month goes to dbt as the
environment variable ``SALESPLAN_AS_OF_MONTH`` rather than as a var, because dbt re-parses
the whole project whenever its vars change (8.5 s instead of 4.3 s for ``dbt parse`` on the
2-core machine), and the as-of month changes with every month of a backfill. The macro
``as_of_month_value`` reads the variable only when executing, so no file depends on it while
parsing and a new month re-parses nothing (reading it while parsing re-parsed the 27 files that
use it, ~3 s a month).
"""

# No `from __future__ import annotations` here: Dagster inspects the annotation of `context`
# at definition time and needs the class, not a string.
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from pipelines.defs.dbt.dbt_vars import DbtVars, dbt_vars_for_partition
from pipelines.defs.dbt.project import salesplan_dbt_project
from pipelines.defs.resources import WAREHOUSE_POOL, HomeResource, WarehouseResource
from pipelines.lib.dbt_translator import SalesplanDbtTranslator
from pipelines.partitions import AS_OF_MONTHS
from planning.config import load_config

WAREHOUSE_ENV_VAR = "SALESPLAN_WAREHOUSE"
# Read by dbt_project/macros/as_of.sql when var as_of_month is not set.
AS_OF_ENV_VAR = "SALESPLAN_AS_OF_MONTH"
# dbt unit tests check the SQL against fixed rows, not the data: they run in CI
# (tests/integration/dbt), and skipping them here saves about 2 s of every monthly build.
DBT_BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")
# When only some models are materialized, run only the tests whose models are all selected:
# dbt's default ("eager") also runs a relationships test of a selected model against a model
# that was not built, which fails on a fresh warehouse and reads stale data on an old one.
# dagster-dbt still overrides this when the check selection asks for it.
DBT_ENV_DEFAULTS = {"DBT_INDIRECT_SELECTION": "cautious"}
# dbt's file log at its default level, debug, holds every SQL statement as a JSON event: 6-7 MB
# a `default` build, written under one lock that dbt's four threads queue on (a fifth of the
# build's samples in py-spy). At info it keeps every node's start, result and error; the SQL a
# node ran is in `dbt/run/`. DBT_LOG_LEVEL_FILE=debug in the environment restores the full log.
FILE_LOG_LEVEL_ENV_VAR = "DBT_LOG_LEVEL_FILE"
DEFAULT_FILE_LOG_LEVEL = "info"
THREADS_ENV_VAR = "SALESPLAN_DBT_THREADS"
# dbt-duckdb's threads are cursors of one DuckDB database, which already spreads each query over
# every core and holds all of them to one memory limit. Concurrent models overlap dbt's own
# per-node work (about 1 s of a 15 s build at `default`, nothing at `large`), but on big inputs
# they are big queries fighting for that limit: at `xlarge` (150 M raw rows) four of them
# spilled 36 GB to disk in five minutes, where one at a time builds everything in 6 minutes
# without spilling. From this many rows in the raw layer on, dbt builds one model at a time.
# The rows dbt reads, not the file's size: a fresh `xlarge` warehouse holds only the raw layer,
# under 4 GB, and its first build on four threads filled the disk (the plan versions that make
# an older file big are never read by dbt).
SERIAL_BUILD_FROM_RAW_ROWS = 50_000_000
RAW_SCHEMA = "raw"
CONCURRENT_THREADS = 4


@cache
def salesplan_dbt_assets() -> dg.AssetsDefinition:
    """The dbt assets of ``dbt_project/``, built once per process."""
    return build_dbt_assets(salesplan_dbt_project())


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """Build the assets of ``project`` from its prepared manifest (never runs dbt itself).

    Raises:
        FileNotFoundError: when the manifest has not been prepared (``make manifest``).
    """
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest not found at {project.manifest_path}; prepare it with `make manifest`"
            " (python -m pipelines.defs.dbt.project) before loading the code location"
        )

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=SalesplanDbtTranslator(),
        partitions_def=AS_OF_MONTHS,
        pool=WAREHOUSE_POOL,
        name="salesplan_dbt_models",
    )
    def salesplan_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        home: HomeResource,
        warehouse: WarehouseResource,
    ) -> Iterator[Any]:
        """Build the funnel facts of the as-of month (staging, intermediate, marts)."""
        dbt_vars = _dbt_vars(context.partition_key, home)
        as_of_month = str(dbt_vars.pop("as_of_month"))
        context.log.info(
            f"{AS_OF_ENV_VAR}={as_of_month} dbt build --vars {json.dumps(dbt_vars)} "
            f"on {warehouse.path}"
        )
        warehouse.wait_until_free()  # e.g. a dbt left running by a killed re-plan
        with _environment(**dbt_environment(warehouse.path, as_of_month)):
            threads = dbt_threads(Path(warehouse.path))
            context.log.info(f"dbt builds {threads} model(s) at a time")
            invocation = dbt.cli(
                [*DBT_BUILD_ARGS, "--threads", str(threads), "--vars", json.dumps(dbt_vars)],
                context=context,
                target_path=home.home.dbt_target,
            )
        yield from invocation.stream()

    return salesplan_dbt_models


def dbt_environment(warehouse: str, as_of_month: str) -> dict[str, str]:
    """The environment variables of a monthly build, on top of this process's own.

    The file log's level is ``DEFAULT_FILE_LOG_LEVEL`` unless ``DBT_LOG_LEVEL_FILE`` is set.
    """
    return {
        WAREHOUSE_ENV_VAR: warehouse,
        AS_OF_ENV_VAR: as_of_month,
        FILE_LOG_LEVEL_ENV_VAR: os.environ.get(FILE_LOG_LEVEL_ENV_VAR, DEFAULT_FILE_LOG_LEVEL),
        **DBT_ENV_DEFAULTS,
    }


def dbt_threads(warehouse: Path, serial_from_rows: int = SERIAL_BUILD_FROM_RAW_ROWS) -> int:
    """How many models dbt builds at once on ``warehouse``.

    ``SALESPLAN_DBT_THREADS`` when set, else one when the raw layer holds at least
    ``serial_from_rows`` rows and ``CONCURRENT_THREADS`` below that (or before any is loaded).
    Reads the warehouse, so no other process may be writing it.

    Raises:
        ValueError: when ``SALESPLAN_DBT_THREADS`` is not a positive integer.
    """
    configured = os.environ.get(THREADS_ENV_VAR)
    if configured is not None:
        if not configured.strip().isdigit() or int(configured) < 1:
            raise ValueError(f"{THREADS_ENV_VAR} must be a positive integer, got {configured!r}")
        return int(configured)
    return 1 if raw_rows(warehouse) >= serial_from_rows else CONCURRENT_THREADS


def raw_rows(warehouse: Path) -> int:
    """Rows in the raw layer of ``warehouse`` (DuckDB's catalog count; 0 before it exists)."""
    if not warehouse.exists():
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (rows,) = connection.execute(
            "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() WHERE schema_name = ?",
            [RAW_SCHEMA],
        ).fetchone()
    return int(rows)


def _dbt_vars(partition_key: str, home: HomeResource) -> DbtVars:
    config = load_config(home.home.planning_config)
    return dbt_vars_for_partition(
        partition_key,
        fiscal_year_start_month=config.fiscal_start_month,
        reporting_currency=config.currency,
    )


@contextmanager
def _environment(**variables: str) -> Iterator[None]:
    # DbtCliResource passes this process's environment to the dbt subprocess it starts inside
    # cli(); setting the warehouse path only around that call points dbt at the same file as
    # the Dagster resources without changing the environment of anything else.
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dg.definitions
def defs() -> dg.Definitions:
    """Register the dbt assets and their checks."""
    return dg.Definitions(assets=[salesplan_dbt_assets()])
