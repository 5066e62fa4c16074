import logging
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from prophet import Prophet

from forecasts.model import ProphetSettings, _workspace, fit_prophet, remove_stale_workspaces

logging.getLogger("cmdstanpy").setLevel(logging.ERROR)


def _stock(
    history: pd.DataFrame, future: pd.DatetimeIndex, order: int, regressor: str | None = None
) -> np.ndarray:
    model = Prophet(
        yearly_seasonality=order if order else False,
        weekly_seasonality=False,
        daily_seasonality=False,
        uncertainty_samples=0,
    )
    frame = pd.DataFrame({"ds": future})
    if regressor:
        model.add_regressor(regressor)
        frame[regressor] = history.attrs["future_regressor"]
    model.fit(history, algorithm="LBFGS")
    return model.predict(frame)["yhat"].to_numpy()


@pytest.fixture
def history() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ds = pd.date_range("2019-01", periods=60, freq="MS")
    y = 3 + 0.01 * np.arange(60) + 0.3 * np.sin(2 * np.pi * ds.month / 12) + rng.normal(0, 0.1, 60)
    return pd.DataFrame({"ds": ds, "y": y})


FUTURE = pd.date_range("2024-01", periods=12, freq="MS")


@pytest.mark.parametrize("order", [6, 10, 0])
def test_fit_prophet_reproduces_stock_prophet_with_the_same_settings(
    history: pd.DataFrame, order: int
) -> None:
    fit = fit_prophet(history["ds"].to_numpy(), history["y"].to_numpy(), ProphetSettings(order))

    ours = fit.predict(FUTURE.to_numpy())

    np.testing.assert_allclose(ours, _stock(history, FUTURE, order), rtol=1e-9)


def test_fit_prophet_reproduces_stock_prophet_with_an_extra_regressor(
    history: pd.DataFrame,
) -> None:
    share = np.where(history["ds"].dt.month == 2, 0.7, 0.0)
    future_share = np.where(FUTURE.month == 2, 0.4, 0.0)
    history = history.assign(festival=share)
    history.attrs["future_regressor"] = future_share

    fit = fit_prophet(
        history["ds"].to_numpy(), history["y"].to_numpy(), ProphetSettings(), share[:, None]
    )

    np.testing.assert_allclose(
        fit.predict(FUTURE.to_numpy(), future_share[:, None]),
        _stock(history, FUTURE, 6, regressor="festival"),
        rtol=1e-9,
    )


@pytest.mark.parametrize("months", [2, 3, 5])
def test_fit_prophet_matches_stock_prophet_when_history_is_shorter_than_the_changepoint_grid(
    history: pd.DataFrame, months: int
) -> None:
    short = history.head(months)

    fit = fit_prophet(short["ds"].to_numpy(), short["y"].to_numpy(), ProphetSettings(0))

    np.testing.assert_allclose(fit.predict(FUTURE.to_numpy()), _stock(short, FUTURE, 0), rtol=1e-9)


def test_a_constant_series_is_forecast_flat_without_calling_stan(history: pd.DataFrame) -> None:
    fit = fit_prophet(history["ds"].to_numpy(), np.full(60, 5.0), ProphetSettings())

    np.testing.assert_allclose(fit.predict(FUTURE.to_numpy()), 5.0)


def test_fit_prophet_refuses_a_single_observation_or_missing_values(
    history: pd.DataFrame,
) -> None:
    with pytest.raises(ValueError, match="at least two"):
        fit_prophet(history["ds"].to_numpy()[:1], np.array([1.0]), ProphetSettings())
    with pytest.raises(ValueError, match="NaN"):
        fit_prophet(history["ds"].to_numpy(), np.full(60, np.nan), ProphetSettings())


def test_prophet_settings_reject_an_unknown_optimiser() -> None:
    with pytest.raises(ValueError, match="Unknown algorithm"):
        ProphetSettings(algorithm="bfgs")


def test_a_new_workspace_removes_those_of_processes_that_no_longer_run(tmp_path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / f"salesplan-prophet-{finished.stdout.strip()}-k2j4"
    live = tmp_path / f"salesplan-prophet-{os.getpid()}-x9q1"
    unnamed = tmp_path / "salesplan-prophet-a8dk3"  # no process id: left alone
    for folder in (dead, live, unnamed):
        folder.mkdir()
        (folder / "fit.csv").write_text("lp__\n")

    assert remove_stale_workspaces(tmp_path) == [dead]

    assert not dead.exists()
    assert live.exists()
    assert unnamed.exists()


def test_the_workspace_is_named_after_its_process(history: pd.DataFrame) -> None:
    fit_prophet(history["ds"].to_numpy(), history["y"].to_numpy(), ProphetSettings())
    folder = _workspace()
    assert folder.name.startswith(f"salesplan-prophet-{os.getpid()}-")
    assert remove_stale_workspaces(folder.parent).count(folder) == 0
