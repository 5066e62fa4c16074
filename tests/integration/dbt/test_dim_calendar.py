"""dim_calendar agrees with the planning package's fiscal calendar and Python's ISO weeks."""

from __future__ import annotations

import datetime as dt

import duckdb

from planning.calendar import FiscalCalendar, iso_week_label


def test_every_day_has_the_fiscal_year_quarter_and_iso_week_planning_uses(small_demo_marts):
    # The small demo's planning.yml starts the fiscal year in April (conftest).
    calendar = FiscalCalendar(start_month=4)
    with duckdb.connect(str(small_demo_marts.warehouse), read_only=True) as connection:
        days = connection.execute(
            "select date_day, fiscal_year, fiscal_quarter_label, fiscal_month, iso_week_label,"
            " week_start from marts.dim_calendar order by date_day"
        ).fetchall()
        [(first_record,)] = connection.execute(
            "select least("
            " (select min(created_at) from staging.stg_crm__leads),"
            " (select min(created_at) from staging.stg_crm__opportunities),"
            " (select min(order_date) from staging.stg_erp__order_lines))"
        ).fetchall()

    # From 1 January of the first year with data to 31 December three years after the as-of
    # month's year (2026).
    assert days[0][0] == dt.date(first_record.year, 1, 1)
    assert days[-1][0] == dt.date(2029, 12, 31)
    assert len(days) == (days[-1][0] - days[0][0]).days + 1
    for day, fiscal_year, quarter, fiscal_month, week, week_start in days:
        assert fiscal_year == calendar.fiscal_year(day), day
        assert quarter == calendar.quarter(day), day
        assert calendar.months(fiscal_year)[fiscal_month - 1] == day.replace(day=1), day
        assert week == iso_week_label(day), day
        assert week_start == day - dt.timedelta(days=day.weekday()), day
