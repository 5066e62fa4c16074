"""``replan_job``: ingest -> checks -> dbt -> forecast -> re-decompose -> publish -> report."""

from __future__ import annotations

import dagster as dg

from pipelines.partitions import AS_OF_MONTHS

# Marks re-plan runs (filter on it in the UI's run list).
REPLAN_TAG = "salesplan/replan"

replan_job = dg.define_asset_job(
    "replan_job",
    selection=dg.AssetSelection.all(),
    partitions_def=AS_OF_MONTHS,
    # One process for the whole run: the warehouse resource then holds the home's re-plan lock
    # from the first step to the last, so no other re-plan can interleave its writes.
    executor_def=dg.in_process_executor,
    tags={REPLAN_TAG: "true"},
    description="The monthly re-plan of one as-of month, from its extracts to the report.",
)


@dg.definitions
def defs() -> dg.Definitions:
    """Register the re-plan job."""
    return dg.Definitions(jobs=[replan_job])
