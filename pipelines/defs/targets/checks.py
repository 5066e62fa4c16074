"""Invariant checks of a plan version, run on the rows read back from the warehouse.

Each function takes the planner's frames (integers in minor units) and returns a
``dg.AssetCheckResult``; the asset evaluates them right after it wrote the version, so the
checks judge what readers will see. The blocking ones stop publishing a broken plan.

* ``target_plan``: ``sums_exact`` (children add up to their parent, and months, quarters and
  weeks to the year, for every metric, value and period), ``non_negative``,
  ``closed_months_unchanged`` (against the previous version) and ``locks_respected``.
* ``funnel_requirements``: ``matches_open_targets`` (the work is for exactly the open months'
  targets) and ``non_negative``.
* ``rep_targets`` / ``partner_targets``: ``matches_target_plan`` (a seller's target is the sum of
  their leaves).
* ``plan_changes``: ``adds_up`` (previous + parts = current, exactly).
* ``attainment_alerts``: ``below_threshold``.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import pandas as pd

from planning.hierarchy import UNASSIGNED
from planning.locks import Adjustment
from planning.plan import TARGET_VALUES

VALUES = list(TARGET_VALUES)
TARGET_PLAN_CHECKS = (
    "sums_exact",
    "non_negative",
    "closed_months_unchanged",
    "locks_respected",
)
CHECKS = {
    "target_plan": TARGET_PLAN_CHECKS,
    "funnel_requirements": ("matches_open_targets", "non_negative"),
    "rep_targets": ("matches_target_plan",),
    "partner_targets": ("matches_target_plan",),
    "plan_changes": ("adds_up",),
    "attainment_alerts": ("below_threshold",),
}
BLOCKING = {"sums_exact", "non_negative", "closed_months_unchanged", "locks_respected"}


def check_specs() -> list[dg.AssetCheckSpec]:
    """Every check of the plan tables."""
    return [
        dg.AssetCheckSpec(
            name,
            asset=dg.AssetKey(table),
            blocking=name in BLOCKING,
            description=_DESCRIPTIONS[name],
        )
        for table, names in CHECKS.items()
        for name in names
    ]


_DESCRIPTIONS = {
    "sums_exact": "Children sum exactly to their parent, and periods to the year.",
    "non_negative": "No target (or required work) is negative.",
    "closed_months_unchanged": "Closed months keep the previous version's targets.",
    "locks_respected": "Every locked adjustment of an open month holds.",
    "matches_open_targets": "The funnel work covers exactly the open months' targets.",
    "matches_target_plan": "Each seller's target is the sum of their leaves in target_plan.",
    "adds_up": "Previous value plus the waterfall parts equals the current value.",
    "below_threshold": "Every alert is below the configured attainment threshold.",
}


def _result(table: str, name: str, bad: pd.DataFrame, **metadata: object) -> dg.AssetCheckResult:
    sample = bad.head(5).astype(str).to_dict("records") if not bad.empty else []
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(table),
        check_name=name,
        passed=bad.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"failing_rows": len(bad), "sample": dg.MetadataValue.json(sample), **metadata},
    )


def _parent(node: str) -> str:
    return node.rsplit("/", 1)[0] if "/" in node else "company"


def sums_exact(target_plan: pd.DataFrame) -> dg.AssetCheckResult:
    """Children add up to their parent in every period; periods add up to the year."""
    plan = target_plan
    keys = ["scenario", "metric", "grain", "period"]
    children = plan[plan["node"] != "company"]
    sums = children.groupby([*keys, children["node"].map(_parent)])[VALUES].sum()
    sums.index = sums.index.set_names([*keys, "node"])
    parents = plan.set_index([*keys, "node"])[VALUES].reindex(sums.index)
    bad = sums[(sums != parents).any(axis=1)].reset_index()
    year = plan[plan["grain"] == "year"].set_index(["scenario", "metric", "node"])[VALUES]
    for grain in ("quarter", "month", "week"):
        totals = plan[plan["grain"] == grain].groupby(["scenario", "metric", "node"])[VALUES].sum()
        mismatch = totals[(totals != year.reindex(totals.index)).any(axis=1)]
        bad = pd.concat([bad, mismatch.reset_index().assign(grain=f"{grain}s vs year")])
    return _result("target_plan", "sums_exact", bad, rows_checked=len(plan))


def non_negative(target_plan: pd.DataFrame) -> dg.AssetCheckResult:
    """No original, period, floor or stretch target is negative."""
    columns = ["original_target", "period_target", "floor", "stretch"]
    bad = target_plan[(target_plan[columns] < 0).any(axis=1)]
    return _result("target_plan", "non_negative", bad[["metric", "node", "period", *columns]])


def closed_months_unchanged(
    target_plan: pd.DataFrame, previous: pd.DataFrame | None, as_of_month: str
) -> dg.AssetCheckResult:
    """Months before the as-of month keep the previous version's period targets."""
    if previous is None or previous.empty:
        return _result("target_plan", "closed_months_unchanged", pd.DataFrame(), compared=0)
    key = ["metric", "node", "period"]

    def closed(frame: pd.DataFrame) -> pd.Series:
        rows = frame[(frame["grain"] == "month") & (frame["period"] < as_of_month)]
        rows = rows[rows["metric"].isin(target_plan["metric"].unique())]
        return rows.set_index(key)["period_target"]

    joined = pd.concat(
        [closed(previous), closed(target_plan)], axis=1, keys=["previous", "current"]
    ).fillna(0)
    bad = joined[joined["previous"] != joined["current"]].reset_index()
    return _result("target_plan", "closed_months_unchanged", bad, compared=len(joined))


def locks_respected(
    target_plan: pd.DataFrame, adjustments: Sequence[Adjustment]
) -> dg.AssetCheckResult:
    """Every locked month cell and full-year value of this version holds."""
    plan = target_plan.set_index(["metric", "node", "grain", "period"])
    year = str(target_plan["fiscal_year"].iloc[0]) if len(target_plan) else ""
    bad = []
    for lock in adjustments:
        if not lock.locked:
            continue
        if lock.month is None:  # a full-year lock: where the node lands, actuals included
            value = plan["adjusted_target"].get((lock.metric, lock.node, "year", year))
        else:
            period = f"{lock.month:%Y-%m}"
            value = plan["period_target"].get((lock.metric, lock.node, "month", period))
        if value is None or int(value) != lock.value:
            bad.append(
                {"node": lock.node, "month": str(lock.month), "lock": lock.value, "plan": value}
            )
    return _result("target_plan", "locks_respected", pd.DataFrame(bad), locks=len(adjustments))


def funnel_matches_open_targets(
    funnel: pd.DataFrame, target_plan: pd.DataFrame
) -> dg.AssetCheckResult:
    """The funnel's targets per node and month are the open months' period targets."""
    if funnel.empty:
        return _result("funnel_requirements", "matches_open_targets", pd.DataFrame())
    work = funnel.groupby(["metric", "node", funnel["month"].map(lambda m: f"{m:%Y-%m}")])[
        "target"
    ].sum()
    work.index = work.index.set_names(["metric", "node", "period"])
    open_rows = target_plan[
        (target_plan["grain"] == "month")
        & (target_plan["status"] == "open")
        & target_plan["metric"].isin(funnel["metric"].unique())
        & (target_plan["period_target"] > 0)
    ]
    targets = open_rows.set_index(["metric", "node", "period"])["period_target"]
    joined = pd.concat([work, targets], axis=1, keys=["work", "target"]).fillna(0)
    bad = joined[joined["work"] != joined["target"]].reset_index()
    return _result("funnel_requirements", "matches_open_targets", bad)


def funnel_non_negative(funnel: pd.DataFrame) -> dg.AssetCheckResult:
    """No required work is negative."""
    columns = [c for c in funnel.columns if c.startswith("required_")]
    bad = funnel[(funnel[columns] < 0).any(axis=1)] if columns else funnel.iloc[:0]
    return _result("funnel_requirements", "non_negative", bad)


def sellers_match(
    table: str, sellers: pd.DataFrame, target_plan: pd.DataFrame, dimension: str
) -> dg.AssetCheckResult:
    """Each seller's monthly period target is the sum of their leaves in ``target_plan``."""
    if sellers.empty:
        return _result(table, "matches_target_plan", pd.DataFrame())
    leaves = target_plan[
        target_plan["is_leaf"].astype(bool)
        & (target_plan["grain"] == "month")
        & target_plan[dimension].notna()
        & (target_plan[dimension] != UNASSIGNED)
    ]
    expected = leaves.groupby(["metric", dimension, "period"])["period_target"].sum()
    months = sellers[sellers["grain"] == "month"]
    actual = months.set_index(["metric", dimension, "period"])["period_target"]
    joined = pd.concat([expected, actual], axis=1, keys=["leaves", "seller"]).fillna(0)
    bad = joined[joined["leaves"] != joined["seller"]].reset_index()
    return _result(table, "matches_target_plan", bad)


def changes_add_up(changes: pd.DataFrame) -> dg.AssetCheckResult:
    """Previous value plus the four parts equals the current value, exactly."""
    parts = ["actuals_vs_plan", "forecast_revision", "rate_changes", "manual_adjustments"]
    if changes.empty:
        return _result("plan_changes", "adds_up", pd.DataFrame())
    total = changes["previous"] + changes[parts].sum(axis=1)
    bad = changes[total != changes["current"]]
    return _result("plan_changes", "adds_up", bad)


def alerts_below_threshold(alerts: pd.DataFrame, threshold: float) -> dg.AssetCheckResult:
    """Every alert's attainment is below the threshold it was raised for."""
    bad = alerts[alerts["attainment"] >= threshold] if not alerts.empty else alerts
    return _result("attainment_alerts", "below_threshold", bad, threshold=threshold)
