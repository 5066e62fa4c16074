"""Benchmark the dbt build of one as-of month: wall time, dbt's own phases, slowest nodes.

Usage::

    uv run --frozen python bench/bench_dbt.py [--size default] [--home DIR] [--top 15]
        [--as-of 2026-11] [--repeat 1] [--keep]

Without ``--home`` the demo of ``--size`` is generated into a temp home and every extract
month is ingested first (those steps are timed and printed too, but they are not the figure:
bench_generate.py and bench_ingest.py own them). With ``--home`` an already ingested home is
reused, so the build can be repeated cheaply.

The build is the one the Dagster asset runs: ``dbt build --exclude-resource-type unit_test``
with the partition's vars and the asset's environment (the as-of month, the warehouse, the file
log's level), as a new subprocess on the home's warehouse. Wall time covers the whole command
(Python start-up, a full parse, as every build gets a new target folder, and execution);
"executing" is dbt's own elapsed time after parsing (run_results.json).
Goal: ``default`` in at most 20 s. Timings come from a shared 2-core machine: rerun when it is
idle before comparing, and mind the load average printed with every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

import demodata
from ingestion.load import ingest
from pipelines.defs.dbt.assets import DBT_BUILD_ARGS, dbt_environment
from pipelines.defs.dbt.dbt_vars import dbt_vars_for_partition
from pipelines.defs.dbt.project import DBT_PROJECT_DIR
from planning.config import load_config
from salesplan.home import SalesplanHome, resolve_home
from salesplan.months import add_months, format_month, parse_month

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
RAW_TABLES = ("leads", "opportunities", "activities", "order_lines", "invoices", "payments")
GOAL_SECONDS = {"default": 20.0}


def prepare_home(size: str, root: Path) -> SalesplanHome:
    """Generate the demo of ``size`` into ``root`` and ingest every extract month."""
    home = resolve_home(root)
    started = time.perf_counter()
    demodata.generate(home.root, size=size)
    generated = time.perf_counter()
    months = sorted(folder.name for folder in home.extracts.iterdir() if folder.is_dir())
    ingest(home, months)
    print(f"  generate            {generated - started:8.1f} s")
    print(f"  ingest ({len(months):2d} months)  {time.perf_counter() - generated:8.1f} s")
    return home


def last_extract_month(home: SalesplanHome) -> str:
    return max(folder.name for folder in home.extracts.iterdir() if folder.is_dir())


def run_build(home: SalesplanHome, as_of: str, target: Path) -> tuple[float, int, str]:
    """Run the production build; return its wall time, exit code and output tail."""
    config = load_config(home.planning_config)
    dbt_vars = dbt_vars_for_partition(
        as_of,
        fiscal_year_start_month=config.fiscal_start_month,
        reporting_currency=config.currency,
    )
    as_of_month = str(dbt_vars.pop("as_of_month"))
    env = {
        **os.environ,
        **dbt_environment(str(home.warehouse), as_of_month),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT_EXECUTABLE),
        *DBT_BUILD_ARGS,
        "--vars",
        json.dumps(dbt_vars),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    started = time.perf_counter()
    result = subprocess.run(
        command, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False
    )
    return time.perf_counter() - started, result.returncode, result.stdout[-3000:]


def print_run_results(target: Path, top: int) -> None:
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    nodes = results["results"]
    by_type: dict[str, tuple[int, float]] = {}
    for node in nodes:
        kind = node["unique_id"].split(".")[0]
        count, seconds = by_type.get(kind, (0, 0.0))
        by_type[kind] = (count + 1, seconds + node["execution_time"])
    print(f"  executing           {results['elapsed_time']:8.1f} s  (dbt's elapsed time)")
    for kind, (count, seconds) in sorted(by_type.items()):
        print(f"    {kind:<10} {count:4d} nodes, {seconds:7.1f} s summed over threads")
    failed = [node["unique_id"] for node in nodes if node["status"] not in ("success", "pass")]
    print(f"  not passing         {len(failed):8d}  {failed[:5]}")
    print(f"  slowest {top} nodes:")
    for node in sorted(nodes, key=lambda node: node["execution_time"], reverse=True)[:top]:
        print(f"    {node['execution_time']:6.2f} s  {node['unique_id'].split('.', 2)[2]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="default", choices=sorted(demodata.SIZES))
    parser.add_argument("--home", type=Path, help="an ingested home to reuse")
    parser.add_argument("--as-of", help="as-of month YYYY-MM (default: after the last extract)")
    parser.add_argument("--top", type=int, default=15, help="slowest nodes to print")
    parser.add_argument("--repeat", type=int, default=1, help="builds to run (same month)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated temp home and dbt's target folders"
    )
    args = parser.parse_args(argv)

    print(f"dbt build benchmark, size={args.size if args.home is None else args.home}")
    root = args.home or Path(tempfile.mkdtemp(prefix=f"bench_dbt_{args.size}_"))
    # dbt's target folders (manifest, run results, compiled SQL) go to a temp folder, so a reused
    # home is left as it was; --keep keeps them too.
    targets = Path(tempfile.mkdtemp(prefix="bench_dbt_targets_"))
    print(f"  home                {root}")
    print(f"  dbt target folders  {targets}")
    try:
        home = resolve_home(root) if args.home else prepare_home(args.size, root)
        as_of = args.as_of or format_month(add_months(parse_month(last_extract_month(home)), 1))
        with duckdb.connect(str(home.warehouse), read_only=True) as connection:
            counts = {
                table: connection.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
                for table in RAW_TABLES
            }
        print(f"  as-of month         {as_of}")
        print("  raw rows            " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
        for attempt in range(1, args.repeat + 1):
            target = targets / f"dbt_target_{attempt}"
            load = os.getloadavg()[0]
            wall, code, tail = run_build(home, as_of, target)
            print(
                f"build {attempt}: wall time {wall:8.1f} s (exit {code}, load average {load:.1f})"
            )
            if code != 0:
                print(tail)
                return code
            print_run_results(target, args.top)
            goal = GOAL_SECONDS.get(args.size)
            if goal is not None and args.home is None:
                print(
                    f"  goal                {goal:8.1f} s  {'met' if wall <= goal else 'NOT met'}"
                )
    finally:
        if not args.keep:
            shutil.rmtree(targets, ignore_errors=True)
        if args.home is None and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
