"""``ingest_job``: load and check one as-of month's extracts (or a range, in one run)."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.ingest.assets import INGEST_ASSETS

# Partitioned by AS_OF_MONTHS, inferred from the assets.
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(*INGEST_ASSETS),
    description="Load and check every canonical entity's extract into the raw layer.",
)


@dg.definitions
def defs() -> dg.Definitions:
    """Register the ingestion job."""
    return dg.Definitions(jobs=[ingest_job])
