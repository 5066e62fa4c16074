import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from demodata.timeline import (
    Calendar,
    date_of,
    dates,
    day_of,
    month_index,
    month_label,
    timestamps,
)

CALENDAR = Calendar(dt.date(2027, 12, 31))


@given(st.integers(0, 4000), st.integers(0, 120), st.integers(0, 1), st.integers(0, 2**32 - 1))
def test_sampled_days_stay_inside_their_window(low, width, calendar, seed):
    rng = np.random.default_rng(seed)
    n = 50
    drawn = CALENDAR.sample_days(
        np.full(n, calendar), np.full(n, low), np.full(n, low + width), rng, month_end_skew=True
    )
    assert ((drawn >= low) & (drawn <= low + width)).all()


def test_the_spring_festival_holiday_has_almost_no_business_in_china_only():
    holiday = day_of(dt.date(2024, 2, 12))
    ordinary = day_of(dt.date(2024, 3, 12))  # both Mondays
    assert CALENDAR.weights["china"][holiday] < 0.1 * CALENDAR.weights["china"][ordinary]
    assert CALENDAR.weights["international"][holiday] == 1.0
    february_2024 = CALENDAR.month_weight("china", month_index("2024-02"))
    february_2023 = CALENDAR.month_weight("china", month_index("2023-02"))
    assert february_2024 < 0.75 * february_2023


def test_days_tend_to_fall_at_the_end_of_the_month_when_deals_close():
    rng = np.random.default_rng(1)
    first, last = day_of(dt.date(2024, 5, 6)), day_of(dt.date(2024, 5, 31))
    n = 20_000
    plain = CALENDAR.sample_days(np.zeros(n, int), np.full(n, first), np.full(n, last), rng)
    skewed = CALENDAR.sample_days(
        np.zeros(n, int), np.full(n, first), np.full(n, last), rng, month_end_skew=True
    )
    assert skewed.mean() > plain.mean() + 2


def test_time_codes_convert_to_dates_months_and_arrow_values():
    assert date_of(day_of(dt.date(2024, 2, 29))) == dt.date(2024, 2, 29)
    assert month_label(month_index("2026-10")) == "2026-10"
    assert dates(np.array([day_of(dt.date(2024, 3, 5)), -1])).to_pylist() == [
        dt.date(2024, 3, 5),
        None,
    ]
    minute = day_of(dt.date(2024, 3, 5)) * 1440 + 14 * 60 + 30
    assert timestamps(np.array([minute])).to_pylist() == [dt.datetime(2024, 3, 5, 14, 30)]
