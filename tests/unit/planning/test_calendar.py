import datetime as dt

import pytest

from planning.calendar import FiscalCalendar, WorkingDays, iso_week_label
from planning.config import CalendarConfig


def test_a_calendar_year_fiscal_year_is_named_by_its_year():
    calendar = FiscalCalendar(1)
    assert calendar.fiscal_year("2026-01") == 2026
    assert calendar.fiscal_year(dt.date(2026, 12, 1)) == 2026
    assert calendar.months(2026)[0] == dt.date(2026, 1, 1)
    assert calendar.quarter("2026-05") == "2026-Q2"


def test_a_fiscal_year_starting_in_april_is_named_by_the_year_it_ends_in():
    calendar = FiscalCalendar(4)
    assert calendar.fiscal_year("2026-04") == 2027
    assert calendar.fiscal_year("2027-03") == 2027
    assert calendar.fiscal_year("2026-03") == 2026
    assert calendar.months(2027)[0] == dt.date(2026, 4, 1)
    assert calendar.months(2027)[-1] == dt.date(2027, 3, 1)
    assert calendar.quarter("2026-04") == "2027-Q1"
    assert calendar.quarter("2027-01") == "2027-Q4"
    assert calendar.quarter_months("2027-Q4") == [
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
        dt.date(2027, 3, 1),
    ]


def test_fiscal_start_month_must_be_a_month():
    with pytest.raises(ValueError, match="1-12"):
        FiscalCalendar(13)


def test_iso_weeks_belong_to_the_iso_year():
    assert iso_week_label(dt.date(2025, 12, 29)) == "2026-W01"
    assert iso_week_label(dt.date(2026, 1, 4)) == "2026-W01"
    assert iso_week_label(dt.date(2026, 1, 5)) == "2026-W02"


def test_a_week_split_across_two_months_has_a_part_in_each():
    working = WorkingDays()
    december = dict(working.week_parts(dt.date(2025, 12, 1)))
    january = dict(working.week_parts(dt.date(2026, 1, 1)))
    # 2026-W01 runs Mon 29 Dec 2025 - Sun 4 Jan 2026: Mon-Wed 29-31 Dec are working days; in
    # January, the 1st and 2nd are the New Year holiday and Sunday the 4th is a make-up workday.
    assert december["2026-W01"] == 3.0
    assert january["2026-W01"] == 1.0


def test_working_day_weights_follow_the_chinese_calendar_and_the_spring_festival():
    working = WorkingDays(CalendarConfig(spring_festival_slowdown_weight=0.5))
    assert working.day_weight(dt.date(2026, 1, 3)) == 0.0  # Saturday
    assert working.day_weight(dt.date(2026, 1, 4)) == 1.0  # Sunday make-up workday (调休)
    assert working.day_weight(dt.date(2026, 2, 17)) == 0.0  # Spring Festival holiday
    assert working.day_weight(dt.date(2026, 2, 12)) == 0.5  # working day in the slowdown
    assert working.day_weight(dt.date(2026, 6, 3)) == 1.0


def test_the_spring_festival_moves_selling_days_between_january_and_february():
    working = WorkingDays()
    # 2025: New Year on 29 Jan, so January loses days; 2026: on 17 Feb, February does.
    assert working.month_weight(dt.date(2025, 1, 1)) < working.month_weight(dt.date(2026, 1, 1))
    assert working.month_weight(dt.date(2026, 2, 1)) < working.month_weight(dt.date(2025, 2, 1))


def test_week_parts_add_up_to_the_month():
    working = WorkingDays()
    for month in range(1, 13):
        first = dt.date(2026, month, 1)
        parts = working.week_parts(first)
        assert sum(weight for _, weight in parts) == working.month_weight(first)
        assert 4 <= len(parts) <= 6
