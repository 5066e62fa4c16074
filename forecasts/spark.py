"""The per-series phase of the forecast on Apache Spark (``ForecastConfig(engine="spark")``).

The engine's first phase (clean, classify and fit every model at every origin, one series at a
time; ``forecasts.engine``) is embarrassingly parallel, so on Spark it is one job: the raw rows
of every series become a Spark DataFrame, ``groupBy(series).applyInPandas`` runs the engine's
own per-series function on each group in the executors' Python workers, and each group returns
its result pickled into one binary cell. The second phase (ensemble weights pooled across
series, the error model, sample paths, reconciliation, accuracy) stays in the calling process,
exactly as with local worker processes.

The executors run the same code on the same rows in the same order, and the engine seeds its
randomness per series, so the forecasts are identical to the local engine's, bit for bit
(``tests/integration/spark`` asserts it).

Which Spark: the active ``SparkSession`` if there is one (a Databricks notebook, a test
session), else a new one on ``SALESPLAN_SPARK_MASTER`` (default ``local[2]``: Spark inside this
process, no cluster). A ``sc://`` URL connects through Spark Connect (Databricks Connect, or a
Spark Connect server). Off local mode, executors need the project's third-party dependencies
(prophet, statsforecast, numpy, pandas, pyarrow, holidays); this module ships the two packages
the workers import from this repository (``forecasts`` and ``salesplan``) with the job.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecasts.prepare import RawSeries

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from forecasts.selection import SeriesResult

SPARK_MASTER_ENV = "SALESPLAN_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
APP_NAME = "salesplan-forecasts"
# The rows of a series travel as (series number, row number, month position, value); the row
# number restores the original order inside the group, so duplicate months are summed in the
# same order as in the local engine (floating-point sums depend on order).
ROWS_SCHEMA = "series long, row long, position long, value double"
RESULT_SCHEMA = "series long, result binary"
# Several groups per core balance the load (series differ in cost: a regular series fits
# Prophet and Theta at three origins, an all-zero one fits nothing); the local engine uses the
# same factor for its chunks.
TASKS_PER_CORE = 4
SHIPPED_PACKAGES = ("forecasts", "salesplan")

SeriesTask = Callable[..., "list[SeriesResult]"]


def spark_session(master: str | None = None) -> SparkSession:
    """Return the active Spark session, or start one on ``master``.

    Args:
        master: A Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``) or a Spark
            Connect URL (``sc://host:15002``). Default: ``$SALESPLAN_SPARK_MASTER``, else
            ``local[2]``. Ignored when a session is already active.

    Returns:
        The session. In local mode its Python workers run this interpreter.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or os.environ.get(SPARK_MASTER_ENV) or DEFAULT_MASTER
    if master.startswith("sc://"):
        return SparkSession.builder.remote(master).appName(APP_NAME).getOrCreate()
    builder = (
        SparkSession.builder.master(master)
        .appName(APP_NAME)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if master.startswith("local"):
        # Spark starts its Python workers with `python3` from PATH unless told otherwise; in
        # local mode they must run this environment's interpreter (the one with prophet).
        builder = (
            builder.config("spark.pyspark.python", sys.executable)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
    return builder.getOrCreate()


def map_series(
    series: Sequence[RawSeries],
    task: SeriesTask,
    arguments: tuple[Any, ...],
    spark: SparkSession | None = None,
) -> list[SeriesResult]:
    """Run ``task([raw], *arguments)`` for every series on Spark; return the results in order.

    Args:
        series: The raw series of one run (``prepare.split_panel``); they share
            ``panel_start`` and ``end``.
        task: The engine's per-series function: takes a list of ``RawSeries`` and
            ``arguments``, returns one ``SeriesResult`` per series. It must be importable on
            the executors (a module-level function), as must everything it returns.
        arguments: The rest of ``task``'s arguments (origins, horizon, config).
        spark: The session to use (default: ``spark_session()``).

    Returns:
        One result per series, in the order of ``series``.

    Raises:
        ValueError: if the series do not share one panel.
    """
    if not series:
        return []
    panels = {(raw.panel_start, raw.end) for raw in series}
    if len(panels) > 1:
        raise ValueError(f"series of one run share panel_start and end, got {sorted(panels)}")
    (panel_start, end) = panels.pop()
    spark = spark or spark_session()
    _ship_code(spark)
    ids = [raw.unique_id for raw in series]
    rows = spark.createDataFrame(_rows_frame(series), schema=ROWS_SCHEMA)
    partitions = max(1, min(len(series), _cores(spark) * TASKS_PER_CORE))

    def fit(group: pd.DataFrame) -> pd.DataFrame:
        return _fit_group(ids, panel_start, end, task, arguments, group)

    # Hash-partitioning by series first lets groupBy reuse that exchange instead of shuffling
    # into spark.sql.shuffle.partitions (200 by default) mostly empty groups.
    fitted = (
        rows.repartition(partitions, "series")
        .groupBy("series")
        .applyInPandas(fit, schema=RESULT_SCHEMA)
    )
    results: list[SeriesResult | None] = [None] * len(series)
    # A pickled result is about 3 kB (its arrays are a few months long; paths are drawn on the
    # driver later), so even 10,000 series stay far below spark.driver.maxResultSize (1 GB).
    for row in fitted.collect():
        results[row["series"]] = pickle.loads(row["result"])
    missing = [ids[number] for number, result in enumerate(results) if result is None]
    if missing:
        raise RuntimeError(f"Spark returned no result for {len(missing)} series: {missing[:5]}")
    return results  # type: ignore[return-value]


def _rows_frame(series: Sequence[RawSeries]) -> pd.DataFrame:
    lengths = [len(raw.positions) for raw in series]
    return pd.DataFrame(
        {
            "series": np.repeat(np.arange(len(series), dtype=np.int64), lengths),
            "row": np.concatenate([np.arange(n, dtype=np.int64) for n in lengths]),
            "position": np.concatenate([raw.positions for raw in series]).astype(np.int64),
            "value": np.concatenate([raw.values for raw in series]).astype(np.float64),
        }
    )


def _fit_group(
    ids: list[str],
    panel_start: int,
    end: int,
    task: SeriesTask,
    arguments: tuple[Any, ...],
    group: pd.DataFrame,
) -> pd.DataFrame:
    """Executor side: rebuild one series from its rows, run the task, return it pickled."""
    group = group.sort_values("row", kind="stable")
    number = int(group["series"].iloc[0])
    raw = RawSeries(
        ids[number],
        group["position"].to_numpy(dtype=np.int64),
        group["value"].to_numpy(dtype=np.float64),  # Arrow nulls come back as NaN
        panel_start,
        end,
    )
    (result,) = task([raw], *arguments)
    payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return pd.DataFrame({"series": [number], "result": [payload]})


def _cores(spark: SparkSession) -> int:
    try:
        return int(spark.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect has no SparkContext
        return int(spark.conf.get("spark.sql.shuffle.partitions") or 1)


@functools.cache
def _code_archive() -> Path:
    """A zip of the packages the executors import from this repository (built once)."""
    root = Path(__file__).resolve().parents[1]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in SHIPPED_PACKAGES:
            for path in sorted((root / package).rglob("*.py")):
                archive.write(path, path.relative_to(root).as_posix())
    target = Path(tempfile.mkdtemp(prefix="salesplan_spark_")) / "salesplan_code.zip"
    target.write_bytes(buffer.getvalue())
    return target


def _ship_code(spark: SparkSession) -> None:
    """Make ``forecasts`` and ``salesplan`` importable on a cluster's executors (once).

    Local mode needs nothing: its workers run this interpreter, which has the project
    installed. Elsewhere the packages go with the job as a zip on the workers' path.
    """
    if id(spark) in _SHIPPED_TO:
        return
    try:
        context = spark.sparkContext
    except Exception:  # Spark Connect: artifacts instead of a SparkContext
        spark.addArtifacts(str(_code_archive()), pyfile=True)
    else:
        if not context.master.startswith("local"):
            context.addPyFile(str(_code_archive()))
    _SHIPPED_TO.add(id(spark))


# Sessions that already have the code (a session lives as long as the process).
_SHIPPED_TO: set[int] = set()
