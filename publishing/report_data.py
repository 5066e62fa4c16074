"""Reading one plan version out of the published serving file, for the report and workbooks.

The report and the workbooks show what BI tools and leadership see: the published snapshot's
serving DuckDB file (``published/salesplan.duckdb``, see :mod:`publishing.publish`), never the
working warehouse. Its tables hold every as-of version, each row carrying ``as_of_month``; this
module selects one version (and one scenario) and checks that the columns the report relies on
are there. Column contracts: ``planning.plan`` (``TARGET_PLAN_COLUMNS``, ``FUNNEL_COLUMNS``,
``REP_COLUMNS``, ``CHANGE_COLUMNS``), ``planning.alerts.ALERT_COLUMNS`` and the forecast engine's
output (``forecasts.engine.ForecastResult.forecasts``). Money is in units of the reporting
currency (``DECIMAL(18, 2)``) and read as floats.

A missing table, column or version raises :class:`ReportInputError` naming the serving file,
the table and what is missing, and listing what the file does hold.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from salesplan.errors import SalesplanError
from salesplan.months import add_months, format_month, parse_month

OFFICIAL = "official"
COMPANY = "company"
TARGET_PLAN_REQUIRED = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "fiscal_year",
    "node",
    "level",
    "region",
    "grain",
    "period",
    "period_start",
    "status",
    "original_target",
    "period_target",
    "actual_to_date",
    "adjusted_target",
    "floor",
    "stretch",
    "forecast",
    "gap",
    "p_attain",
)
FORECAST_REQUIRED = (
    "as_of_month",
    "level",
    "region",
    "yhat",
    "yhat_lower_80",
    "yhat_upper_80",
    "yhat_lower_95",
    "yhat_upper_95",
)
CHANGES_REQUIRED = (
    "as_of_month",
    "scenario",
    "previous_as_of_month",
    "metric",
    "node",
    "level",
    "region",
    "measure",
    "grain",
    "period",
    "previous",
    "actuals_vs_plan",
    "forecast_revision",
    "rate_changes",
    "manual_adjustments",
    "current",
    "total_change",
)
FUNNEL_STAGES = (
    "required_won",
    "required_opportunities",
    "required_sqls",
    "required_mqls",
    "required_leads",
    "required_activities",
)
ACTIVITY_COLUMNS = (
    "required_calls",
    "required_visits",
    "required_emails",
    "required_demos",
    "required_meetings",
)
FUNNEL_REQUIRED = (
    "as_of_month",
    "scenario",
    "metric",
    "node",
    "level",
    "region",
    "rep_id",
    "month",
    "start_month",
    "lead_start_month",
    "at_risk",
    "target",
    *FUNNEL_STAGES,
)
ALERTS_REQUIRED = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "node",
    "level",
    "region",
    "product_line",
    "channel",
    "rep_id",
    "partner_id",
    "grain",
    "period",
    "target",
    "expected_to_date",
    "actual_to_date",
    "attainment",
    "severity",
)
REP_TARGETS_REQUIRED = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "fiscal_year",
    "rep_id",
    "name",
    "region",
    "team",
    "manager_id",
    "tier",
    "grain",
    "period",
    "period_start",
    "status",
    "period_target",
    "actual_to_date",
    "adjusted_target",
    "floor",
    "stretch",
    "forecast",
    "p_attain",
)
# Where the actuals of a metric live in the marts (docs/architecture.md "dbt"); used for the
# faint "last year" line. Other metrics (deal-type bookings, counts) have no such line.
ACTUALS_SOURCES = {
    "bookings": ("fct_bookings_monthly", "bookings_amount"),
    "collections": ("fct_collections_monthly", "collected_amount"),
}


class ReportInputError(SalesplanError):
    """The serving file lacks a table, column or version the report or workbooks need."""


@dataclass(frozen=True)
class ReportData:
    """One plan version of one metric, as the report draws it.

    Attributes:
        serving_db: the serving file the data came from (for messages).
        as_of: first day of the as-of month.
        metric: the target metric shown (``bookings`` by default).
        scenario: the plan scenario shown.
        unit: ``money`` or ``count``.
        fiscal_year: the fiscal year of the as-of month.
        fiscal_months: first day of every month of that fiscal year, in order.
        years: year rows of ``target_plan`` for the company and every region.
        months: month rows of ``target_plan`` for the company and every region, with a
            ``month`` column (first day, ``datetime.date``).
        forecast: ``forecast_monthly`` rows of the company and regions for the fiscal year's
            open months (``node``, ``month``, ``yhat`` and bounds), or ``None``.
        prior_year: last year's actuals per node, on this year's months (``node``, ``month``,
            ``value``), or ``None``.
        changes: ``plan_changes`` month rows of the company and regions, or ``None`` when the
            version has no previous version to compare with.
        previous_as_of: the as-of month of the previous version, or ``None``.
        funnel: ``funnel_requirements`` rows of the regions, or ``None``.
        alerts: every ``attainment_alerts`` row of the version (all metrics).
        seller_names: rep and partner names by id, for alert labels.
    """

    serving_db: Path
    as_of: dt.date
    metric: str
    scenario: str
    unit: str
    fiscal_year: int
    fiscal_months: tuple[dt.date, ...]
    years: pd.DataFrame
    months: pd.DataFrame
    forecast: pd.DataFrame | None
    prior_year: pd.DataFrame | None
    changes: pd.DataFrame | None
    previous_as_of: dt.date | None
    funnel: pd.DataFrame | None
    alerts: pd.DataFrame
    seller_names: dict[str, str]

    @property
    def as_of_month(self) -> str:
        """The as-of month as ``YYYY-MM``."""
        return format_month(self.as_of)

    @property
    def cutoff(self) -> dt.date:
        """The last day of actuals in this version (the end of the month before the as-of)."""
        return self.as_of - dt.timedelta(days=1)

    @property
    def regions(self) -> list[str]:
        """Region codes, largest year target first (ties by code)."""
        rows = self.years[self.years["node"] != COMPANY]
        ordered = rows.sort_values(["adjusted_target", "region"], ascending=[False, True])
        return [str(region) for region in ordered["region"]]

    @property
    def open_months(self) -> tuple[dt.date, ...]:
        """Months of the fiscal year from the as-of month on."""
        return tuple(month for month in self.fiscal_months if month >= self.as_of)


class ServingFile:
    """A read-only connection to a serving file, with checked access to its tables.

    Use as a context manager; every query filters one as-of version.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ReportInputError(
                f"{self.path}: no such serving file; publish a plan version first "
                "(salesplan run --as-of YYYY-MM)"
            )
        self._connection = duckdb.connect(str(self.path), read_only=True)
        self.tables = {
            row[0]
            for row in self._connection.execute(
                # Published tables live in the main schema; a same-named table in another
                # schema (say a copy of the warehouse's plan.*) must not count.
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }

    def __enter__(self) -> ServingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def has(self, table: str) -> bool:
        """Return whether the serving file holds ``table``."""
        return table in self.tables

    def columns(self, table: str) -> list[str]:
        """Return the columns of ``table`` in order."""
        rows = self._connection.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [row[0] for row in rows]

    def require(self, table: str, columns: Sequence[str]) -> None:
        """Check that ``table`` exists with ``columns``.

        Raises:
            ReportInputError: naming the file, the table and the missing columns.
        """
        if not self.has(table):
            raise ReportInputError(
                f"{self.path}: table {table!r} is missing; the serving file holds "
                f"{sorted(self.tables)}"
            )
        present = self.columns(table)
        missing = [column for column in columns if column not in present]
        if missing:
            raise ReportInputError(
                f"{self.path}: table {table!r} lacks column(s) {missing}; it has {present}"
            )

    def version(
        self, table: str, as_of: dt.date, where: str = "", **params: object
    ) -> pd.DataFrame:
        """Return the rows of ``table`` for the as-of month (and an extra ``where`` clause)."""
        # as_of_month is a DATE in the plan tables; the text comparison also accepts a
        # VARCHAR 'YYYY-MM' or a TIMESTAMP, whichever a producer wrote.
        clause = "substr(CAST(as_of_month AS VARCHAR), 1, 7) = $as_of"
        if where:
            clause += f" AND ({where})"
        return self._connection.execute(
            f'SELECT * FROM "{table}" WHERE {clause}', {"as_of": format_month(as_of), **params}
        ).fetchdf()

    def versions(self, table: str) -> list[str]:
        """Return the as-of months ``YYYY-MM`` that ``table`` holds."""
        rows = self._connection.execute(
            f'SELECT DISTINCT substr(CAST(as_of_month AS VARCHAR), 1, 7) FROM "{table}" ORDER BY 1'
        ).fetchall()
        return [row[0] for row in rows]

    def query(self, sql: str, params: dict[str, object] | None = None) -> pd.DataFrame:
        """Run a read-only query."""
        return self._connection.execute(sql, params or {}).fetchdf()


def load_report_data(
    serving_db: Path,
    as_of_month: str,
    *,
    metric: str = "bookings",
    scenario: str = OFFICIAL,
) -> ReportData:
    """Read what the report shows for one as-of month from a serving file.

    Args:
        serving_db: the published serving DuckDB file.
        as_of_month: ``YYYY-MM``.
        metric: the target metric to show.
        scenario: the plan scenario to show.

    Returns:
        The report's data.

    Raises:
        ReportInputError: when a required table, column, version, metric or company row is
            missing, or a value cannot be drawn (naming file, table, row, column and value).
    """
    as_of = parse_month(as_of_month)
    with ServingFile(serving_db) as serving:
        plan = _target_plan(serving, as_of, metric, scenario)
        company_year = plan[(plan["node"] == COMPANY) & (plan["grain"] == "year")]
        fiscal_year = int(company_year["fiscal_year"].iloc[0])
        unit = str(company_year["unit"].iloc[0])
        months = plan[plan["grain"] == "month"].copy()
        months["month"] = [_as_date(value) for value in months["period_start"]]
        months = months.sort_values(["node", "month"], kind="stable").reset_index(drop=True)
        fiscal_months = tuple(sorted(months.loc[months["node"] == COMPANY, "month"]))
        years = plan[plan["grain"] == "year"].reset_index(drop=True)
        _check_values(serving.path, years)
        open_months = [month for month in fiscal_months if month >= as_of]
        changes, previous = _changes(serving, as_of, metric, scenario)
        return ReportData(
            serving_db=serving.path,
            as_of=as_of,
            metric=metric,
            scenario=scenario,
            unit=unit,
            fiscal_year=fiscal_year,
            fiscal_months=fiscal_months,
            years=years,
            months=months,
            forecast=_forecast(serving, as_of, metric, open_months),
            prior_year=_prior_year(serving, as_of, metric, fiscal_months),
            changes=changes,
            previous_as_of=previous,
            funnel=_funnel(serving, as_of, metric, scenario),
            alerts=_alerts(serving, as_of, scenario),
            seller_names=_seller_names(serving, as_of, scenario),
        )


def _target_plan(serving: ServingFile, as_of: dt.date, metric: str, scenario: str) -> pd.DataFrame:
    serving.require("target_plan", TARGET_PLAN_REQUIRED)
    month = format_month(as_of)
    if month not in serving.versions("target_plan"):
        raise ReportInputError(
            f"{serving.path}: target_plan has no version for as_of_month {month}; it holds "
            f"{serving.versions('target_plan')}"
        )
    rows = serving.version(
        "target_plan",
        as_of,
        "scenario = $scenario AND metric = $metric AND level IN ('company', 'region') "
        "AND grain IN ('year', 'month')",
        scenario=scenario,
        metric=metric,
    )
    company = rows[(rows["node"] == COMPANY) & (rows["grain"] == "year")]
    if company.empty:
        metrics = serving.query(
            "SELECT DISTINCT scenario, metric FROM target_plan "
            "WHERE substr(CAST(as_of_month AS VARCHAR), 1, 7) = $as_of ORDER BY 1, 2",
            {"as_of": month},
        )
        available = [f"{s}/{m}" for s, m in metrics.itertuples(index=False)]
        raise ReportInputError(
            f"{serving.path}: target_plan {month} has no company year row for metric "
            f"{metric!r} in scenario {scenario!r}; scenario/metric pairs present: {available}"
        )
    return rows


def _check_values(path: Path, years: pd.DataFrame) -> None:
    """Probabilities are shares and targets are amounts: anything else is a broken input."""
    for row in years.itertuples(index=False):
        p_attain = _number(row.p_attain)
        if p_attain is not None and not 0.0 <= p_attain <= 1.0:
            raise ReportInputError(
                f"{path}: target_plan row (node {row.node!r}, period {row.period}), column "
                f"'p_attain': value {row.p_attain!r} is not a probability between 0 and 1"
            )
        if _number(row.adjusted_target) is None:
            raise ReportInputError(
                f"{path}: target_plan row (node {row.node!r}, period {row.period}), column "
                f"'adjusted_target': value {row.adjusted_target!r} is not a number"
            )


def _forecast(
    serving: ServingFile, as_of: dt.date, metric: str, open_months: Sequence[dt.date]
) -> pd.DataFrame | None:
    if not serving.has("forecast_monthly") or not open_months:
        return None
    serving.require("forecast_monthly", FORECAST_REQUIRED)
    columns = serving.columns("forecast_monthly")
    month_column = "month" if "month" in columns else "ds"
    if month_column not in columns:
        raise ReportInputError(
            f"{serving.path}: table 'forecast_monthly' has neither 'month' nor 'ds'; it has "
            f"{columns}"
        )
    # A forecast table without a metric column forecasts bookings (as the planner reads it).
    if "metric" in columns:
        rows = serving.version("forecast_monthly", as_of, "metric = $metric", metric=metric)
    elif metric == "bookings":
        rows = serving.version("forecast_monthly", as_of)
    else:
        return None
    rows = rows[rows["level"].isin(["company", "region"])].copy()
    if rows.empty:
        return None
    rows["month"] = [_as_date(value) for value in rows[month_column]]
    rows = rows[rows["month"].isin(set(open_months))]
    rows["node"] = [
        COMPANY if level == "company" else str(region)
        for level, region in zip(rows["level"], rows["region"], strict=True)
    ]
    keep = ["node", "month", "yhat", "yhat_lower_80", "yhat_upper_80"]
    keep += ["yhat_lower_95", "yhat_upper_95"]
    frame = rows[keep].sort_values(["node", "month"], kind="stable").reset_index(drop=True)
    for column in keep[2:]:
        frame[column] = frame[column].astype(float)
    return frame if not frame.empty else None


def _prior_year(
    serving: ServingFile, as_of: dt.date, metric: str, fiscal_months: Sequence[dt.date]
) -> pd.DataFrame | None:
    source = ACTUALS_SOURCES.get(metric)
    if source is None or not serving.has(source[0]) or not fiscal_months:
        return None
    table, column = source
    if not {"month", "region", column} <= set(serving.columns(table)):
        return None
    first = add_months(fiscal_months[0], -12)
    last = add_months(fiscal_months[-1], -12)
    # The marts are rebuilt per as-of month; the version of this month holds all history.
    where = "CAST(month AS DATE) BETWEEN CAST($first AS DATE) AND CAST($last AS DATE)"
    if "as_of_month" in serving.columns(table):
        rows = serving.version(table, as_of, where, first=first, last=last)
    else:
        rows = serving.query(
            f'SELECT * FROM "{table}" WHERE {where}', {"first": first, "last": last}
        )
    if rows.empty:
        return None
    rows["month"] = [add_months(_as_date(value), 12) for value in rows["month"]]
    rows["value"] = rows[column].astype(float)
    company = rows.groupby("month", as_index=False)["value"].sum().assign(node=COMPANY)
    regions = (
        rows.groupby(["region", "month"], as_index=False)["value"]
        .sum()
        .rename(columns={"region": "node"})
    )
    frame = pd.concat([company, regions], ignore_index=True)[["node", "month", "value"]]
    return frame.sort_values(["node", "month"], kind="stable").reset_index(drop=True)


def _changes(
    serving: ServingFile, as_of: dt.date, metric: str, scenario: str
) -> tuple[pd.DataFrame | None, dt.date | None]:
    if not serving.has("plan_changes"):
        return None, None
    serving.require("plan_changes", CHANGES_REQUIRED)
    rows = serving.version(
        "plan_changes",
        as_of,
        "scenario = $scenario AND metric = $metric AND level IN ('company', 'region') "
        "AND grain = 'month'",
        scenario=scenario,
        metric=metric,
    )
    if rows.empty:
        return None, None
    rows["month"] = [parse_month(str(period)) for period in rows["period"]]
    for column in ("previous", "actuals_vs_plan", "forecast_revision", "rate_changes"):
        rows[column] = rows[column].astype(float)
    for column in ("manual_adjustments", "current", "total_change"):
        rows[column] = rows[column].astype(float)
    previous = _as_date(rows["previous_as_of_month"].iloc[0])
    return rows.reset_index(drop=True), previous


def _funnel(
    serving: ServingFile, as_of: dt.date, metric: str, scenario: str
) -> pd.DataFrame | None:
    if not serving.has("funnel_requirements"):
        return None
    serving.require("funnel_requirements", FUNNEL_REQUIRED)
    rows = serving.version(
        "funnel_requirements",
        as_of,
        "scenario = $scenario AND metric = $metric AND level = 'region'",
        scenario=scenario,
        metric=metric,
    )
    if rows.empty:
        return None
    for column in ("month", "start_month"):
        rows[column] = [_as_date(value) for value in rows[column]]
    rows["at_risk"] = rows["at_risk"].astype(bool)
    return rows.reset_index(drop=True)


def _alerts(serving: ServingFile, as_of: dt.date, scenario: str) -> pd.DataFrame:
    if not serving.has("attainment_alerts"):
        return pd.DataFrame(columns=list(ALERTS_REQUIRED))
    serving.require("attainment_alerts", ALERTS_REQUIRED)
    rows = serving.version("attainment_alerts", as_of, "scenario = $scenario", scenario=scenario)
    for column in ("target", "expected_to_date", "actual_to_date", "attainment"):
        rows[column] = rows[column].astype(float)
    return rows.reset_index(drop=True)


def _seller_names(serving: ServingFile, as_of: dt.date, scenario: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for table, key in (("rep_targets", "rep_id"), ("partner_targets", "partner_id")):
        if not serving.has(table) or not {key, "name"} <= set(serving.columns(table)):
            continue
        rows = serving.version(table, as_of, "scenario = $scenario", scenario=scenario)
        for seller, name in rows[[key, "name"]].drop_duplicates().itertuples(index=False):
            if isinstance(name, str) and name:
                names[str(seller)] = name
    return names


def _as_date(value: object) -> dt.date:
    """A DATE, TIMESTAMP or ``YYYY-MM[-DD]`` text as the first day of its month."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return dt.date(value.year, value.month, 1)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    return parse_month(str(value)[:7])


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
