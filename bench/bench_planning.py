"""Benchmark the monthly re-decomposition (``planning.build_plan``) at the demo sizes.

Prints, per size, the wall time, CPU time and peak memory of planning two consecutive as-of
months of the same fiscal year: the first without a previous version (so it also reconstructs
the year's baseline), the second with the first as its previous version (closed months copied,
the change waterfall re-planned step by step). Each month is streamed one metric at a time and
each part dropped, as the plan version asset writes it (``--one-shot``: all of
``build_plan``'s frames at once instead). Goal (issue 5): ``default`` in at most 10 s on the
2-core machine.

Inputs, by ``--source``:

* ``synthetic`` (default): :mod:`planning.synthetic` at the demo size's regions, product lines,
  reps and partners (``demodata.sizes``), five years of history, targets for all six metrics at
  company and region level, a region lock and a rep lock, forecasts with 500 sample paths.
* ``warehouse``: the marts, forecasts and planning inputs of an existing warehouse (``--home``),
  read the way the Dagster asset reads them (needs ``--as-of``; the previous month is planned
  first). Use this once the real marts exist.

Run: ``uv run --frozen python bench/bench_planning.py [--size default large] [--source ...]
[--one-shot]``. Memory is the process's resident set sampled every 10 ms; the peak while
preparing the inputs is printed apart from the peak while planning.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from demodata.sizes import size_named
from pipelines.defs.targets.warehouse import PREVIOUS_PLAN_COLUMNS, PREVIOUS_PLAN_GRAINS
from planning import (
    PlanInputs,
    PlanningConfig,
    PreviousVersion,
    build_plan,
    load_config,
    plan_streams,
)
from planning.synthetic import synthetic_inputs
from salesplan.months import add_months, format_month, parse_month

EXAMPLE = Path(__file__).resolve().parents[1] / "planning" / "examples" / "planning.yml"
AS_OF = "2026-10"


def synthetic_for_size(size: str) -> PlanInputs:
    """Synthetic inputs with the demo size's regions, reps and partners."""
    demo = size_named(size)
    regions = len(demo.regions)
    inputs = synthetic_inputs(
        regions=regions,
        product_lines=6,
        reps_per_region=max(demo.reps // regions, 1),
        partners_per_region=max(demo.partners // regions, 1),
        history_start="2021-01",
        as_of=AS_OF,
        fiscal_year=2026,
        n_paths=500,
        all_metrics=True,
        region_targets=True,
    )
    rep = inputs.reps.iloc[0]
    rep_node = f"region={rep['region']}/product_line=CLOUD/channel=direct/rep_id={rep['rep_id']}"
    adjustments = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": f"region={rep['region']}",
                "period": AS_OF,
                "value": 20_000_000.0,
                "locked": True,
                "reason": "bench",
                "author": "bench",
            },
            {
                "metric": "bookings",
                "node": rep_node,
                "period": format_month(add_months(parse_month(AS_OF), 1)),
                "value": 300_000.0,
                "locked": True,
                "reason": "bench",
                "author": "bench",
            },
        ]
    )
    return dataclasses.replace(inputs, adjustments=adjustments)


def warehouse_inputs(home: str, as_of: str) -> Callable[[str], PlanInputs]:
    """A reader of the planner's inputs from the warehouse of ``home`` (as the asset reads)."""
    import duckdb

    from pipelines.defs.targets.warehouse import read_plan_inputs
    from salesplan.home import resolve_home

    path = resolve_home(home).warehouse

    def read(month: str) -> PlanInputs:
        connection = duckdb.connect(str(path), read_only=True)
        try:
            return read_plan_inputs(connection, parse_month(month))
        finally:
            connection.close()

    del as_of
    return read


class PeakMemory:
    """Samples the process's resident memory every 10 ms; ``peak_mb`` is the highest seen."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss_mb(self) -> float:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * resource.getpagesize() / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._rss_mb())
            time.sleep(0.01)

    def __enter__(self) -> PeakMemory:
        self.peak_mb = self._rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())


def plan_month(
    inputs: PlanInputs,
    config: PlanningConfig,
    as_of: str,
    previous: PreviousVersion | None,
    one_shot: bool,
) -> tuple[dict[str, int], pd.DataFrame, pd.DataFrame | None]:
    """Plan one month the way the asset does; return rows per table and what the next needs.

    Streamed (default), each stream's part is dropped once counted, as the asset drops it once
    written, and only the year and month rows of ``target_plan`` are kept for the next month (what
    the asset reads back). ``one_shot`` holds the whole :func:`planning.build_plan` result.
    """
    if one_shot:
        result = build_plan(inputs, config, as_of, previous=previous)
        rows = {name: len(frame) for name, frame in result.tables().items()}
        return rows, result.target_plan, result.funnel_requirements
    rows: dict[str, int] = {}
    kept: list[pd.DataFrame] = []
    funnels: list[pd.DataFrame] = []
    for part in plan_streams(inputs, config, as_of, previous=previous):
        for name, frame in part.tables().items():
            rows[name] = rows.get(name, 0) + len(frame)
        plan = part.target_plan
        kept.append(plan.loc[plan["grain"].isin(PREVIOUS_PLAN_GRAINS), PREVIOUS_PLAN_COLUMNS])
        if not part.funnel_requirements.empty:
            funnels.append(part.funnel_requirements)
        del part, plan
    kept = [frame for frame in kept if not frame.empty]
    previous_plan = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    return rows, previous_plan, pd.concat(funnels, ignore_index=True) if funnels else None


def bench(size: str, source: str, home: str | None, as_of: str, one_shot: bool) -> None:
    config = load_config(EXAMPLE)
    previous_month = format_month(add_months(parse_month(as_of), -1))
    with PeakMemory() as preparing:
        started = time.perf_counter()
        if source == "synthetic":
            inputs = synthetic_for_size(size)
            inputs_of = {previous_month: inputs, as_of: inputs}
        else:
            read = warehouse_inputs(home or ".salesplan", as_of)
            inputs_of = {previous_month: read(previous_month), as_of: read(as_of)}
        prepared = time.perf_counter() - started
    bookings_rows = len(inputs_of[as_of].bookings)
    reps = len(inputs_of[as_of].reps)
    partners = len(inputs_of[as_of].partners)
    paths = 0 if inputs_of[as_of].forecast_paths is None else len(inputs_of[as_of].forecast_paths)
    gc.collect()
    # Wall time on a shared machine includes waiting for the CPU; the process's CPU time is
    # what the re-plan costs on its own (it is single-threaded apart from numpy).
    load = os.getloadavg()[0]

    with PeakMemory() as memory:
        started, cpu = time.perf_counter(), time.process_time()
        _, first_plan, first_funnel = plan_month(
            inputs_of[previous_month], config, previous_month, None, one_shot
        )
        first_seconds = time.perf_counter() - started
        first_cpu = time.process_time() - cpu
        previous = PreviousVersion(
            as_of_month=previous_month,
            target_plan=first_plan,
            funnel_requirements=first_funnel,
            forecasts=inputs_of[previous_month].forecasts,
            adjustments=inputs_of[previous_month].adjustments,
            funnel_rates=inputs_of[previous_month].funnel_rates,
        )
        started, cpu = time.perf_counter(), time.process_time()
        rows, second_plan, _ = plan_month(inputs_of[as_of], config, as_of, previous, one_shot)
        second_seconds = time.perf_counter() - started
        second_cpu = time.process_time() - cpu

    mode = "one shot (build_plan)" if one_shot else "streamed (plan_streams, as the asset)"
    print(f"size {size} ({source} inputs, prepared in {prepared:.1f} s, {mode})")
    print(
        f"  inputs: {bookings_rows:,} bookings rows, {reps:,} reps, {partners:,} partners, "
        f"{paths:,} forecast path rows; peak while preparing {preparing.peak_mb:,.0f} MB"
    )
    print(f"  load average before the run: {load:.1f} on {os.cpu_count()} cores")
    print(
        f"  {previous_month} (no previous version, baseline rebuilt): "
        f"{first_seconds:6.2f} s wall, {first_cpu:6.2f} s CPU"
    )
    print(
        f"  {as_of} (previous version, change waterfall):   "
        f"{second_seconds:6.2f} s wall, {second_cpu:6.2f} s CPU"
    )
    print(f"  peak resident memory while planning: {memory.peak_mb:,.0f} MB")
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))
    print(f"  streams planned: {', '.join(sorted(second_plan['metric'].unique()))}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", default=["default", "large"])
    parser.add_argument("--source", choices=["synthetic", "warehouse"], default="synthetic")
    parser.add_argument("--home", help="SALESPLAN_HOME whose warehouse to read (warehouse source)")
    parser.add_argument("--as-of", default=AS_OF, help="as-of month YYYY-MM (default %(default)s)")
    parser.add_argument(
        "--one-shot",
        action="store_true",
        help="plan with build_plan (all streams' frames at once) instead of streaming",
    )
    args = parser.parse_args(argv)
    for size in args.size:
        bench(size, args.source, args.home, args.as_of, args.one_shot)


if __name__ == "__main__":
    main()
