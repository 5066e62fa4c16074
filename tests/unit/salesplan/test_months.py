import datetime as dt

import pytest

from salesplan.months import (
    add_months,
    extract_month_for,
    format_month,
    month_end,
    months_between,
    parse_month,
)


def test_parse_month_accepts_year_month_and_first_of_month():
    assert parse_month("2026-11") == dt.date(2026, 11, 1)
    assert parse_month("2026-11-01") == dt.date(2026, 11, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026/11", "26-11", "2026-11-15", ""])
def test_parse_month_rejects_anything_else_with_an_example(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_add_months_crosses_year_boundaries_both_ways():
    assert add_months(dt.date(2026, 11, 20), 2) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)


def test_month_end_knows_leap_years():
    assert month_end(dt.date(2024, 2, 10)) == dt.date(2024, 2, 29)
    assert month_end(dt.date(2025, 2, 1)) == dt.date(2025, 2, 28)


def test_months_between_includes_both_ends():
    months = list(months_between(dt.date(2025, 11, 5), dt.date(2026, 2, 1)))
    assert [format_month(m) for m in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_the_as_of_month_consumes_the_previous_months_extract():
    assert extract_month_for(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
