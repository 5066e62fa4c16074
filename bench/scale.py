"""Scale benchmark: the monthly re-plan and a 12-month backfill at the demo sizes, per stage.

Usage::

    uv run --frozen python bench/scale.py --sizes default large xlarge [--homes DIR] [--reuse]
        [--backfill-months 12] [--series-sizes xlarge] [--update-baseline]

For every size, in this order (each phase in its own child process, as a user would run it):

1. ``generate``: the demo extracts into ``<homes>/<size>`` (skipped with ``--reuse`` when the
   home already has extracts: generating ``xlarge`` takes about 15 minutes);
2. ``backfill``: from an empty warehouse, ``salesplan backfill`` of the 12 as-of months before
   the last one, in one process: one ingestion run loads the history extract and every extract
   month the 12 consume (the ``extracts`` row), then the months are re-planned in order.
   A backfill longer than one sitting (``xlarge``: 12 months of ~16 minutes after a load of
   ~17) runs in parts: ``--backfill-through MONTH`` stops after MONTH (and skips the one-month
   phase); ``--backfill-resume PART.json`` re-plans the months after that part's on the kept
   warehouse (no reset, no second load; with ``--backfill-through`` again, only up to there)
   and reports the parts as one backfill: times add up, the peak is the highest, and each
   part keeps its date and commit;
3. ``one month``: the last as-of month in a fresh process, like ``salesplan run``: start-up,
   then ingest of the new extract month, checks, dbt, forecast, re-decompose, publish, report;
4. ``series`` (sizes in ``--series-sizes``): the forecast engine on bookings per
   region x product line x rep read from that size's marts, with the cost per series and the
   parallel efficiency from 1 to 2 worker processes.

Per stage it prints wall time, CPU time (the process and the children it waited for: dbt, the
forecast workers) and peak memory (the stage's own high-water mark, or the sampled memory of
the process tree when subprocesses held more; see ``bench/benchkit.py``). ``checks`` is the
part of the ingest steps spent in the GX suites and the warehouse checks (their CPU time is
apportioned by wall time); ``orchestration`` is Dagster's share of the run outside the steps;
``startup`` is the interpreter, the imports and loading the code location. After every month
of a re-plan phase it also records the disk the home's warehouse and publication take.

Then the scaling exponent: the log-log slope of time against data size (rows in the
extracts each phase ran on) between consecutive sizes, for the total and per stage (naming the
stages above linear when a step grows faster), and the ratio of every stage
to ``bench/baseline.json`` (written by ``--update-baseline``), so a slowdown shows in review.

Timings come from a shared 2-core machine: the load average is printed with every phase, and
wall times taken while it exceeds the cores are provisional. Even CPU times move with the
host's load, so a fixed workload is timed before, every 10 s during, and after every re-plan
phase (``benchkit.speed_probe``), and the ratio of the probes' mean to the baseline's is
printed with the stage ratios. It tells when a slowdown may be the machine's; it is no exact
correction (in two slow runs of the default month the probes said x1.30 and x1.26, and the
re-plan's CPU time was x1.43 and x1.22 the baseline's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from benchkit import (
    Measure,
    StageMeter,
    TreeSampler,
    describe_machine,
    load_average,
    machine,
    python_env,
    run_phase,
    speed_probe,
)

SCRIPT = Path(__file__).resolve()
BASELINE = SCRIPT.parent / "baseline.json"
SIZES = ("small", "default", "large", "xlarge")
SEED = 7
END_MONTH = "2026-10"  # the last extract month of the demo; its as-of month is 2026-11
SIZE_MARKER = "bench_size.json"
PHASES = ("one_month", "backfill", "series")  # the measured phases of a size's figures
SCENARIOS = ("one_month", "backfill")  # the phases that re-plan months

STAGES = (
    "startup",
    "catch-up",
    "ingest",
    "checks",
    "dbt",
    "forecast",
    "re-decompose",
    "publish",
    "report",
    "orchestration",
)
STEP_STAGES = {
    "salesplan_dbt_models": "dbt",
    "forecast_version": "forecast",
    "plan_version": "re-decompose",
    "bi_publication": "publish",
    "alert_notifications": "publish",
    "leadership_report": "report",
    "manager_workbooks": "report",
}
# Parts of an ingest step's own timings (its materialization metadata) that are checks: the GX
# suite and the warehouse checks (keys, references, re-used files).
CHECK_PARTS = ("validate", "checks")

# Goals on the 2-core, 24 GB machine (issue 7): seconds and MB, per size and scenario.
GOALS: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("default", "one_month"): (60.0, 3 * 1024.0),
    ("default", "backfill"): (6 * 60.0, None),
    ("large", "one_month"): (5 * 60.0, 6 * 1024.0),
    ("xlarge", "one_month"): (None, 16 * 1024.0),
    ("xlarge", "backfill"): (None, 16 * 1024.0),
}
SERIES_GOAL_S = 600.0
SERIES_MIN = 10_000
SERIES_KEYS = ("region", "product_line", "rep_id")


# ---------------------------------------------------------------------------------- months
def as_of_months(count: int) -> tuple[list[str], str]:
    """The ``count`` backfill as-of months and the one-month as-of month after them."""
    from salesplan.months import add_months, format_month, parse_month

    last = add_months(parse_month(END_MONTH), 1)
    months = [format_month(add_months(last, offset)) for offset in range(-count, 0)]
    return months, format_month(last)


# ---------------------------------------------------------------------------------- child side
def stage_of(step: str) -> str:
    """The stage a Dagster step belongs to."""
    if step.endswith("_raw"):
        return "ingest"
    return STEP_STAGES.get(step, "other")


class StepRecorder:
    """A ``pipelines.runner`` step observer that measures every step with a :class:`StageMeter`."""

    def __init__(self, meter: StageMeter, echo: Callable[[str], None]) -> None:
        self.meter = meter
        self.echo = echo
        self.steps: list[tuple[str, Measure]] = []
        self._current: str | None = None

    def __call__(self, kind: str, step: str) -> None:
        """Start measuring at ``STEP_START``; record the step when it ends."""
        if kind == "STEP_START":
            self._current = step
            self.meter.start()
            return
        if step != self._current:
            return
        measure = self.meter.stop()
        self._current = None
        self.steps.append((step, measure))
        status = "" if kind == "STEP_SUCCESS" else f" ({kind})"
        self.echo(
            f"    {step:<34}{measure.wall_s:8.1f} s wall {measure.cpu_s:8.1f} s cpu "
            f"{measure.peak_mb:8,.0f} MB{status}"
        )


def month_record(
    as_of: str,
    outcome: Any,
    steps: list[tuple[str, Measure]],
    total: Measure,
    catch_up: bool = True,
) -> dict[str, Any]:
    """Turn one re-plan's runs and measured steps into per-stage figures.

    The steps of a run other than ``replan_job`` (an ingestion run) are the ``catch-up`` stage
    when ``catch_up`` is set, else ingest and checks like the re-plan's own ingestion steps.
    """
    stages: dict[str, list[Measure]] = {}
    position = 0
    step_figures: dict[str, dict[str, float]] = {}
    for run in outcome.runs:
        catching_up = catch_up and run.job_name != "replan_job"
        own = steps[position : position + len(run.step_seconds)]
        position += len(own)
        for step, measure in own:
            stage = "catch-up" if catching_up else stage_of(step)
            step_figures[f"{run.job_name}/{step}"] = measure.to_dict()
            if stage != "ingest":
                stages.setdefault(stage, []).append(measure)
                continue
            seconds = run.materializations.get(step, {}).get("seconds") or {}
            checks = min(sum(float(seconds.get(part, 0.0)) for part in CHECK_PARTS), measure.wall_s)
            share = checks / measure.wall_s if measure.wall_s else 0.0
            stages.setdefault("checks", []).append(
                Measure(checks, measure.cpu_s * share, measure.peak_mb)
            )
            stages.setdefault("ingest", []).append(
                Measure(measure.wall_s - checks, measure.cpu_s * (1 - share), measure.peak_mb)
            )
    combined = {stage: Measure.combine(measures) for stage, measures in stages.items()}
    in_steps = Measure.combine(list(combined.values()))
    combined["orchestration"] = Measure(
        max(total.wall_s - in_steps.wall_s, 0.0), max(total.cpu_s - in_steps.cpu_s, 0.0), 0.0
    )
    return {
        "as_of": as_of,
        "total": Measure(total.wall_s, total.cpu_s, max(total.peak_mb, in_steps.peak_mb)).to_dict(),
        "stages": {stage: measure.to_dict() for stage, measure in combined.items()},
        "steps": step_figures,
        "runs": [{"job": run.job_name, "wall_s": round(run.seconds, 3)} for run in outcome.runs],
        "load": round(load_average(), 2),
    }


def run_records(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-run records of a re-plan phase, the ingestion run of a backfill first.

    That run of every extract month counts like a month of its own.
    """
    return [*([result["extracts"]] if "extracts" in result else []), *result["months"]]


def replan_phase(
    home_root: str,
    months: Sequence[str],
    backfill: bool,
    extracts_for: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Re-plan ``months`` in order in this process, measuring every step of every run.

    With ``backfill``, as ``salesplan backfill`` does (``runner.backfill``): one ingestion run
    loads every extract the months consume (its record is ``as_of: "extracts"``), then each
    month is re-planned without ingestion. A backfill run in parts loads, in its first part,
    the extracts of every month of the whole backfill (``extracts_for``), as the whole one
    would; its later parts (``extracts_for=[]``) load none, and a month whose extracts are
    missing fails before it starts.
    """
    from pipelines import runner
    from salesplan.home import HOME_ENV_VAR, resolve_home

    extracts_for = months if extracts_for is None else extracts_for
    home = resolve_home(home_root)
    os.environ[HOME_ENV_VAR] = str(home.root)
    log_path = home.root / "bench_progress.log"
    records = []
    # As salesplan backfill does: a backfill's dbt builds start from one process, which
    # imports dbt while the extracts load.
    kept_dbt = runner.kept_dbt_process(len(months) if backfill else 1)
    with open(log_path, "a", encoding="utf-8") as log, TreeSampler() as sampler, kept_dbt:

        def progress(message: str) -> None:
            log.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
            log.flush()

        def echo(line: str) -> None:
            # stderr: the runner sends this process's stdout to the run's log file.
            print(line, file=sys.stderr, flush=True)

        meter = StageMeter(sampler)
        extracts = None
        if backfill and extracts_for:
            first, last = extracts_for[0], extracts_for[-1]
            echo(f"  extracts of {first}..{last} (load average {load_average():.1f})")
            recorder = StepRecorder(meter, echo)
            whole = StageMeter(sampler, "month")
            whole.start()
            loaded = runner.backfill_ingest(
                home, extracts_for, progress=progress, observer=recorder
            )
            total = whole.stop()
            outcome = runner.ReplanOutcome(first, home, [loaded])
            extracts = month_record("extracts", outcome, recorder.steps, total, catch_up=False)
            echo(f"  extracts: {total.wall_s:.1f} s wall, {total.cpu_s:.1f} s cpu")
        # As salesplan backfill does; a one-month re-plan keeps no workers.
        with runner.kept_forecast_workers(len(months) if backfill else 1):
            for as_of in months:
                echo(f"  as-of {as_of} (load average {load_average():.1f})")
                recorder = StepRecorder(meter, echo)
                whole = StageMeter(sampler, "month")
                whole.start()
                outcome = runner.replan(
                    home,
                    as_of,
                    progress=progress,
                    lang="zh",
                    observer=recorder,
                    ingest=not backfill,
                )
                total = whole.stop()
                record = month_record(as_of, outcome, recorder.steps, total)
                record["disk_mb"] = home_disk_mb(home.root)
                records.append(record)
                echo(f"  as-of {as_of}: {total.wall_s:.1f} s wall, {total.cpu_s:.1f} s cpu")
    return {"months": records, **({"extracts": extracts} if extracts is not None else {})}


def home_disk_mb(root: Path) -> dict[str, float]:
    """MB on disk of the home's warehouse and of its publication (each hard link once)."""
    seen: set[int] = set()
    published = 0
    for folder, _, files in os.walk(root / "published"):
        for name in files:
            stat = os.lstat(os.path.join(folder, name))
            if stat.st_ino not in seen:
                seen.add(stat.st_ino)
                published += stat.st_blocks * 512
    warehouse = root / "warehouse.duckdb"
    size = warehouse.stat().st_blocks * 512 if warehouse.exists() else 0
    return {"warehouse": round(size / 2**20, 1), "published": round(published / 2**20, 1)}


def generate_phase(home_root: str, size: str) -> dict[str, Any]:
    """Generate the demo of ``size`` into ``home_root``."""
    from demodata import generate

    started = time.perf_counter()
    summary = generate(home_root, size=size, seed=SEED, end_month=END_MONTH)
    return {
        "rows": summary.total_rows,
        "files": len(summary.files),
        "seconds": time.perf_counter() - started,
    }


def series_phase(home_root: str, as_of: str, subset: int, paths: int | None) -> dict[str, Any]:
    """Forecast bookings per region x product line x rep from the marts of ``home_root``.

    The full panel runs on 2 worker processes; a random subset of ``subset`` series runs on 1
    and on 2 workers for the parallel efficiency ``T1 / (2 x T2)``. Worker start-up (imports,
    compilation, the first Stan run) is timed apart: it is paid once per run. ``paths`` sets
    the sample paths per series (the engine's default when ``None``): the cross-series phase
    holds every series' paths, ~91k series x 500 paths x 12 months at ``xlarge``.
    """
    import duckdb
    import numpy as np

    import forecasts
    from pipelines.defs.forecasts.warehouse import read_history
    from salesplan.home import resolve_home
    from salesplan.months import parse_month

    home = resolve_home(home_root)
    keys = list(SERIES_KEYS)
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        history = read_history(connection, "bookings", parse_month(as_of), keys)
    codes = history.groupby(keys, sort=True).ngroup().to_numpy()
    n_series = int(codes.max()) + 1 if len(codes) else 0
    rng = np.random.default_rng(0)
    chosen = rng.choice(n_series, size=min(subset, n_series), replace=False)
    sample = history[np.isin(codes, chosen)]
    config = None
    if paths is not None:
        config = forecasts.ForecastConfig(n_paths=paths, backtest_paths=min(paths, 200))
    figures: dict[str, Any] = {
        "series": n_series,
        "rows": len(history),
        "subset": len(chosen),
        "paths": paths if paths is not None else forecasts.ForecastConfig().n_paths,
    }
    print(f"  {n_series:,} series ({len(history):,} rows); subset of {len(chosen):,}", flush=True)
    with TreeSampler() as sampler:
        meter = StageMeter(sampler)
        for workers in (1, 2):
            meter.start()
            with forecasts.worker_pool(workers) as pool:
                figures[f"startup_{workers}"] = meter.stop().to_dict()
                meter.start()
                forecasts.forecast(sample, as_of, hierarchy=keys, config=config, executor=pool)
                figures[f"subset_{workers}"] = meter.stop().to_dict()
                subset_figures = figures[f"subset_{workers}"]
                print(f"  subset on {workers} worker(s): {subset_figures}", flush=True)
                if workers == 2:
                    meter.start()
                    result = forecasts.forecast(
                        history, as_of, hierarchy=keys, config=config, executor=pool
                    )
                    figures["full_2"] = meter.stop().to_dict()
                    print(f"  all series on 2 workers: {figures['full_2']}", flush=True)
        figures["tree_peak_mb"] = round(sampler.peak_mb, 1)
    figures["forecast_rows"] = len(result.forecasts)
    figures["failures"] = len(result.failures)
    return figures


def run_child(args: argparse.Namespace) -> None:
    """Run one phase in this (child) process and write its JSON result."""
    if args.phase == "generate":
        result = generate_phase(args.home, args.size)
    elif args.phase == "replan":
        result = replan_phase(args.home, args.months, args.backfill, args.extracts_for)
    else:
        result = series_phase(args.home, args.months[0], args.subset, args.series_paths)
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------------------------- parent side
def prepare_home(
    root: Path, size: str, reuse: bool, env: Mapping[str, str]
) -> dict[str, Any] | None:
    """Generate the demo into ``root`` (or reuse it) and empty everything but the landing."""
    marker = root / SIZE_MARKER
    extracts = root / "landing" / "extracts"
    generated = None
    if reuse and extracts.is_dir() and any(extracts.iterdir()):
        if marker.exists():
            recorded = json.loads(marker.read_text(encoding="utf-8")).get("size")
            if recorded != size:
                raise SystemExit(f"{root} holds the {recorded} demo, not {size}")
        print(f"  reusing the extracts in {extracts}")
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"  generating the {size} demo into {root} (load {load_average():.1f})", flush=True)
        phase = run_phase(
            SCRIPT,
            ["--phase", "generate", "--size", size, "--home", str(root)],
            root.parent / f".{size}.generate.json",
            env,
        )
        generated = {**phase.result, **phase.measure.to_dict()}
        marker.write_text(json.dumps({"size": size, "seed": SEED}), encoding="utf-8")
        print(
            f"  generated {phase.result['rows']:,} rows in {phase.measure.wall_s:.0f} s, "
            f"peak {phase.measure.peak_mb:,.0f} MB"
        )
    # A fresh start: no warehouse, no Dagster history, nothing published.
    for entry in root.iterdir():
        if entry.name in ("landing", SIZE_MARKER):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return generated


def combine_stages(runs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Each stage of ``runs`` (months, or parts of a backfill) run one after the other."""
    return {
        stage: Measure.combine(
            [Measure(**run["stages"][stage]) for run in runs if stage in run["stages"]]
        ).to_dict()
        for stage in STAGES
        if any(stage in run["stages"] for run in runs)
    }


def replan_in_child(
    root: Path,
    months: Sequence[str],
    env: Mapping[str, str],
    label: str,
    extracts_for: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Re-plan ``months`` in one child process; add its start-up and process-wide figures."""
    load_before, probe_before = load_average(), speed_probe()
    phase = run_phase(
        SCRIPT,
        [
            "--phase",
            "replan",
            "--home",
            str(root),
            "--months",
            *months,
            *(["--backfill"] if label == "backfill" else []),
            *([] if extracts_for is None else ["--extracts-for", *extracts_for]),
        ],
        root.parent / f".{root.name}.{label}.json",
        env,
        probe=True,
    )
    records = run_records(phase.result)
    inside = sum(record["total"]["wall_s"] for record in records)
    inside_cpu = sum(record["total"]["cpu_s"] for record in records)
    peak = max([phase.measure.peak_mb, *(record["total"]["peak_mb"] for record in records)])
    startup = Measure(
        max(phase.measure.wall_s - inside, 0.0), max(phase.measure.cpu_s - inside_cpu, 0.0), 0.0
    )
    stages = combine_stages(records)
    stages["startup"] = startup.to_dict()
    return {
        **({"extracts": phase.result["extracts"]} if "extracts" in phase.result else {}),
        "months": phase.result["months"],
        "stages": stages,
        "total": Measure(phase.measure.wall_s, phase.measure.cpu_s, peak).to_dict(),
        "load": [round(load_before, 2), round(load_average(), 2)],
        # Before, every PROBE_INTERVAL_S while the phase ran, and after.
        "probe_s": [round(probe, 4) for probe in (probe_before, *phase.probes, speed_probe())],
    }


def extract_rows(root: Path) -> int:
    """Rows in every extract file the warehouse loaded (``raw.load_log``): the data size."""
    import duckdb

    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as connection:
        row = connection.execute("SELECT sum(row_count) FROM raw.load_log").fetchone()
    return int(row[0] or 0) if row else 0


def bench_size(size: str, args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """Every phase of one size; returns its figures."""
    root = Path(args.homes) / size
    print(f"\n== {size}: home {root}", flush=True)
    figures: dict[str, Any] = {"home": str(root)}
    planned, last = as_of_months(args.backfill_months)
    backfill_months = planned
    if args.backfill_sizes is not None and size not in args.backfill_sizes:
        backfill_months = []
    earlier = None
    if args.backfill_resume is not None:
        earlier = resumed_backfill(args.backfill_resume, size, planned)
        backfill_months = planned[len(earlier["months"]) :]
    if args.backfill_through is not None and backfill_months:
        if args.backfill_through not in backfill_months:
            raise SystemExit(f"--backfill-through {args.backfill_through} is not one of {planned}")
        backfill_months = backfill_months[: backfill_months.index(args.backfill_through) + 1]
    if args.replay:
        # Quick iteration: the warehouse keeps every month; the last one is re-planned again.
        print(f"  replaying as-of {last} on the existing warehouse (no reset, no backfill)")
        backfill_months = []
    elif earlier is not None:
        print(f"  resuming the backfill on the kept warehouse after as-of {done_through(earlier)}")
    else:
        generated = prepare_home(root, size, args.reuse, env)
        if generated is not None:
            figures["generate"] = generated
    if backfill_months:
        print(f"  backfill {backfill_months[0]}..{backfill_months[-1]} in one process", flush=True)
        # A first part loads the extracts of the whole backfill; a later one, none.
        extracts_for = planned if earlier is None else []
        part = replan_in_child(root, backfill_months, env, "backfill", extracts_for)
        part["parts"] = [part_summary(part, args.commit)]
        part["planned"] = planned
        figures["backfill"] = part if earlier is None else join_backfill(earlier, part)
        print_stages(f"backfill of {len(backfill_months)} months", part)
    if "backfill" in figures:
        # The backfill's own data size: the one month after it loads one more extract month.
        figures["backfill"]["rows"] = figures["rows"] = extract_rows(root)
        if is_incomplete(figures["backfill"]) or args.backfill_through:
            # Through the last month too: the one month can be measured on its own (--merge).
            print(f"  backfill stopped after as-of {args.backfill_through}: no one-month phase")
            return figures
    print(f"  one month: as-of {last} in a fresh process", flush=True)
    figures["one_month"] = replan_in_child(root, [last], env, "month")
    print_stages(f"one month (as-of {last})", figures["one_month"])
    figures["one_month"]["rows"] = figures["rows"] = extract_rows(root)
    if size in args.series_sizes:
        print(f"  many series: bookings per {' x '.join(SERIES_KEYS)}", flush=True)
        phase = run_phase(
            SCRIPT,
            [
                "--phase",
                "series",
                "--home",
                str(root),
                "--months",
                last,
                "--subset",
                str(args.series_subset),
                *(["--series-paths", str(args.series_paths)] if args.series_paths else []),
            ],
            root.parent / f".{size}.series.json",
            env,
        )
        figures["series"] = {**phase.result, "process": phase.measure.to_dict()}
    return figures


# ---------------------------------------------------------------------------------- backfill parts
def resumed_backfill(path: Path, size: str, planned: Sequence[str]) -> dict[str, Any]:
    """The backfill of ``size`` an earlier ``--backfill-through`` run wrote to ``path``."""
    results = json.loads(path.read_text(encoding="utf-8"))
    earlier = results.get("sizes", {}).get(size, {}).get("backfill")
    if earlier is None:
        raise SystemExit(f"{path} holds no backfill of {size} to resume")
    done = [record["as_of"] for record in earlier["months"]]
    if earlier.get("planned") != list(planned) or done != list(planned[: len(done)]):
        raise SystemExit(
            f"{path}: its backfill ({', '.join(done)} of {earlier.get('planned')}) is not the "
            f"start of this one ({planned[0]}..{planned[-1]}); resume with the same "
            "--backfill-months"
        )
    if len(done) == len(planned):
        raise SystemExit(f"{path}: the backfill of {size} is complete, nothing to resume")
    return earlier


def done_through(backfill: Mapping[str, Any]) -> str:
    """The last as-of month a (part of a) backfill re-planned."""
    return str(backfill["months"][-1]["as_of"])


def part_summary(part: Mapping[str, Any], commit: str | None) -> dict[str, Any]:
    """When, at which commit and over which months one part of a backfill ran."""
    return {
        "as_of": [part["months"][0]["as_of"], done_through(part)],
        "months": len(part["months"]),
        "wall_s": part["total"]["wall_s"],
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "commit": commit,
    }


def join_backfill(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """Two parts of one backfill as one: times add up, the peak is the higher one."""
    parts = (earlier, later)
    stages = combine_stages(parts)
    commits = [part["commit"] for part in [*earlier["parts"], *later["parts"]]]
    return {
        "extracts": earlier["extracts"],
        "months": [*earlier["months"], *later["months"]],
        "stages": stages,
        "total": Measure.combine([Measure(**part["total"]) for part in parts]).to_dict(),
        "load": [earlier["load"][0], later["load"][1]],
        "probe_s": [*earlier["probe_s"], *later["probe_s"]],
        "parts": [*earlier["parts"], *later["parts"]],
        "planned": later["planned"],
        "commit": ", ".join(dict.fromkeys(str(commit) for commit in commits)),
    }


# ---------------------------------------------------------------------------------- printing
def print_stages(title: str, scenario: Mapping[str, Any]) -> None:
    """A compact stage line while the benchmark runs."""
    parts = ", ".join(
        f"{stage} {scenario['stages'][stage]['wall_s']:.1f}"
        for stage in STAGES
        if stage in scenario["stages"]
    )
    total = scenario["total"]
    print(
        f"  {title}: {total['wall_s']:.1f} s wall, {total['cpu_s']:.1f} s cpu, "
        f"peak {total['peak_mb']:,.0f} MB ({parts})",
        flush=True,
    )


def ratio(value: float, base: float | None) -> str:
    """``value / base`` as ``x1.05``, or ``-`` without a baseline."""
    if base is None or base <= 0.05:
        return "-"
    return f"x{value / base:.2f}"


# Probe means within this share of the baseline's count as the same machine speed.
SPEED_TOLERANCE = 0.10


def machine_speed(scenario: Mapping[str, Any], base: Mapping[str, Any]) -> float | None:
    """How much more CPU time the probe took than at the baseline (1.2: 20% slower), if known.

    The means of the probes of the phase and of the baseline's: the host slows this machine
    in spells (single probes take either ~0.115 s or ~0.19 s on the 2-core VM), and a mean
    weighs them by how often they came, as they weigh on the phase.
    """
    probe, base_probe = scenario.get("probe_s"), base.get("probe_s")
    if not probe or not base_probe:
        return None
    return statistics.fmean(probe) / statistics.fmean(base_probe)


def speed_line(scenario: Mapping[str, Any], base: Mapping[str, Any]) -> str | None:
    """The scenario's probes (before, during and after it) against the baseline's."""
    probe = scenario.get("probe_s")
    if not probe:
        return None
    line = (
        f"speed probe: mean {statistics.fmean(probe):.3f} s of {len(probe)} "
        f"({min(probe):.3f}-{max(probe):.3f}; {probe[0]:.3f} before, {probe[-1]:.3f} after)"
    )
    speed = machine_speed(scenario, base)
    if speed is None:
        return f"{line} (the baseline has no probe)"
    verdict = (
        "as fast as at the baseline"
        if abs(speed - 1) <= SPEED_TOLERANCE
        else "slower than at the baseline: the ratios may be the machine's, not the code's"
        if speed > 1
        else "faster than at the baseline: the ratios may flatter the code"
    )
    return f"{line}: x{speed:.2f} the baseline's, {verdict}"


def stage_table(
    size: str, scenario_name: str, scenario: Mapping[str, Any], baseline: Mapping[str, Any]
) -> list[str]:
    """The per-stage table of one scenario, with the ratios to the baseline."""
    base = baseline.get("sizes", {}).get(size, {}).get(scenario_name, {})
    lines = [
        f"{'stage':<14}{'wall s':>9}{'cpu s':>9}{'peak MB':>10}{'share':>7}"
        f"{'wall/base':>11}{'cpu/base':>10}"
    ]
    total_wall = scenario["total"]["wall_s"]
    for stage in [*STAGES, "other"]:
        if stage not in scenario["stages"]:
            continue
        figure = scenario["stages"][stage]
        stage_base = base.get("stages", {}).get(stage, {})
        peak = f"{figure['peak_mb']:,.0f}" if figure["peak_mb"] else "-"
        lines.append(
            f"{stage:<14}{figure['wall_s']:>9.1f}{figure['cpu_s']:>9.1f}{peak:>10}"
            f"{figure['wall_s'] / total_wall:>7.0%}"
            f"{ratio(figure['wall_s'], stage_base.get('wall_s')):>11}"
            f"{ratio(figure['cpu_s'], stage_base.get('cpu_s')):>10}"
        )
    total, total_base = scenario["total"], base.get("total", {})
    lines.append(
        f"{'total':<14}{total['wall_s']:>9.1f}{total['cpu_s']:>9.1f}{total['peak_mb']:>10,.0f}"
        f"{1:>7.0%}{ratio(total['wall_s'], total_base.get('wall_s')):>11}"
        f"{ratio(total['cpu_s'], total_base.get('cpu_s')):>10}"
    )
    return lines


def month_table(scenario: Mapping[str, Any]) -> list[str]:
    """Wall seconds per stage for every month of a backfill."""
    shown = [s for s in STAGES if s != "startup"]
    names = {"re-decompose": "re-dec", "orchestration": "orch", "catch-up": "catchup"}
    header = "".join(f"{names.get(s, s):>9}" for s in shown)
    lines = [f"{'as-of':<9}{header}{'total':>9}{'peak MB':>9}{'disk GB':>16}"]
    for record in run_records(scenario):
        cells = "".join(f"{record['stages'].get(s, {}).get('wall_s', 0.0):>9.1f}" for s in shown)
        total = record["total"]
        disk = record.get("disk_mb")
        # The warehouse file and the publication after the month, when recorded.
        used = f"{disk['warehouse'] / 1024:.1f} + {disk['published'] / 1024:.1f}" if disk else "-"
        lines.append(
            f"{record['as_of']:<9}{cells}{total['wall_s']:>9.1f}{total['peak_mb']:>9,.0f}{used:>16}"
        )
    return lines


def is_incomplete(scenario: Mapping[str, Any]) -> bool:
    """Whether ``scenario`` is the first part of a backfill whose rest has not run."""
    return len(scenario["months"]) < len(scenario.get("planned", []))


def parts_lines(scenario: Mapping[str, Any]) -> list[str]:
    """How a backfill run in parts was split, and whether it is still incomplete."""
    parts, planned = scenario.get("parts", []), scenario.get("planned", [])
    lines = []
    if len(parts) > 1:
        lines.append(f"run in {len(parts)} parts, each in its own process, times added up:")
        lines.extend(
            f"  as-of {p['as_of'][0]}..{p['as_of'][1]} ({p['months']} month(s)): "
            f"{p['wall_s']:.1f} s wall, {p['date']}, commit {p['commit']}"
            for p in parts
        )
    if is_incomplete(scenario):
        lines.append(
            f"INCOMPLETE: {len(scenario['months'])} of {len(planned)} months; resume with "
            "--backfill-resume on this --json file"
        )
    return lines


def goal_lines(size: str, scenario_name: str, scenario: Mapping[str, Any]) -> list[str]:
    """Whether the scenario meets its goal, and which stage dominates when it does not."""
    seconds, megabytes = GOALS.get((size, scenario_name), (None, None))
    if seconds is None and megabytes is None:
        return []
    total = scenario["total"]
    missed = []
    if seconds is not None and total["wall_s"] > seconds:
        missed.append(f"time {total['wall_s']:.0f} s > {seconds:.0f} s")
    if megabytes is not None and total["peak_mb"] > megabytes:
        missed.append(f"memory {total['peak_mb']:,.0f} MB > {megabytes:,.0f} MB")
    goal = " and ".join(
        part
        for part in (
            f"<= {seconds:.0f} s" if seconds is not None else "",
            f"<= {megabytes:,.0f} MB" if megabytes is not None else "",
        )
        if part
    )
    if not missed:
        return [f"goal {goal}: met"]
    stages = scenario["stages"]
    slowest = max(stages, key=lambda stage: stages[stage]["wall_s"])
    largest = max(stages, key=lambda stage: stages[stage]["peak_mb"])
    return [
        f"goal {goal}: NOT met ({'; '.join(missed)}); dominating stage: {slowest} "
        f"({stages[slowest]['wall_s']:.0f} s), largest memory: {largest} "
        f"({stages[largest]['peak_mb']:,.0f} MB)"
    ]


def slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    lx, ly = [math.log(v) for v in x], [math.log(max(v, 1e-3)) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    denominator = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / denominator


def phase_rows(figures: Mapping[str, Any], scenario: str) -> int:
    """The extract rows a phase ran on.

    Its own count, else (JSON files before 2026-11-25) the size's, counted after its last
    phase: after a one month, that overstates the backfill's by one extract month.
    """
    return int(figures[scenario].get("rows") or figures.get("rows") or 0)


def scaling_lines(results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Scaling exponents of time against data size between consecutive sizes and overall."""
    sizes = sorted((size for size in results if results[size].get("rows")), key=SIZES.index)
    if len(sizes) < 2:
        return ["scaling exponent: needs at least two sizes"]
    lines = ["scaling exponent of time against data size (log-log slope; 1.0 = linear):"]
    for scenario in SCENARIOS:
        present = [size for size in sizes if scenario in results[size]]
        months = {len(results[size][scenario]["months"]) for size in present}
        if len(months) > 1:
            # A 12-month backfill against a 1-month one says nothing about the data size.
            lines.append(f"  {scenario}: not compared (different month counts: {sorted(months)})")
            continue
        if len(present) < 2:
            continue
        x = [phase_rows(results[size], scenario) for size in present]
        lines.append(
            f"  {scenario} rows: "
            + ", ".join(f"{size} {n:,}" for size, n in zip(present, x, strict=True))
        )
        pairs = list(itertools.pairwise(present))
        for measure in ("wall_s", "cpu_s"):
            y = [results[size][scenario]["total"][measure] for size in present]
            steps = ", ".join(
                f"{a}->{b} {slope(x[i : i + 2], y[i : i + 2]):.2f}"
                for i, (a, b) in enumerate(pairs)
            )
            lines.append(f"  {scenario} total {measure[:-2]}: {steps}; overall {slope(x, y):.2f}")
        for a, b in pairs:
            lines.extend(above_linear(scenario, a, b, results))
        per_stage = []
        for stage in STAGES:
            y = [
                results[size][scenario]["stages"].get(stage, {}).get("cpu_s", 0.0)
                for size in present
            ]
            if min(y) > 0.5:
                per_stage.append(f"{stage} {slope(x, y):.2f}")
        lines.append(f"  {scenario} per stage (cpu, overall): " + ", ".join(per_stage))
    return lines


def above_linear(
    scenario: str, small: str, big: str, results: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """When time grows faster than the data from ``small`` to ``big``: by how much, and where.

    The goal is time no faster than linear in the extract rows. Each stage's excess is its time
    at ``big`` less its time at ``small`` scaled by the rows' ratio; the stages with the largest
    excess are what keeps the total above linear.
    """
    ratio = phase_rows(results[big], scenario) / phase_rows(results[small], scenario)
    before, after = results[small][scenario], results[big][scenario]
    lines = []
    for measure in ("wall_s", "cpu_s"):
        linear = before["total"][measure] * ratio
        if after["total"][measure] <= linear:
            continue
        shown = []
        for stage in STAGES:
            was = before["stages"].get(stage, {}).get(measure, 0.0) * ratio
            now = after["stages"].get(stage, {}).get(measure, 0.0)
            if now > was:
                factor = f" ({now / was:.2f}x linear)" if was else ""
                shown.append((now - was, f"{stage} +{now - was:.0f} s{factor}"))
        shown.sort(key=lambda item: -item[0])
        lines.append(
            f"  {scenario} {small}->{big} faster than linear ({measure[:-2]}): "
            f"{after['total'][measure]:.0f} s against {linear:.0f} s at x{ratio:.2f} the rows; "
            f"above linear: {', '.join(text for _, text in shown[:4])}"
        )
    return lines


def series_lines(size: str, figures: Mapping[str, Any]) -> list[str]:
    """The many-series figures of one size."""
    n, subset = figures["series"], figures["subset"]
    full = figures["full_2"]
    t1, t2 = figures["subset_1"]["wall_s"], figures["subset_2"]["wall_s"]
    efficiency = t1 / (2 * t2) if t2 else float("nan")
    with_startup = full["wall_s"] + figures["startup_2"]["wall_s"]
    verdict = "met" if with_startup <= SERIES_GOAL_S else "NOT met"
    enough = "" if n >= SERIES_MIN else f" (fewer than {SERIES_MIN:,} series)"
    return [
        f"many series ({size}): {n:,} series of bookings per {' x '.join(SERIES_KEYS)}{enough}, "
        f"{figures.get('paths', '?')} sample paths each",
        f"  all series on 2 workers: {full['wall_s']:.1f} s wall, {full['cpu_s']:.1f} s cpu, "
        f"peak {max(full['peak_mb'], figures['tree_peak_mb']):,.0f} MB (process tree); "
        f"worker start-up {figures['startup_2']['wall_s']:.1f} s",
        f"  per series: {1000 * full['wall_s'] / n:.1f} ms wall, "
        f"{1000 * full['cpu_s'] / n:.1f} ms cpu; {n / full['wall_s']:.1f} series/s",
        f"  parallel efficiency on {subset:,} series: 1 worker {t1:.1f} s, 2 workers {t2:.1f} s "
        f"-> {efficiency:.0%}",
        f"  goal <= {SERIES_GOAL_S:.0f} s with start-up: {verdict}",
    ]


def report(results: Mapping[str, Any], baseline: Mapping[str, Any]) -> None:
    """Print every table."""
    info = results["machine"]
    print(f"\n# scale benchmark, {results['date']}")
    print(f"machine: {describe_machine(info)}")
    print(f"bytecode cache: {results['bytecode_cache']}")
    if results.get("commit"):
        print(f"code: commit {results['commit']}")
    if baseline:
        print(f"baseline: {baseline.get('date')} on {describe_machine(baseline['machine'])}")
    for size, figures in results["sizes"].items():
        print(f"\n## {size} ({figures.get('rows', 0):,} extract rows; home {figures['home']})")
        commits = {
            name: figures[name]["commit"]
            for name in PHASES
            if isinstance(figures.get(name), Mapping) and figures[name].get("commit")
        }
        if figures.get("commit") and not commits:
            print(f"measured at commit {figures['commit']}")
        for name, commit in commits.items():
            print(f"{name.replace('_', ' ')} measured at commit {commit}")
        if "generate" in figures:
            gen = figures["generate"]
            print(f"generate: {gen['wall_s']:.0f} s wall, peak {gen['peak_mb']:,.0f} MB")
        for name, title in (("one_month", "one monthly re-plan"), ("backfill", "backfill")):
            if name not in figures:
                continue
            scenario = figures[name]
            months = scenario["months"]
            print(
                f"\n{title}: as-of {months[0]['as_of']}..{months[-1]['as_of']} "
                f"({len(months)} month(s)), load average {scenario['load'][0]:.1f} before, "
                f"{scenario['load'][1]:.1f} after"
            )
            for line in parts_lines(scenario):
                print(line)
            base = baseline.get("sizes", {}).get(size, {}).get(name, {})
            if (probe := speed_line(scenario, base)) is not None:
                print(probe)
            print("\n".join(stage_table(size, name, scenario, baseline)))
            if name == "backfill":
                print("\n".join(month_table(scenario)))
            print("\n".join(goal_lines(size, name, scenario)))
        if "series" in figures:
            print()
            print("\n".join(series_lines(size, figures["series"])))
    print()
    print("\n".join(scaling_lines(results["sizes"])))


def write_baseline(results: Mapping[str, Any], path: Path) -> None:
    """Keep the stage figures (not the per-month detail) as the new baseline."""
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    sizes = dict(previous.get("sizes", {}))
    for size, figures in results["sizes"].items():
        entry = dict(sizes.get(size, {}))
        entry["rows"] = figures.get("rows")
        for name in SCENARIOS:
            if name in figures:
                entry[name] = {
                    "stages": figures[name]["stages"],
                    "total": figures[name]["total"],
                    "months": len(figures[name]["months"]),
                    "load": figures[name]["load"],
                    **({"probe_s": figures[name]["probe_s"]} if "probe_s" in figures[name] else {}),
                    "commit": figures[name].get("commit") or results.get("commit"),
                    "rows": phase_rows(figures, name),
                }
        if "series" in figures:
            entry["series"] = {
                key: figures["series"][key]
                for key in ("series", "subset", "full_2", "subset_1", "subset_2", "startup_2")
            }
        sizes[size] = entry
    baseline = {
        "date": results["date"],
        "machine": results["machine"],
        "bytecode_cache": results["bytecode_cache"],
        "sizes": dict(sorted(sizes.items(), key=lambda item: SIZES.index(item[0]))),
    }
    path.write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    print(f"\nbaseline written to {path}")


def git_commit() -> str | None:
    """The checked-out commit (with ``+changes`` when the tree differs), if this is a clone."""
    import subprocess

    def git(*command: str) -> str:
        return subprocess.run(
            ["git", *command], cwd=SCRIPT.parent, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def report_against_baseline(results: Mapping[str, Any], args: argparse.Namespace) -> int:
    """Print ``results`` with their ratios to the baseline; keep them as it when asked."""
    baseline = {}
    if args.baseline.exists():
        baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
    report(results, baseline)
    if args.update_baseline:
        write_baseline(results, args.baseline)
    return 0


def report_merged(args: argparse.Namespace) -> int:
    """Print (and optionally keep as the baseline) the figures of several ``--json`` files."""
    merged: dict[str, Any] = {}
    for path in args.merge:
        results = json.loads(path.read_text(encoding="utf-8"))
        if not merged:  # each phase names its commit; the files may differ
            merged = {**results, "sizes": {}, "commit": None}
        for size, figures in results["sizes"].items():
            # A later file's phases (one month, backfill, series) replace the earlier ones;
            # the phases it did not run are kept, each with the commit it was measured at and
            # the rows it ran on (the file's own count when it has none of its own).
            phases = {
                name: {
                    **value,
                    "commit": value.get("commit", results.get("commit")),
                    **({"rows": phase_rows(figures, name)} if name in SCENARIOS else {}),
                }
                if name in PHASES
                else value
                for name, value in figures.items()
            }
            merged["sizes"][size] = {**merged["sizes"].get(size, {}), **phases}
        merged["date"] = max(merged["date"], results["date"])
    merged["sizes"] = dict(sorted(merged["sizes"].items(), key=lambda item: SIZES.index(item[0])))
    return report_against_baseline(merged, args)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=SIZES, default=["default", "large", "xlarge"])
    parser.add_argument(
        "--homes",
        default=str(Path(tempfile.gettempdir()) / "salesplan_scale"),
        help="folder of the per-size homes, kept for --reuse (default: %(default)s)",
    )
    parser.add_argument("--reuse", action="store_true", help="reuse the extracts of a kept home")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="re-plan only the last month on the kept warehouse (quick iteration, not a result)",
    )
    parser.add_argument("--backfill-months", type=int, default=12, help="0 skips the backfill")
    parser.add_argument(
        "--backfill-through",
        metavar="YYYY-MM",
        help="stop the backfill after this as-of month, and run no one-month phase (also "
        "when it is the last month)",
    )
    parser.add_argument(
        "--backfill-resume",
        type=Path,
        metavar="JSON",
        help="re-plan the months a --backfill-through run left, on its kept warehouse, and "
        "report both parts as one backfill",
    )
    parser.add_argument(
        "--backfill-sizes",
        nargs="*",
        choices=SIZES,
        help="sizes that run the backfill (default: every size); the others re-plan one month "
        "from an empty warehouse, which loads the whole history first",
    )
    parser.add_argument(
        "--series-sizes", nargs="*", default=["xlarge"], help="sizes to run the many-series phase"
    )
    parser.add_argument("--series-subset", type=int, default=600, help="series for efficiency")
    parser.add_argument(
        "--series-paths",
        type=int,
        help="sample paths per series in the many-series phase (default: the engine's)",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile every module at every process start, as this machine's "
        "PYTHONDONTWRITEBYTECODE=1 makes Python do",
    )
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="run nothing: print the report of earlier --json files together (sizes measured "
        "in separate invocations), e.g. to compute the scaling exponents or a new baseline",
    )
    parser.add_argument("--phase", choices=("generate", "replan", "series"), help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--months", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--backfill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--extracts-for", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--subset", type=int, default=600, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.phase:
        run_child(args)
        return 0
    if args.merge:
        return report_merged(args)
    if args.replay and (args.backfill_resume or args.backfill_through):
        parser.error("--replay runs no backfill: no --backfill-resume or --backfill-through")

    homes = Path(args.homes).resolve()
    homes.mkdir(parents=True, exist_ok=True)
    args.homes = str(homes)
    pycache = None if args.no_bytecode_cache else homes / ".pycache"
    env = python_env(pycache)
    results: dict[str, Any] = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "bytecode_cache": f"PYTHONPYCACHEPREFIX={pycache}" if pycache else "none (compile always)",
        "commit": git_commit(),
        "sizes": {},
    }
    args.commit = results["commit"]
    print(f"scale benchmark on {describe_machine(results['machine'])}")
    for size in sorted(args.sizes, key=SIZES.index):
        results["sizes"][size] = bench_size(size, args, env)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return report_against_baseline(results, args)


if __name__ == "__main__":
    sys.exit(main())
