"""The monthly re-plan schedule.

Runs on day ``SALESPLAN_REPLAN_DAY`` (default 3) of every month at ``SALESPLAN_REPLAN_HOUR``
(default 06:00) in ``SALESPLAN_TIMEZONE`` (default Asia/Shanghai), for the as-of month it runs
in. Guard: if the previous month's extract has not completely landed, the tick is skipped with
the reason (the extracts sensor starts the re-plan when it lands).
"""

# No `from __future__ import annotations`: Dagster reads the resource parameter annotation.
import os

import dagster as dg

from pipelines.defs.replan.jobs import replan_job
from pipelines.defs.replan.landing import inspect_month, run_key
from pipelines.defs.resources import HomeResource
from pipelines.partitions import partition_key_for
from salesplan.months import add_months, format_month

REPLAN_DAY = int(os.environ.get("SALESPLAN_REPLAN_DAY", "3"))
REPLAN_HOUR = int(os.environ.get("SALESPLAN_REPLAN_HOUR", "6"))
REPLAN_TIMEZONE = os.environ.get("SALESPLAN_TIMEZONE", "Asia/Shanghai")


@dg.schedule(
    name="monthly_replan_schedule",
    cron_schedule=f"0 {REPLAN_HOUR} {REPLAN_DAY} * *",
    job=replan_job,
    execution_timezone=REPLAN_TIMEZONE,
    description="Re-plan the current as-of month once its extracts have landed.",
)
def monthly_replan_schedule(
    context: dg.ScheduleEvaluationContext, home: HomeResource
) -> dg.RunRequest | dg.SkipReason:
    """Start the re-plan of the month the tick falls in, if the previous month has landed."""
    tick = context.scheduled_execution_time.date()
    as_of_month = format_month(tick)
    landed = inspect_month(home.home, format_month(add_months(tick, -1)))
    if not landed.complete:
        return dg.SkipReason(
            f"as-of {as_of_month}: extract {landed.month} not ready: {landed.reason}"
        )
    return dg.RunRequest(partition_key=partition_key_for(as_of_month), run_key=run_key(landed))


@dg.definitions
def defs() -> dg.Definitions:
    """Register the schedule (stopped until switched on in the UI)."""
    return dg.Definitions(schedules=[monthly_replan_schedule])
