"""Invariant checks of a plan version, run on the frames the asset wrote.

Each function takes the planner's frames (integers in minor units) and returns a
``dg.AssetCheckResult``. The asset writes a version one stream (metric) at a time
(:func:`planning.plan_streams`) and :class:`VersionChecks` runs the checks on each stream's
frames as they are written, merging the results per check: every check but the alerts' compares
rows of one metric only, so this judges the same rows as checking the whole version, without
reading 3.4M rows back (3 GB at the large demo). The published types round-trip exactly
(``tables.to_published`` / ``from_published``). The blocking ones stop publishing a broken plan.

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
from planning.plan import TARGET_PLAN_COLUMNS, TARGET_VALUES, PlanResult

VALUES = list(TARGET_VALUES)
SUB_YEAR_GRAINS = ("quarter", "month", "week")
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
    year = year_values(target_plan)
    bad = pd.concat(
        [
            children_mismatches(target_plan),
            *(
                periods_mismatches(period_totals(target_plan, grain), year, grain)
                for grain in SUB_YEAR_GRAINS
            ),
        ]
    )
    return _result("target_plan", "sums_exact", bad, rows_checked=len(target_plan))


def children_mismatches(plan: pd.DataFrame) -> pd.DataFrame:
    """The parent rows of ``plan`` whose children do not add up to them, period by period."""
    keys = ["scenario", "metric", "grain", "period"]
    # Only the compared columns: a filter copies every column, and target_plan has 27.
    plan = plan[[*keys, "node", *VALUES]]
    children = plan[plan["node"] != "company"]
    # Each distinct node's parent once (a node repeats in every period: 70 times a year).
    parents_of = {node: _parent(node) for node in children["node"].unique()}
    sums = children.groupby([*keys, children["node"].map(parents_of)])[VALUES].sum()
    sums.index = sums.index.set_names([*keys, "node"])
    # Only parents are looked up, so only their rows are indexed (leaves are most of a plan).
    parent_rows = plan[plan["node"].isin(set(parents_of.values()))]
    parents = parent_rows.set_index([*keys, "node"])[VALUES].reindex(sums.index)
    return sums[(sums != parents).any(axis=1)].reset_index()


def year_values(plan: pd.DataFrame) -> pd.DataFrame:
    """The year rows' values, by scenario, metric and node."""
    return plan[plan["grain"] == "year"].set_index(["scenario", "metric", "node"])[VALUES]


def period_totals(plan: pd.DataFrame, grain: str) -> pd.DataFrame:
    """The values of the ``grain`` rows summed per scenario, metric and node."""
    keys = ["scenario", "metric", "node"]
    return plan.loc[plan["grain"] == grain, [*keys, *VALUES]].groupby(keys)[VALUES].sum()


def periods_mismatches(totals: pd.DataFrame, year: pd.DataFrame, grain: str) -> pd.DataFrame:
    """The nodes whose ``grain`` totals differ from their year values."""
    mismatch = totals[(totals != year.reindex(totals.index)).any(axis=1)]
    return mismatch.reset_index().assign(grain=f"{grain}s vs year")


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
        month = (frame["grain"] == "month") & (frame["period"] < as_of_month)
        rows = frame.loc[month, [*key, "period_target"]]
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


class VersionChecks:
    """Every check of one version, run part by part (one stream at a time) and merged.

    Args:
        previous_plan: the previous version's ``target_plan`` (its month rows suffice), or
            ``None``.
        as_of_month: ``YYYY-MM``.
        adjustments: the adjustments applied by the official plan.
        threshold: the alerts' attainment threshold.
    """

    def __init__(
        self,
        previous_plan: pd.DataFrame | None,
        as_of_month: str,
        adjustments: Sequence[Adjustment],
        threshold: float,
    ) -> None:
        self._previous = previous_plan
        self._as_of_month = as_of_month
        self._adjustments = list(adjustments)
        self._threshold = threshold
        self._metrics: set[str] = set()
        self._found: dict[tuple[str, str], list[dg.AssetCheckResult]] = {
            (table, name): [] for table, names in CHECKS.items() for name in names
        }
        self._years: list[pd.DataFrame] = []
        self._week_totals: pd.DataFrame | None = None

    def add(self, part: PlanResult) -> None:
        """Check the rows of one part of the version, as :func:`planning.plan_streams` yields.

        A part holds a stream's year, quarter and month rows with its other tables, or only
        week rows of a stream, or only alerts. Week rows are checked against their parents as
        they come, and their totals against the year at :meth:`results`.
        """
        plan = part.target_plan
        if not plan.empty and (plan["grain"] == "week").all():
            self._keep(
                _result(
                    "target_plan",
                    "sums_exact",
                    children_mismatches(plan),
                    rows_checked=len(plan),
                )
            )
            self._keep(non_negative(plan))
            totals = period_totals(plan, "week")
            if self._week_totals is not None:  # the same nodes, other weeks: add exactly
                totals = pd.concat([self._week_totals, totals]).groupby(level=[0, 1, 2]).sum()
            self._week_totals = totals
        elif not plan.empty:
            metrics = set(plan["metric"].unique())
            self._metrics |= metrics
            funnel = part.funnel_requirements
            locks = [lock for lock in self._adjustments if lock.metric in metrics]
            self._years.append(year_values(plan))  # for the week parts that follow
            self._keep(sums_exact(plan))
            self._keep(non_negative(plan))
            self._keep(closed_months_unchanged(plan, self._previous, self._as_of_month))
            self._keep(locks_respected(plan, locks))
            self._keep(funnel_matches_open_targets(funnel, plan))
            self._keep(funnel_non_negative(funnel))
            self._keep(sellers_match("rep_targets", part.rep_targets, plan, "rep_id"))
            self._keep(sellers_match("partner_targets", part.partner_targets, plan, "partner_id"))
            self._keep(changes_add_up(part.plan_changes))
        if not part.attainment_alerts.empty:
            self._keep(alerts_below_threshold(part.attainment_alerts, self._threshold))

    def results(self) -> list[dg.AssetCheckResult]:
        """One result per check, in :data:`CHECKS` order, merged over the parts seen."""
        if self._week_totals is not None:  # week rows that came in their own parts
            year = pd.concat(self._years) if self._years else self._week_totals.iloc[:0]
            bad = periods_mismatches(self._week_totals, year, "week")
            self._keep(_result("target_plan", "sums_exact", bad, rows_checked=0))
            self._week_totals = None
        # A lock of a metric that was not planned at all cannot hold.
        unplanned = [lock for lock in self._adjustments if lock.metric not in self._metrics]
        if unplanned:
            empty = pd.DataFrame(columns=list(TARGET_PLAN_COLUMNS))
            self._keep(locks_respected(empty, unplanned))
        return [
            _merged(table, name, found, self._threshold)
            for (table, name), found in self._found.items()
        ]

    def _keep(self, result: dg.AssetCheckResult) -> None:
        self._found[(result.asset_key.path[-1], result.check_name)].append(result)


def _merged(
    table: str, name: str, found: Sequence[dg.AssetCheckResult], threshold: float
) -> dg.AssetCheckResult:
    """The results of one check over several parts as one: counts summed, samples joined."""
    if not found:  # nothing of this table was written: nothing can fail
        extra = {"threshold": threshold} if name == "below_threshold" else {}
        return _result(table, name, pd.DataFrame(), **extra)
    if len(found) == 1:
        return found[0]
    metadata: dict[str, object] = {
        "failing_rows": sum(_value(result, "failing_rows") for result in found),
        "sample": dg.MetadataValue.json(
            [row for result in found for row in _value(result, "sample")][:5]
        ),
    }
    for key, value in found[0].metadata.items():
        if key in metadata:
            continue
        if isinstance(value, dg.IntMetadataValue):
            metadata[key] = sum(_value(result, key) for result in found)
        else:
            metadata[key] = value
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(table),
        check_name=name,
        passed=all(result.passed for result in found),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def _value(result: dg.AssetCheckResult, key: str) -> object:
    value = result.metadata[key]
    return value.data if isinstance(value, dg.JsonMetadataValue) else value.value
