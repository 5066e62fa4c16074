"""One ingestion asset per canonical entity: ``<system>_<entity>_raw`` -> ``raw.<entity>``.

Partition ``M`` (an as-of month) loads the extract of data month ``M-1``; a backfill of a
range of partitions runs as one step that loads its extract months oldest first. Assets
depend on the entities their rows reference, so referenced entities load first in a run and
the reference checks see them. Every asset writes the warehouse, so all run in the
``warehouse`` pool.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource parameter
# annotations at definition time.
from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.defs.ingest.checks import (
    ingest_check_specs,
    loaded_check_results,
    refused_check_results,
)
from pipelines.defs.resources import WAREHOUSE_POOL, HomeResource, WarehouseResource
from pipelines.partitions import AS_OF_MONTHS, month_of
from salesplan.entities import ENTITIES, Entity
from salesplan.months import extract_month_for, format_month, parse_month

if TYPE_CHECKING:
    from ingestion.load import EntityLoad

GROUPS = {"crm": "crm_ingest", "erp": "erp_ingest", "planning": "planning_inputs"}


def ingest_asset_key(entity_name: str) -> dg.AssetKey:
    """The asset key of an entity's ingestion asset, e.g. ``crm_opportunities_raw``."""
    table = ENTITIES[entity_name]
    return dg.AssetKey(f"{table.system}_{table.name}_raw")


def extract_months_of(partition_keys: list[str]) -> list[str]:
    """Return the extract months (``YYYY-MM``, oldest first) that as-of partitions load."""
    return sorted(
        format_month(extract_month_for(parse_month(month_of(key)))) for key in partition_keys
    )


def _referenced_keys(table: Entity) -> list[dg.AssetKey]:
    targets = {
        column.references.split(".")[0]
        for column in table.columns
        if column.references and column.references.split(".")[0] != table.name
    }
    return [ingest_asset_key(target) for target in sorted(targets)]


def build_ingest_asset(table: Entity) -> dg.AssetsDefinition:
    """Return the ingestion asset of ``table``."""
    key = ingest_asset_key(table.name)

    @dg.asset(
        key=key,
        group_name=GROUPS[table.system],
        kinds={"duckdb"},
        description=f"raw.{table.name}: {table.description} Partition M loads the extract "
        "of month M-1; every version of a record is kept with its _extract_month.",
        partitions_def=AS_OF_MONTHS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        deps=_referenced_keys(table),
        check_specs=ingest_check_specs(key),
        metadata={"dagster/table_name": f"raw.{table.name}", "entity": table.name},
    )
    def _ingest(
        context: dg.AssetExecutionContext, home: HomeResource, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        # Imported here: GX takes seconds to import, and loading the code location should not.
        from ingestion.errors import IngestionError
        from ingestion.load import load_entity

        months = extract_months_of(context.partition_keys)
        try:
            with warehouse.connect() as connection:
                load = load_entity(
                    connection, home.home, table.name, months, progress=context.log.info
                )
        except IngestionError as error:
            yield from refused_check_results(key, error)
            raise dg.Failure(
                description=str(error),
                metadata={"extract_months": ", ".join(months)},
                allow_retries=False,
            ) from None
        yield dg.MaterializeResult(
            metadata=load_metadata(load, context.partition_keys),
            check_results=loaded_check_results(key, load),
        )

    return _ingest


def load_metadata(load: "EntityLoad", partition_keys: list[str]) -> dict[str, dg.MetadataValue]:
    """Materialization metadata of a load: files, sha256, row counts, months, timings."""
    files = [
        "| extract month | file | profile | rows | loaded | quarantined | sha256 |",
        "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ] + [
        f"| {f.extract_month} | {f.source_file} | {f.profile} | {f.row_count:,} | "
        f"{f.loaded_rows:,} | {f.quarantined_rows:,} | `{f.sha256}` |"
        for f in load.files
    ]
    return {
        "dagster/row_count": dg.MetadataValue.int(load.rows_loaded),
        "extract_months": dg.MetadataValue.text(", ".join(load.extract_months)),
        "as_of_months": dg.MetadataValue.text(", ".join(month_of(k) for k in partition_keys)),
        "rows_read": dg.MetadataValue.int(load.rows_read),
        "rows_quarantined": dg.MetadataValue.int(load.rows_quarantined),
        "files": dg.MetadataValue.md("\n".join(files)),
        "sha256": dg.MetadataValue.json({f.source_file: f.sha256 for f in load.files}),
        "seconds": dg.MetadataValue.json({k: round(v, 3) for k, v in load.seconds.items()}),
    }


INGEST_ASSETS = [build_ingest_asset(table) for table in ENTITIES.values()]


@dg.definitions
def defs() -> dg.Definitions:
    """Register the ingestion assets."""
    return dg.Definitions(assets=INGEST_ASSETS)
