"""Benchmark the monthly re-decomposition (``planning.build_plan``) at the demo sizes.

Prints, per size, the wall time, CPU time and peak memory of planning two consecutive as-of
months of the same fiscal year: the first without a previous version (so it also reconstructs
the year's baseline), the second with the first as its previous version (closed months copied,
the change waterfall re-planned step by step). Goal (issue 5): ``default`` in at most 10 s on
the 2-core machine.

Inputs, by ``--source``:

* ``synthetic`` (default): :mod:`planning.synthetic` at the demo size's regions, product lines,
  reps and partners (``demodata.sizes``), five years of history, targets for all six metrics at
  company and region level, a region lock and a rep lock, forecasts with 500 sample paths.
* ``warehouse``: the marts, forecasts and planning inputs of an existing warehouse (``--home``),
  read the way the Dagster asset reads them (needs ``--as-of``; the previous month is planned
  first). Use this once the real marts exist.

Run: ``uv run --frozen python bench/bench_planning.py [--size default large] [--source ...]``.
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
from planning import PlanInputs, PreviousVersion, build_plan, load_config
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


def bench(size: str, source: str, home: str | None, as_of: str) -> None:
    config = load_config(EXAMPLE)
    previous_month = format_month(add_months(parse_month(as_of), -1))
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
        first = build_plan(inputs_of[previous_month], config, previous_month)
        first_seconds = time.perf_counter() - started
        first_cpu = time.process_time() - cpu
        previous = PreviousVersion(
            as_of_month=previous_month,
            target_plan=first.target_plan,
            funnel_requirements=first.funnel_requirements,
            forecasts=inputs_of[previous_month].forecasts,
            adjustments=inputs_of[previous_month].adjustments,
            funnel_rates=inputs_of[previous_month].funnel_rates,
        )
        started, cpu = time.perf_counter(), time.process_time()
        second = build_plan(inputs_of[as_of], config, as_of, previous=previous)
        second_seconds = time.perf_counter() - started
        second_cpu = time.process_time() - cpu

    rows = {name: len(frame) for name, frame in second.tables().items()}
    print(f"size {size} ({source} inputs, prepared in {prepared:.1f} s)")
    print(
        f"  inputs: {bookings_rows:,} bookings rows, {reps:,} reps, {partners:,} partners, "
        f"{paths:,} forecast path rows"
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
    print(f"  peak resident memory: {memory.peak_mb:,.0f} MB")
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))
    print(f"  streams planned: {', '.join(sorted(second.target_plan['metric'].unique()))}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", default=["default", "large"])
    parser.add_argument("--source", choices=["synthetic", "warehouse"], default="synthetic")
    parser.add_argument("--home", help="SALESPLAN_HOME whose warehouse to read (warehouse source)")
    parser.add_argument("--as-of", default=AS_OF, help="as-of month YYYY-MM (default %(default)s)")
    args = parser.parse_args(argv)
    for size in args.size:
        bench(size, args.source, args.home, args.as_of)


if __name__ == "__main__":
    main()
