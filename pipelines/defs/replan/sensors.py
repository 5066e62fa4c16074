"""The extracts sensor: re-plan as soon as a complete extract set for a month has landed.

A month counts as landed when every non-optional source profile has its file(s) in
``landing/extracts/<YYYY-MM>/`` and nothing there changed for two minutes (not on the first
file). The run key is the month plus a fingerprint of its files, so the same set never
triggers twice; a corrected re-delivery (new fingerprint) triggers a new re-plan.
"""

# No `from __future__ import annotations`: Dagster reads the resource parameter annotation.
import json
from collections.abc import Iterator

import dagster as dg

from pipelines.defs.replan.jobs import replan_job
from pipelines.defs.replan.landing import (
    extract_months,
    inspect_month,
    months_to_replan,
    run_key,
)
from pipelines.defs.resources import HomeResource
from pipelines.partitions import partition_key_for


@dg.sensor(
    name="extracts_landed_sensor",
    job=replan_job,
    minimum_interval_seconds=60,
    description="Start the re-plan when a month's complete extract set has landed.",
)
def extracts_landed_sensor(
    context: dg.SensorEvaluationContext, home: HomeResource
) -> Iterator[dg.RunRequest | dg.SkipReason]:
    """Yield one re-plan per newly landed (or re-delivered) extract month."""
    landed = [inspect_month(home.home, month) for month in extract_months(home.home)]
    seen = json.loads(context.cursor) if context.cursor else None
    to_run, updated = months_to_replan(landed, seen)
    for month in to_run:
        yield dg.RunRequest(
            run_key=run_key(month),
            partition_key=partition_key_for(month.as_of_month),
            tags={"salesplan/extract_month": month.month},
        )
    if not to_run:
        waiting = [f"{m.month}: {m.reason}" for m in landed if not m.complete]
        yield dg.SkipReason("; ".join(waiting) or "no new extract set")
    context.update_cursor(json.dumps(updated, sort_keys=True))


@dg.definitions
def defs() -> dg.Definitions:
    """Register the sensor (stopped until switched on in the UI)."""
    return dg.Definitions(sensors=[extracts_landed_sensor])
