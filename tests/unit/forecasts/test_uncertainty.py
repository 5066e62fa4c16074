import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from forecasts import uncertainty
from forecasts.paths import SamplePaths
from forecasts.prepare import LogScale
from forecasts.uncertainty import (
    Calibration,
    bootstrap_paths,
    fit_calibration,
    log_normal_paths,
    path_bounds,
    prob_at_least,
    seasonal_naive_bounds,
    series_seed,
)


def _paths(values: np.ndarray, months: list[str], unique_id: str = "a") -> pd.DataFrame:
    n_paths, n_months = values.shape
    return pd.DataFrame(
        {
            "unique_id": unique_id,
            "ds": np.tile(pd.to_datetime(months), n_paths),
            "path": np.repeat(np.arange(n_paths), n_months),
            "y": values.reshape(-1),
        }
    )


def test_prob_at_least_matches_the_normal_answer_for_a_three_month_total() -> None:
    # Three independent months ~ N(100, 20^2): the total is N(300, 3 * 20^2).
    draws = np.random.default_rng(0).normal(100, 20, size=(200_000, 3))
    paths = _paths(draws, ["2025-01", "2025-02", "2025-03"])

    probability = prob_at_least(paths, 320.0)

    expected = 1 - norm.cdf(320, loc=300, scale=20 * np.sqrt(3))
    assert probability["a"] == pytest.approx(expected, abs=0.005)


def test_prob_at_least_counts_paths_exactly_on_a_small_case() -> None:
    # Four equally likely paths with totals 3, 5, 7 and 9 over two months.
    paths = _paths(np.array([[1, 2], [2, 3], [3, 4], [4, 5]], float), ["2025-01", "2025-02"])

    assert prob_at_least(paths, 7.0)["a"] == 0.5
    assert prob_at_least(paths, 9.5)["a"] == 0.0
    assert prob_at_least(paths, 4.0, months=["2025-02"])["a"] == 0.5


def test_prob_at_least_sums_paths_where_adding_interval_bounds_would_mislead() -> None:
    # Perfectly anti-correlated months: the total is always 10, although each month varies.
    first = np.array([0.0, 10.0] * 50)
    paths = _paths(np.column_stack([first, 10 - first]), ["2025-01", "2025-02"])

    assert prob_at_least(paths, 10.0)["a"] == 1.0
    assert prob_at_least(paths, 10.01)["a"] == 0.0


def test_prob_at_least_takes_one_threshold_per_series() -> None:
    paths = pd.concat(
        [
            _paths(np.array([[1.0], [3.0]]), ["2025-01"], "a"),
            _paths(np.array([[1.0], [3.0]]), ["2025-01"], "b"),
        ]
    )

    result = prob_at_least(paths, pd.Series({"a": 2.0, "b": 0.0}))

    assert result.to_dict() == {"a": 0.5, "b": 1.0}


def test_prob_at_least_refuses_months_the_paths_do_not_cover() -> None:
    paths = _paths(np.ones((2, 1)), ["2025-01"])

    with pytest.raises(ValueError, match="do not cover"):
        prob_at_least(paths, 1.0, months=["2025-01", "2025-02"])


def test_prob_at_least_of_sample_paths_equals_that_of_their_long_frame() -> None:
    values = np.random.default_rng(0).integers(0, 10, size=(3, 40, 3)).astype(float)
    months = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]).to_numpy()
    paths = SamplePaths(np.array(["company", "a", "b"], dtype=object), months, values)
    frame = paths.frame().astype({"unique_id": str})
    thresholds = pd.Series({"a": 9.0, "b": 12.0, "company": 10.0})

    for threshold in (13.0, thresholds):
        for wanted in (None, ["2025-02", "2025-03"]):
            expected = prob_at_least(frame, threshold, months=wanted)
            found = prob_at_least(paths, threshold, months=wanted)
            pd.testing.assert_series_equal(found.sort_index(), expected)
    with pytest.raises(ValueError, match="do not cover"):
        prob_at_least(paths, 1.0, months=["2025-03", "2025-04"])
    with pytest.raises(ValueError, match="no value"):
        prob_at_least(paths, thresholds.drop("b"))


def test_path_bounds_are_the_same_a_block_of_series_at_a_time(monkeypatch) -> None:
    paths = np.random.default_rng(0).lognormal(size=(5, 4, 30, 3))  # (..., paths, months)
    expected = path_bounds(paths)

    monkeypatch.setattr(uncertainty, "QUANTILE_BLOCK_VALUES", 2 * 30 * 3)
    blocked = path_bounds(paths)

    for level, (lower, upper) in expected.items():
        assert lower.shape == upper.shape == (5, 4, 3)
        np.testing.assert_array_equal(blocked[level][0], lower)
        np.testing.assert_array_equal(blocked[level][1], upper)
    np.testing.assert_array_equal(expected[80][0][2, 1], np.quantile(paths[2, 1], 0.1, axis=0))


def _simulated_errors(sigma: float, alpha: float, rho: float, n_groups: int) -> pd.DataFrame:
    """Errors of 40 series from the local-level model with a common factor."""
    rng = np.random.default_rng(1)
    horizon, n_series = 12, 40
    rows = []
    for origin in range(n_groups):
        common = rng.standard_normal(horizon)
        own = rng.standard_normal((n_series, horizon))
        shocks = np.sqrt(rho) * common + np.sqrt(1 - rho) * own
        errors = sigma * (shocks + alpha * (np.cumsum(shocks, axis=1) - shocks))
        for series in range(n_series):
            for step in range(horizon):
                rows.append((errors[series, step], step + 1, origin * 100 + step, series))
    return pd.DataFrame(rows, columns=["u", "horizon", "group", "series"])


def test_the_calibration_recovers_the_error_model_it_was_fitted_on() -> None:
    calibration = fit_calibration(_simulated_errors(sigma=0.8, alpha=0.4, rho=0.3, n_groups=60))

    assert calibration.sigma == pytest.approx(0.8, rel=0.1)
    assert calibration.alpha == pytest.approx(0.4, abs=0.1)
    assert calibration.rho == pytest.approx(0.3, abs=0.1)
    assert calibration.calibrated


def test_too_few_errors_fall_back_to_the_default_and_say_so() -> None:
    errors = pd.DataFrame({"u": [0.1, -0.2], "horizon": [1, 2], "group": [1, 2], "series": [0, 0]})

    calibration = fit_calibration(errors)

    assert not calibration.calibrated
    assert calibration.n_errors == 2


def test_log_normal_paths_are_centred_on_the_median_and_never_negative() -> None:
    median = np.array([100.0, 50.0, 0.0])
    generator = series_seed(0, "a", 0)
    own, common = generator.standard_normal((4000, 3)), generator.standard_normal((4000, 3))
    calibration = Calibration(sigma=1.0, alpha=0.5, rho=0.2, n_errors=100)

    paths = log_normal_paths(median, LogScale(10.0), 0.3, calibration, own, common)

    np.testing.assert_allclose(np.median(paths, axis=0)[:2], median[:2], rtol=0.05)
    assert (paths >= 0).all()
    lower, upper = path_bounds(paths[None])[80]
    assert (lower[0] <= median).all()
    assert (median <= upper[0]).all()


def test_later_months_spread_more_when_shocks_persist() -> None:
    generator = series_seed(0, "a", 0)
    own, common = generator.standard_normal((4000, 12)), np.zeros((4000, 12))
    persistent = Calibration(sigma=1.0, alpha=0.5, rho=0.0, n_errors=100)

    paths = log_normal_paths(np.full(12, 100.0), LogScale(10.0), 0.2, persistent, own, common)

    spread = LogScale(10.0).forward(paths).std(axis=0)
    # Variance 1 + alpha^2 (h - 1): the standard deviation at month 12 is sqrt(3.75) ~ 1.94x.
    assert spread[-1] / spread[0] == pytest.approx(np.sqrt(1 + 0.25 * 11), rel=0.05)


def test_bootstrap_paths_resample_recent_months_around_the_forecast() -> None:
    recent = np.array([0.0, 0.0, 10.0, 30.0])
    paths = bootstrap_paths(np.array([5.0, 5.0]), recent, series_seed(0, "a", 0), 20_000)

    assert set(np.unique(paths)) <= {0.0, 5.0, 15.0}
    assert paths.mean() == pytest.approx(5.0, rel=0.03)


def test_generators_depend_on_seed_series_and_origin_only() -> None:
    first = series_seed(7, "region=EAST", 660).standard_normal(3)

    np.testing.assert_array_equal(first, series_seed(7, "region=EAST", 660).standard_normal(3))
    assert not np.array_equal(first, series_seed(7, "region=WEST", 660).standard_normal(3))
    assert not np.array_equal(first, series_seed(8, "region=EAST", 660).standard_normal(3))


def test_seasonal_naive_bounds_widen_each_year_ahead_and_contain_the_forecast() -> None:
    history = 100 + 10 * np.sin(np.arange(36)) + np.arange(36)
    forecast = np.r_[history[-12:], history[-12:]]

    bounds = seasonal_naive_bounds(history, forecast)

    lower, upper = bounds[95]
    assert (lower <= forecast).all()
    assert (forecast <= upper).all()
    assert (upper - lower)[12] > (upper - lower)[0]
    assert ((bounds[80][1] - bounds[80][0]) < (upper - lower)).all()


def test_heavy_tailed_backtest_errors_give_paths_with_the_same_tails() -> None:
    rng = np.random.default_rng(4)
    # Student-t errors with 3 degrees of freedom: 95% of them within +-3.18, not +-1.96 sd.
    errors = pd.DataFrame(
        {
            "u": rng.standard_t(3, 20_000),
            "horizon": 1,
            "group": np.arange(20_000),
            "series": 0,
        }
    )
    calibration = fit_calibration(errors)
    generator = series_seed(0, "a", 0)
    own, common = generator.standard_normal((20_000, 1)), np.zeros((20_000, 1))

    paths = log_normal_paths(np.array([100.0]), LogScale(1.0), 1.0, calibration, own, common)

    z = LogScale(1.0).forward(paths[:, 0]) - LogScale(1.0).forward(np.array([100.0]))[0]
    inner, outer = np.quantile(np.abs(z), [0.8, 0.95])
    assert outer / inner == pytest.approx(3.18 / 1.64, rel=0.1)  # t(3), a normal gives 1.53


def test_a_month_forecast_at_zero_keeps_its_intermittent_spread() -> None:
    recent = np.array([0.0, 0.0, 10.0, 30.0])

    paths = bootstrap_paths(np.array([0.0, 10.0]), recent, series_seed(0, "a", 0), 10_000)

    assert paths[:, 0].max() > 0  # last year's empty month can sell again
    assert paths.mean() == pytest.approx(5.0, rel=0.05)
