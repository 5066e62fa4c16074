import warnings

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from forecasts.prepare import (
    LogScale,
    classify,
    error_scale,
    mase_scale,
    prepare_panel,
    replace_outliers,
)
from forecasts.schemas import validate_history

END = np.datetime64("2024-06")


def _series(values: list[float | None], months: list[str] | None = None, end=END):
    months = months or [str(m) for m in pd.period_range("2024-01", periods=len(values), freq="M")]
    frame = pd.DataFrame({"unique_id": "s", "ds": months, "y": values})
    return prepare_panel(validate_history(frame), end)[0]


def test_duplicate_months_are_summed_and_flagged() -> None:
    series = _series([1, 2, 3], ["2024-01", "2024-01", "2024-02"], end=np.datetime64("2024-02"))

    assert series.values.tolist() == [3.0, 3.0]
    assert "duplicate_months" in series.flags


def test_a_month_without_a_row_is_a_month_without_sales() -> None:
    series = _series([5, 7], ["2024-01", "2024-03"], end=np.datetime64("2024-03"))

    assert series.values.tolist() == [5.0, 0.0, 7.0]
    assert series.observed.tolist() == [5.0, 0.0, 7.0]
    assert "gaps_filled" in series.flags


def test_a_nan_month_is_interpolated_for_fitting_and_left_unknown_for_scoring() -> None:
    series = _series([4, None, 8], end=np.datetime64("2024-03"))

    assert series.values.tolist() == [4.0, 6.0, 8.0]
    assert np.isnan(series.observed[1])
    assert "missing_values" in series.flags


def test_negative_months_are_zero_for_fitting_but_scored_as_observed() -> None:
    series = _series([4, -2, 8], end=np.datetime64("2024-03"))

    assert series.values.tolist() == [4.0, 0.0, 8.0]
    assert series.observed.tolist() == [4.0, -2.0, 8.0]
    assert "negative_values" in series.flags


def test_a_segment_that_appears_mid_history_starts_at_its_first_sale() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ["old", "old", "old", "new", "new", "new"],
            "ds": ["2024-01", "2024-02", "2024-03", "2024-01", "2024-02", "2024-03"],
            "y": [1, 1, 1, 0, 0, 9],
        }
    )

    new, old = prepare_panel(validate_history(frame), np.datetime64("2024-03"))  # sorted by id

    assert new.start == np.datetime64("2024-03-01")
    assert new.values.tolist() == [9.0]
    assert "late_start" in new.flags
    assert "late_start" not in old.flags


def test_a_segment_that_stopped_is_zero_filled_to_the_end_of_the_panel() -> None:
    series = _series([3, 4], end=np.datetime64("2024-05"))

    assert series.values.tolist() == [3.0, 4.0, 0.0, 0.0, 0.0]


def test_rows_after_the_panel_end_are_ignored() -> None:
    series = _series([1, 2, 3, 4], end=np.datetime64("2024-02"))

    assert series.values.tolist() == [1.0, 2.0]


def test_regimes_follow_the_documented_rules() -> None:
    seasonal = 10 + np.sin(np.arange(36))
    assert classify(np.zeros(10)) == ("zero", frozenset({"all_zero"}))
    assert classify(np.r_[np.ones(10), np.zeros(12)])[0] == "zero"
    assert "discontinued" in classify(np.r_[np.ones(10), np.zeros(12)])[1]
    assert classify(np.array([3.0, 4.0]))[0] == "too_short"
    assert classify(np.full(30, 7.0))[0] == "constant"
    assert classify(np.tile([0, 0, 5.0], 10))[0] == "intermittent"
    assert classify(seasonal) == ("regular", frozenset())
    assert classify(seasonal[:12]) == ("regular", frozenset({"short_history"}))


def test_an_isolated_spike_is_replaced_but_a_repeating_peak_is_kept() -> None:
    months = np.arange(60)
    noise = np.random.default_rng(0).normal(0, 0.02, 60)
    z = 2 + 0.01 * months + 0.3 * (months % 12 == 11) + noise  # a December peak every year
    spiked = z.copy()
    spiked[30] += 2.0

    cleaned, replaced = replace_outliers(spiked)

    assert replaced == 1
    assert abs(cleaned[30] - z[30]) < 0.1  # back to trend + season
    np.testing.assert_array_equal(np.delete(cleaned, 30), np.delete(spiked, 30))


def test_short_histories_are_not_searched_for_outliers() -> None:
    z = np.r_[np.ones(20), 50.0]

    assert replace_outliers(z) == (z, 0)


@given(
    st.lists(st.floats(min_value=0, max_value=1e9), min_size=1, max_size=30).filter(
        lambda values: max(values) > 0
    )
)
def test_the_log_scale_round_trips_and_never_goes_negative(values: list[float]) -> None:
    y = np.array(values)
    scale = LogScale.for_values(y)

    np.testing.assert_allclose(scale.inverse(scale.forward(y)), y, rtol=1e-9, atol=1e-6)
    assert (scale.inverse(np.linspace(-50, 5, 20)) >= 0).all()


def test_a_runaway_log_forecast_becomes_infinite_without_a_warning() -> None:
    scale = LogScale(5e4)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow RuntimeWarning would raise here
        values = scale.inverse(np.array([1.0, 699.0, 700.0, 1e6]))

    assert np.isfinite(values[0])
    assert np.isinf(values[1:]).all()


def test_scales_use_the_seasonal_lag_with_two_years_of_data() -> None:
    yearly = np.tile(np.arange(12.0), 3)

    assert error_scale(yearly) == 0.0  # a perfectly repeating year
    assert mase_scale(np.arange(5.0)) == 1.0
    assert np.isnan(mase_scale(np.ones(5)))
