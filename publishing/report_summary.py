"""The numbers the report shows, computed from one version's rows (pure, no drawing).

Each function takes frames of :class:`publishing.report_data.ReportData` and returns plain
numbers or small frames, so the tests can check them exactly against the published tables:

* :func:`headline`: the company's year at a glance (target, actual, forecast, gap, probability);
* :func:`remaining_change`: the change waterfall of the months ahead for one node and measure;
* :func:`region_changes`: the same per region;
* :func:`funnel_by_region`: the work behind the months ahead per region, split on time / late;
* :func:`top_alerts`: the alerts leadership should read first.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from publishing.report_data import COMPANY, FUNNEL_STAGES, ReportData

COMPONENTS = ("actuals_vs_plan", "forecast_revision", "rate_changes", "manual_adjustments")
# Alert levels from the top of the hierarchy down: leadership reads the company and regions
# before a single rep.
LEVEL_ORDER = {
    "company": 0,
    "region": 1,
    "product_line": 2,
    "channel": 3,
    "rep_id": 4,
    "partner_id": 4,
}
GRAIN_ORDER = {"year": 0, "quarter": 1, "month": 2}


@dataclass(frozen=True)
class Headline:
    """The company's fiscal year at a glance (amounts in the metric's unit).

    Attributes:
        year_target: the adjusted year target (equals the annual target at company level).
        actual_to_date: actuals of the closed months.
        forecast: actuals plus the forecast of the open months.
        gap: ``year_target - forecast``; positive means the forecast falls short.
        p_attain: probability of reaching the year target, or ``None`` when unknown.
        remaining: ``year_target - actual_to_date``, still to sell.
        open_months: months left in the fiscal year, the as-of month included.
        floor: the year's floor (must reach).
        stretch: the year's stretch (challenge).
    """

    year_target: float
    actual_to_date: float
    forecast: float | None
    gap: float | None
    p_attain: float | None
    remaining: float
    open_months: int
    floor: float
    stretch: float

    @property
    def attained_share(self) -> float | None:
        """Actual to date as a share of the year target."""
        return self.actual_to_date / self.year_target if self.year_target else None

    @property
    def gap_share(self) -> float | None:
        """The gap as a share of the year target."""
        if self.gap is None or not self.year_target:
            return None
        return self.gap / self.year_target


def headline(data: ReportData) -> Headline:
    """Return the company's year figures of the version."""
    row = data.years[data.years["node"] == COMPANY].iloc[0]
    target = float(row["adjusted_target"])
    actual = float(row["actual_to_date"])
    return Headline(
        year_target=target,
        actual_to_date=actual,
        forecast=_optional(row["forecast"]),
        gap=_optional(row["gap"]),
        p_attain=_optional(row["p_attain"]),
        remaining=target - actual,
        open_months=len(data.open_months),
        floor=float(row["floor"]),
        stretch=float(row["stretch"]),
    )


def remaining_change(
    changes: pd.DataFrame, as_of: dt.date, node: str, measure: str
) -> dict[str, float]:
    """The waterfall of the months ahead (from ``as_of``) of one node and measure.

    Summing the month rows from the as-of month on compares what the previous version planned
    for those months with what this one plans; the month that just closed drops out of both,
    so its mechanical move from target to actual does not swamp the picture.

    Args:
        changes: ``plan_changes`` month rows (as :class:`ReportData` holds them).
        as_of: the as-of month.
        node: a node path (``company``, ``region=EAST``).
        measure: ``target`` or ``required_opportunities``.

    Returns:
        ``previous``, the four components, ``current`` and ``total_change``; the components add
        up to ``current - previous`` (to float rounding of the DECIMAL sums).
    """
    rows = changes[
        (changes["node"] == node) & (changes["measure"] == measure) & (changes["month"] >= as_of)
    ]
    columns = ("previous", *COMPONENTS, "current", "total_change")
    return {column: float(rows[column].sum()) for column in columns}


def region_changes(changes: pd.DataFrame, as_of: dt.date, measure: str = "target") -> pd.DataFrame:
    """:func:`remaining_change` for every region: one row per region, ordered by region."""
    rows = changes[
        (changes["level"] == "region")
        & (changes["measure"] == measure)
        & (changes["month"] >= as_of)
    ]
    columns = ["previous", *COMPONENTS, "current", "total_change"]
    frame = rows.groupby("region", sort=True)[columns].sum().reset_index()
    return frame.astype(dict.fromkeys(columns, float))


def funnel_by_region(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel work behind the months ahead, per region, split into on-time and late work.

    Args:
        funnel: ``funnel_requirements`` rows at region level.

    Returns:
        One row per region and ``at_risk`` flag (False: still possible, True: should already
        have started), with the sums of every stage in :data:`FUNNEL_STAGES`.
    """
    sums = funnel.groupby(["region", "at_risk"], sort=True)[list(FUNNEL_STAGES)].sum()
    full = pd.MultiIndex.from_product(
        [sorted(funnel["region"].unique()), [False, True]], names=["region", "at_risk"]
    )
    return sums.reindex(full, fill_value=0.0).reset_index()


def top_alerts(alerts: pd.DataFrame, metric: str, limit: int = 10) -> pd.DataFrame:
    """The alerts to read first.

    Order: most severe first (severities ranked by the lowest attainment they hold, so
    any configured names work), then the report's metric before the others, then higher
    levels of the hierarchy, longer periods, and the largest shortfall against the expected
    pace (a region 1.7M behind before a product line 0.1M behind, whatever their shares).

    Args:
        alerts: ``attainment_alerts`` rows of the version.
        metric: the report's metric.
        limit: how many to return.

    Returns:
        At most ``limit`` rows of ``alerts``, in reading order.
    """
    if alerts.empty:
        return alerts.copy()
    worst = alerts.groupby("severity")["attainment"].min().sort_values(kind="stable")
    severity_rank = {name: rank for rank, name in enumerate(worst.index)}
    ranked = alerts.assign(
        _severity=alerts["severity"].map(severity_rank),
        _metric=(alerts["metric"] != metric).astype(int),
        _level=alerts["level"].map(LEVEL_ORDER).fillna(len(LEVEL_ORDER)),
        _grain=alerts["grain"].map(GRAIN_ORDER).fillna(len(GRAIN_ORDER)),
        _shortfall=alerts["actual_to_date"].astype(float)
        - alerts["expected_to_date"].astype(float),
    )
    ranked = ranked.sort_values(
        ["_severity", "_metric", "_level", "_grain", "metric", "_shortfall", "node", "period"],
        kind="stable",
    )
    return ranked.drop(columns=["_severity", "_metric", "_level", "_grain", "_shortfall"]).head(
        limit
    )


def severity_counts(alerts: pd.DataFrame) -> dict[str, int]:
    """Number of alerts per severity."""
    return {str(name): int(count) for name, count in alerts["severity"].value_counts().items()}


def _optional(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
