import datetime as dt

from salesplan.spring_festival import holiday_period, lunar_new_year, slowdown_share


def test_lunar_new_year_moves_between_january_and_february():
    assert lunar_new_year(2023) == dt.date(2023, 1, 22)
    assert lunar_new_year(2024) == dt.date(2024, 2, 10)


def test_the_official_holiday_runs_from_new_years_eve_for_eight_days():
    assert holiday_period(2024) == (dt.date(2024, 2, 9), dt.date(2024, 2, 16))


def test_slowdown_share_follows_the_holiday_month():
    assert slowdown_share(2023, 1) > slowdown_share(2023, 2)
    assert slowdown_share(2024, 1) == 0.0
    assert slowdown_share(2024, 2) > 0.5
    assert slowdown_share(2024, 7) == 0.0
