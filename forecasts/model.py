"""Prophet, fitted the way monthly sales need it and fast enough to backtest every segment.

This module runs Prophet's own compiled Stan model (``prophet/stan_model/prophet_model.bin``,
the binary ``prophet.Prophet.fit`` runs through cmdstanpy) on exactly the inputs
``prophet.Prophet`` would build: the same absmax scaling, changepoint grid, Fourier features,
regressor standardisation, priors and initial values, and the same trend and seasonality
equations for prediction. ``tests/unit/forecasts/test_model.py`` pins that the result equals
``prophet.Prophet(...).fit(...).predict(...)``.

Why not call ``prophet.Prophet`` itself: on a 72-month series its pandas bookkeeping costs
about 20 ms per fit and predict on top of the ~5 ms Stan run (measured on this 2-core
machine, Prophet 1.5), and the engine fits Prophet at every backtest origin of every segment.
Two further choices differ from stock Prophet on purpose:

* L-BFGS instead of Newton. Prophet picks Newton below 100 observations; on a 72-month
  series Newton took ~150 ms and L-BFGS ~5 ms for the same optimum (bench/bench_forecasts.py
  shows the accuracy is not worse). Newton stays as the fallback when L-BFGS fails, as in
  Prophet.
* No posterior sampling. ``uncertainty_samples=0``: intervals and sample paths come from the
  engine's calibrated error model (``forecasts.uncertainty``), which is faster and measured.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import multiprocessing.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from salesplan.processes import is_running

# Prophet's yearly period in days; the Fourier features use days since the Unix epoch.
YEAR_DAYS = 365.25
_EPOCH = np.datetime64("1970-01-01", "ns")
_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class ProphetSettings:
    """Prophet's knobs, with defaults for monthly sales.

    Attributes:
        yearly_order: Fourier order of the yearly seasonality. Monthly data carries at most six
            yearly harmonics (12 points per cycle), so Prophet's default of 10 only adds noise.
        n_changepoints: Potential trend changepoints (Prophet's default, capped by history).
        changepoint_range: Share of the history in which changepoints are placed.
        changepoint_prior_scale: Laplace prior scale of the trend changes (Prophet's default).
        seasonality_prior_scale: Normal prior scale of the Fourier coefficients.
        regressor_prior_scale: Normal prior scale of extra regressors (Prophet's holiday default).
        algorithm: Stan optimiser, ``"lbfgs"`` or ``"newton"``.
        iterations: Maximum optimiser iterations (Prophet passes 10,000).
    """

    yearly_order: int = 6
    n_changepoints: int = 25
    changepoint_range: float = 0.8
    changepoint_prior_scale: float = 0.05
    seasonality_prior_scale: float = 10.0
    regressor_prior_scale: float = 10.0
    algorithm: str = "lbfgs"
    iterations: int = 10_000

    def __post_init__(self) -> None:
        if self.algorithm not in ("lbfgs", "newton"):
            raise ValueError(f"Unknown algorithm {self.algorithm!r}; use 'lbfgs' or 'newton'")
        if self.yearly_order < 0:
            raise ValueError(f"yearly_order must be >= 0, got {self.yearly_order}")


@dataclass(frozen=True)
class ProphetFit:
    """A fitted Prophet model: the scales and MAP parameters needed to predict."""

    start: np.datetime64
    t_scale_ns: float
    y_scale: float
    changepoints_t: np.ndarray
    k: float
    m: float
    delta: np.ndarray
    beta: np.ndarray
    yearly_order: int
    regressor_mu: np.ndarray
    regressor_std: np.ndarray

    def predict(self, ds: np.ndarray, regressors: np.ndarray | None = None) -> np.ndarray:
        """Return Prophet's ``yhat`` (trend plus additive terms) on the dates ``ds``.

        Args:
            ds: Dates (``datetime64[ns]``).
            regressors: Extra regressor values on ``ds``, shape ``(len(ds), n_regressors)``, in
                the order used for fitting; ``None`` when the model has none.

        Returns:
            The point forecast on the original scale of ``y``.
        """
        ds = np.asarray(ds, dtype="datetime64[ns]")
        t = (ds - self.start).astype(np.float64) / self.t_scale_ns
        deltas_t = (self.changepoints_t[None, :] <= t[:, None]) * self.delta
        trend = (deltas_t.sum(axis=1) + self.k) * t + (
            (deltas_t * -self.changepoints_t).sum(axis=1) + self.m
        )
        if self.beta.size == 0:
            return trend * self.y_scale
        features = _features(
            ds, self.yearly_order, regressors, self.regressor_mu, self.regressor_std
        )
        return trend * self.y_scale + (features @ self.beta) * self.y_scale


def fit_prophet(
    ds: np.ndarray,
    y: np.ndarray,
    settings: ProphetSettings,
    regressors: np.ndarray | None = None,
) -> ProphetFit:
    """Fit Prophet (linear growth, additive yearly seasonality, extra regressors) by MAP.

    Args:
        ds: History dates (``datetime64[ns]``), sorted, unique.
        y: History values, finite.
        settings: Model settings; ``yearly_order=0`` fits the trend alone.
        regressors: Extra regressors on ``ds``, shape ``(len(ds), n_regressors)``, or ``None``.

    Returns:
        The fitted model.

    Raises:
        ValueError: if there are fewer than two observations or non-finite values.
        RuntimeError: if Stan fails with both L-BFGS and Newton.
    """
    ds = np.asarray(ds, dtype="datetime64[ns]")
    y = np.asarray(y, dtype=np.float64)
    if len(ds) < 2:
        raise ValueError("Prophet needs at least two observations")
    if not np.isfinite(y).all():
        raise ValueError("Prophet input contains NaN or infinite values")
    n = len(ds)
    start = ds[0]
    t_scale_ns = float((ds[-1] - start).astype(np.float64))
    t = (ds - start).astype(np.float64) / t_scale_ns
    y_scale = float(np.abs(y).max()) or 1.0
    y_scaled = y / y_scale

    regressor_mu, regressor_std = _standardisation(regressors)
    features = _features(ds, settings.yearly_order, regressors, regressor_mu, regressor_std)
    n_regressors = 0 if regressors is None else regressors.shape[1]
    n_real_features = features.shape[1]
    if n_real_features == 0:
        # Prophet adds a zero column with prior scale 1 so the design matrix is never empty.
        features = np.zeros((n, 1))
        sigmas = [1.0]
    else:
        sigmas = [settings.seasonality_prior_scale] * (2 * settings.yearly_order) + [
            settings.regressor_prior_scale
        ] * n_regressors

    changepoints_t = _changepoints(ds, t, settings)
    k = float((y_scaled[-1] - y_scaled[0]) / (t[-1] - t[0]))
    m = float(y_scaled[0] - k * t[0])
    n_features = features.shape[1]
    init = {
        "k": k,
        "m": m,
        "delta": [0.0] * len(changepoints_t),
        "beta": [0.0] * n_features,
        "sigma_obs": 1.0,
    }
    if y.min() == y.max():
        # Prophet skips Stan for a constant series and keeps the initial values.
        delta, beta = np.zeros(len(changepoints_t)), np.zeros(n_features)
    else:
        data = {
            "T": n,
            "S": len(changepoints_t),
            "K": n_features,
            "tau": settings.changepoint_prior_scale,
            "trend_indicator": 0,
            "y": y_scaled.tolist(),
            "t": t.tolist(),
            "cap": [0.0] * n,
            "t_change": changepoints_t.tolist(),
            "s_a": [1.0] * n_features,
            "s_m": [0.0] * n_features,
            "X": features.tolist(),
            "sigmas": sigmas,
        }
        params = _optimize(data, init, settings)
        k, m = params["k"][0], params["m"][0]
        delta, beta = params["delta"], params["beta"]
    if _n_changepoints(n, settings) <= 0:
        # No changepoints: Prophet folds the dummy changepoint's rate change into k.
        k, delta = k + float(np.sum(delta)), np.zeros_like(delta)
    return ProphetFit(
        start=start,
        t_scale_ns=t_scale_ns,
        y_scale=y_scale,
        changepoints_t=changepoints_t,
        k=float(k),
        m=float(m),
        delta=np.asarray(delta, dtype=np.float64),
        # The placeholder column of a feature-less model carries no effect.
        beta=np.asarray(beta, dtype=np.float64)[:n_real_features],
        yearly_order=settings.yearly_order,
        regressor_mu=regressor_mu,
        regressor_std=regressor_std,
    )


def _n_changepoints(n: int, settings: ProphetSettings) -> int:
    hist_size = int(np.floor(n * settings.changepoint_range))
    return min(settings.n_changepoints, hist_size - 1)


def _changepoints(ds: np.ndarray, t: np.ndarray, settings: ProphetSettings) -> np.ndarray:
    """Prophet's grid: evenly spaced rows of the first ``changepoint_range`` of the history."""
    hist_size = int(np.floor(len(ds) * settings.changepoint_range))
    n_changepoints = _n_changepoints(len(ds), settings)
    if n_changepoints <= 0:
        return np.array([0.0])  # Prophet's dummy changepoint
    indexes = np.linspace(0, hist_size - 1, n_changepoints + 1).round().astype(int)
    return np.sort(t[indexes[1:]])


def _standardisation(regressors: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Prophet's ``standardize='auto'``: centre and scale unless constant or binary."""
    if regressors is None:
        return np.zeros(0), np.zeros(0)
    mu = np.zeros(regressors.shape[1])
    std = np.ones(regressors.shape[1])
    for column in range(regressors.shape[1]):
        values = regressors[:, column]
        unique = set(np.unique(values).tolist())
        if len(unique) < 2 or unique == {0.0, 1.0}:
            continue
        mu[column] = float(pd.Series(values).mean())
        std[column] = float(pd.Series(values).std())
    return mu, std


def _features(
    ds: np.ndarray,
    yearly_order: int,
    regressors: np.ndarray | None,
    mu: np.ndarray,
    std: np.ndarray,
) -> np.ndarray:
    days = (ds - _EPOCH).astype(np.float64) / _NS_PER_DAY
    columns = []
    for order in range(1, yearly_order + 1):
        angle = order / YEAR_DAYS * (2 * np.pi * days)
        columns.extend((np.sin(angle), np.cos(angle)))
    if regressors is not None:
        columns.extend((regressors[:, c] - mu[c]) / std[c] for c in range(regressors.shape[1]))
    if not columns:
        return np.zeros((len(ds), 0))
    return np.column_stack(columns)


_WORKSPACE: dict[int, Path] = {}
_WORKSPACE_PREFIX = "salesplan-prophet-"


def _workspace() -> Path:
    """A private temp folder per process for Stan's input and output files."""
    folder = _WORKSPACE.get(os.getpid())
    if folder is None or not folder.exists():
        # Stan reads and writes three small files per fit: keep them in memory when possible.
        shm = Path("/dev/shm")
        base = Path(shm if shm.is_dir() and os.access(shm, os.W_OK) else tempfile.gettempdir())
        remove_stale_workspaces(base)
        folder = Path(tempfile.mkdtemp(prefix=f"{_WORKSPACE_PREFIX}{os.getpid()}-", dir=base))
        _WORKSPACE[os.getpid()] = folder
        # Worker processes skip atexit; multiprocessing runs its own finalizers instead.
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        multiprocessing.util.Finalize(
            None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}, exitpriority=0
        )
    return folder


def remove_stale_workspaces(base: Path) -> list[Path]:
    """Delete the workspaces in ``base`` of this user's processes that no longer run.

    A process removes its own workspace when it exits, but not when it is killed, nor when it
    is a forecast worker ending itself because its parent was killed
    (``salesplan.processes.exit_with_parent``). In ``/dev/shm`` such leftovers hold memory
    until the machine restarts, so each new workspace first removes them. A folder's name
    carries its process's id; folders of live processes, of other users or without an id are
    left alone.
    """
    removed = []
    for folder in base.glob(f"{_WORKSPACE_PREFIX}*-*"):
        pid = folder.name[len(_WORKSPACE_PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or folder.stat().st_uid != os.getuid() or is_running(int(pid)):
                continue
        except FileNotFoundError:  # removed meanwhile by another process
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@cache
def _stan_binary() -> str:
    """Locate Prophet's compiled model without importing ``prophet`` (~1.7 s of imports)."""
    spec = importlib.util.find_spec("prophet")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("prophet is not installed")
    binary = Path(next(iter(spec.submodule_search_locations))) / "stan_model" / "prophet_model.bin"
    if not binary.exists():
        raise RuntimeError(f"Prophet's Stan model is missing: {binary}")
    return str(binary)


def _optimize(data: dict, init: dict, settings: ProphetSettings) -> dict[str, np.ndarray]:
    algorithms = [settings.algorithm] + (["newton"] if settings.algorithm != "newton" else [])
    errors = []
    for algorithm in algorithms:
        try:
            return _run_stan(data, init, algorithm, settings.iterations)
        except RuntimeError as error:  # Prophet falls back on Newton the same way
            errors.append(str(error))
    raise RuntimeError("Prophet's Stan optimiser failed: " + " | ".join(errors))


def _run_stan(data: dict, init: dict, algorithm: str, iterations: int) -> dict[str, np.ndarray]:
    stem = _workspace() / "fit"
    data_file, init_file, output_file = (
        stem.with_suffix(".data.json"),
        stem.with_suffix(".init.json"),
        stem.with_suffix(".csv"),
    )
    data_file.write_text(json.dumps(data))
    init_file.write_text(json.dumps(init))
    output_file.unlink(missing_ok=True)
    completed = subprocess.run(
        [
            _stan_binary(),
            "optimize",
            f"algorithm={algorithm}",
            f"iter={iterations}",
            "data",
            f"file={data_file}",
            f"init={init_file}",
            "output",
            f"file={output_file}",
            "refresh=0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not output_file.exists():
        message = (completed.stderr or completed.stdout).strip().splitlines()
        raise RuntimeError(f"{algorithm}: {message[-1] if message else 'no output'}")
    return _read_stan_csv(output_file)


def _read_stan_csv(path: Path) -> dict[str, np.ndarray]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    if len(lines) < 2:
        raise RuntimeError(f"Stan wrote no estimates to {path}")
    names, values = lines[0].split(","), np.array(lines[1].split(","), dtype=np.float64)
    grouped: dict[str, list[float]] = {}
    for name, value in zip(names, values, strict=True):
        grouped.setdefault(name.split(".")[0], []).append(value)
    return {name: np.array(column) for name, column in grouped.items()}
